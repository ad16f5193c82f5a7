"""Lifecycle shared by the loopback test peers (``LLMServer``, ``DiscordServer``, ``ArxivServer``).

Both peers serve an aiohttp application on ``127.0.0.1`` (a free port) from a
background thread with its own event loop, so that sync code and async code in
the test process can talk to them over real sockets.  Starting that thread,
waiting for the port (or the startup error), and stopping it thread-safely is
the same for every peer, so it lives here once; so is serving an aiohttp
application. A peer subclasses ``LoopbackServer`` and implements ``_app()`` (its
routes); ``_shutdown()`` may be extended to close its own connections first.

``self._stopping`` (an ``asyncio.Event`` in the server loop) is set when the
server is asked to stop; handlers may wait on it to cut long waits short.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Optional, Self

from aiohttp import web

STARTUP_TIMEOUT = 10.0  # seconds start() waits for the port
STOP_TIMEOUT = 10.0  # seconds stop() waits for the thread


class LoopbackServer:
    """Runs ``_startup()`` .. ``_shutdown()`` in a background event loop thread."""

    _loop_thread_name = "loopback-server"

    def __init__(self) -> None:
        self._thread: Optional[threading.Thread] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._stopping: Optional[asyncio.Event] = None
        self._port: Optional[int] = None
        self._runner: Optional[web.AppRunner] = None

    # ------------------------------------------------------------ hooks

    def _app(self) -> web.Application:
        """The peer's aiohttp application (its routes)."""
        raise NotImplementedError

    async def _startup(self) -> int:
        """Serve ``_app()`` on 127.0.0.1, a free port; returns the port bound."""
        self._runner = web.AppRunner(self._app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        """Also called when ``_startup`` failed half-way."""
        if self._runner is not None:
            await self._runner.cleanup()

    # --------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Start serving; returns once the port is bound (or raises the startup error)."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        started: concurrent.futures.Future = concurrent.futures.Future()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve(started)),
                                        name=self._loop_thread_name, daemon=True)
        self._thread.start()
        try:
            started.result(timeout=STARTUP_TIMEOUT)
        except BaseException:
            self._thread.join(timeout=5)
            self._thread = None
            raise
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread; does nothing if not running."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # loop closed meanwhile
                pass
        thread.join(timeout=STOP_TIMEOUT)
        self._thread = self._loop = self._stopping = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} not started")
        return self._port

    async def _serve(self, started: concurrent.futures.Future) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            self._port = await self._startup()
        except BaseException as exc:
            started.set_exception(exc)
            await self._shutdown()
            return
        started.set_result(self._port)
        try:
            await self._stopping.wait()
        finally:
            await self._shutdown()
