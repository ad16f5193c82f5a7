"""Word lists and cue patterns kept as data, in text files beside the modules that read
them (`claims.txt`, `contradictions.txt`), so a researcher can edit them without touching
Python.

    table = Table(Path(__file__).with_name("claims.txt"))
    table.words("stop")        # frozenset of words
    table.cues("negation")     # one regular expression (source) of a section's entries
    table.pairs("opposites")   # [(left, right)] of "a | b = c | d" lines
    table.finish()             # a section in the file that nobody read is a typo

Format: `[name]` (lower-case words) starts a section; every other line is one entry of
it; a line starting with `#` is a comment; blank lines are ignored. What an entry is
depends on how its section is read (each file's header says):
- words: one lower-case word, no spaces.
- cues: a Python regular expression; one with a Chinese character matches anywhere, any
  other whole words only (`gain` does not match "again"). Entries are tried in file
  order: where two match at the same place, the first one listed wins.
- patterns: a Python regular expression, matched as written.
- pairs: `left = right`, each side cues separated by ` | `; `named` pairs have a plain
  name on the left.
Groups are written (?:...), never (...): a capturing group would change how a text is
split. An expression that matches an empty text would match everywhere, and a section
without entries would too: both are errors. A malformed line raises ValueError naming
the file and line, at import.
"""

from __future__ import annotations

import re
from itertools import groupby
from pathlib import Path

from rag.text.script import CJK


def cues(entries: list[str]) -> str:
    """Entries joined into one alternation, in order: English ones as whole words (a run
    of them in one group, which the regex engine tries much faster than one group each)."""
    out = []
    for chinese, run in groupby(entries, key=lambda e: bool(CJK.search(e))):
        out += list(run) if chinese else [rf"\b(?:{'|'.join(run)})\b"]
    return "|".join(out)


class Table:
    def __init__(self, path: Path):
        self.name = path.name
        self._sections: dict[str, tuple[int, list[tuple[int, str]]]] = {}  # name → (line, entries)
        self._read: set[str] = set()
        entries = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            header = re.fullmatch(r"\[([a-z][a-z ]*)\]", line)  # not an entry such as [與和跟]
            if header:
                name = header[1]
                if name in self._sections:
                    raise self._error(number, f"section [{name}] twice (first on line {self._sections[name][0]})")
                entries = []
                self._sections[name] = (number, entries)
            elif entries is None:
                raise self._error(number, f"an entry before any [section]: {line!r}")
            else:
                entries.append((number, line))

    def words(self, section: str) -> frozenset[str]:
        out = []
        for number, entry in self._entries(section):
            if re.search(r"\s", entry) or entry != entry.lower():
                raise self._error(number, f"[{section}] holds single lower-case words, one a line: {entry!r}")
            out.append(entry)
        return frozenset(out)

    def cues(self, section: str) -> str:
        return cues([self._pattern(number, entry) for number, entry in self._entries(section)])

    def patterns(self, section: str) -> str:
        return "|".join(self._pattern(number, entry) for number, entry in self._entries(section))

    def pairs(self, section: str, named: bool = False) -> list[tuple[str, str]]:
        """(left, right) per line, each side its cues joined; with `named`, the left side
        is a plain name, given as is."""
        out = []
        for number, entry in self._entries(section):
            sides = entry.split(" = ")
            if len(sides) != 2 or not all(s.strip() for s in sides):
                raise self._error(number, f"[{section}] wants `left = right`: {entry!r}")
            left, right = ([self._pattern(number, p.strip()) for p in side.split(" | ")] for side in sides)
            if named:
                if len(left) != 1 or not re.fullmatch(r"\w+", left[0]):
                    raise self._error(number, f"[{section}] wants one plain name left of ` = `: {entry!r}")
                out.append((left[0], cues(right)))
            else:
                out.append((cues(left), cues(right)))
        return out

    def finish(self) -> None:
        """Every section of the file was read: one that was not is misspelt or unknown."""
        for name, (number, _) in self._sections.items():
            if name not in self._read:
                raise self._error(number, f"unknown section [{name}]; the sections are "
                                  f"{', '.join(f'[{s}]' for s in sorted(self._read))}")

    def _entries(self, section: str) -> list[tuple[int, str]]:
        if section not in self._sections:
            raise ValueError(f"{self.name}: no [{section}] section; the file has "
                             f"{', '.join(f'[{s}]' for s in self._sections) or 'none'}")
        self._read.add(section)
        number, entries = self._sections[section]
        if not entries:
            raise self._error(number, f"[{section}] has no entries")
        return entries

    def _pattern(self, number: int, entry: str) -> str:
        try:
            pattern = re.compile(entry)
        except re.error as e:
            raise self._error(number, f"not a regular expression ({e}): {entry!r}") from None
        if pattern.groups:
            raise self._error(number, f"write groups as (?:...), not (...): {entry!r}")
        if pattern.fullmatch(""):
            raise self._error(number, f"matches an empty text, so everywhere: {entry!r}")
        return entry

    def _error(self, number: int, message: str) -> ValueError:
        return ValueError(f"{self.name}:{number}: {message}")
