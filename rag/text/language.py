"""Which language a question is in (answers follow the asker), and what of it is visible."""

from __future__ import annotations

import re
import unicodedata

from rag.text.script import CJK, SIMPLIFIED, script_of, simplified_to_traditional, to_simplified

_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

ZH = "zh"  # Chinese, written in Traditional characters (the list's own script)
ZH_CN = "zh-CN"  # Chinese in Simplified characters: answers are converted for display
EN = "en"


def detect_language(text: str) -> str:
    """zh when Chinese characters outnumber English words (acronyms like RLHF stay inside zh)."""
    cjk = len(CJK.findall(text))
    return ZH if cjk and cjk >= len(_LATIN_WORD.findall(text)) else EN


def answer_language(text: str) -> str:
    """The language and script to answer in: en, zh (Traditional) or zh-CN (Simplified)."""
    if detect_language(text) == EN:
        return EN
    return ZH_CN if script_of(text) == SIMPLIFIED else ZH


def base_language(language: str) -> str:
    """zh for either script: what the texts are keyed by."""
    return EN if language == EN else ZH


def localise(text: str, language: str) -> str:
    """Text shown in the script of the asker, whatever script it was written in: all of it
    in Simplified for zh-CN; for zh, what a model wrote in Simplified (small models do,
    asked in Traditional) in Traditional with Taiwan phrasing. English as it is."""
    if language == ZH_CN:
        return to_simplified(text)
    return simplified_to_traditional(text) if language == ZH else text


# Letters that render as nothing: Hangul fillers and the braille blank.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def visible_text(text: str) -> str:
    """The text without invisible characters (zero-width spaces, joiners, direction marks,
    other format characters), control characters turned into spaces, and trimmed: a
    question of invisible characters only is empty."""
    out = []
    for char in text or "":
        category = unicodedata.category(char)
        if char in "\n\t":
            out.append(char)
        elif category in ("Cf", "Cs", "Co", "Cn") or char in _BLANK_LETTERS:
            continue
        elif category in ("Cc", "Zl", "Zp") or category == "Zs":
            out.append(" ")
        else:
            out.append(char)
    visible = "".join(out).strip()
    # Combining marks with nothing to combine with show nothing either.
    return visible if any(unicodedata.category(c)[0] not in "MZC" for c in visible) else ""
