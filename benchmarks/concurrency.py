"""A busy server: fifty people ask at once while the model takes its time.

    python -m benchmarks.concurrency            # about two minutes

The unmodified `paperbot run` (a subprocess, real embedding model, seed table) talks to
a loopback Discord and a loopback OpenAI-compatible model that serves requests in
parallel and streams each answer for about 2 s. Measured from the moment a user sends
the command to the moment the answer with its sources is in Discord:

1. default settings: 50 concurrent `/ask` (50 users); every 250 ms until the last answer
   is in, a `/paper` (timed to its card in Discord) and right after it an autocomplete;
2. `[llm] concurrency = 8`: the same burst; when the 50th answer arrives, and whether
   every user who had to wait was shown their place in line.

Three processes, as in production: the bot, the loopback model (`benchmarks.model_peer`,
which streams grounded answers: each source's first sentences, cited) and this one, which
holds the loopback Discord and timestamps what users see. The lookups run through the
whole burst: while fifty answers stream and finish (claim checks, records, final edits)
the event loop is at its busiest; a lookup sent only in the first two seconds never met
the answers' finishing.

Baselines in the same run: the model's own streaming time, measured as 50 streams at once
from a bare openai client (the floor for one answer: ~2 s, more when the peer itself is
busy), and ceil(50 / 8) x 2 s (the floor for the 50th answer with 8 at once).
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from peers.discord import DiscordServer  # noqa: E402

PAPERBOT = str(Path(sys.executable).parent / "paperbot")
TOKEN = "benchmark-token"
QUESTIONS = [
    "Is there a retrieval method inspired by the hippocampus?", "How can graphs help retrieval-augmented generation?",
    "Which paper prunes pretraining data with a small model?", "有哪些論文在研究偏好優化？",
    "Can LLMs do higher-order theory of mind?", "有沒有結合知識圖譜的檢索方法？",
]
MODEL_SECONDS = 2.0  # each answer streams this long
PROBE_EVERY = 0.25  # seconds between lookups during the burst


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _is_final(embeds: list[dict]) -> bool:
    """Only the finished answer carries a footer (its model, or why it is offline)."""
    return any("footer" in e for e in embeds)


def has_sources(inter) -> bool:
    message = inter.final_message()
    return bool(message) and _is_final(message.embeds)


def final_at(inter) -> float:
    """When the finished answer reached Discord (the response that put it there)."""
    finals = [r.at for r in inter.responses if r.ok and isinstance(r.data, dict) and _is_final(r.data.get("embeds") or [])]
    return min(finals) if finals else math.inf


def card_at(inter) -> float:
    """When the /paper card reached Discord (the response carrying its embed)."""
    cards = [r.at for r in inter.responses if r.ok and isinstance(r.data, dict)
             and ((r.data.get("data") or r.data).get("embeds"))]
    return min(cards) if cards else math.inf


class ModelPeer:
    """The loopback model in its own process (benchmarks/model_peer.py)."""

    def __enter__(self) -> "ModelPeer":
        self.process = subprocess.Popen([sys.executable, "-m", "benchmarks.model_peer", str(MODEL_SECONDS)],
                                        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.base_url = self.process.stdout.readline().strip()
        return self

    def __exit__(self, *exc) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def saw_place(inter) -> bool:
    return any("in line" in str(r.data) for r in inter.responses if r.kind == "edit_original")


def model_alone(llm: ModelPeer, n: int) -> list[float]:
    """The floor, measured: n streams at once from a bare openai client, no bot."""
    import asyncio

    import openai

    async def one(client) -> float:
        started = time.monotonic()
        stream = await client.post("/chat/completions", cast_to=object, stream=True,  # as rag.models.chat reads it
                                   stream_cls=openai.AsyncStream[object],
                                   body={"model": "bench-model", "stream": True,
                                         "messages": [{"role": "user", "content": "?"}]})
        async for _ in stream:
            pass
        return time.monotonic() - started

    async def run() -> list[float]:
        async with openai.AsyncOpenAI(base_url=llm.base_url, api_key="benchmark", max_retries=0) as client:
            return list(await asyncio.gather(*(one(client) for _ in range(n))))

    return asyncio.run(run())


def write_config(folder: Path, concurrency: int) -> Path:
    config = folder / "config.toml"
    config.write_text(f'[data]\ntables = ["{ROOT / "data" / "papers.md"}"]\nstate_dir = "{folder / "state"}"\n'
                      f'[llm]\nmodel = "bench-model"\nconcurrency = {concurrency}\nmax_retries = 0\n'
                      f'[discord]\ncooldown_seconds = 0\n'
                      f'[cache]\nenabled = false\n'  # every answer is written by the (slow) model
                      f'[arxiv]\nenrich = false\n',  # the benchmark stays on 127.0.0.1
                      encoding="utf-8")
    return config


def burst(server: DiscordServer, llm: ModelPeer, config: Path, n: int, lookups: bool) -> dict:
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": server.api_base,
           "DISCORD_GATEWAY_URL": server.gateway_url, "OPENAI_BASE_URL": llm.base_url, "HF_HUB_OFFLINE": "1"}
    bot = subprocess.Popen([PAPERBOT, "--config", str(config), "run"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while not (server.connected and server.command_syncs):
            if bot.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"paperbot run did not start: {bot.communicate()[1][-2000:]}")
            time.sleep(0.2)
        for question in QUESTIONS:  # first questions load what is lazy
            warm = server.send_interaction("ask", {"question": question}, user=server.add_user(f"warm-{question[:9]}"))
            warm.wait_until(has_sources, timeout=60)
        started, asks = time.time(), []  # (sent at, interaction)
        for i in range(n):
            user = server.add_user(f"asker-{len(server.users)}")
            sent_at = time.time()
            asks.append((sent_at, server.send_interaction("ask", {"question": QUESTIONS[i % len(QUESTIONS)]}, user=user)))
        probes = []  # (sent at, /paper, autocomplete)
        while lookups and time.time() < started + 30 and not all(has_sources(i) for _, i in asks):
            sent_at = time.time()
            probes.append((sent_at, server.send_interaction("paper", {"id": "2405.14831"}),
                           server.dispatch_autocomplete("paper", "id", "2405")))
            time.sleep(max(0.0, sent_at + PROBE_EVERY - time.time()))
        for _, inter in asks:
            try:
                inter.wait_until(has_sources, timeout=120)
            except TimeoutError:
                raise RuntimeError(f"no answer: {[r.data for r in inter.responses][-1]}") from None
        for _, paper, completion in probes:
            paper.wait_until(lambda i: i.settled, timeout=30)
            completion.wait_until(lambda i: i.callback is not None, timeout=30)
        return {"ask": [final_at(i) - sent for sent, i in asks], "ack": [i.callback.at - sent for sent, i in asks],
                "paper": [card_at(p) - sent for sent, p, _ in probes],
                "autocomplete": [a.callback.at - sent for sent, _, a in probes],
                "waited": [saw_place(i) for _, i in asks], "violations": len(server.limit_violations)}
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.communicate(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--limited", type=int, default=8, help="the concurrency limit of the second run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paperbot-concurrency-") as tmp, ModelPeer() as llm:
        folder = Path(tmp)
        subprocess.run([PAPERBOT, "--config", str(write_config(folder, 64)), "ingest"], check=True,
                       capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        alone = model_alone(llm, args.n)
        model_time = percentile(alone, 0.95)  # ~2 s by construction; more when the peer is busy
        with DiscordServer(token=TOKEN) as server:
            default = burst(server, llm, write_config(folder, 64), args.n, lookups=True)
        with DiscordServer(token=TOKEN) as server:
            limited = burst(server, llm, write_config(folder, args.limited), args.n, lookups=False)

    floor_50th = math.ceil(args.n / args.limited) * MODEL_SECONDS
    rows = [
        ("default: /ask p50 s", statistics.median(default["ask"]), model_time, "≤ 4 s at p95"),
        ("default: /ask p95 s", percentile(default["ask"], 0.95), model_time, "≤ 4"),
        ("default: /ask max s", max(default["ask"]), model_time, ""),
        ("default: the 50 acks, slowest s", max(default["ack"]), None, "≤ 3 (Discord's limit)"),
        ("default: /paper card during the burst p50 s", statistics.median(default["paper"]), None, ""),
        ("default: /paper card during the burst p95 s", percentile(default["paper"], 0.95), None, "≤ 0.5"),
        ("default: /paper card during the burst, slowest s", max(default["paper"]), None, ""),
        ("default: autocomplete during the burst p95 s", percentile(default["autocomplete"], 0.95), None, "≤ 0.5"),
        (f"concurrency {args.limited}: 50th answer s", max(limited["ask"]), floor_50th, f"≈ {floor_50th:.1f}"),
        (f"concurrency {args.limited}: /ask p50 s", statistics.median(limited["ask"]), None, ""),
    ]
    print(f"{args.n} concurrent /ask; the model streams each answer for {MODEL_SECONDS} s; {args.n} streams at once from a "
          f"bare openai client, no bot: p50 {statistics.median(alone):.2f} s, p95 {model_time:.2f} s (the floor)\n")
    print("| measure | value | floor | ratio | target |\n|---|---:|---:|---:|---|")
    for name, value, floor, target in rows:
        ratio = f"{value / floor:.2f}" if floor else ""
        print(f"| {name} | {value:.2f} | {f'{floor:.2f}' if floor else ''} | {ratio} | {target} |")
    must_wait = args.n - args.limited
    print(f"\nwith concurrency {args.limited}: {sum(limited['waited'])} users were shown their place in line "
          f"(at least {must_wait} had to wait); Discord limit violations: "
          f"{default['violations'] + limited['violations']}; lookups during the burst: {len(default['paper'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
