"""The loopback model of `benchmarks.concurrency`, in a process of its own (so that fifty
streams of chunks do not share an interpreter with the loopback Discord that timestamps
what the users see). Prints its base URL, then serves until its stdin closes.

    python -m benchmarks.model_peer SECONDS    # each answer streams for about SECONDS

Each answer is grounded, as a capable model's would be: the first sentences of every
source in the prompt, each cited (repeated up to about 1,500 characters, an answer of a few
hundred tokens), streamed four characters a chunk as a hosted model streams tokens, so the
bot's claim check keeps them and reads what a real burst makes it read.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from peers.llm_server import LLMServer, reply  # noqa: E402

SOURCE = re.compile(r'<source id="(\d+)"[^>]*>\n(.*?)</source>', re.S)
LABELS = ("Title:", "Topics:", "Authors:", "English gloss:", "English abstract:")
CHUNK_CHARS = 4  # about a token
ANSWER_CHARS = 1500


def grounded(seconds: float):
    def answer(body: dict):
        prompt = "\n".join(m.get("content") or "" for m in body.get("messages", []) if isinstance(m, dict))
        parts = []
        for n, block in SOURCE.findall(prompt):
            summary = next((line for line in block.splitlines() if line and not line.startswith(LABELS)), "")
            sentences = [s for s in re.split(r"(?<=[。！？.!?])\s*", summary) if s.strip()][:4]
            parts += [f"{s.rstrip('。.')} [{n}]。" for s in sentences]
        text = " ".join(parts) or "No source [1]."
        while parts and len(text) < ANSWER_CHARS:
            text += " " + " ".join(parts)
        events = -(-len(text) // CHUNK_CHARS) + 2  # the text's chunks, the role's and the finish's
        return reply(text, chunk_chars=CHUNK_CHARS, chunk_delay=seconds / events)

    return answer


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    with LLMServer(model="bench-model", default=grounded(seconds)) as llm:
        print(llm.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
