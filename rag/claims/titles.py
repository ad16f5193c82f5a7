"""Titles a sentence quotes, and whether each is a paper's: a model that writes
"海馬體啟發的論文是《人類長-memory理論》" invents a title as readily as a number.

    quoted_titles('The paper “Graph Rerankers Are All You Need” ...')  # ['Graph Rerankers Are All You Need']
    is_title_of('WildChat', paper)  # a recognisable part of "WILDCHAT: 1M CHATGPT INTERACTION LOGS IN THE WILD"

What looks like a title: anything in 《》; in quotes (“…”, "…") words in Title Case
(three or more) or with a colon, or any quote a title cue introduces ("titled", 題為,
claims.txt [title cues]); in bold, four or more words in Title Case, or a colon (a bold
"Method and Results" is a heading, not a title). It is the paper's when most of its
words are the title's (or the paper's own names: M3): English words as rag.text.tokens
reads them, Chinese words as the glossary's Chinese for the title's terms (長期記憶 for
long-term memory). Used by rag.claims.attribution.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.claims.mentions import own_names
from rag.claims.words import STOP, TITLE_CUES
from rag.papers.table import Paper
from rag.text import glossary
from rag.text.script import CJK
from rag.text.tokens import chinese_words_of, normalise, tokenize

LATIN_SHARE = 0.8  # of a quoted title's English words that the paper's title must hold
CHINESE_SHARE = 0.6  # of its Chinese words found among the glossary's Chinese for the title

_BOOK = re.compile(r"《([^《》\n]{1,200})》")
_QUOTED = re.compile(r"“([^“”\n]{2,200})”|\"([^\"\n]{2,200})\"|「([^「」\n]{2,200})」|『([^『』\n]{2,200})』")
_BOLD = re.compile(r"\*\*([^*\n]{2,200})\*\*")
_CUE_BEFORE = re.compile(rf"(?:{TITLE_CUES})[\s:：,，]*$", re.IGNORECASE)
_SMALL = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the", "to",
          "with", "via", "vs"}


def _title_case(text: str, least: int) -> bool:
    """At least `least` words, the words that are not small ones capitalised (or in capitals)."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9'’\-]*", text)
    if len(words) < least or CJK.search(text):
        return False
    big = [w for w in words if w.lower() not in _SMALL]
    return bool(big) and sum(w[0].isupper() for w in big) >= 0.8 * len(big)


def _with_colon(text: str) -> bool:
    """A name, a colon and a few words: "MoRA: High-Rank Updating for ..."."""
    match = re.match(r"(.+?)\s*[:：]\s*(.+)", text)
    return bool(match) and len(match[2].split()) >= 2


def quoted_titles(raw: str) -> list[str]:
    """The titles a sentence (as written, Markdown included) quotes."""
    found = [m[1].strip() for m in _BOOK.finditer(raw)]
    for m in _QUOTED.finditer(raw):
        quote = next(g for g in m.groups() if g is not None).strip()
        cued = bool(_CUE_BEFORE.search(raw[:m.start()]))
        if cued or _title_case(quote, 3) or _with_colon(quote):
            found.append(quote)
    for m in _BOLD.finditer(raw):
        quote = m[1].strip().rstrip(":：")
        if _title_case(quote, 4) or (_with_colon(quote) and not CJK.search(quote)):
            found.append(quote)
    return [t for t in found if re.search(r"\w", t)]


@lru_cache(maxsize=4096)
def _title_words(paper: Paper) -> tuple[frozenset, str]:
    """The paper's title as English tokens (with its own names), and the glossary's Chinese
    for its terms, normalised as quotes are."""
    english = frozenset(tokenize(paper.title)) | own_names(paper)
    chinese = normalise(" ".join(t for t in glossary.expand(paper.title) if CJK.search(t)))
    return english, chinese


def is_title_of(quote: str, paper: Paper) -> bool:
    """Whether a quoted title is the paper's title or a recognisable part of it."""
    english, chinese = _title_words(paper)
    latin = " ".join(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’.\-]*", quote))
    words = [t for t in tokenize(latin) if t not in STOP]
    if words and sum(t in english for t in words) < LATIN_SHARE * len(words):
        return False
    han = chinese_words_of(quote)
    if han and sum(w in chinese for w in han) < CHINESE_SHARE * len(han):
        return False
    return bool(words or han)


def invented_titles(raw: str, sources: list[Paper], meant: list[int]) -> list[int]:
    """The papers (indexes into `sources`) a sentence quotes a title of theirs that they do
    not have: those it cites and those that support it (`meant`: a marker on the wrong
    paper is corrected as any is), else every source; empty when each title it quotes is
    one of theirs."""
    titles = quoted_titles(raw)
    meant = list(dict.fromkeys(meant)) or list(range(len(sources)))
    if not titles or all(any(is_title_of(t, sources[j]) for j in meant) for t in titles):
        return []
    return meant
