"""Convert the CSV tables of data/ into one RDF graph per table.

Converters run in dependency order, each registering the ids it defines so that later tables can be
checked against them. All defects of all tables are collected before anything is returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from .. import iris
from ..changes import LOG_FILE
from ..errors import DataError
from .agreements import convert_agreements
from .certificates import convert_certificate_types
from .classification import (
    convert_classification_counts,
    convert_isco,
    convert_occupations,
    convert_regions,
    convert_subregions,
)
from .context import Context
from .grades import convert_alignments, convert_bridges, convert_credentials, convert_frameworks, convert_grades
from .issuers import convert_authorisations, convert_organisations, convert_quality_checks, convert_sanctions
from .retirements import RETIRABLE, convert_retirements
from .sink import ChunkTaker, TripleSink
from .sources import convert_documents, convert_sources
from .standards import convert_standards

CONVERTERS: tuple[Callable[[Context], None], ...] = (
    convert_sources,
    convert_documents,
    convert_regions,
    convert_subregions,
    convert_occupations,
    convert_isco,
    convert_classification_counts,
    convert_grades,
    convert_credentials,
    convert_frameworks,
    convert_bridges,
    convert_alignments,
    convert_standards,
    convert_organisations,
    convert_authorisations,
    convert_sanctions,
    convert_quality_checks,
    convert_certificate_types,
    convert_agreements,
    convert_retirements,
)

#: Every table the build reads, in the order it reads them.
TABLES = (
    "sources",
    "documents",
    "regions",
    "subregions",
    "occupations",
    "isco08_groups",
    "classification_counts",
    "grade_levels",
    "credentials",
    "frameworks",
    "framework_levels",
    "grade_bridges",
    "alignments",
    "standards",
    "organisations",
    "authorisations",
    "sanctions",
    "quality_checks",
    "certificate_types",
    "agreements",
    "retirements",
)


#: the tables whose rows are records with IRIs of their own -> the kind of record (the IRI's first path segment)
RECORD_KINDS: dict[str, str] = {
    **RETIRABLE,
    "sources": "source",
    "documents": "document",
    "regions": "region",
    "subregions": "region",
    "occupations": "occupation",
    "isco08_groups": "isco08",
    "classification_counts": "classification-count",
    "grade_levels": "grade",
    "credentials": "credential",
    "frameworks": "framework",
    "alignments": "alignment",
    "standards": "standard",
    "retirements": "retirement",
}


def table_of(iri: str) -> tuple[tuple[str, ...], str] | None:
    """The table(s) a record's row may be in, and its key, from the record's IRI; None for another IRI.

    >>> table_of("https://w3id.org/certbridge/id/agreement/MR01")
    (('agreements',), 'MR01')
    """
    prefix = iris.under_id("")
    if not iri.startswith(prefix):
        return None
    kind, _, key = iri.removeprefix(prefix).partition("/")
    tables = tuple(table for table, record_kind in RECORD_KINDS.items() if record_kind == kind)
    return (tables, key) if tables and key else None


def table_files(folder: Path) -> list[Path]:
    """The files that make a folder of tables: each table's CSV it holds, in reading order, then its changes log
    (graph/changes.py) if it has one; what a store keeps of a version, a write copies and an export writes."""
    candidates = (*(folder / f"{table}.csv" for table in TABLES), folder / LOG_FILE)
    return [path for path in candidates if path.is_file()]


def convert_tables(
    data_dir: Path,
    *,
    chunks: ChunkTaker | None = None,
    split_predicates: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, TripleSink]:
    """Read every table under *data_dir*; return one triple sink per table, or raise DataError listing every defect.

    The caller owns the sinks and must ``close()`` them (their N-Triples files are temporary). Given *chunks*,
    each sink hands it the chunks of its files while converting, and the last ones once its table is
    converted (they may hold rows of tables found defective); the triples of the predicates (N-Triples text)
    *split_predicates* names for the table, or for every table under "*", come in chunks of their own, marked
    so (the store decides what to do with them).
    """
    return convert_context(data_dir, chunks=chunks, split_predicates=split_predicates).graphs


def convert_context(
    data_dir: Path,
    *,
    chunks: ChunkTaker | None = None,
    split_predicates: Mapping[str, frozenset[str]] | None = None,
) -> Context:
    """:func:`convert_tables`, answering the whole conversion context: the sinks (``graphs``) and what the tables
    defined (``known``, ``facts``, ``labels``), which a build keeps beside the version (convert/rows.py) so that a
    write can convert its own rows against it without converting every table again."""
    ctx = Context(data_dir, split_predicates=split_predicates or {}, chunks=chunks)
    try:
        for converter in CONVERTERS:
            before = set(ctx.graphs)
            converter(ctx)
            for name in ctx.graphs.keys() - before:  # each converter writes the one table it reads
                ctx.graphs[name].finish()
    except BaseException:
        _close(ctx.graphs.values())
        raise
    if ctx.log:
        _close(ctx.graphs.values())
        raise DataError(ctx.log.errors)
    return ctx


def _close(sinks: Iterable[TripleSink]) -> None:
    for sink in sinks:
        sink.close()


__all__ = ["RECORD_KINDS", "TABLES", "convert_context", "convert_tables", "table_files", "table_of"]
