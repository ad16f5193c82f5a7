"""What every command shares: exit codes, the two errors a command raises, JSON and
pictures written for the user."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

OK, NOT_FOUND, BAD_INPUT, UNAVAILABLE = 0, 1, 2, 3


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit 2."""


class ServiceError(Exception):
    """A service failed: printed as one line, exit 3."""


def print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-05-01") from None


def png_path(text: str) -> str:
    """A picture's file name: pictures are PNG, so the name must say so."""
    if Path(text).suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(f"{text!r}: pictures are PNG files; give a name ending in .png")
    return text


def utc_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc)


def write_chart(path: str | None, make) -> None:
    """Draws a picture to `path` (a PNG) when asked, and says what it shows."""
    if not path:
        return
    from rag.pictures.fonts import ChartsUnavailable

    try:
        chart = make()
    except ChartsUnavailable as exc:
        raise ServiceError(str(exc)) from None
    if chart is None:
        print("nothing to draw", file=sys.stderr)
        return
    try:
        Path(path).write_bytes(chart.png)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path} ({chart.width}×{chart.height}): {chart.alt}", file=sys.stderr)
