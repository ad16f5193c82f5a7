"""Services that go away and come back (the Chroma server, the model server, arXiv).

An outage is logged once when it starts and once when it ends, not as a traceback per
request: fifty users asking during a Chroma restart should leave two lines in the log.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("paperbot.outages")


class Outage:
    def __init__(self, service: str):
        self.service = service
        self.since: float | None = None
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, reason: str) -> None:
        with self._lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        log.error("%s is unavailable: %s (logged once until it is back)", self.service, reason)

    def ok(self) -> None:
        with self._lock:
            if self.since is None:
                return
            seconds, self.since = time.monotonic() - self.since, None
        log.warning("%s is back after %.0f s", self.service, seconds)


_TRACKED: dict[str, Outage] = {}
_TRACKED_LOCK = threading.Lock()


def tracker(service: str) -> Outage:
    """The one tracker for `service` in this process."""
    with _TRACKED_LOCK:
        return _TRACKED.setdefault(service, Outage(service))


STORE = "the paper store (Chroma)"
MODEL = "the language model server"
