"""Errors raised by the domain core.

* CertbridgeError            base; ``message`` for people, ``hint`` says what to do
  x DataError                input tables are wrong; carries every TableError found
  x MissingInput             an input file or folder is not there (checked before anything is written)
  x InvalidValue             a value is malformed (a date, a store location, a setting); also a ValueError,
                             which callers that validate arguments already catch
    x InvalidOption          an option names a value outside its closed set (a grouping, a hop kind)
  x ShapeViolations          the built graph does not conform to ontology/shapes.ttl
  x StoreError               the store is missing, locked or unreadable
  x QueryError               a SPARQL query does not parse or cannot run
  x NotFound                 no certificate type or credential matches a name (or no row has the key a
                             correction or retirement names)
  x Conflict                 a change contradicts what is stored (a record retired twice)
  x VersionMoved             a write based on a store version that is no longer current
  x Ambiguous                a name matches several; ``candidates`` lists them

The core never knows exit codes or HTTP statuses: the CLI and the API map these classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class CertbridgeError(Exception):
    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as its class, message and fields (each subclass's constructor takes other arguments): a write
        made in a writer process raises it in the server (api/write_worker.py)."""
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(kind: type[CertbridgeError], args: tuple[object, ...], fields: dict[str, object]) -> CertbridgeError:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(fields)
    return error


@dataclass(frozen=True, slots=True)
class TableError:
    """One defect in one cell (or row, or file) of an input table."""

    path: Path
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.column}: {self.message}"


class DataError(CertbridgeError):
    """The input tables have defects; ``errors`` lists all of them, not just the first."""

    def __init__(
        self, errors: list[TableError], *, hint: str = "fix the rows named above; the previous store was left as it was"
    ) -> None:
        self.errors = sorted(errors, key=lambda e: (str(e.path), e.line, str(e.column)))
        super().__init__(f"{len(errors)} error(s) in the input tables:\n" + "\n".join(map(str, self.errors)), hint=hint)


class MissingInput(CertbridgeError):
    pass


class InvalidValue(CertbridgeError, ValueError):
    pass


class InvalidOption(InvalidValue):
    pass


class ShapeViolations(CertbridgeError):
    """SHACL validation failed; ``report`` is pyshacl's text report."""

    def __init__(self, report: str, count: int) -> None:
        self.report = report
        self.count = count
        super().__init__(f"{count} SHACL violation(s):\n{report}", hint="the previous store was left as it was")


class StoreError(CertbridgeError):
    pass


class QueryError(CertbridgeError):
    pass


class NotFound(CertbridgeError):
    pass


class Conflict(CertbridgeError):
    """A change that contradicts what is stored, such as retiring a record already retired."""


class VersionMoved(CertbridgeError):
    """A write said which store version it was based on, and another write has replaced that version since: it
    is refused rather than applied to data its writer has not seen (``current`` names the version now)."""

    def __init__(self, expected: str, current: str) -> None:
        self.expected, self.current = expected, current
        super().__init__(
            f"the store moved on from {expected} to {current} since the change was prepared",
            hint="read the record again and resend the change based on the current version",
        )


class Ambiguous(CertbridgeError):
    """A name matched several things; ``candidates`` holds (iri, label) pairs for the user to choose from."""

    def __init__(self, text: str, candidates: list[tuple[str, str]]) -> None:
        self.candidates = candidates
        listing = "\n".join(f"  {iri}  {label}" for iri, label in candidates)
        super().__init__(
            f"{text!r} matches {len(candidates)} entries:\n{listing}", hint="give an id or IRI from the list"
        )
