"""When the digest is due (timezones, daylight saving, missed weeks) and how its state
is kept (atomically, surviving a corrupt file)."""

from __future__ import annotations

import datetime as dt
import json

from bot.schedule import due_slot, latest_slot, next_slot
from bot.state import DigestState, GuildDigest, write_atomically

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_latest_slot_is_in_the_configured_timezone():
    # Monday 09:00 in Taipei is Monday 01:00 UTC; on Sunday in UTC it is already Monday there.
    assert latest_slot(at("2024-06-10T01:00"), "monday", "09:00", "Asia/Taipei") == at("2024-06-10T01:00")
    assert latest_slot(at("2024-06-10T00:59"), "monday", "09:00", "Asia/Taipei") == at("2024-06-03T01:00")
    assert latest_slot(at("2024-06-16T23:00"), "monday", "00:30", "Asia/Taipei") == at("2024-06-16T16:30")


def test_slots_keep_the_local_hour_across_daylight_saving():
    # New York switched to summer time on 2024-03-10.
    before = latest_slot(at("2024-03-08T15:00"), "friday", "09:00", "America/New_York")
    assert before == at("2024-03-08T14:00")
    assert next_slot(at("2024-03-08T15:00"), "friday", "09:00", "America/New_York") == at("2024-03-15T13:00")


def test_due_once_per_slot_and_once_for_several_missed_slots():
    args = ("monday", "09:00", "UTC")
    assert due_slot(at("2024-06-10T09:00"), *args, last_slot=None) == at("2024-06-10T09:00")
    assert due_slot(at("2024-06-10T10:00"), *args, last_slot=at("2024-06-10T09:00")) is None
    assert due_slot(at("2024-07-01T10:00"), *args, last_slot=at("2024-06-10T09:00")) == at("2024-07-01T09:00")


def test_state_round_trips_and_is_replaced_atomically(tmp_path):
    path = tmp_path / "state" / "digest.json"
    state = DigestState(path)
    state.set(7, GuildDigest(42, "monday", "09:00", "Asia/Taipei", "zh"))
    state.advance(7, at("2024-06-10T01:00"), cutoff=at("2024-06-10T01:02"))
    write_atomically(path, state.snapshot())
    assert [p.name for p in path.parent.iterdir()] == ["digest.json"]  # no temporary file left
    assert DigestState(path).guilds == state.guilds


def test_an_unreadable_state_is_kept_aside_and_digests_are_off(tmp_path, caplog):
    path = tmp_path / "digest.json"
    path.write_text('{"guilds": {"7": {"channel_id": 42', encoding="utf-8")
    assert DigestState(path).guilds == {}
    assert not path.exists() and json.dumps(path.with_suffix(".unreadable").read_text())
    assert "unreadable" in caplog.text
