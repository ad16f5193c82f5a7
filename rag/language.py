"""Which language a question is in: answers follow the asker."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

ZH = "zh"
EN = "en"


def detect_language(text: str) -> str:
    """zh when Chinese characters outnumber English words (acronyms like RLHF stay inside zh)."""
    cjk = len(_CJK.findall(text))
    return ZH if cjk and cjk >= len(_LATIN_WORD.findall(text)) else EN
