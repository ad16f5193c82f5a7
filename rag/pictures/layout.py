"""Labels that fit: text wrapped to a width in em, Chinese and English alike (no line starts
with closing punctuation or ends with an opening one; a citation marker stays with its
sentence), and cut with "…" when it would take more lines than it may."""

from __future__ import annotations

import re
import unicodedata

from rag.pictures.fonts import sanitize, text_width

_CITATION = re.compile(r"…?\[\d+\][。，.,]?")
_NO_LINE_START = set("，。、；：！？）」』〉》】〕…,.;:!?)]}%")
_NO_LINE_END = set("（「『〈《【〔([{")


def _tokens(line: str) -> list[str]:
    """Break opportunities: a space, a wide (CJK) character, or a run of anything else (a word)."""
    out: list[str] = []
    word = ""
    for ch in line:
        if ch == " " or unicodedata.east_asian_width(ch) in "WF":
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def wrap(text: str, width_em: float) -> list[str]:
    """Lines of at most `width_em` em: Latin breaks at spaces (a longer word is split), CJK
    between any two characters; closing punctuation never opens a line (it takes the word
    before it along) and opening punctuation never ends one."""
    lines: list[str] = []
    for paragraph in sanitize(text).split("\n"):
        line: list[str] = []  # the tokens of the line being filled
        widths: list[float] = []  # and their widths
        for token in _tokens(paragraph):
            if token == " ":
                if line and line[-1] != " ":
                    line.append(" ")
                    widths.append(text_width(" "))
                continue
            token_w = text_width(token)
            if sum(widths) + token_w <= width_em:
                line.append(token)
                widths.append(token_w)
                continue
            glued = bool(line) and line[-1] != " " and (token in _NO_LINE_START or _CITATION.fullmatch(token))
            while line and line[-1] == " ":
                line.pop(), widths.pop()
            keep = len(line)
            if glued and keep > 1:
                keep -= 1  # "，" (or "。[2]") goes down with the character before it
                while keep > 1 and line[keep] in _NO_LINE_START:  # ... and never opens the next line itself
                    keep -= 1
            while keep > 1 and line[keep - 1] in _NO_LINE_END:  # "（" goes down with what it opens
                keep -= 1
            if keep:
                lines.append("".join(line[:keep]).rstrip())
            line, widths = line[keep:], widths[keep:]
            while len(token) > 1 and sum(widths) + token_w > width_em:  # a word longer than a line
                cut = len(token) - 1
                while cut > 1 and sum(widths) + text_width(token[:cut]) > width_em:
                    cut -= 1
                lines.append("".join(line) + token[:cut])
                line, widths, token = [], [], token[cut:]
                token_w = text_width(token)
            line.append(token)
            widths.append(token_w)
        lines.append("".join(line).rstrip())
    return lines


def fit(text: str, width_em: float, max_lines: int, suffix: str = "") -> list[str]:
    """`text` + `suffix` wrapped to at most `max_lines`; if it is longer, the text is cut and
    ends with "…" and the suffix (a citation stays visible)."""
    lines = wrap(text + suffix, width_em)
    if len(lines) <= max_lines:
        return lines
    text = sanitize(text)
    low, high = 0, len(text)  # the most characters of text that still fit with "…" + suffix
    while low < high:
        mid = (low + high + 1) // 2
        if len(wrap(text[:mid].rstrip() + "…" + suffix, width_em)) <= max_lines:
            low = mid
        else:
            high = mid - 1
    return wrap(text[:low].rstrip() + "…" + suffix, width_em)


def label(text: str, width_em: float, max_lines: int = 1) -> str:
    return "\n".join(fit(text, width_em, max_lines))
