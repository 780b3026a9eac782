"""What a reasoning run did: triples and time per rule, and passes to the fixpoint (bench/ prints it)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class ReasoningReport:
    """How many triples each rule added, and how many passes the OWL rules needed to reach the fixpoint."""

    inferred_by_rule: dict[str, int] = field(default_factory=dict)
    #: wall time spent in each rule's updates (bench/ prints it: where a backend spends its reasoning)
    seconds_by_rule: dict[str, float] = field(default_factory=dict)
    iterations: int = 0
    #: conclusions written to a file for the caller to load rather than into the store (``materialise``)
    outside_store: int = 0

    @contextlib.contextmanager
    def timing(self, name: str) -> Iterator[None]:
        """Add the wall time of the block to rule *name*."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds_by_rule[name] = self.seconds_by_rule.get(name, 0.0) + time.perf_counter() - started

    @property
    def total(self) -> int:
        return sum(self.inferred_by_rule.values())
