"""An answer's sentences, with their [n] markers and Markdown, what each claims once an
opening "Yes:" is set aside, and the answer rewritten once each sentence's markers are
decided: the claim check's view of a text (a summary's plain sentences are rag.text.sentences')."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.claims.words import ABBREVIATIONS, ANSWER_OPENER
from rag.text.script import to_traditional

_MARKERS = re.compile(r"\[(\s*\d+\s*(?:[,，、]\s*\d+\s*)*)\]")
_LINE_PREFIX = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]*|(?:[-*•·+]|\d{1,2}[.)])[ \t]+)?")
_BULLET = re.compile(r"^[ \t]*(?:[-*•·+]|\d{1,2}[.)])[ \t]+")
# A sentence ends at Chinese 。！？ or at . ! ? before a space, a closing quote or bracket or
# the line's end (not a decimal point or an abbreviation), then may carry closing quotes,
# emphasis and markers.
SPLIT_CLAUSES = False  # also end a claim at ；/; (measured: see benchmarks/citations)
_END_SENTENCE = re.compile(r"[。！？]|[.!?](?=[\s\"'”’)\]）*_]|$)")
_END_CLAUSE = re.compile(r"[。！？；]|[.!?;](?=[\s\"'”’)\]）*_]|$)")
_TAIL = re.compile(r"[\"'”’」』)）*_]*(?:[ \t]*\[\s*\d+\s*(?:[,，、]\s*\d+\s*)*\])*")


@dataclass
class Sentence:
    start: int
    end: int
    line: int
    raw: str  # text[start:end], markers included
    bullet: bool
    heading: bool  # a line of its own that is a heading (# or bold only)
    markers: list[tuple[int, int, list[int]]] = field(default_factory=list)  # (start, end, numbers) in raw
    core: str = ""  # without markers and Markdown emphasis

    @property
    def cited(self) -> list[int]:
        return list(dict.fromkeys(n for _, _, ns in self.markers for n in ns))


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text` with their spans; everything between them is layout."""
    sentences: list[Sentence] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        body_start = _LINE_PREFIX.match(line).end()
        bullet = bool(_BULLET.match(line))
        pos = body_start
        pieces = []
        while pos < len(line):
            while pos < len(line) and line[pos] in " \t":
                pos += 1
            if pos >= len(line):
                break
            end = _sentence_end(line, pos)
            pieces.append((pos, end))
            pos = end
        heading = len(pieces) == 1 and (line.lstrip().startswith("#") or _bold_only(line[pieces[0][0]:pieces[0][1]]))
        for start, end in pieces:
            raw = line[start:end]
            sentence = Sentence(offset + start, offset + end, number, raw, bullet, heading)
            sentence.markers = [(m.start(), m.end(), [int(n) for n in re.split(r"[,，、]", m[1])])
                                for m in _MARKERS.finditer(raw)]
            core = " ".join(_MARKERS.sub(" ", raw).replace("**", "").replace("__", "").split())
            sentence.core = re.sub(r"\s+([。，、；：！？,.;:!?])", r"\1", core)
            sentences.append(sentence)
        offset += len(line) + 1
    return sentences


def claim_of(core: str) -> str:
    """What a sentence claims, without the answer to the question that opens it ("Yes:",
    "No, ...", "是的，", "不，"): the rest is checked like any sentence (in Traditional
    script, as the check reads it)."""
    text = to_traditional(core.strip())
    opener = ANSWER_OPENER.match(text)
    return text[opener.end():] if opener else text


def _sentence_end(line: str, start: int) -> int:
    for match in (_END_CLAUSE if SPLIT_CLAUSES else _END_SENTENCE).finditer(line, start):
        if match[0] == "." and _not_an_end(line, start, match.start()):
            continue
        if line.count("**", start, match.start()) % 2:
            continue  # inside a bold title ("**Don't Forget to Connect! Improving RAG ...**")
        end = _TAIL.match(line, match.end()).end()
        return end
    return len(line.rstrip())


def _not_an_end(line: str, start: int, dot: int) -> bool:
    word = re.search(r"([A-Za-z0-9.]+)$", line[start:dot])
    if word and (word[1].lower().rstrip(".") in ABBREVIATIONS or len(word[1]) == 1 and word[1].isupper()):
        return True
    return False


def _bold_only(raw: str) -> bool:
    stripped = _MARKERS.sub("", raw).strip()
    return bool(re.fullmatch(r"\*\*[^*]+\*\*[:：]?", stripped))


def rewrite(text: str, verdicts: list) -> str:
    """The text with each changed sentence's markers rewritten (each verdict's `final`
    papers, 0-based) and removed sentences cut out (with the space they leave; a line left empty goes whole); the rest unchanged."""
    by_line: dict[int, list] = {}
    for v in verdicts:
        by_line.setdefault(v.sentence.line, []).append(v)
    out_lines, offset = [], 0
    for number, line in enumerate(text.split("\n")):
        line_start, offset = offset, offset + len(line) + 1
        vs = by_line.get(number, [])
        if vs and all(v.removed for v in vs):
            continue
        pieces, pos = [], 0
        for v in vs:
            a, b = v.sentence.start - line_start, v.sentence.end - line_start
            if v.removed:
                pieces.append(line[pos:a])
                pos = b
                follow = re.match(r"[ \t]+", line[pos:])
                if follow:
                    pos += follow.end()
                elif pieces[-1].endswith((" ", "\t")):
                    pieces[-1] = pieces[-1].rstrip(" \t")
            elif set(v.final) != set(n - 1 for n in v.sentence.cited):
                pieces += [line[pos:a], _remark(v.sentence, v.final)]
                pos = b
        pieces.append(line[pos:])
        joined = "".join(pieces)
        out_lines.append(joined.rstrip(" \t") if vs[-1:] and vs[-1].removed else joined)  # no space left hanging
    return "\n".join(out_lines)


def _remark(s: Sentence, final: list[int]) -> str:
    """The sentence with its markers set to `final` (0-based): markers that stay are left
    where they are, new ones go where the last marker was, or at the end of the sentence
    before its closing punctuation."""
    raw = s.raw
    keep = set(final)
    placed: set[int] = set()
    pieces, pos = [], 0
    last_group_end = None
    for start, end, numbers in s.markers:
        pieces.append(raw[pos:start])
        kept = [n for n in numbers if n - 1 in keep and n - 1 not in placed]
        placed.update(n - 1 for n in kept)
        if kept:
            pieces.append("".join(f"[{n}]" for n in kept))
        elif pieces and pieces[-1].endswith(" ") and not raw[end:end + 1].isalnum():
            pieces[-1] = pieces[-1][:-1]
        pos = end
        last_group_end = sum(len(p) for p in pieces)
    pieces.append(raw[pos:])
    body = "".join(pieces)
    new = [j for j in final if j not in placed]
    if not new:
        return body
    marks = "".join(f"[{j + 1}]" for j in new)
    if last_group_end is not None and s.markers and any(n - 1 in placed for _, _, ns in s.markers for n in ns):
        return body[:last_group_end] + marks + body[last_group_end:]
    if last_group_end is not None and s.markers:
        # every marker was wrong: the new ones take the place of the last
        at = last_group_end
        prefix = body[:at]
        spacer = "" if not prefix or prefix.endswith((" ", "\t")) or at == 0 else " "
        return prefix + spacer + marks + (" " if at == 0 and not body[at:at + 1].isspace() else "") + body[at:]
    at = _insertion_point(body)
    spacer = "" if body[:at].endswith((" ", "\t")) else " "
    return body[:at] + spacer + marks + body[at:]


def _insertion_point(body: str) -> int:
    """Before the sentence's closing punctuation (and quotes), after any emphasis."""
    match = re.search(r"[。！？；.!?;:：,，][\"'”’」』)）]*\s*$", body)
    return match.start() if match else len(body.rstrip())
