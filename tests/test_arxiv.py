"""The arXiv client against a loopback arXiv API over real HTTP (see peers/arxiv_server.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import socket
import threading
import time

import httpx
import pytest

from conftest import SEED
from peers.arxiv_server import ArxivServer, answer, delay, garbled, status, truncated
from rag.papers.arxiv import ArxivBadRequest, ArxivClient, ArxivError, ArxivUnavailable, parse_feed
from rag.papers.table import parse_table

SPACING = 0.8  # min_interval for the spacing tests
JITTER = 0.3  # how much earlier a request may arrive: a loaded machine delays some more than others


@pytest.fixture
def arxiv():
    with ArxivServer() as server:
        yield server


def client_for(server: ArxivServer, **options) -> ArxivClient:
    settings = dict(min_interval=0.01, timeout=2.0, max_retries=2)
    return ArxivClient(server.api_base, **{**settings, **options})


def gaps(times: list[float]) -> list[float]:
    times = sorted(times)
    return [b - a for a, b in zip(times, times[1:])]


# -- what comes back ------------------------------------------------------------------

async def test_one_paper_with_every_field_clean(arxiv):
    entry = (await client_for(arxiv).fetch(["2405.14831"]))["2405.14831"]
    assert entry.arxiv_id == "2405.14831" and entry.version == 3
    assert entry.title == "HippoRAG: Neurobiologically Inspired Long-Term Memory for Large Language Models"
    assert entry.abstract.startswith("In order to thrive in hostile")  # arXiv's leading spaces gone
    assert "\n" not in entry.abstract and "  " not in entry.abstract  # hard wrapping undone
    assert "state-of-the-art" in entry.abstract
    assert entry.authors[0] == "Bernal Jiménez Gutiérrez" and len(entry.authors) == 5
    assert entry.published == dt.date(2024, 5, 23) and entry.updated == dt.date(2025, 1, 14)
    assert entry.categories == ("cs.CL", "cs.AI") and entry.primary_category == "cs.CL"
    assert entry.comment.startswith("NeurIPS 2024")
    assert entry.withdrawn is False
    assert entry.url == "https://arxiv.org/abs/2405.14831"

    (query,) = arxiv.queries
    assert query.id_list == ["2405.14831"] and query.max_results == 1
    assert "paperbot" in query.headers["user-agent"]


async def test_all_seed_papers_come_in_batches_with_max_results_set(arxiv):
    table = parse_table(SEED.read_text(encoding="utf-8")).papers
    ids = [p.arxiv_id for p in table]
    found = await client_for(arxiv, batch_size=10).fetch(ids)

    assert list(found) == ids
    for paper in table:
        entry = found[paper.arxiv_id]
        assert entry is not None and entry.title == paper.title and entry.published == paper.date
        assert 3 <= entry.abstract.count(". ") + 1 and entry.authors
    queries = arxiv.queries
    assert [len(q.id_list) for q in queries] == [10, 10, 10, 3]
    assert [i for q in queries for i in q.id_list] == ids
    assert [q.max_results for q in queries] == [10, 10, 10, 3]  # arXiv would stop at 10 otherwise


def test_the_peer_like_arxiv_answers_ten_entries_without_max_results(arxiv):
    ids = [p.arxiv_id for p in parse_table(SEED.read_text(encoding="utf-8")).papers][:12]
    feed = httpx.get(arxiv.api_base, params={"id_list": ",".join(ids)}).content
    assert len(parse_feed(feed)) == 10
    feed = httpx.get(arxiv.api_base, params={"id_list": ",".join(ids), "max_results": "12"}).content
    assert len(parse_feed(feed)) == 12


async def test_versioned_and_old_style_ids_are_asked_bare_and_keyed_bare(arxiv):
    arxiv.add_entry("hep-th/9901001", "Old Style Strings", "An abstract from 1999 about strings.",
                    published="1999-01-01", updated="1999-03-02", version=2, categories=("hep-th",))
    arxiv.add_entry("math/0309136", "A Knot Paper", "An abstract about knots.", published="2003-09-08",
                    categories=("math.GT",))
    found = await client_for(arxiv).fetch(["2405.14831v1", "arXiv:hep-th/9901001v1",
                                           "https://arxiv.org/pdf/2405.20204v1", "math.GT/0309136", "math/0309136"])

    assert set(found) == {"2405.14831", "hep-th/9901001", "2405.20204", "math.GT/0309136", "math/0309136"}
    assert found["math/0309136"] == found["math.GT/0309136"]
    assert found["2405.14831"].version == 3  # the latest version, whatever version was named
    old = found["hep-th/9901001"]
    assert (old.arxiv_id, old.version, old.published) == ("hep-th/9901001", 2, dt.date(1999, 1, 1))
    assert found["math.GT/0309136"].title == "A Knot Paper"
    # arXiv answers old IDs only without the subject class
    assert arxiv.queries[0].id_list == ["2405.14831", "hep-th/9901001", "2405.20204", "math/0309136"]


async def test_https_entry_ids_are_read_too():
    with ArxivServer(scheme="https") as server:
        entry = (await client_for(server).fetch(["2405.09818"]))["2405.09818"]
    assert entry.title.startswith("Chameleon") and entry.authors == ("Chameleon Team",)


async def test_an_unknown_paper_is_none(arxiv):
    found = await client_for(arxiv).fetch(["2405.14831", "2405.99999"])
    assert found["2405.99999"] is None and found["2405.14831"] is not None
    assert len(arxiv.queries) == 1
    assert await client_for(arxiv).fetch([]) == {}
    assert len(arxiv.queries) == 1  # nothing to ask, nothing asked


async def test_a_malformed_id_is_a_clear_error_not_retried(arxiv):
    with pytest.raises(ArxivBadRequest) as caught:
        await client_for(arxiv).fetch(["2405.14831", "2405.1483x"])
    assert "2405.1483x" in str(caught.value) and "incorrect id format" in str(caught.value)
    assert caught.value.ids == ("2405.1483x",)
    assert len(arxiv.queries) == 1

    with pytest.raises(ArxivBadRequest, match="not an arXiv ID"):  # would break the id_list itself
        await client_for(arxiv).fetch(["2405.14831,2405.20204"])
    assert len(arxiv.queries) == 1


async def test_withdrawn_papers_are_flagged(arxiv):
    arxiv.add_entry("2406.00001", "A Retracted Result",
                    "This paper has been withdrawn by the author due to a crucial error in equation 3.",
                    comment="This paper has been withdrawn", version=2)
    arxiv.add_entry("2406.00002", "Overlapping Text",
                    "An ordinary looking abstract that stays as it was.",
                    comment="This submission has been withdrawn by arXiv administrators due to "
                            "inappropriate text overlap with external sources")
    arxiv.add_entry("2406.00003", "Short Notice", "Withdrawn.")
    arxiv.add_entry("2406.00004", "Pulled Too Early", "A normal abstract.", comment="Paper withdrawn")
    arxiv.add_entry("2406.00005", "Drug Safety Signals",
                    "We study adverse events of drugs that were withdrawn from the market after approval, "
                    "and 1,000 papers withdrawn from journals.", comment="12 pages; accepted at ICML 2024")
    found = await client_for(arxiv).fetch([f"2406.0000{n}" for n in range(1, 6)])
    assert [found[i].withdrawn for i in sorted(found)] == [True, True, True, True, False]


# -- when arXiv misbehaves ------------------------------------------------------------

async def test_429_with_retry_after_is_waited_out(arxiv):
    arxiv.script(status(429, headers={"Retry-After": "1"}))
    found = await client_for(arxiv).fetch(["2405.14831"])
    assert found["2405.14831"].title.startswith("HippoRAG")
    assert len(arxiv.queries) == 2
    assert gaps([q.at for q in arxiv.queries])[0] >= 1 - JITTER


async def test_retry_after_as_a_date_or_nonsense_still_retries(arxiv):
    arxiv.script(status(429, headers={"Retry-After": email.utils.formatdate(time.time() - 5, usegmt=True)}),
                 status(503, headers={"Retry-After": "soon"}), answer())
    assert (await client_for(arxiv).fetch(["2405.14831"]))["2405.14831"] is not None
    assert len(arxiv.queries) == 3


async def test_a_very_long_retry_after_is_reported_not_slept(arxiv):
    arxiv.script(status(429, headers={"Retry-After": "3600"}))
    with pytest.raises(ArxivUnavailable, match="3600 s"):
        await client_for(arxiv).fetch(["2405.14831"])
    assert len(arxiv.queries) == 1


async def test_503_until_retries_run_out_is_unavailable(arxiv):
    arxiv.script(*[status(503)] * 3)
    with pytest.raises(ArxivUnavailable) as caught:
        await client_for(arxiv, max_retries=2).fetch(["2405.14831"])
    message = str(caught.value)
    assert "HTTP 503" in message and "3 tries" in message and "Traceback" not in message
    assert len(arxiv.queries) == 3


async def test_one_503_then_success(arxiv):
    arxiv.script(status(503), answer())
    assert (await client_for(arxiv).fetch(["2405.20204"]))["2405.20204"] is not None
    assert len(arxiv.queries) == 2


async def test_a_timeout_is_unavailable(arxiv):
    arxiv.script(delay(3), delay(3))
    with pytest.raises(ArxivUnavailable, match=r"did not answer within 0\.3 s"):
        await client_for(arxiv, timeout=0.3, max_retries=1).fetch(["2405.14831"])
    assert len(arxiv.queries) == 2


async def test_garbled_xml_is_retried_then_unavailable(arxiv):
    arxiv.script(garbled(), answer())
    assert (await client_for(arxiv).fetch(["2405.14831"]))["2405.14831"] is not None

    arxiv.reset()
    arxiv.script(garbled(), garbled(b"Rate exceeded."), garbled(b"<html>maintenance</html>"))
    with pytest.raises(ArxivUnavailable, match="not a readable feed"):
        await client_for(arxiv, max_retries=2).fetch(["2405.14831"])
    assert len(arxiv.queries) == 3


async def test_a_feed_cut_off_midway_is_retried_then_unavailable(arxiv):
    arxiv.script(truncated(), answer())
    assert (await client_for(arxiv).fetch(["2405.14831"]))["2405.14831"] is not None

    arxiv.reset()
    arxiv.script(truncated(0.3), truncated(0.9))
    with pytest.raises(ArxivUnavailable, match="broke off"):
        await client_for(arxiv, max_retries=1).fetch(["2405.14831"])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_arxiv_down_is_unavailable_and_the_message_keeps_credentials_out():
    port = closed_port()
    client = ArxivClient(f"http://reader:s3cret@127.0.0.1:{port}/api/query", min_interval=0.01, max_retries=1)
    with pytest.raises(ArxivUnavailable) as caught:
        await client.fetch(["2405.14831"])
    message = str(caught.value)
    assert "could not be reached" in message and f"127.0.0.1:{port}" in message
    assert "s3cret" not in message and "reader" not in message


async def test_a_wrong_address_is_an_error_not_a_retry(arxiv):
    client = ArxivClient(arxiv.api_base.replace("/api/query", "/api/nowhere"), min_interval=0.01)
    with pytest.raises(ArxivError, match="HTTP 404") as caught:
        await client.fetch(["2405.14831"])
    assert not isinstance(caught.value, ArxivUnavailable)


def test_a_feed_declaring_entities_is_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&b;</title></feed>')
    with pytest.raises(ArxivUnavailable, match="DTD"):
        parse_feed(bomb)


# -- politeness: one request per min_interval, whoever asks -----------------------------

async def test_batches_of_one_call_are_spaced(arxiv):
    client = client_for(arxiv, min_interval=SPACING, batch_size=1)
    await client.fetch(["2405.14831", "2405.20204", "2405.19888"])
    assert len(arxiv.queries) == 3
    assert min(gaps([q.at for q in arxiv.queries])) >= SPACING - JITTER


async def test_concurrent_calls_share_the_spacing(arxiv):
    client = client_for(arxiv, min_interval=SPACING)
    results = await asyncio.gather(*(client.fetch([i]) for i in ("2405.14831", "2405.20204", "2405.19888")))
    assert all(None not in r.values() for r in results)
    assert len(arxiv.queries) == 3
    assert min(gaps([q.at for q in arxiv.queries])) >= SPACING - JITTER


def test_fetch_sync_from_threads_shares_the_spacing_too(arxiv):
    client = client_for(arxiv, min_interval=SPACING)
    results: dict[str, object] = {}

    def work(arxiv_id: str) -> None:
        results.update(client.fetch_sync([arxiv_id]))

    threads = [threading.Thread(target=work, args=(i,)) for i in ("2405.14831", "2405.20204")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert set(results) == {"2405.14831", "2405.20204"} and None not in results.values()
    assert min(gaps([q.at for q in arxiv.queries])) >= SPACING - JITTER


async def test_fetch_sync_refuses_a_running_loop(arxiv):
    with pytest.raises(RuntimeError, match="await fetch"):
        client_for(arxiv).fetch_sync(["2405.14831"])
    assert arxiv.queries == []
