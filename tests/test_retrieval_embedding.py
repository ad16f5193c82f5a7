"""The bundled MiniLM (ONNX Runtime) gives the vectors sentence-transformers (torch) gives, for every kind
of text paperbot embeds: questions, titles with glossary terms, long abstracts that are
cut at 256 tokens, Chinese.

The reference vectors are sentence-transformers' own output for these texts, computed once
and kept in tests/data/minilm-reference.json (its `made_by` says how), so the test needs no
torch: paperbot never imports it."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm-reference.json").read_text(encoding="utf-8"))


def test_bundled_minilm_matches_sentence_transformers(embed_model):
    texts, theirs = REFERENCE["texts"], np.array(REFERENCE["vectors"])
    assert len(texts) == 7 and any(len(t) > 1000 for t in texts) and "" in texts  # long, empty and Chinese texts too
    ours = np.array(embed_model.get_text_embedding_batch(texts))
    cosine = (ours * theirs).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosine.min() >= 0.999, cosine
    # A query goes through the same forward pass as a batch.
    single = np.array(embed_model.get_query_embedding(texts[0]))
    assert float(single @ theirs[0]) >= 0.999


def test_the_bundled_model_loads_without_torch():
    code = ("import sys\nfrom rag.config import EmbeddingSettings\nfrom rag.models.embeddings import load_embed_model\n"
            "m = load_embed_model(EmbeddingSettings())\nv = m.get_query_embedding('hello')\n"
            "print(len(v), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["384", "False"]
