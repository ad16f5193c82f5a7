"""The names and numbers a text mentions. A claim's must be found in a paper that
supports it: they survive translation ("28.53%", "1.25 億" = "125M", "WebQSP", "GPT-4")
and are what a model invents. Used by the claim check (rag.claims.evidence, rag.claims.contradictions).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.papers.table import Paper
from rag.text import glossary
from rag.text.script import CJK

CRITICAL = 2.0  # a name or a number weighs as much as two words
DATES = re.compile(r"\b(19|20)\d{2}(-\d{2}(-\d{2})?)?\b")  # a claim's years and dates are not facts to check

# -- numbers ------------------------------------------------------------------------------
_NUMBER = re.compile(r"(?<![A-Za-z0-9.,])(\d+(?:,\d{3})*(?:\.\d+)?)(?:\s?(%|x|×|[kKmMbB](?![A-Za-z])|萬|億|千|"
                     r"百萬|十億|thousand|million|billion|trillion))?")
_MULTIPLIER = {"k": 1e3, "m": 1e6, "b": 1e9, "萬": 1e4, "億": 1e8, "千": 1e3, "百萬": 1e6, "十億": 1e9,
               "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# A number inside a name: GPT-4, Llama-3, v0.2, AlpacaEval 2.0, Mistral 7B (a capitalised word, a space).
_NAME_BEFORE = re.compile(r"(?:[A-Za-z][-.]?|\b[A-Z][A-Za-z0-9]*[ \-])$")
# Quantities in words: a claim stating one needs any of these values in the paper.
_NUMBER_WORDS = {"twice": (2.0,), "double": (2.0,), "doubles": (2.0,), "triple": (3.0,),
                 "half": (0.5, 50.0, 2.0), "halves": (0.5, 50.0, 2.0), "quarter": (0.25, 25.0, 4.0),
                 "兩倍": (2.0,), "二倍": (2.0,), "三倍": (3.0,), "一半": (0.5, 50.0, 2.0), "減半": (0.5, 50.0, 2.0),
                 "四分之一": (0.25, 25.0, 4.0)}
_SCORE_BEFORE = re.compile(r"(similarity|score|相似度|分數)\s*$", re.IGNORECASE)


def numbers_in(text: str, claim: bool) -> set:
    """The quantities a text states, as values (K/M/B, 萬/億, million... applied). A paper's
    text also gives the bare value; a number inside a name (GPT-4, Llama-3) is the name's,
    except a size with its unit (Mistral 7B → 7e9). A claim's years, dates, "(1)" list
    numbers and similarity scores are not facts to check."""
    if claim:
        text = DATES.sub(" ", text)
    text = re.sub(r"[（(]\d{1,3}[)）]", " ", text)
    values: set = set()
    for match in _NUMBER.finditer(text):
        if re.fullmatch(r"\d{4}\.\d{4,5}", match[1]):
            continue  # an arXiv ID
        before, after = text[max(0, match.start() - 40):match.start()], text[match.end():match.end() + 1]
        unit = (match[2] or "").lower()
        raw = float(match[1].replace(",", ""))
        scaled = _round(raw * _MULTIPLIER.get(unit, 1))
        in_name = bool(_NAME_BEFORE.search(before)) or bool(re.match(r"[A-Za-z]", after))
        if claim and _SCORE_BEFORE.search(before):
            continue
        if in_name:
            if unit in ("k", "m", "b"):
                values.add(scaled)
            continue
        values.add(scaled)
        if not claim and unit in ("", "%", "x", "×"):
            values.add(_round(raw))  # "20%" states 20; "30 億" does not state 30
    lower = text.lower()
    for word, alternatives in _NUMBER_WORDS.items():
        if re.search(rf"(?<![a-z]){word}(?![a-z])", lower):
            # a claim's "half" is one quantity, met by any of its forms; a paper's text gives them all
            values.update([alternatives] if claim else alternatives)
    return values


def _round(value: float) -> float:
    return float(f"{value:.6g}")


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
