"""Chinese in either script. The list is written in Traditional Chinese (Taiwan); people
ask in Traditional, Simplified or a mix. Text is searched in one script (Traditional)
and shown in the script the reader used. OpenCC does the conversion, with Taiwan
phrasing (軟件 → 軟體) one way and mainland phrasing the other."""

from __future__ import annotations

import re
from functools import cache

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

TRADITIONAL, SIMPLIFIED = "traditional", "simplified"


@cache
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    """Simplified or mixed Chinese to Traditional (Taiwan); other text unchanged."""
    return _converter("s2twp").convert(text) if _CJK.search(text) else text


def to_traditional_characters(text: str) -> str:
    """Simplified characters to Traditional ones, words kept (优化 → 優化, not 最佳化): for
    text that joins the list, whose summaries keep mainland vocabulary."""
    return _converter("s2tw").convert(text) if _CJK.search(text) else text


def name_key(name: str) -> str:
    """A name compared across scripts and case: 優化, 优化 and 最佳化 are not merged, but
    RAG 優化 and rag 优化 are."""
    return _converter("t2s").convert(name.casefold().strip()) if _CJK.search(name) else name.casefold().strip()


def to_simplified(text: str) -> str:
    """Traditional Chinese to Simplified (mainland phrasing); other text unchanged."""
    return _converter("tw2sp").convert(text) if _CJK.search(text) else text


def script_of(text: str) -> str | None:
    """Which script the Chinese in `text` is written in; None without Chinese.

    A character counts when converting it changes it one way only: 软 is Simplified, 軟
    Traditional, 的 both. A mix leans to whichever has more; a tie (or no telling
    character at all) is Traditional, the list's own script. Characters are converted
    one by one: phrase conversion (優化 → 最佳化) would shift the comparison."""
    chars = set(_CJK.findall(text))
    if not chars:
        return None
    simplified = sum(_converter("s2t").convert(c) != c for c in chars)
    traditional = sum(_converter("t2s").convert(c) != c for c in chars)
    return SIMPLIFIED if simplified > traditional else TRADITIONAL
