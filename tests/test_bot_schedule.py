"""When the digest is due (timezones, daylight saving, missed weeks) and how its state
is kept (in paperbot's SQLite store, across restarts; moved in from older versions' JSON)."""

from __future__ import annotations

import datetime as dt
import json

from bot.schedule import due_slot, latest_slot, next_slot
from bot.state import DigestState, GuildDigest, PendingPost
from rag.records import Database

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


def test_state_survives_reopening_and_a_pending_post_is_finished_in_one_step(tmp_path):
    path = tmp_path / "state" / "paperbot.sqlite"
    state = DigestState(Database(path))
    state.set(7, GuildDigest(42, "monday", "09:00", "Asia/Taipei", "zh"))
    slot = at("2024-06-10T01:00")
    state.begin(7, PendingPost(slot, at("2024-06-03T01:00"), at("2024-06-10T01:02"), {"text": "x"},
                               at("2024-06-10T01:02")))
    reopened = DigestState(Database(path))  # as after a crash: the pending post is still there
    assert reopened.pending(7).answer == {"text": "x"} and reopened.pending(7).slot == slot
    reopened.finish(7, slot, cutoff=at("2024-06-10T01:02"))
    again = DigestState(Database(path))
    assert again.pending(7) is None
    assert again.guilds[7].last_slot == slot and again.guilds[7].cutoff == at("2024-06-10T01:02")


def test_a_failed_post_keeps_the_cutoff_so_no_paper_is_skipped(tmp_path):
    state = DigestState(Database(tmp_path / "paperbot.sqlite"))
    state.set(7, GuildDigest(42, "monday", "09:00", "UTC", "en", cutoff=at("2024-06-03T09:00")))
    state.finish(7, at("2024-06-10T09:00"), cutoff=None)
    assert state.guilds[7].cutoff == at("2024-06-03T09:00")


def test_settings_from_an_older_version_are_moved_in_once(tmp_path):
    legacy = tmp_path / "digest.json"
    legacy.write_text(json.dumps({"guilds": {"7": {
        "channel_id": 42, "weekday": "friday", "time": "18:00", "timezone": "Asia/Taipei", "language": "zh",
        "last_slot": "2024-06-07T10:00:00+00:00", "cutoff": "2024-06-07T10:00:05+00:00"}}}), encoding="utf-8")
    state = DigestState(Database(tmp_path / "paperbot.sqlite"), legacy_json=legacy)
    assert state.guilds[7] == GuildDigest(42, "friday", "18:00", "Asia/Taipei", "zh", at("2024-06-07T10:00"),
                                          at("2024-06-07T10:00:05"))
    assert not legacy.exists() and legacy.with_suffix(".json.imported").exists()


def test_unreadable_old_settings_are_kept_aside_and_said(tmp_path, caplog):
    legacy = tmp_path / "digest.json"
    legacy.write_text('{"guilds": {"7": {"channel_id": 42', encoding="utf-8")
    assert DigestState(Database(tmp_path / "paperbot.sqlite"), legacy_json=legacy).guilds == {}
    assert legacy.with_suffix(".json.imported").exists() and "unreadable" in caplog.text
