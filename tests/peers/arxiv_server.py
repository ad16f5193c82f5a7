"""A real, scriptable arXiv API (``export.arxiv.org/api/query``) for tests.

``ArxivServer`` runs an aiohttp application on ``127.0.0.1`` (a free port) in a
background thread (see ``loopback.py``) and answers ``GET /api/query`` with the Atom
feed arXiv sends: ``opensearch:totalResults``/``startIndex``/``itemsPerPage``, one
``<entry>`` per known paper (versioned ``<id>``, ``updated``, ``published``, hard-wrapped
``title`` and ``summary``, ``author/name``, ``arxiv:comment``, ``arxiv:primary_category``,
``category term=...``, ``link`` alternate and pdf), nothing for an unknown well-formed
ID, and arXiv's single ``Error`` entry (``<id>http://arxiv.org/api/errors#...``) for a
malformed one. ``max_results`` is honoured and defaults to 10, as on arXiv. Nothing
is mocked: the code under test uses its normal client, pointed at ``server.api_base``.

Typical use::

    from peers.arxiv_server import ArxivServer, status, delay, garbled, truncated

    with ArxivServer() as server:                   # the 33 papers of data/papers.md
        client = ArxivClient(server.api_base, min_interval=0.05)
        server.script(status(429, headers={"Retry-After": "0.1"}))  # first request
        entries = client.fetch_sync(["2405.14831"])                 # second one answers
        assert server.queries[-1].id_list == ["2405.14831"]

Known papers: every row of ``data/papers.md`` (ID, title, date as first-version date)
joined with ``arxiv_seed.json`` (English abstract, authors, categories, latest version,
its date, comment). ``server.add_entry(...)`` adds others (a paper to ``/add``, a
withdrawn one); ``server.entries`` maps bare IDs to ``PeerEntry``.

Scripting: ``server.script(*steps)`` queues steps; each request to ``/api/query``
consumes one, and with the queue empty requests are answered normally. A step is

* ``answer()`` -- the normal feed;
* ``status(code, body=None, headers=None)`` -- that status; without a body a 429 says
  ``Rate exceeded.`` (as arXiv does) and a 5xx sends a small HTML error page;
* ``delay(seconds, then=None)`` -- sleep (cut short, with a 503, when the server
  stops), then answer with ``then`` (default: normally);
* ``garbled(body=None)`` -- status 200 with a body that is not XML;
* ``truncated(fraction=0.5)`` -- the real feed's headers (full Content-Length), part
  of its body, then the connection is dropped;
* a callable ``fn(query) -> step`` for anything dynamic.

Recording: ``server.queries`` (a snapshot list of ``RecordedQuery``: ``at`` (the
``time.monotonic()`` it arrived), ``id_list``, ``max_results`` (None when not sent),
``params``, ``headers`` with lower-cased names) for every request to ``/api/query``;
``server.pending`` counts unconsumed steps; ``server.reset()`` clears both.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
import textwrap
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from .loopback import LoopbackServer

__all__ = ["ArxivServer", "PeerEntry", "RecordedQuery", "answer", "status", "delay", "garbled", "truncated"]

HERE = Path(__file__).resolve().parent
TABLE = HERE.parent.parent / "data" / "papers.md"
SEED = HERE / "arxiv_seed.json"

# arXiv's own rule, kept apart from rag.papers.ids so the peer judges IDs independently.
_WELL_FORMED = re.compile(r"^(?P<id>\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?$")
_ROW = re.compile(r"^\|\s*(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日\s*\|\s*\[(?P<title>.+)\]"
                  r"\(https?://arxiv\.org/(?:abs|pdf)/(?P<id>[^)\s]+)\)\s*\|")


# --------------------------------------------------------------------- steps

@dataclass(frozen=True)
class Answer:
    pass


@dataclass(frozen=True)
class Status:
    code: int
    body: Optional[Union[str, bytes]] = None
    headers: Optional[dict] = None


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: Any = None


@dataclass(frozen=True)
class Garbled:
    body: Optional[Union[str, bytes]] = None


@dataclass(frozen=True)
class Truncated:
    fraction: float = 0.5


Step = Union[Answer, Status, Delay, Garbled, Truncated, Callable[["RecordedQuery"], Any]]


def answer() -> Answer:
    """The normal feed."""
    return Answer()


def status(code: int, body: str | bytes | None = None, headers: dict | None = None) -> Status:
    """An HTTP status (429 says 'Rate exceeded.' unless given a body)."""
    return Status(code, body, headers)


def delay(seconds: float, then: Step | None = None) -> Delay:
    """Sleep (non-blocking, cut short on stop), then answer with ``then``."""
    return Delay(seconds, then)


def garbled(body: str | bytes | None = None) -> Garbled:
    """A 200 whose body is not an Atom feed."""
    return Garbled(body)


def truncated(fraction: float = 0.5) -> Truncated:
    """The feed's headers and the first ``fraction`` of its body, then a dropped connection."""
    return Truncated(fraction)


# ------------------------------------------------------------------ entries

@dataclass(frozen=True)
class PeerEntry:
    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    published: dt.datetime  # first version
    updated: dt.datetime  # latest version
    version: int = 1
    categories: tuple[str, ...] = ("cs.CL",)  # the primary first
    comment: str = ""
    doi: str = ""
    journal_ref: str = ""


@dataclass(frozen=True)
class RecordedQuery:
    at: float  # time.monotonic() when the request arrived
    id_list: list[str]
    max_results: Optional[int]
    params: dict
    headers: dict


def _when(value: dt.date | dt.datetime | str, hour: int) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return dt.datetime(value.year, value.month, value.day, hour, 0, 0, tzinfo=dt.timezone.utc)


def load_seed(table: Path = TABLE, seed: Path = SEED) -> dict[str, PeerEntry]:
    """The table's papers (ID, title, date) with the seed file's arXiv metadata."""
    meta = json.loads(seed.read_text(encoding="utf-8"))["papers"]
    entries: dict[str, PeerEntry] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        row = _ROW.match(line.strip())
        if not row:
            continue
        arxiv_id = _WELL_FORMED.match(row["id"])["id"]
        if arxiv_id not in meta:
            raise KeyError(f"{seed.name} has no metadata for {arxiv_id} of {table.name}; add it")
        m = meta[arxiv_id]
        published = _when(dt.date(int(row["y"]), int(row["m"]), int(row["d"])), 17)
        # The table's date is when the group listed the paper: never after arXiv's latest version.
        updated = max(_when(m["updated"], 19), published)
        entries[arxiv_id] = PeerEntry(
            arxiv_id=arxiv_id, title=" ".join(row["title"].split()), abstract=m["abstract"],
            authors=tuple(m["authors"]), published=published, updated=updated, version=m["version"],
            categories=tuple(m["categories"]), comment=m.get("comment", ""),
        )
    return entries


# -------------------------------------------------------------------- server

class ArxivServer(LoopbackServer):
    """arXiv's query API on 127.0.0.1, in a background thread."""

    _loop_thread_name = "ArxivServer"

    def __init__(self, *, seed: bool = True, scheme: str = "http") -> None:
        super().__init__()
        self.scheme = scheme  # of entry ids and links: arXiv has sent http, newer answers https
        self._lock = threading.Lock()
        self._entries: dict[str, PeerEntry] = load_seed() if seed else {}
        self._queue: list = []
        self._queries: list[RecordedQuery] = []

    @property
    def api_base(self) -> str:
        """What a user puts where ``https://export.arxiv.org/api/query`` goes."""
        return f"http://127.0.0.1:{self.port}/api/query"

    # -------------------------------------------------------- entries / script

    @property
    def entries(self) -> dict[str, PeerEntry]:
        with self._lock:
            return dict(self._entries)

    def add_entry(self, arxiv_id: str, title: str, abstract: str, *,
                  authors: tuple[str, ...] | list[str] = ("Ada Lovelace", "Alan Turing"),
                  published: dt.date | dt.datetime | str = dt.date(2024, 6, 3),
                  updated: dt.date | dt.datetime | str | None = None, version: int = 1,
                  categories: tuple[str, ...] | list[str] = ("cs.CL", "cs.AI"), comment: str = "",
                  doi: str = "", journal_ref: str = "") -> PeerEntry:
        """Make arXiv know a paper (or replace what it knows of one)."""
        first = _when(published, 17)
        entry = PeerEntry(arxiv_id=arxiv_id, title=title, abstract=abstract, authors=tuple(authors),
                          published=first, updated=_when(updated, 19) if updated else first,
                          version=version, categories=tuple(categories), comment=comment,
                          doi=doi, journal_ref=journal_ref)
        with self._lock:
            self._entries[arxiv_id] = entry
        return entry

    def script(self, *steps: Step) -> None:
        with self._lock:
            self._queue.extend(steps)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def queries(self) -> list[RecordedQuery]:
        with self._lock:
            return list(self._queries)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._queries.clear()

    # --------------------------------------------------------------- serving

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/query", self._query)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found", content_type="text/plain")

    async def _query(self, request: web.Request) -> web.StreamResponse:
        params = dict(request.query)
        id_list = [i.strip() for i in params.get("id_list", "").split(",") if i.strip()]
        try:
            max_results = int(params["max_results"]) if "max_results" in params else None
        except ValueError:
            max_results = -1
        query = RecordedQuery(at=time.monotonic(), id_list=id_list, max_results=max_results, params=params,
                              headers={k.lower(): v for k, v in request.headers.items()})
        with self._lock:
            self._queries.append(query)
            step = self._queue.pop(0) if self._queue else Answer()
        return await self._run(step, query, request)

    async def _run(self, step: Step, query: RecordedQuery, request: web.Request) -> web.StreamResponse:
        while callable(step):
            step = step(query)
        if isinstance(step, Delay):
            assert self._stopping is not None
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=step.seconds)
                return web.Response(status=503, text="ArxivServer is stopping", content_type="text/plain")
            except asyncio.TimeoutError:
                pass
            return await self._run(step.then if step.then is not None else Answer(), query, request)
        if isinstance(step, Status):
            return _status_response(step)
        if isinstance(step, Garbled):
            body = step.body if step.body is not None else b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>htt"
            return web.Response(status=200, body=body, headers={"Content-Type": "application/atom+xml"})
        if isinstance(step, Truncated):
            return await self._truncated(step, query, request)
        if isinstance(step, Answer):
            return _feed_response(self._feed(query))
        raise TypeError(f"unknown ArxivServer step: {step!r}")

    async def _truncated(self, step: Truncated, query: RecordedQuery, request: web.Request) -> web.StreamResponse:
        body = self._feed(query).encode()
        cut = max(1, min(len(body) - 1, int(len(body) * step.fraction)))
        response = web.StreamResponse(headers={"Content-Type": "application/atom+xml; charset=UTF-8"})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[:cut])
        if request.transport is not None:
            request.transport.abort()  # the rest never comes
        return response

    # ------------------------------------------------------------------ feed

    def _feed(self, query: RecordedQuery) -> str:
        params = query.params
        start = params.get("start", "0")
        max_results = query.max_results if query.max_results is not None else 10
        query_string = (f"search_query={params.get('search_query', '')}&id_list={params.get('id_list', '')}"
                        f"&start={start}&max_results={max_results}")
        malformed = next((i for i in query.id_list if not _WELL_FORMED.match(i)), None)
        if malformed is not None:
            return self._error_feed(query_string, f"incorrect id format for {malformed}",
                                    f"incorrect_id_format_for_{malformed}")
        if max_results < 0:
            return self._error_feed(query_string, "max_results must be an integer", "max_results_must_be_an_integer")
        if not start.isdigit():
            return self._error_feed(query_string, "start must be an integer", "start_must_be_an_integer")
        with self._lock:
            known = dict(self._entries)
        found = []
        for text in query.id_list:
            match = _WELL_FORMED.match(text)
            arxiv_id = re.sub(r"^([a-z-]+)\.[A-Z]{2}/", r"\1/", match["id"])  # arXiv's canonical form
            entry = known.get(arxiv_id)
            if entry is None:
                continue
            version = int(match["v"]) if match["v"] else entry.version
            if version > entry.version:
                continue  # arXiv has no such version
            if version < entry.version:  # an older version: its own date, not the latest's
                entry = replace(entry, updated=entry.published if version == 1 else entry.updated, version=version)
            found.append(entry)
        page = found[int(start): int(start) + max_results]
        body = "".join(self._entry_xml(e) for e in page)
        return _FEED.format(
            self_link=escape(f"http://arxiv.org/api/query?{quote(query_string, safe='')}"),
            title=escape(f"ArXiv Query: {query_string}"),
            feed_id=hashlib.sha1(query_string.encode()).hexdigest()[:27],
            updated=dt.date.today().isoformat(), total=len(found), start=int(start),
            per_page=max_results, entries=body)

    def _entry_xml(self, e: PeerEntry) -> str:
        base = f"{self.scheme}://arxiv.org"
        versioned = f"{e.arxiv_id}v{e.version}"
        parts = [
            "  <entry>",
            f"    <id>{base}/abs/{versioned}</id>",
            f"    <updated>{_stamp(e.updated)}</updated>",
            f"    <published>{_stamp(e.published)}</published>",
            f"    <title>{escape(_wrap(e.title))}</title>",
            f"    <summary>{escape(_wrap(e.abstract, abstract=True))}\n</summary>",
        ]
        parts += [f"    <author>\n      <name>{escape(name)}</name>\n    </author>" for name in e.authors]
        if e.doi:
            parts.append(f'    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">{escape(e.doi)}</arxiv:doi>')
            parts.append(f'    <link title="doi" href={quoteattr("http://dx.doi.org/" + e.doi)} rel="related"/>')
        if e.comment:
            parts.append('    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">'
                         f"{escape(_wrap(e.comment))}</arxiv:comment>")
        if e.journal_ref:
            parts.append('    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">'
                         f"{escape(e.journal_ref)}</arxiv:journal_ref>")
        parts.append(f'    <link href="{base}/abs/{versioned}" rel="alternate" type="text/html"/>')
        parts.append(f'    <link title="pdf" href="{base}/pdf/{versioned}" rel="related" type="application/pdf"/>')
        primary = e.categories[0] if e.categories else "cs.CL"
        parts.append('    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" '
                     f'term={quoteattr(primary)} scheme="http://arxiv.org/schemas/atom"/>')
        parts += [f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>' for c in e.categories]
        parts.append("  </entry>\n")
        return "\n".join(parts)

    def _error_feed(self, query_string: str, message: str, anchor: str) -> str:
        base = f"{self.scheme}://arxiv.org"
        entry = "\n".join([
            "  <entry>",
            f"    <id>{base}/api/errors#{escape(anchor)}</id>",
            "    <title>Error</title>",
            f"    <summary>{escape(message)}</summary>",
            f"    <updated>{dt.date.today().isoformat()}T00:00:00-04:00</updated>",
            f'    <link href={quoteattr(f"{base}/api/errors#{anchor}")} rel="alternate" type="text/html"/>',
            "    <author>\n      <name>arXiv api core</name>\n    </author>",
            "  </entry>\n",
        ])
        return _FEED.format(
            self_link=escape(f"http://arxiv.org/api/query?{quote(query_string, safe='')}"),
            title=escape(f"ArXiv Query: {query_string}"),
            feed_id=hashlib.sha1(query_string.encode()).hexdigest()[:27],
            updated=dt.date.today().isoformat(), total=1, start=0, per_page=1, entries=entry)


_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="{self_link}" rel="self" type="application/atom+xml"/>
  <title type="html">{title}</title>
  <id>http://arxiv.org/api/{feed_id}</id>
  <updated>{updated}T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{start}</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{per_page}</opensearch:itemsPerPage>
{entries}</feed>
"""


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wrap(text: str, abstract: bool = False) -> str:
    """Hard-wrapped as arXiv sends them: titles and comments continue with a two-space
    indent, abstracts start with two spaces and continue flush left."""
    lines = textwrap.wrap(" ".join(text.split()), width=78, break_on_hyphens=False,
                          break_long_words=False) or [""]
    return "  " + "\n".join(lines) if abstract else "\n  ".join(lines)


def _feed_response(feed: str) -> web.Response:
    return web.Response(status=200, body=feed.encode(),
                        headers={"Content-Type": "application/atom+xml; charset=UTF-8"})


def _status_response(step: Status) -> web.Response:
    headers = dict(step.headers or {})
    body = step.body
    if body is None:
        if step.code == 429:
            body = "Rate exceeded."
        elif step.code >= 500:
            body = f"<html><body><h1>{step.code} Service Unavailable</h1></body></html>"
            headers.setdefault("Content-Type", "text/html")
        else:
            body = ""
    headers.setdefault("Content-Type", "text/plain")
    return web.Response(status=step.code, body=body.encode() if isinstance(body, str) else body, headers=headers)
