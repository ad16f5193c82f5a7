"""The words of a text, for the lexical index and the claim check alike.

English words lower-cased and stemmed (a hyphenated name also joined and split: GNN-RAG is
gnn, rag, gnnrag); Chinese as jieba search-mode words plus character pairs, after one script
normalisation applied to papers and questions alike (Simplified, Traditional, Taiwan or
mainland wording all meet); model sizes as one token however written (1.25 億, 125M,
125 million, 三十億: rag.text.numbers, the claim check's reading of numbers too).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache

from rag.files import cache_folder
from rag.text.numbers import quantities, size_token
from rag.text.script import CJK, CJK_CHARS, converter

VERSION = "8"  # bump when tokens change: tokens stored for the lexical index are then recomputed

_RUNS = re.compile(rf"[{CJK_CHARS}]+|[A-Za-z][A-Za-z0-9]*(?:[-'\u2019][A-Za-z0-9]+)*|\d+(?:\.\d+)?")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have how i in into is it its me of on or "
    "our that the their them there these this to was what which who why will with about any some "
    "paper papers work works study studies there's is there are there show find looking want "
    "we us you your they he she been being were than then so such via using use used based also "
    "should would could might must shall may i'd i'm".split()
)
# Stop words in the normalised script (Simplified characters, Taiwan wording).
ZH_STOPWORDS = frozenset(
    "的 了 和 与 及 在 是 有 吗 呢 什么 哪些 哪个 哪篇 这 那 一个 一种 如何 怎么 可以 论文 研究 我们 本文 本研究 "
    "有没有 没有 有没 一下 这种 那种 用来 或是 还是 以及 或者 并且 而且 其中 通过 进行 一些 为了 就是 但是 "
    "在讲 讲的 关于 有关 相关 请问 推荐 想找 想要 找到 哪里 是否 能不能 会不会 要怎么 怎么样 一篇 篇论 的论".split()
)


# -- text to tokens -------------------------------------------------------------------
def normalise(text: str) -> str:
    """Full-width letters and digits as ASCII (NFKC: a Chinese input method types ＬｏＲＡ
    and ２４０５．１４８３１). One script for Chinese: Taiwan wording first (so 数据, 數據
    and 資料 become one word; the corpus and many tables were converted this way), then
    Simplified characters, which jieba's dictionary knows. Idempotent."""
    text = unicodedata.normalize("NFKC", text)
    if not CJK.search(text):
        return text
    return converter("t2s").convert(converter("s2twp").convert(text))


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def _jieba():
    """jieba, its prefix dictionary cached with paperbot's caches (rag.files): building it
    from dict.txt takes ~1 s, loading the cache ~0.4 s."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    folder = cache_folder("jieba")
    if folder is not None:
        jieba.dt.tmp_dir = str(folder)
    jieba.initialize()
    return jieba


_ACRONYM_PLURAL = re.compile(r"^[b-df-hj-np-tv-z]{2,}s$")  # llms, gnns, vlms: no vowel before the s


def stem(word: str) -> str:
    word = word.lower()
    if _ACRONYM_PLURAL.match(word):
        word = word[:-1]
    return _stemmer().stemWord(word)


_CLITICS = frozenset({"s", "re", "ve", "d", "ll", "m"})  # model's, they're, we've, I'd, we'll, I'm


def _english(word: str) -> list[str]:
    """A word, stemmed; a hyphenated word also as its parts and joined (GNN-RAG: gnn, rag, gnnrag).
    A contraction or possessive is its word alone (model's: model; they're: they, a stop
    word); a negated auxiliary says nothing a paper would (doesn't, can't)."""
    word = word.lower().replace("\u2019", "'")  # typed on a phone: they’re
    head, _, clitic = word.partition("'")
    if clitic == "t":
        return []
    if clitic in _CLITICS:
        word = head
    parts = [p for p in re.split(r"[-']", word) if p]
    if len(parts) == 1:
        return [] if parts[0] in STOPWORDS else [stem(parts[0])]
    out = [stem(p) for p in parts if p not in STOPWORDS]
    out.append(stem("".join(parts)))
    return out


def sizes(text: str) -> list[tuple[str, int, int]]:
    """Sizes in a (script-normalised) text as one token each, with where they stand: 1.25 億,
    125M, 0.125B, 125 million, 125-million-parameter → "125m" (rag.text.numbers reads them)."""
    return [(size_token(q.value), q.start, q.end) for q in quantities(text) if q.scaled and not q.vague]


def tokenize(text: str) -> list[str]:
    """Tokens of any text (question or paper), script-normalised."""
    text = normalise(text)
    found = sizes(text)
    tokens: list[str] = [token for token, _, _ in found]
    for _, start, end in reversed(found):  # the size stands for its digits and unit
        text = text[:start] + " " + text[end:]
    for run in _RUNS.findall(text):
        if CJK.match(run):
            words = [w for w in _jieba().cut_for_search(run) if len(w) > 1 and w not in ZH_STOPWORDS]
            tokens.extend(words)
            tokens.extend(b for b in (run[i : i + 2] for i in range(len(run) - 1)) if b not in ZH_STOPWORDS)
            if len(run) == 1:
                tokens.append(run)
        else:
            tokens.extend(_english(run))
    return tokens


def title_tokens(title: str) -> list[str]:
    """Words of a title, plus the pieces of names written as one word (HippoRAG: hippo,
    rag; OmniGlue: omni, glue); hyphenated names come joined too (GNN-RAG: gnnrag)."""
    tokens = tokenize(title)
    for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", title):
        parts = [p for p in _PARTS.findall(word) if len(p) >= 3]
        if len(parts) > 1:
            tokens.extend(stem(p) for p in parts if p.lower() not in STOPWORDS)
    return tokens


def chinese_words_of(text: str) -> list[str]:
    """The Chinese words of a text (jieba, script-normalised), two characters or more."""
    return [w for run in _RUNS.findall(normalise(text)) if CJK.match(run)
            for w in _jieba().cut(run) if len(w) > 1 and w not in ZH_STOPWORDS]


def chinese_words(text: str) -> list[tuple[str, ...]]:
    """The Chinese words of a text (jieba, script-normalised), each as the character
    pairs a summary holding it has (the pairs the index keeps)."""
    out = []
    for run in _RUNS.findall(normalise(text)):
        if CJK.match(run):
            for word in _jieba().cut(run):
                pairs = tuple(dict.fromkeys(p for p in (word[i : i + 2] for i in range(len(word) - 1))
                                            if p not in ZH_STOPWORDS))
                if len(word) > 1 and word not in ZH_STOPWORDS and pairs:
                    out.append(pairs)
    return list(dict.fromkeys(out))


def char_grams(text: str) -> list[str]:
    """Character trigrams of the letters and digits of an English text (lower-cased,
    spaces dropped: 'hippo rag' and 'HippoRAG' share all of theirs)."""
    compact = "".join(re.findall(r"[a-z0-9]+", text.lower()))
    return [compact[i : i + 3] for i in range(len(compact) - 2)]
