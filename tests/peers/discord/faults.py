"""Discord failing on purpose, for crash and outage tests: closed DMs, a create that
answers an error after storing the message, or never answers."""

from __future__ import annotations

from typing import Union


class FaultsMixin:
    """Faults of :class:`DiscordServer`, set by the test and taken by the handlers."""
    def close_dms(self, user: Union[int, str]) -> None:
        """The user's DMs refuse the bot from now on (403, code 50007), as on Discord."""
        with self._lock:
            self._closed_dms.add(self.user_id(user))


    def fail_next_create(self, channel: Union[int, str], fault: Union[int, str] = 500, *, after: int = 0) -> None:
        """The next message created in `channel` (after `after` more that go through) is
        stored, then its POST answers `fault` (a status such as 500), or with "hold" never
        answers at all (until the server stops): what a bot sees when Discord fails or
        it is killed mid-request."""
        with self._lock:
            self._create_faults.append((self.channel_id(channel), fault, after))

    @property
    def held_requests(self) -> int:
        """POSTs left unanswered by a "hold" fault so far."""
        with self._lock:
            return self._held

    def _take_create_fault(self, cid: int) -> Union[int, str, None]:
        with self._lock:
            for i, (channel, fault, after) in enumerate(self._create_faults):
                if channel == cid:
                    if after:
                        self._create_faults[i] = (channel, fault, after - 1)
                        return None
                    del self._create_faults[i]
                    return fault
        return None
