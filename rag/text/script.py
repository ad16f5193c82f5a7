"""Chinese in either script. The list is written in Traditional Chinese (Taiwan); people
ask in Traditional, Simplified or a mix. Text is searched in one script (Traditional)
and shown in the script the reader used. OpenCC does the conversion, with Taiwan
phrasing (軟件 → 軟體) one way and mainland phrasing the other."""

from __future__ import annotations

import re
from functools import cache, lru_cache

CJK_CHARS = "\u3400-\u9fff\uf900-\ufaff"  # CJK ideographs (Extension A, the unified block, compatibility)
CJK = re.compile(f"[{CJK_CHARS}]")

TRADITIONAL, SIMPLIFIED = "traditional", "simplified"


@cache
def converter(config: str):
    """An OpenCC converter (s2twp, tw2sp, t2s, ...), built once."""
    import opencc

    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    """Simplified or mixed Chinese to Traditional (Taiwan); other text unchanged."""
    return converter("s2twp").convert(text) if CJK.search(text) else text


def to_traditional_characters(text: str) -> str:
    """Simplified characters to Traditional ones, words kept (优化 → 優化, not 最佳化): for
    text that joins the list, whose summaries keep mainland vocabulary."""
    return converter("s2tw").convert(text) if CJK.search(text) else text


def name_key(name: str) -> str:
    """A name compared across scripts and case: 優化, 优化 and 最佳化 are not merged, but
    RAG 優化 and rag 优化 are."""
    return converter("t2s").convert(name.casefold().strip()) if CJK.search(name) else name.casefold().strip()


# Where a run of text ends: a sentence's end or a line's (a model may switch script between them).
_RUN_END = re.compile(r"(?<=[。！？!?\n])")


def simplified_to_traditional(text: str) -> str:
    """The parts of a text written in Simplified characters (a run up to 。！？ or a line's
    end, telling Simplified characters outnumbering Traditional ones) in Traditional
    characters, the words as written: the list's own style (數據, 性能, 參數; Taiwan
    phrasing would make 参数 the programmer's 引數); the rest as written. OpenCC changes
    Chinese characters only (numbers, names, IDs, URLs and [n] markers stay)."""
    if not CJK.search(text):
        return text
    return "".join(to_traditional_characters(run) if script_of(run) == SIMPLIFIED else run
                   for run in _RUN_END.split(text))


def to_simplified(text: str) -> str:
    """Traditional Chinese to Simplified (mainland phrasing); other text unchanged."""
    return converter("tw2sp").convert(text) if CJK.search(text) else text


def script_of(text: str) -> str | None:
    """Which script the Chinese in `text` is written in; None without Chinese.

    A character counts when converting it changes it one way only: 软 is Simplified, 軟
    Traditional, 的 both. A mix leans to whichever has more; a tie (or no telling
    character at all) is Traditional, the list's own script. Characters are converted
    one by one: phrase conversion (優化 → 最佳化) would shift the comparison."""
    chars = set(CJK.findall(text))
    if not chars:
        return None
    simplified = sum(_changes(c, "s2t") for c in chars)
    traditional = sum(_changes(c, "t2s") for c in chars)
    return SIMPLIFIED if simplified > traditional else TRADITIONAL


@lru_cache(maxsize=65536)
def _changes(char: str, config: str) -> bool:
    """Converting the character changes it (per character, once: answers are read as they stream)."""
    return converter(config).convert(char) != char
