"""Bilingual (English <-> Traditional Chinese) glossary of ML / AI research terms.

Used for cross-lingual query expansion in retrieval: the paper table has English
titles but Traditional Chinese summaries, and users ask in both languages.  An
English question ("papers about knowledge graphs") must be able to reach a paper
whose matching text is only in its Chinese summary (知識圖譜), and a Chinese
question (關於剪枝的論文) must reach English titles ("pruning").

The summaries often use mainland vocabulary written in Traditional characters, so
entries list both variants (數據/資料, 信息/資訊, 模塊/模組, 網絡/網路, 質量/品質,
優化/最佳化, 軟件/軟體, 視頻/影片 ...).

Public API
----------
expand(query) -> list[str]
    Other-language terms for every glossary term found in ``query``.
translations(query) -> list[tuple[str, ...]]
    The same, per term found: the alternatives for one word.
lookup(term) -> list[str]
    Other-language equivalents of one term; ``[]`` when unknown.

Editing the table
-----------------
``glossary.txt`` beside this module holds one entry per line (add a term there; no
Python to edit)::

    english term | alias | acronym  =  中文詞 | 異體詞

* left side: English, lowercase, multi-word terms allowed; ``|`` separates aliases.
  Write words separated by a space when a space is expected; a hyphen (or ``&``,
  ``/``) means "space, hyphen or nothing" (``fine-tuning`` also matches
  ``fine tuning`` and ``finetuning``).  Singular/base forms are enough: simple
  inflections (models, fine-tuned, pruning, quantization ...) are recognised.
* separator: `` = `` (or a TAB).
* right side: Chinese terms (Traditional characters), ``|``-separated; each must
  contain a CJK (non-ASCII) character.  They are matched as plain substrings, so
  avoid one-character terms and very generic words.
* ``#`` starts a comment line; blank lines are ignored.
* The same term may appear in several entries: its translations are merged.
* A malformed line raises ValueError at import time (run tests/test_glossary.py).
"""

import re as _re
from pathlib import Path as _Path

_TABLE_FILE = _Path(__file__).with_name("glossary.txt")  # the data: one entry per line, like jieba's dict.txt
_TABLE = _TABLE_FILE.read_text(encoding="utf-8")

# ---------------------------------------------------------------------------- parsing

_EN_WORD = _re.compile(r"[a-z0-9]+")
_JOINER = _re.compile(r"[^a-z0-9 ]")
_SPLIT_KEEP = _re.compile(r"([^a-z0-9]+)")
# characters allowed between two words of one English phrase in a query
_GAP_CHARS = frozenset(" \t\r\n-_/&+")
_UNDOUBLE = frozenset("bdgmnprt")


def _stem(word: str) -> str:
    """Tiny, deterministic stemmer used on the last word of a phrase (both sides)."""
    w = word
    if not w.isalpha() or len(w) < 3:
        return w
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes", "zes", "ses")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is", "as")):
        w = w[:-1]
    if w.endswith(("ization", "isation")) and len(w) >= 10:
        return w[:-7] + "iz"
    if w.endswith(("izer", "iser")) and len(w) >= 7:
        return w[:-4] + "iz"
    if w.endswith("ation") and len(w) >= 8:
        return w[:-3]
    if w.endswith("ion") and len(w) >= 7:
        return w[:-3]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if len(w) >= 4 and w[-1] == w[-2] and w[-1] in _UNDOUBLE:
                w = w[:-1]
            return w
    if w.endswith("e") and not w.endswith("ee") and len(w) >= 4:
        return w[:-1]
    return w


def _en_variants(term: str):
    """Word-tuples for an English key: space boundaries stay, others may be joined."""
    if _JOINER.search(term) is None:  # plain words separated by spaces
        return (tuple(term.split()),)
    parts = _SPLIT_KEEP.split(term)
    words = parts[0::2]
    seps = parts[1::2]
    if words[0] == "":
        words, seps = words[1:], seps[1:]
    if words[-1] == "":
        words, seps = words[:-1], seps[:-1]
    variants = [(words[0],)]
    for sep, word in zip(seps, words[1:]):
        glue = not sep.isspace()  # hyphen, slash, ampersand ...: may also be glued
        new = []
        for v in variants:
            new.append(v + (word,))
            if glue:
                new.append(v[:-1] + (v[-1] + word,))
        variants = new
    return variants


def _merge(index: dict, key: str, values: tuple) -> None:
    """index[key] += values (tuples, so unchanged ones can be shared safely)."""
    old = index.get(key)
    if old is None:
        index[key] = values
    elif old is not values:
        extra = tuple(v for v in values if v not in old)
        if extra:
            index[key] = old + extra


def _parse(table: str, source: str = "glossary.txt"):
    """Parse the table into English -> Chinese and Chinese -> English dicts."""
    en2zh: dict[str, tuple[str, ...]] = {}
    zh2en: dict[str, tuple[str, ...]] = {}
    for lineno, raw in enumerate(table.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        pieces = line.split("\t", 1) if "\t" in line else line.split(" = ", 1)
        if len(pieces) != 2:
            raise ValueError(f"{source}:{lineno}: missing ' = ' separator: {raw!r}")
        en_terms = tuple(filter(None, (" ".join(t.split()).lower() for t in pieces[0].split("|"))))
        zh_terms = tuple(filter(None, (t.strip() for t in pieces[1].split("|"))))
        if not en_terms or not zh_terms:
            raise ValueError(f"{source}:{lineno}: empty side: {raw!r}")
        for t in en_terms:
            if not t.isascii() or _EN_WORD.search(t) is None:
                raise ValueError(f"{source}:{lineno}: bad English term {t!r}")
            _merge(en2zh, t, zh_terms)
        for t in zh_terms:
            if t.isascii():
                raise ValueError(f"{source}:{lineno}: Chinese term without CJK {t!r}")
            _merge(zh2en, t, en_terms)
    return en2zh, zh2en


def _build_indexes(en2zh: dict, zh2en: dict):
    """Matching indexes derived from the two dicts.

    English: "w1 w2 w3" -> Chinese terms, once as written (hyphen-joined variants
    included) and once with the last word stemmed; plus every proper word-prefix
    so that phrase scanning can stop early.  Chinese: lowercase term -> English
    terms, plus first character -> candidate lengths (longest first).
    """
    en_exact: dict[str, tuple[str, ...]] = {}
    en_stem: dict[str, tuple[str, ...]] = {}
    en_prefix: set[str] = set()
    max_words = 1
    for term, zh in en2zh.items():
        for words in _en_variants(term):
            last = len(words) - 1
            if last:
                _merge(en_exact, " ".join(words), zh)
                _merge(en_stem, " ".join(words[:last]) + " " + _stem(words[last]), zh)
                for i in range(1, last + 1):
                    en_prefix.add(" ".join(words[:i]))
                if last >= max_words:
                    max_words = last + 1
            else:
                _merge(en_exact, words[0], zh)
                _merge(en_stem, _stem(words[0]), zh)
    zh_index: dict[str, tuple[str, ...]] = {}
    zh_first: dict[str, list[int]] = {}
    for term, en in zh2en.items():
        key = term.lower()
        _merge(zh_index, key, en)
        lengths = zh_first.setdefault(key[0], [])
        if len(key) not in lengths:
            lengths.append(len(key))
    for lengths in zh_first.values():
        lengths.sort(reverse=True)
    return en_exact, en_stem, frozenset(en_prefix), max_words, zh_index, zh_first


_EN2ZH, _ZH2EN = _parse(_TABLE)
_EN_EXACT, _EN_STEM, _EN_PREFIX, _EN_MAXWORDS, _ZH_INDEX, _ZH_FIRST = _build_indexes(_EN2ZH, _ZH2EN)


# ---------------------------------------------------------------------------- matching

def _en_candidates(text: str, out: list) -> None:
    words = [(m.start(), m.end(), m.group()) for m in _EN_WORD.finditer(text)]
    n = len(words)
    for i in range(n):
        start = words[i][0]
        phrase = ""
        for j in range(i, min(i + _EN_MAXWORDS, n)):
            w = words[j][2]
            if j > i:
                gap = text[words[j - 1][1]:words[j][0]]
                if len(gap) > 3 or not _GAP_CHARS.issuperset(gap):
                    break
                head = phrase
                phrase = f"{phrase} {w}"
            else:
                head = ""
                phrase = w
            hit = _EN_EXACT.get(phrase)
            if hit is None:
                hit = _EN_STEM.get(f"{head} {_stem(w)}" if head else _stem(w))
            if hit is not None:
                out.append((words[j][1] - start, start, words[j][1], hit))
            if phrase not in _EN_PREFIX:
                break


def _zh_candidates(text: str, out: list) -> None:
    first = _ZH_FIRST
    index = _ZH_INDEX
    n = len(text)
    for i, ch in enumerate(text):
        lengths = first.get(ch)
        if lengths is None:
            continue
        for length in lengths:
            if i + length > n:
                continue
            hit = index.get(text[i:i + length])
            if hit is not None:
                out.append((length, i, i + length, hit))


def expand(query: str) -> list[str]:
    """Terms in the other language for the glossary terms found in `query`.

    English terms are matched case-insensitively on word boundaries (multi-word
    terms as phrases, with simple plural/inflection tolerance: 'models'/'model',
    'fine-tuned'/'fine-tuning'); Chinese terms are matched as substrings.  Where
    matches overlap the longest wins ('knowledge graph' over 'graph', 檢索增強生成
    over 檢索).  Returns the other-language terms, deduplicated, in order of
    appearance in the query.
    """
    return list(dict.fromkeys(term for hit in translations(query) for term in hit))


def translations(query: str) -> list[tuple[str, ...]]:
    """For each glossary term found in `query` (matched as `expand` does), its
    other-language terms: alternatives for one word, in order of appearance."""
    if not query:
        return []
    text = query.lower()
    candidates: list = []
    _en_candidates(text, candidates)
    _zh_candidates(text, candidates)
    if not candidates:
        return []
    # longest first, then leftmost; keep those not overlapping an already kept one
    candidates.sort(key=lambda c: (-c[0], c[1]))
    taken = bytearray(len(text))
    kept = []
    for cand in candidates:
        _, start, end, _hit = cand
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        kept.append(cand)
    kept.sort(key=lambda c: c[1])
    return [hit for _, _, _, hit in kept]


def lookup(term: str) -> list[str]:
    """Other-language equivalents of one exact term (either language); [] when unknown.

    Case and spacing are normalised ('Fine Tuning' finds 'fine-tuning'), and a
    plural/inflected English form falls back to its base term ('LLMs' -> 'llm').
    """
    if not term:
        return []
    t = " ".join(term.split()).lower()
    if not t:
        return []
    if not t.isascii():
        return list(_ZH_INDEX.get(t, ()))
    words = _EN_WORD.findall(t)
    if not words:
        return []
    phrase = " ".join(words)
    hit = _EN_EXACT.get(phrase)
    if hit is None:
        hit = _EN_STEM.get(" ".join(words[:-1] + [_stem(words[-1])]))
    return list(hit) if hit else []
