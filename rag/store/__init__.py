"""Where the papers are kept and indexed: the Chroma collection (every paper's record and
vectors), the catalog held in memory, ingest, the lexical index, arXiv enrichment, and
papers added by ID."""
