"""The claim check's word lists, kept as data in claims.txt beside this module: stop words,
generic and label words, abbreviations a sentence does not end at, framing openings,
list statistics, counts of the answer's own sources and clause breaks."""

from __future__ import annotations

import re
from pathlib import Path

from rag.text.wordlists import Table

_WORDS = Table(Path(__file__).with_name("claims.txt"))
ABBREVIATIONS = _WORDS.words("abbreviations")
STOP = _WORDS.words("stop")
GENERIC = _WORDS.words("generic")
LABELS = _WORDS.words("labels")
LIST_WORDS = _WORDS.words("list words")
FRAMING_CUES = re.compile(rf"^(?:{_WORDS.cues('framing openings')})|{_WORDS.patterns('framing')}", re.IGNORECASE)
# Words around a number that make it a count of the answer's own sources ("the two papers",
# "both three", "兩篇", "這兩種"), not a fact a paper states (cues, case-insensitive).
SOURCE_NOUNS = _WORDS.cues("source nouns")
SOURCE_DETERMINERS = _WORDS.cues("source determiners")
# "Yes:", "No,", "是的，": an answer to the question opening a sentence, then its claim.
ANSWER_OPENER = re.compile(rf"^(?:{_WORDS.cues('answer openers')})\s*[:：,，.。!！;；—–]+\s*", re.IGNORECASE)
# Words that introduce a title in quotes ("titled", "題為"): the quote is a title (cues).
TITLE_CUES = _WORDS.cues("title cues")
LIST_STATS = re.compile(_WORDS.patterns("list statistics"), re.IGNORECASE)
# A clause a paper may support on its own ends at a comma (not in 1,000), ，;；:：、—–, or a clause break word.
CLAUSE = re.compile(r"(?<!\d),|,(?!\d)|[，;；:：、—–]|" + _WORDS.cues("clause break"))  # case-sensitive
_WORDS.finish()
