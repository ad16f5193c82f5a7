"""Per-guild digest settings and progress, persisted as JSON.

Written atomically (a temporary file, fsync, os.replace): a crash leaves either the old
or the new state, so a restart neither repeats nor skips a digest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GuildDigest:
    channel_id: int
    weekday: str
    time: str  # HH:MM in `timezone`
    timezone: str
    language: str  # of the admin who set it up
    last_slot: dt.datetime | None = None  # the latest slot that was handled (posted, or nothing to post)
    cutoff: dt.datetime | None = None  # papers added after this go in the next digest

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("last_slot", "cutoff"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> "GuildDigest":
        times = {k: dt.datetime.fromisoformat(data[k]) if data.get(k) else None for k in ("last_slot", "cutoff")}
        return cls(**{**data, **times})


class DigestState:
    def __init__(self, path: Path):
        self.path = path
        self.guilds: dict[int, GuildDigest] = self._load()

    def _load(self) -> dict[int, GuildDigest]:
        if not self.path.is_file():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {int(g): GuildDigest.from_json(d) for g, d in raw.get("guilds", {}).items()}
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # Atomic writes make this unlikely; keep the file for the operator and start clean.
            aside = self.path.with_suffix(".unreadable")
            os.replace(self.path, aside)
            log.error("digest state %s is unreadable (%s); moved to %s, digests are off until set again",
                      self.path, exc, aside)
            return {}

    def set(self, guild_id: int, digest: GuildDigest | None) -> None:
        if digest is None:
            self.guilds.pop(guild_id, None)
        else:
            self.guilds[guild_id] = digest

    def advance(self, guild_id: int, slot: dt.datetime, cutoff: dt.datetime) -> None:
        self.guilds[guild_id] = replace(self.guilds[guild_id], last_slot=slot, cutoff=cutoff)

    def snapshot(self) -> str:
        return json.dumps({"guilds": {str(g): d.to_json() for g, d in self.guilds.items()}}, indent=2)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
