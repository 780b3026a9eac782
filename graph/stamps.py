"""A file's stamp: its size and modification time, to tell that an object held in memory still stands for the file
it was read from or saved to (the routing index and the conversion context a process holds between writes)."""

from __future__ import annotations

from pathlib import Path

#: (size in bytes, modification time in nanoseconds)
Stamp = tuple[int, int]


def stamp_of(path: Path) -> Stamp | None:
    """*path*'s stamp now, or None when it cannot be read (gone, say)."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns
