"""The change of asserted quads a write's rows make, worked out from those rows alone and checked as the build checks.

A write touches a few rows; a build would convert, check and validate every table to find what they change. Here
the rows before and after the write are converted against the current version's conversion context
(convert/rows.py): the quads the rows state after and not before are added, those they stated before and no longer
are removed (the rows of a table that converts row by row state disjoint triples, so no other row still states
them). The rows are checked as the build checks them: every defect of the new rows, an added id that a stored row
has, references against the context; then SHACL over the new rows' records (the shapes' focus), with what those
records name as the store holds it (its type, and the triples the shapes' SPARQL constraints read) and the ontology,
so that a change the shapes reject is rejected whole, as by a build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import BNode, Node

from .build import load_ontology
from .changes import RowChange
from .convert.rows import ROW_SCOPES, Summary, convert_rows, duplicates
from .errors import DataError, ShapeViolations, TableError
from .iris import BUILD_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH
from .reasoning.incremental import Change
from .validate import validate_graphs

__all__ = ["row_delta"]

_NOT_ASSERTED = frozenset(ox.NamedNode(str(graph)) for graph in (INFERRED_GRAPH, BUILD_GRAPH, ONTOLOGY_GRAPH))


def row_delta(
    current: ox.Store,
    summary: Summary,
    table: str,
    touched: Sequence[RowChange],
    *,
    named: Path,
    lines: Sequence[int],
    stored_lines: Callable[[], Mapping[str, int]],
) -> Change:
    """The quads *touched* (rows of *table*, before and after) add to and remove from *current*, whose conversion
    context is *summary* (carried forward: it takes the rows after in place of the rows before).

    Defects are reported against *named*, the rows after numbered by *lines* (one per row with an ``after``), and
    an added id a stored row has as "duplicate id … (first on line N)" with N from *stored_lines* (id -> line).
    Raises DataError (every defect) or ShapeViolations, leaving *summary* unusable (the caller drops it).
    """
    before = [row.before for row in touched if row.before is not None]
    corrected = [row.key for row in touched if row.before is not None]
    # the rows before, converted as the build converted them: without what they added themselves (a retirement would
    # find its record retired already), then taken back again for the rows after
    summary.forget(table, corrected)
    old = convert_rows(summary, table, before, named=named, lines=range(len(before)))  # stored rows: sound
    summary.forget(table, corrected)
    kind = ROW_SCOPES[table].kinds[0]
    added = [(row.key, line) for row, line in zip(touched, lines, strict=True) if row.before is None]
    errors: list[TableError] = []
    if any(key in summary.known[kind] for key, _ in added):
        keys, numbers = [key for key, _ in added], [line for _, line in added]
        errors = duplicates(summary, table, keys, named=named, lines=numbers, stored=stored_lines())
    new = convert_rows(summary, table, [row.after for row in touched], named=named, lines=lines)
    errors += new.errors
    if errors:
        raise DataError(sorted(errors, key=lambda error: error.line))
    _validate(current, new.graph)
    return Change(added=tuple(new.quads - old.quads), removed=tuple(old.quads - new.quads))


def _validate(current: ox.Store, rows: Graph) -> None:
    """SHACL over the records *rows* describe, with the ontology and what they name as *current* asserts it."""
    focus: list[Node] = sorted(set(rows.subjects()), key=str)
    if not focus:
        return
    named = Graph()
    for value in set(rows.objects()):
        if isinstance(value, URIRef) and value not in focus:
            for quad in current.quads_for_pattern(ox.NamedNode(str(value)), None, None, None):
                if quad.graph_name not in _NOT_ASSERTED:
                    named.add((value, URIRef(quad.predicate.value), _term(quad.object)))
    report = validate_graphs([load_ontology(), rows, named], focus_nodes=focus)
    if not report.conforms:
        raise ShapeViolations(report.text, report.violations)


def _term(term: object) -> Node:
    """A pyoxigraph object as an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))
