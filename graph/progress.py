"""How long-running steps report themselves: ``with progress("step name"): ...`` (the CLI passes a rich one)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

#: A progress reporter: ``with progress("step name"): ...``.
Progress = Callable[[str], contextlib.AbstractContextManager[object]]


@contextlib.contextmanager
def silent(_step: str) -> Iterator[None]:
    """The reporter that says nothing (library calls, tests)."""
    yield
