"""The arXiv API client: metadata (title, authors, abstract, dates) for papers by ID.

``GET {api_base}?id_list=ID1,ID2,...&max_results=N`` answers an Atom feed with one
``<entry>`` per paper arXiv knows; an unknown (well-formed) ID simply has no entry, and a
malformed one turns the whole answer into a single entry whose ``<id>`` is
``http://arxiv.org/api/errors#...`` and whose title is ``Error``. ``max_results`` defaults
to 10 even with an ``id_list``, so it is always sent.

arXiv asks for at most one request every 3 seconds. One ``ArxivClient`` spaces *all* its
requests that far apart, whatever their caller: concurrent ``fetch`` calls on the bot's
loop and ``fetch_sync`` from a worker thread reserve their turn from one shared clock.

Why httpx and not the PyPI ``arxiv`` package: that package can be pointed elsewhere (its
``Client.query_url_format`` class attribute), but it is synchronous (requests plus
``time.sleep``), keeps its 3-second delay per client instance, retries immediately
without backoff or ``Retry-After``, and brings feedparser. We need async requests that
share one spacing across callers; one GET and a small Atom parse are less code than
working around it.

The feed is parsed with the standard library; a document declaring a DTD is refused
before parsing (arXiv never sends one), so no entity can be expanded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import math
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Iterable

import httpx

from rag.papers.ids import InvalidArxivId, arxiv_url, parse_arxiv_id

log = logging.getLogger(__name__)

API_BASE = "https://export.arxiv.org/api/query"
USER_AGENT = "paperbot/0.1 (research-group paper bot; arXiv metadata by ID)"
MAX_RETRY_AFTER = 60.0  # seconds; asked to wait longer, we report arXiv busy instead

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

# <id>http://arxiv.org/abs/2405.14831v2</id>, https too, old style hep-th/9901001v1.
_ENTRY_ID = re.compile(r"^https?://(?:export\.)?arxiv\.org/abs/(?P<id>.+?)(?:v(?P<version>\d+))?$", re.I)
_API_ERROR = re.compile(r"^https?://(?:export\.)?arxiv\.org/api/errors", re.I)
_BAD_ID = re.compile(r"incorrect id format for (?P<id>\S+)", re.I)
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
# arXiv puts withdrawal notices in the comment ("Paper withdrawn", "This submission has
# been withdrawn by arXiv administrators ...") and/or replaces the abstract with one ("This
# paper has been withdrawn by the author(s) due to ...", "Withdrawn."). A comment is short
# and about the submission, so a bare "paper withdrawn" counts there; in an abstract only a
# notice does (opening with it, or "this paper has been withdrawn"): an ordinary abstract
# may well mention withdrawn drugs or papers withdrawn from journals.
_SUBMISSION = r"\b(?:paper|article|manuscript|submission|preprint|version|work|report)\s+"
_VERB = r"(?:(?:has|have)\s+been|was|is|are|were)\s+(?:formally\s+|permanently\s+)?"
_BY = r"\bwithdrawn\s+by\s+(?:the\s+)?(?:author|authors|submitter|arxiv)"
_WITHDRAWN_COMMENT = re.compile(rf"^\W*withdrawn\b|{_SUBMISSION}(?:{_VERB})?withdrawn\b|{_BY}", re.I)
_WITHDRAWN_ABSTRACT = re.compile(
    rf"^\W*(?:withdrawn\b|(?:this\s+|the\s+)?{_SUBMISSION}(?:{_VERB})?withdrawn\b)|{_SUBMISSION}{_VERB}withdrawn\b|{_BY}",
    re.I)


@dataclass(frozen=True)
class ArxivEntry:
    arxiv_id: str  # bare and unversioned, as rag.papers.ids.parse_arxiv_id gives it
    version: int  # the latest version
    title: str
    authors: tuple[str, ...]
    abstract: str
    published: dt.date  # first version
    updated: dt.date  # latest version
    categories: tuple[str, ...]
    primary_category: str
    comment: str
    withdrawn: bool
    url: str  # the abstract page


class ArxivError(Exception):
    """Something went wrong asking arXiv; the message is plain words for a user."""


class ArxivUnavailable(ArxivError):
    """arXiv could not be reached or did not answer properly, even after retries."""


class ArxivBadRequest(ArxivError):
    """arXiv rejected the request (e.g. a malformed ID); retrying will not help."""

    def __init__(self, message: str, ids: tuple[str, ...] = ()):
        super().__init__(message)
        self.ids = ids


class _Garbled(Exception):
    """The answer is not an Atom feed we can read (internal; becomes ArxivUnavailable)."""


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _date(text: str, field: str) -> dt.date:
    try:
        return dt.datetime.fromisoformat(text.strip()).date()
    except ValueError:
        raise _Garbled(f"an entry's {field} date {text.strip()[:40]!r} is not a date") from None


def is_withdrawn(comment: str, abstract: str) -> bool:
    """Does arXiv's comment or abstract say the paper was withdrawn?"""
    return bool(_WITHDRAWN_COMMENT.search(comment or "") or _WITHDRAWN_ABSTRACT.search(abstract or ""))


def parse_feed(content: bytes | str) -> list[ArxivEntry]:
    """Entries of an arXiv Atom feed. ArxivBadRequest for arXiv's error entry,
    ArxivUnavailable for anything that is not a readable feed."""
    try:
        return _parse_feed(content)
    except _Garbled as exc:
        raise ArxivUnavailable(f"arXiv sent an answer that is not a readable feed ({exc})") from None


def _parse_feed(content: bytes | str) -> list[ArxivEntry]:
    raw = content.encode() if isinstance(content, str) else content
    if _DTD.search(raw):
        raise _Garbled("it declares a DTD, which arXiv never does")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise _Garbled(f"XML error: {exc}") from None
    if root.tag != f"{ATOM}feed":
        raise _Garbled("no Atom <feed> element")
    entries = []
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = _text(entry.find(f"{ATOM}id"))
        if _API_ERROR.match(entry_id):
            summary = _text(entry.find(f"{ATOM}summary")) or entry_id.partition("#")[2].replace("_", " ")
            bad = _BAD_ID.search(summary)
            ids = (bad["id"],) if bad else ()
            named = f" (the ID {bad['id']!r} is malformed)" if bad else ""
            raise ArxivBadRequest(f"arXiv rejected the request: {summary}{named}", ids)
        entries.append(_parse_entry(entry, entry_id))
    return entries


def _parse_entry(entry: ET.Element, entry_id: str) -> ArxivEntry:
    match = _ENTRY_ID.match(entry_id)
    if not match:
        raise _Garbled(f"an entry's id {entry_id[:80]!r} is not an arXiv abstract link")
    try:
        arxiv_id = parse_arxiv_id(match["id"])
    except InvalidArxivId:
        raise _Garbled(f"an entry's id {entry_id[:80]!r} holds no arXiv ID") from None
    title = _text(entry.find(f"{ATOM}title"))
    published = _text(entry.find(f"{ATOM}published"))
    if not title or not published:
        raise _Garbled(f"the entry for {arxiv_id} has no title or no publication date")
    updated = _text(entry.find(f"{ATOM}updated")) or published
    abstract = _text(entry.find(f"{ATOM}summary"))
    comment = _text(entry.find(f"{ARXIV}comment"))
    categories = [c.get("term", "").strip() for c in entry.findall(f"{ATOM}category")]
    primary_element = entry.find(f"{ARXIV}primary_category")
    primary = (primary_element.get("term", "") if primary_element is not None else "").strip()
    categories = [c for c in dict.fromkeys(categories) if c]
    if primary and primary not in categories:
        categories.insert(0, primary)
    return ArxivEntry(
        arxiv_id=arxiv_id,
        version=int(match["version"] or 1),
        title=title,
        authors=tuple(a for a in (_text(e.find(f"{ATOM}name")) for e in entry.findall(f"{ATOM}author")) if a),
        abstract=abstract,
        published=_date(published, "published"),
        updated=_date(updated, "updated"),
        categories=tuple(categories),
        primary_category=primary or (categories[0] if categories else ""),
        comment=comment,
        withdrawn=is_withdrawn(comment, abstract),
        url=arxiv_url(arxiv_id),
    )


def _query_form(arxiv_id: str) -> str:
    """The form arXiv's API answers to: old-style IDs without the subject class
    (math.GT/0309136 -> math/0309136); its entries come back in that form too."""
    return re.sub(r"^([a-z-]+)\.[A-Z]{2}/", r"\1/", arxiv_id)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = (when - dt.datetime.now(dt.timezone.utc)).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


class ArxivClient:
    """Fetches arXiv metadata by ID, batched, spaced and retried (see the module doc)."""

    def __init__(self, api_base: str = API_BASE, *, min_interval: float = 3.0, timeout: float = 20.0,
                 max_retries: int = 3, batch_size: int = 100):
        if min_interval < 0 or timeout <= 0 or max_retries < 0 or batch_size < 1:
            raise ValueError("need min_interval >= 0, timeout > 0, max_retries >= 0, batch_size >= 1")
        self.api_base = api_base
        self.min_interval = min_interval
        self.timeout = timeout
        self.max_retries = max_retries
        self.batch_size = batch_size
        url = httpx.URL(api_base)
        # Messages name the host only: an api_base may carry credentials or a token.
        self._where = f"{url.host}:{url.port}" if url.port else url.host
        # One clock for every request of this client, whichever loop or thread sends it.
        self._turn_lock = threading.Lock()
        self._next_turn = 0.0  # time.monotonic() before which no request may start
        self._reached = False  # arXiv answered this client at least once

    # -- public ---------------------------------------------------------------------
    async def fetch(self, ids: Iterable[str]) -> dict[str, ArxivEntry | None]:
        """One result per distinct ID (keys are the bare IDs): its entry, or None when
        arXiv has no such paper. ArxivBadRequest when arXiv rejects an ID,
        ArxivUnavailable when it cannot be asked."""
        wanted = self._normalise(ids)  # key -> the form sent to arXiv
        found: dict[str, ArxivEntry | None] = dict.fromkeys(wanted)
        if not wanted:
            return found
        by_query: dict[str, list[str]] = {}  # math.GT/0309136 and math/0309136 are one paper
        for key, query in wanted.items():
            by_query.setdefault(query, []).append(key)
        queries = list(by_query)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/atom+xml"}
        async with httpx.AsyncClient(timeout=self.timeout, headers=headers, follow_redirects=True) as http:
            for start in range(0, len(queries), self.batch_size):
                batch = queries[start : start + self.batch_size]
                for entry in await self._query(http, batch):
                    for key in by_query.get(_query_form(entry.arxiv_id), ()):
                        found[key] = entry
        return found

    def fetch_sync(self, ids: Iterable[str]) -> dict[str, ArxivEntry | None]:
        """``fetch`` for synchronous code (the CLI, a worker thread): not from a running loop."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.fetch(ids))
        raise RuntimeError("fetch_sync() was called inside a running event loop; await fetch() there")

    # -- internals ------------------------------------------------------------------
    @staticmethod
    def _normalise(ids: Iterable[str]) -> dict[str, str]:
        if isinstance(ids, str):  # one ID, not its characters
            ids = [ids]
        wanted: dict[str, str] = {}
        for text in ids:
            try:
                key = parse_arxiv_id(text)
            except InvalidArxivId:
                # Callers validate first; anything else goes to arXiv, whose error
                # entry is the final word, unless it would break the id_list itself.
                key = str(text).strip()
                if not key or re.search(r"[\s,]", key) or not key.isprintable():
                    raise ArxivBadRequest(f"{key[:80]!r} is not an arXiv ID", (key,)) from None
            wanted.setdefault(key, _query_form(key))
        return wanted

    async def _wait_turn(self) -> None:
        with self._turn_lock:
            now = time.monotonic()
            start = max(now, self._next_turn)
            self._next_turn = start + self.min_interval
        if start > now:
            await asyncio.sleep(start - now)

    def _hold_off(self, seconds: float) -> None:
        """Nobody asks arXiv again for `seconds` (it is throttling us, or down)."""
        with self._turn_lock:
            self._next_turn = max(self._next_turn, time.monotonic() + seconds)

    async def _query(self, http: httpx.AsyncClient, batch: list[str]) -> list[ArxivEntry]:
        params = {"id_list": ",".join(batch), "max_results": str(len(batch))}
        tries = self.max_retries + 1
        for attempt in range(tries):
            wait: float | None = None
            await self._wait_turn()
            try:
                response = await http.get(self.api_base, params=params)
            except httpx.TimeoutException:
                problem = f"did not answer within {self.timeout:g} s"
            except (httpx.RemoteProtocolError, httpx.ReadError):
                problem = "broke off its answer"
            except httpx.ConnectError:
                problem = "could not be reached"
                if not self._reached:  # no network, or a wrong address: waiting will not help
                    break
            except httpx.TransportError as exc:
                problem = f"could not be reached ({type(exc).__name__})"
            else:
                self._reached = True
                code = response.status_code
                if code == 200:
                    try:
                        return _parse_feed(response.content)
                    except _Garbled as exc:
                        problem = f"sent an answer that is not a readable feed ({exc})"
                elif code == 429 or code >= 500:
                    problem = "is busy (HTTP 429: too many requests)" if code == 429 else f"answered HTTP {code}"
                    wait = _retry_after(response.headers.get("Retry-After"))
                else:
                    raise ArxivError(f"arXiv ({self._where}) answered HTTP {code} to a metadata request; "
                                     "check the arXiv API address in the configuration")
            if wait is not None:  # arXiv's word holds for every caller of this client
                self._hold_off(min(wait, MAX_RETRY_AFTER))
            if attempt + 1 == tries:
                break
            if wait is not None and wait > MAX_RETRY_AFTER:
                problem += f" and asks to wait {wait:.0f} s"
                break
            delay = wait if wait is not None else self.min_interval * 2**attempt
            log.warning("arXiv (%s) %s; retrying in %.1f s (try %d of %d)",
                        self._where, problem, delay, attempt + 2, tries)
            self._hold_off(delay)
        raise ArxivUnavailable(f"arXiv ({self._where}) {problem}; gave up after {attempt + 1} "
                               f"{'try' if attempt == 0 else 'tries'}. Try again in a few minutes.")
