"""Every listed paper's English abstract and authors, from arXiv, looked up once.

At ingest, papers without an abstract are looked up in batches (the API's `id_list`
takes many IDs per request; the client spaces requests as arXiv asks). What is found is
ingested with the paper (the abstract feeds the dense side of retrieval and the offline
answers to English questions) and kept in the store, so it is never asked again; an ID
arXiv does not know is remembered in paperbot's SQLite store. When arXiv cannot be
reached the ingest still succeeds: enrichment stops, says so in one line, and the next
ingest picks up where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rag.papers.arxiv import ArxivClient, ArxivError
from rag.records import Database, utc_now
from rag.store.knowledge import KnowledgeBase

CHUNK = 500  # IDs per round: looked up (5 requests), then ingested, so progress is kept


@dataclass
class EnrichReport:
    enriched: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # not on arXiv, or withdrawn
    skipped: str = ""  # why enrichment stopped early, in plain words

    def to_dict(self) -> dict:
        return {"enriched": len(self.enriched), "unknown": len(self.unknown), "skipped": self.skipped}


def enrich(kb: KnowledgeBase, client: ArxivClient, db: Database) -> EnrichReport:
    report = EnrichReport()
    asked = {r["arxiv_id"] for r in db.query("SELECT arxiv_id FROM arxiv_lookups")}
    todo = [p for p in kb.papers() if not p.abstract and p.arxiv_id not in asked]
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        try:
            found = client.fetch_sync([p.arxiv_id for p in chunk])
        except ArxivError as exc:
            report.skipped = str(exc)
            break
        enriched = [replace(p, abstract=e.abstract, authors=e.authors) for p in chunk
                    if (e := found.get(p.arxiv_id)) is not None and not e.withdrawn and e.abstract]
        missing = [(p.arxiv_id, "withdrawn" if found.get(p.arxiv_id) else "unknown") for p in chunk
                   if found.get(p.arxiv_id) is None or found[p.arxiv_id].withdrawn]
        if enriched:
            kb.ingest(enriched)
            report.enriched += [p.arxiv_id for p in enriched]
        if missing:
            with db.transaction() as tx:
                tx.executemany("INSERT OR REPLACE INTO arxiv_lookups VALUES (?, ?, ?)",
                               [(i, outcome, utc_now().isoformat()) for i, outcome in missing])
            report.unknown += [i for i, _ in missing]
    if report.enriched:
        kb.refresh()
    return report
