"""The inbox table: where papers added from Discord or the CLI are written as rows.

It is a Markdown table in the group's own format (``data/papers.md``'s header, dates such
as ``2024年5月31日``, ``[Title](https://arxiv.org/abs/ID)``, topics joined with ``，``), so
it reads like the hand-edited table and ``rag.papers`` parses it unchanged. paperbot
rewrites only this file, never the hand-edited one.

Every write takes an exclusive lock (``flock`` on a hidden sidecar file, so two bot
processes or a bot and a CLI never interleave), re-reads the file under it, and replaces
the whole file atomically (temp file in the same folder, fsync, ``os.replace``): a reader
sees the old table or the new one, never half a row, and a paper already present is never
written twice. The calls block (up to ``lock_timeout`` waiting for another writer): from
an event loop, run them in a worker thread.

A row written without a language model carries the English abstract as its summary and
starts the summary cell with ``DRAFT_MARKER``; ``replace_summary`` later puts the Chinese
summary in and drops the marker, once.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from rag.papers.ids import InvalidArxivId, arxiv_url, parse_arxiv_id
from rag.papers.table import Paper, Table, parse_row, parse_table

# An HTML comment: hidden where the Markdown is rendered, plain in the file; deleting it by
# hand accepts the English summary. rag.papers.parse_row strips it and sets Paper.draft.
DRAFT_MARKER = "<!-- draft -->"
DEFAULT_HEADER = ("| 日期 | 名稱 | 摘要 | 主題 |", "| --- | --- | --- | --- |")
TOPIC_JOINER = "，"

# Everything str.splitlines() breaks on: one of these inside a cell would split the row.
_LINE_BREAKS = re.compile(r"\s*[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+\s*")
_TOPIC_SEPARATORS = re.compile(r"[，,、;；]+")  # what rag.papers.split_topics splits on
_LEADING_DRAFT = re.compile(r"^(?:<!--\s*draft\s*-->\s*)+", re.IGNORECASE)
_SEPARATOR_LINE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_ARXIV_LINK = re.compile(r"\]\((https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/[^)\s]+)\)", re.IGNORECASE)


class InboxError(Exception):
    """The inbox could not be written; the message says why in plain words. Nothing was changed."""


class InboxReadOnly(InboxError):
    """The inbox file or its folder may not be written."""


class InboxBusy(InboxError):
    """Another writer held the inbox for longer than we wait."""


class InboxNotATable(InboxError):
    """The inbox file holds something other than a paper table."""


# -- rows ---------------------------------------------------------------------------

def _flat(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()


def _escape(text: str) -> str:
    # rag.papers splits cells on unescaped pipes and turns every "\|" back into "|".
    return text.replace("|", "\\|")


def format_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def format_row(paper: Paper) -> str:
    """One table row; rag.papers.parse_row reads it back as the same paper. Line breaks
    inside a cell become spaces and topics lose any separator characters inside them,
    since neither can survive in a one-line row."""
    title = " ".join(paper.title.split())
    summary = _LEADING_DRAFT.sub("", _flat(paper.summary))
    if not title:
        raise ValueError(f"{paper.arxiv_id}: a row needs a title")
    if not summary:
        raise ValueError(f"{paper.arxiv_id}: a row needs a summary")
    topics = (" ".join(_TOPIC_SEPARATORS.sub(" ", _flat(t)).split()) for t in paper.topics)
    summary_cell = f"{DRAFT_MARKER} {_escape(summary)}" if paper.draft else _escape(summary)
    return (f"| {format_date(paper.date)} | [{_escape(title)}]({arxiv_url(paper.arxiv_id)}) "
            f"| {summary_cell} | {_escape(TOPIC_JOINER.join(dict.fromkeys(t for t in topics if t)))} |")


# -- the file -----------------------------------------------------------------------

class Inbox:
    """The inbox table at `path`; `header_source` (e.g. data/papers.md) gives its header."""

    def __init__(self, path: Path | str, header_source: Path | str | None = None, *, lock_timeout: float = 5.0):
        self.path = Path(path)
        self.header_source = Path(header_source) if header_source else None
        self.lock_timeout = lock_timeout
        self.lock_path = self.path.with_name(f".{self.path.name}.lock")
        if self.header_source and self.path.resolve() == self.header_source.resolve():
            raise InboxError(f"the inbox must be a file of its own, not the hand-edited table {self.path}")

    # -- reading ----------------------------------------------------------------------
    def read(self) -> Table:
        """The inbox's rows as a rag.papers.Table (empty when there is no file yet)."""
        text = self._read_text()
        return parse_table(text, str(self.path))

    # -- writing ----------------------------------------------------------------------
    def append(self, papers: list[Paper]) -> list[str]:
        """Add a row for each paper not in the file yet; the IDs written, in order."""
        rows = {p.arxiv_id: format_row(p) for p in reversed(papers)}  # first of duplicates wins
        rows = {i: rows[i] for i in dict.fromkeys(p.arxiv_id for p in papers)}
        if not rows:
            return []
        with self._locked():
            text = self._read_text()
            lines = text.splitlines(keepends=True)
            if text.strip():
                last = self._last_table_line(lines)
                present = self._ids_in(text)
            else:
                lines, last, present = self._header_lines(), 1, set()
            written = [i for i in rows if i not in present]
            if not written:
                return []
            newline = "\r\n" if lines[last].endswith("\r\n") else "\n"
            if not lines[last].endswith(("\n", "\r")):
                lines[last] += newline
            lines[last + 1 : last + 1] = [rows[i] + newline for i in written]
            new_text = "".join(lines)
            self._check_rows(new_text, text, written)
            self._write(new_text)
        return written

    def replace_summary(self, arxiv_id: str, summary: str, topics: tuple[str, ...] | None = None) -> bool:
        """Put the final (Chinese) summary, and topics if given, into a draft row and drop
        its marker. False when the row is missing or no longer a draft (someone already
        wrote or accepted its summary): that row is left as it is."""
        arxiv_id = parse_arxiv_id(arxiv_id)
        if not _flat(summary):
            raise ValueError("the new summary is empty")
        if not self.path.exists():
            return False
        with self._locked():
            text = self._read_text()
            lines = text.splitlines(keepends=True)
            for number, line in enumerate(lines):
                if not line.lstrip().startswith("|") or _SEPARATOR_LINE.match(line.strip()):
                    continue
                try:
                    paper = parse_row(line)
                except ValueError:
                    continue
                if paper.arxiv_id != arxiv_id:
                    continue
                if not paper.draft:
                    return False
                final = replace(paper, summary=summary, draft=False,
                                topics=tuple(topics) if topics is not None else paper.topics)
                ending = line[len(line.rstrip("\r\n")):]
                lines[number] = format_row(final) + ending
                new_text = "".join(lines)
                self._check_rows(new_text, text, [])
                self._write(new_text)
                return True
        return False

    # -- internals --------------------------------------------------------------------
    def _read_text(self) -> str:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return ""
        except IsADirectoryError:
            raise InboxNotATable(f"{self.path} is a folder, not a table file") from None
        except PermissionError:
            raise InboxReadOnly(f"{self.path} cannot be read (permission denied)") from None
        try:
            return raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
        except UnicodeDecodeError:
            raise InboxNotATable(f"{self.path} is not a text file (not UTF-8); it was left as it is") from None

    def _header_lines(self) -> list[str]:
        header = DEFAULT_HEADER
        if self.header_source is not None:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                lines = [l.strip() for l in self.header_source.read_text(encoding="utf-8").splitlines()]
                for i, line in enumerate(lines[:-1]):
                    if line.startswith("|"):
                        if _SEPARATOR_LINE.match(lines[i + 1]) and line.count("|") - line.count("\\|") == 5:
                            header = (line, lines[i + 1])
                        break
        return [header[0] + "\n", header[1] + "\n"]

    def _last_table_line(self, lines: list[str]) -> int:
        table = [i for i, line in enumerate(lines) if line.lstrip().startswith("|")]
        if len(table) < 2 or not _SEPARATOR_LINE.match(lines[table[0] + 1].strip() if table[0] + 1 < len(lines) else ""):
            raise InboxNotATable(f"{self.path} holds no paper table (a header line such as "
                                 f"'{DEFAULT_HEADER[0]}' followed by '{DEFAULT_HEADER[1]}'); it was left as it is")
        return table[-1]

    def _ids_in(self, text: str) -> set[str]:
        """IDs of the rows already there, broken rows included: a row someone mistyped
        still names its paper, and writing it again would make a duplicate."""
        table = parse_table(text, str(self.path))
        ids = {p.arxiv_id for p in table.papers}
        lines = text.splitlines()
        for error in table.errors:
            for link in _ARXIV_LINK.findall(lines[error.line - 1]):
                with contextlib.suppress(InvalidArxivId):
                    ids.add(parse_arxiv_id(link))
        return ids

    def _check_rows(self, new_text: str, old_text: str, written: list[str]) -> None:
        """Never write a table that reads worse than before (a bug here must not cost rows)."""
        new, old = parse_table(new_text, str(self.path)), parse_table(old_text, str(self.path))
        got = {p.arxiv_id for p in new.papers}
        if len(new.errors) > len(old.errors) or not set(written) <= got or len(got) < len(old.papers):
            raise InboxError(f"refused to write {self.path}: the new rows would not read back as a table "
                             f"({'; '.join(str(e) for e in new.errors[:3]) or 'rows missing'}); it was left as it is")

    def _check_writable(self) -> None:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InboxReadOnly(f"the folder {folder} cannot be created ({exc.strerror})") from None
        # Mode bits as well as access(): root may write anything, but a file or folder
        # someone marked read-only is a request not to change it.
        if not (os.access(folder, os.W_OK) and folder.stat().st_mode & 0o222):
            raise InboxReadOnly(f"the folder {folder} is read-only, so {self.path.name} cannot be written there")
        if self.path.exists():
            if not self.path.is_file():
                raise InboxNotATable(f"{self.path} is not a file")
            if not (os.access(self.path, os.W_OK) and self.path.stat().st_mode & 0o222):
                raise InboxReadOnly(f"{self.path} is read-only; make it writable (chmod u+w) to add papers")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._check_writable()
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InboxReadOnly(f"cannot open or create the lock file {self.lock_path} ({exc.strerror})") from None
        try:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise InboxBusy(f"{self.path} is being written by another paperbot process and stayed "
                                        f"locked for {self.lock_timeout:g} s; nothing was written, try again") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _write(self, text: str) -> None:
        folder = self.path.parent
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
            tmp = None
        except OSError as exc:
            kind = InboxReadOnly if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else InboxError
            raise kind(f"could not write {self.path} ({exc.strerror}); it was left as it is") from None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        with contextlib.suppress(OSError):  # make the rename itself durable
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
