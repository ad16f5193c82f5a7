"""Files paperbot writes itself: always atomically, and its disposable caches in one folder.

A reader of a file written here sees the old contents or the new, never half (a temp file
beside it, then `os.replace`). The caches (the catalog and lexical index of a store
revision, each paper's tokens, jieba's prefix dictionary, the reversed CC-CEDICT) live in
the one folder the engine names (`[data] cache_dir`, by default `<state_dir>/cache`):
deleting it loses nothing but the time to rebuild them. Without one (a library user, a
test), nothing is cached on disk.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_caches: Path | None = None


def write_atomic(path: Path, data: bytes | str, *, durable: bool = False) -> None:
    """Replace `path` with `data` in one step. `durable`: fsync before the rename, for
    files a person edits or would miss (a table), not for caches. The folder must exist."""
    fd, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def publish_folder(staging: Path, target: Path) -> bool:
    """Move a folder built at `staging` to `target` in one step; False (and `staging`
    removed) when another process published the same one first."""
    try:
        os.replace(staging, target)
        return True
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return False


def use_caches(folder: Path) -> None:
    """Where the process-wide caches go (the engine calls this once)."""
    global _caches
    _caches = folder


def cache_folder(name: str) -> Path | None:
    """A disposable cache's folder (created), or None when caching on disk is off."""
    if _caches is None:
        return None
    folder = _caches / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only disk: rebuilt in memory next time, nothing lost
    return folder
