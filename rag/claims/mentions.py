"""The names and numbers a text mentions. A claim's must be found in a paper that
supports it: they survive translation ("28.53%", "1.25 億" = "125M" = "125-million",
"七個" = "seven", "WebQSP", "GPT-4") and are what a model invents. Used by the claim
check (rag.claims.evidence, rag.claims.contradictions).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.claims.words import SOURCE_DETERMINERS, SOURCE_NOUNS
from rag.papers.table import Paper
from rag.text import glossary
from rag.text.numbers import CHARACTERS, DIGITS, Quantity, quantities
from rag.text.script import CJK

CRITICAL = 2.0  # a name or a number weighs as much as two words
DATES = re.compile(r"\b(19|20)\d{2}(-\d{2}(-\d{2})?)?\b")  # a claim's years and dates are not facts to check

# -- numbers ------------------------------------------------------------------------------
# A number inside a name: GPT-4, Llama-3, v0.2, AlpacaEval 2.0, Mistral 7B (a capitalised word, a space).
_NAME_BEFORE = re.compile(r"(?:[A-Za-z][-.]?|\b[A-Z][A-Za-z0-9]*[ \-])$")
# Quantities in words that mean any of several values: a claim stating one needs one of them in the paper.
_NUMBER_WORDS = {"twice": (2.0,), "double": (2.0,), "doubles": (2.0,), "triple": (3.0,),
                 "half": (0.5, 50.0, 2.0), "halves": (0.5, 50.0, 2.0), "quarter": (0.25, 25.0, 4.0),
                 "一半": (0.5, 50.0, 2.0), "減半": (0.5, 50.0, 2.0), "四分之一": (0.25, 25.0, 4.0)}
_SCORE_BEFORE = re.compile(r"(similarity|score|相似度|分數)\s*$", re.IGNORECASE)
# A Chinese numeral is a count when a measure word or unit follows it (七個, 十二個月, 第六階, 兩倍).
_MEASURE = re.compile(r"\s*(?:個|个|種|种|類|类|項|项|篇|階|阶|倍|次|輪|轮|層|层|步|名|位|組|组|款|份|家|點|点|條|条|"
                      r"張|张|句|塊|块|台|臺|部|件|周|週|天|日|月|年|小時|小时|分鐘|分钟|秒|歲|岁|人|維|维|元|字|詞|"
                      r"词|頁|页|章|節|节|段|回合|批|套|道|題|题|大|者|%)")
_SOURCES_AFTER = re.compile(rf"\s*(?:{SOURCE_NOUNS})", re.IGNORECASE)  # "two papers", "兩篇", "兩者"
_SOURCES_BEFORE = re.compile(rf"(?:{SOURCE_DETERMINERS})\s*$", re.IGNORECASE)  # "both", "these two", "這兩種"


def numbers_in(text: str, claim: bool) -> set:
    """The quantities a text states, as values (rag.text.numbers: 125M = 1.25 億 = 125
    million, seven = 七 = 7). A number inside a name (GPT-4, Llama-3) is the name's, except
    a size with its unit (Mistral 7B → 7e9). A claim's years, dates, "(1)" list numbers and
    similarity scores are not facts to check, nor are counts of the answer's own sources
    ("the two papers", "兩者"), "one"/"一" (an article as often as a count), or a numeral in
    characters without a measure word after it (一致, 四分之一's 四); a paper's text gives
    every reading it has."""
    values: set = {value for value, _ in _stated(text, claim)}
    lower = text.lower()
    for word, alternatives in _NUMBER_WORDS.items():
        if re.search(rf"(?<![a-z]){word}(?![a-z])", lower):
            # a claim's "half" is one quantity, met by any of its forms; a paper's text gives them all
            values.update([alternatives] if claim else alternatives)
    return values


def spelled_out(text: str) -> list[tuple[int, int]]:
    """Where a claim states a number in words or characters ("seven", "七個"'s 七): a
    number, not words a paper must share."""
    return [(q.start, q.end) for _, q in _stated(text, True) if q.form != DIGITS]


def _stated(text: str, claim: bool) -> list[tuple[float, Quantity]]:
    if claim:
        text = DATES.sub(lambda m: " " * len(m[0]), text)  # (same length: positions stay)
    text = re.sub(r"[（(]\d{1,3}[)）]", lambda m: " " * len(m[0]), text)
    out = []
    for q in quantities(text):
        if q.vague:
            continue  # 數百, hundreds of: no number to check
        written = text[q.start:q.end]
        before = text[max(0, q.start - 40):q.start]
        if q.form == DIGITS:
            if re.fullmatch(r"\d{4}\.\d{4,5}", written):
                continue  # an arXiv ID
            if claim and _SCORE_BEFORE.search(before):
                continue
            if _NAME_BEFORE.search(before) or re.match(r"[A-Za-z]", text[q.end:q.end + 1]):
                if q.scaled:
                    out.append((q.value, q))  # Mistral 7B, Llama-3-8B: a size
                continue
        elif claim and not _counted(q, before):
            continue
        out.append((q.value, q))
    return out


def _counted(q: Quantity, before: str) -> bool:
    """A number in words or characters that a claim states as a fact: more than one (or a
    scale: "a million"), not counting the answer's own sources, and in Chinese with a
    measure word, unit or 第."""
    if q.value < 2 and not q.scaled:
        return False
    if _SOURCES_AFTER.match(q.after) or _SOURCES_BEFORE.search(before):
        return False
    if q.form == CHARACTERS:
        return q.scaled or q.ordinal or bool(q.unit) or bool(_MEASURE.match(q.after))
    return True


# -- names --------------------------------------------------------------------------------
_LATIN_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]*[A-Za-z0-9+]|[A-Za-z0-9]")
# Parts joined by - or . continue a name when capitalised or numbered (Flan-PaLM, Llama-3-8B,
# v0.2), not when a plain word ("Mamba-based" is Mamba).
_PART = r"(?:[-.](?:[A-Z0-9][A-Za-z0-9]*|[a-z]+\d[A-Za-z0-9]*))*"
_TOKEN = (rf"(?:[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*|[A-Za-z]+[-.]?\d[A-Za-z0-9.]*|"
          rf"[A-Z][a-z]+){_PART}")
# A name as a claim writes it: mixed-case or digit-bearing tokens (WebQSP, GPT-4, LoRA) and
# capitalised words, with the numbers and capitalised words after them (Gemini 1.5 Pro).
NAME = re.compile(rf"(?<![A-Za-z0-9]){_TOKEN}(?:[ ](?:\d[A-Za-z0-9.]*|[A-Z][A-Za-z0-9]*{_PART}))*")


def norm_name(name: str) -> str:
    """A name as compared: letters and digits, lower-cased, without a plural s."""
    name = re.sub(r"[^a-z0-9]", "", name.lower())
    return name[:-1] if len(name) > 3 and name.endswith("s") and not name.endswith("ss") else name


def names_in(text: str) -> set[str]:
    """Latin runs of a paper's text, normalised, alone and joined with up to three
    neighbours that follow after a space or hyphen (so "Llama 3 8B" matches "Llama-3-8B")."""
    runs = list(_LATIN_RUN.finditer(text))
    out: set[str] = set()
    for i, run in enumerate(runs):
        joined = run[0]
        out.add(norm_name(joined))
        out.update(norm_name(part) for part in re.split(r"[-.]", joined) if part)
        for prev, nxt in zip(runs[i:i + 3], runs[i + 1:i + 4]):
            if not re.fullmatch(r"[ \t\-]{1,2}", text[prev.end():nxt.start()]):
                break
            joined += nxt[0]
            out.add(norm_name(joined))
    return out


@lru_cache(maxsize=4096)
def own_names(paper: Paper) -> frozenset:
    """The names a paper goes by, normalised: its title's, and those the summary defines
    ("（SPPO）", "稱為 ... SELM", "提出了 M3")."""
    if ":" in paper.title:
        head = paper.title.split(":")[0]
        runs = [m[0] for m in _LATIN_RUN.finditer(head)]
        if len(head.split()) <= 3:
            runs.append(head)  # "PROMETHEUS 2", "JINA CLIP", "LoRA Land"
    else:  # "LoRA Learns Less and Forgets Less": its name-like words only
        runs = [m[0] for m in NAME.finditer(paper.title)]
    names = {norm_name(r) for r in runs}
    for match in re.finditer(r"(?:稱為|名為|提出了?|介紹了?|推出了?)[^，。；（(]{0,16}?[（(，,]?\s*([A-Za-z][A-Za-z0-9\-.]*)",
                             paper.summary):  # "稱為自我博弈偏好優化（SPPO）", "提出了 M3", not "（DPO）"
        names.add(norm_name(match[1]))
    return frozenset(n for n in names if n)


@lru_cache(maxsize=16384)
def chinese_terms(phrase: str) -> tuple[str, ...]:
    """The glossary's Chinese for an English phrase (a name or a term), lower-cased: how a
    Chinese summary writes it (Nash equilibrium → 納什均衡)."""
    return tuple(t.lower() for t in glossary.lookup(phrase) if CJK.search(t))
