"""An in-memory store that bulk-loads N-Quads from a pipe while they are being written.

Converting the tables is Python on one core; Oxigraph parses and loads in Rust without the GIL. Fed through a
named pipe as each row is converted, the in-memory store is loaded on the second core during the conversion
instead of after it (at national scale the two together took 75 s, one after the other about 105 s; see
bench/README.md).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from .errors import StoreError


class StreamingLoad:
    """``writer`` takes N-Quads lines; ``finish()`` answers the store holding all of them.

    Use as a context manager: leaving it without ``finish()`` (an error while converting) closes the pipe and
    waits for the loader, so no thread outlives the build.
    """

    def __init__(self) -> None:
        self._store: ox.Store | None = ox.Store()
        self._folder = tempfile.TemporaryDirectory(prefix="certbridge-load-")
        self._pipe = Path(self._folder.name) / "asserted.nq"
        os.mkfifo(self._pipe)
        self._error: BaseException | None = None
        # a daemon: should opening the pipe fail on this side, the loader waiting for it must not keep the
        # process alive
        self._thread = threading.Thread(target=self._load, name="certbridge-memory-loader", daemon=True)
        self._thread.start()
        self.writer: TextIO = open(self._open_for_writing(), "w", encoding="utf-8")  # noqa: SIM115 - closed below

    def __enter__(self) -> StreamingLoad:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        self._close()
        self._folder.cleanup()
        if isinstance(error, BrokenPipeError) and self._error is not None:  # the loader stopped reading: say why
            raise StoreError(f"loading the converted tables into memory failed: {self._error}") from self._error

    def finish(self) -> ox.Store:
        """Close the pipe, wait for the loader to take everything written, and answer the store."""
        self._close()
        if self._error is not None:
            raise StoreError(f"loading the converted tables into memory failed: {self._error}") from self._error
        store, self._store = self._store, None  # the caller alone holds it from now on (it frees gigabytes)
        assert store is not None, "finish() answers the store once"
        return store

    def _close(self) -> None:
        if not self.writer.closed:
            with contextlib.suppress(BrokenPipeError):  # the loader stopped; its own error is reported
                self.writer.close()
        self._thread.join()

    def _load(self) -> None:
        try:
            assert self._store is not None
            self._store.bulk_load(path=str(self._pipe), format=ox.RdfFormat.N_QUADS)
        except BaseException as error:  # reported by finish() or on leaving
            self._error = error

    def _open_for_writing(self) -> int:
        """The pipe's write end, once the loader has opened the other (opening it blocks until then)."""
        while True:
            try:
                descriptor = os.open(self._pipe, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno != errno.ENXIO or not self._thread.is_alive():
                    raise StoreError(f"the in-memory loader did not start: {self._error or error}") from error
                time.sleep(0.001)
                continue
            os.set_blocking(descriptor, True)
            return descriptor
