"""Every alignment the graph holds between two systems, as an SSSOM mapping set (TSV with a YAML header).

The alignments are: the grade bridges (a grade or credential of one system to one of another, e.g. 高级工 to
助理工程师), the rows of alignments.csv, the EQF levels' EU IRIs and the ISCO-08 groups' ESCO IRIs. Each mapping
keeps the predicate the data states (a bridge's relation, such as ``may_apply_for``, is no SKOS match: it is
written as ``skos:relatedMatch`` with the relation as predicate_label, never as an equivalence), the record it comes
from and its sources in see_also, and the first source's address as mapping_provider.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

import yaml

from certbridge.ontology import ID, PREFIXES

from .. import iris
from ..convert.grades import ALIGNMENT_RELATIONS
from ..errors import DataError, TableError
from ..query import as_solutions
from ..store import AnyStore

if TYPE_CHECKING:
    from ..writes import NewRows

SKOS = PREFIXES["skos"]
SEMAPV = "https://w3id.org/semapv/vocab/"
MAPPING_SET_ID = "https://w3id.org/certbridge/mappings/certbridge.sssom.tsv"
#: the mappings are as free as the sources they come from, which data/SOURCES.md lists (the service serves it at
#: /api/v1/download/SOURCES.md)
LICENCE = "https://w3id.org/certbridge/data/SOURCES.md"

#: prefixes of the identifiers that can appear in the mapping set (only the ones used are written)
CURIE_MAP = {
    **{name: PREFIXES[name] for name in ("occ", "isco", "grade", "credential", "flevel", "bridge", "alignment")},
    **{name: PREFIXES[name] for name in ("src", "doc", "skos")},
    "semapv": SEMAPV,
    "eqf": "http://data.europa.eu/snb/eqf/",
    "escoisco": "http://data.europa.eu/esco/isco/",
}

#: the columns written, in the order of the SSSOM specification
COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "predicate_label",
    "object_id",
    "object_label",
    "mapping_justification",
    "mapping_provider",
    "see_also",
    "comment",
)


REQUIRED = ("subject_id", "predicate_id", "object_id", "mapping_justification")


class Justification(StrEnum):
    """How a mapping was made (SEMAPV terms): read by hand from a source, or given as is by the source's dataset."""

    MANUAL = SEMAPV + "ManualMappingCuration"
    UNSPECIFIED = SEMAPV + "UnspecifiedMatching"


JUSTIFICATIONS = tuple(Justification)


@dataclass(frozen=True, slots=True, kw_only=True)
class Mapping:
    """One mapping, every identifier a full IRI (CURIEs exist only in the file)."""

    subject_id: str
    predicate_id: str
    object_id: str
    mapping_justification: Justification
    subject_label: str = ""
    object_label: str = ""
    predicate_label: str = ""
    mapping_provider: str = ""
    see_also: tuple[str, ...] = field(default=())
    comment: str = ""


_BRIDGES = """
SELECT ?record ?graph ?subject ?object ?relation ?trust
  (GROUP_CONCAT(DISTINCT STR(?source); separator=" ") AS ?sources) (SAMPLE(?address) AS ?provider)
  (SAMPLE(?sl) AS ?subjectLabel) (SAMPLE(?ol) AS ?objectLabel) (SAMPLE(?n) AS ?note)
WHERE {
  VALUES ?graph { data:grade_bridges data:alignments }
  GRAPH ?graph { ?record a cb:CrossSystemBridge ; cb:bridgeFrom ?subject ; cb:bridgeTo ?object ;
                   cb:bridgeRelation ?relation .
                 OPTIONAL { ?record cb:trust ?trust } OPTIONAL { ?record dcterms:source ?source }
                 OPTIONAL { ?record cb:note ?n } }
  OPTIONAL { GRAPH ?sg { ?source schema:url ?address } }
  OPTIONAL { GRAPH ?lg { ?subject skos:prefLabel ?sl } FILTER (lang(?sl) = "zh") }
  OPTIONAL { GRAPH ?lg2 { ?object skos:prefLabel ?ol } FILTER (lang(?ol) = "zh") }
}
GROUP BY ?record ?graph ?subject ?object ?relation ?trust
"""

_LINKS = """
SELECT ?subject ?object ?graph (GROUP_CONCAT(DISTINCT STR(?source); separator=" ") AS ?sources)
  (SAMPLE(?address) AS ?provider) (SAMPLE(?sl) AS ?subjectLabel)
WHERE {
  VALUES ?graph { data:frameworks data:isco08_groups }
  GRAPH ?graph { ?subject skos:exactMatch ?object . OPTIONAL { ?subject dcterms:source ?source } }
  OPTIONAL { GRAPH ?sg { ?source schema:url ?address } }
  OPTIONAL { GRAPH ?graph { ?subject skos:prefLabel ?sl } }
}
GROUP BY ?subject ?object ?graph
"""


def mappings(store: AnyStore) -> list[Mapping]:
    """Every alignment of the graph, sorted by subject, predicate and object so that the file is stable."""
    found: list[Mapping] = []
    for row in as_solutions(store.query(_BRIDGES, prefixes=PREFIXES)):
        relation = row["relation"].value
        alignment = row["graph"].value == str(iris.named_graph("alignments"))
        trust = row["trust"]
        found.append(
            Mapping(
                subject_id=row["subject"].value,
                predicate_id=SKOS + (relation if alignment else "relatedMatch"),
                predicate_label="" if alignment else relation,
                object_id=row["object"].value,
                subject_label=_value(row["subjectLabel"]),
                object_label=_value(row["objectLabel"]),
                mapping_justification=Justification.MANUAL,
                mapping_provider=_value(row["provider"]),
                see_also=(row["record"].value, *sorted(_value(row["sources"]).split())),
                comment=_comment(_trust(trust.value) if trust else "", _value(row["note"])),
            )
        )
    for row in as_solutions(store.query(_LINKS, prefixes=PREFIXES)):
        eqf = row["graph"].value == str(iris.named_graph("frameworks"))
        found.append(
            Mapping(
                subject_id=row["subject"].value,
                predicate_id=SKOS + "exactMatch",
                object_id=row["object"].value,
                subject_label=_value(row["subjectLabel"]),
                mapping_justification=Justification.MANUAL if eqf else Justification.UNSPECIFIED,
                mapping_provider=_value(row["provider"]),
                see_also=tuple(sorted(_value(row["sources"]).split())),
                comment="" if eqf else "the ESCO dataset's own IRI for the ISCO-08 code",
            )
        )
    return sorted(found, key=lambda m: (m.subject_id, m.predicate_id, m.object_id))


def _value(term: object) -> str:
    return "" if term is None else str(getattr(term, "value", term))


def _comment(trust: str, note: str) -> str:
    """``trust: medium-low; note: ...``: the record's trust and note, which SSSOM has no columns for."""
    return "; ".join(part for part in (trust and f"trust: {trust}", note and f"note: {note}") if part)


def _uncomment(comment: str) -> tuple[str, str]:
    """(trust, note) of a comment :func:`_comment` wrote; another tool's comment is all note."""
    trust = ""
    if comment.startswith("trust: "):
        trust, _, comment = comment.removeprefix("trust: ").partition("; ")
    return trust, comment.removeprefix("note: ")


def _trust(iri: str) -> str:
    """``voc:trust-medium-low`` -> ``medium-low``."""
    return iri.rsplit("/", 1)[-1].removeprefix("trust-")


def _compress(iri: str, used: set[str]) -> str:
    """The CURIE of *iri* under the longest matching prefix of CURIE_MAP (a full IRI stays as it is)."""
    best = max(
        (name for name, base in CURIE_MAP.items() if iri.startswith(base)),
        key=lambda n: len(CURIE_MAP[n]),
        default=None,
    )
    if best is None:
        return iri
    used.add(best)
    return f"{best}:{iri[len(CURIE_MAP[best]) :]}"


def _expand(curie: str, curie_map: dict[str, str]) -> str:
    prefix, sep, local = curie.partition(":")
    return curie_map[prefix] + local if sep and prefix in curie_map else curie


def write_sssom(found: Iterable[Mapping], output: TextIO, *, title: str = "certbridge alignments") -> None:
    """Write the mapping set: the YAML header (curie_map of the prefixes used) as ``#`` lines, then the TSV."""
    used: set[str] = set()
    body = io.StringIO()
    writer = csv.writer(body, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for mapping in found:
        cells = {
            "subject_id": _compress(mapping.subject_id, used),
            "predicate_id": _compress(mapping.predicate_id, used),
            "object_id": _compress(mapping.object_id, used),
            "mapping_justification": _compress(mapping.mapping_justification, used),
            "see_also": "|".join(mapping.see_also),
        }
        writer.writerow([cells.get(column, getattr(mapping, column)) for column in COLUMNS])
    header = {
        "curie_map": {name: CURIE_MAP[name] for name in sorted(used)},
        "mapping_set_id": MAPPING_SET_ID,
        "mapping_set_title": title,
        "license": LICENCE,
    }
    for line in yaml.safe_dump(header, allow_unicode=True, sort_keys=False).splitlines():
        output.write(f"#{line}\n")
    output.write(body.getvalue())


def read_sssom(path: Path) -> list[Mapping]:
    """Read a mapping set back (this module's or another tool's SSSOM TSV): CURIEs expanded by its curie_map.

    Raises DataError listing every row without its four required cells or with a justification other than
    the ones certbridge writes."""
    return [mapping for _, mapping in _read(path)]


def _read(path: Path) -> list[tuple[int, Mapping]]:
    """The mappings of the file, each with its line number."""
    # split on line feeds only: str.splitlines would also cut a label at U+2028 and its like
    lines = [line.removesuffix("\r") for line in path.read_text(encoding="utf-8").split("\n") if line]
    header_lines = [line[1:] for line in lines if line.startswith("#")]
    header = yaml.safe_load("\n".join(header_lines)) or {}
    curie_map = {**CURIE_MAP, **(header.get("curie_map") or {})}
    rows = csv.DictReader((line for line in lines if not line.startswith("#")), delimiter="\t")
    found: list[tuple[int, Mapping]] = []
    errors: list[TableError] = []
    for number, row in enumerate(rows, start=len(header_lines) + 2):
        missing = [column for column in REQUIRED if not row.get(column)]
        errors.extend(TableError(path, number, column, "required") for column in missing)
        justification = _expand(row.get("mapping_justification") or "", curie_map)
        if missing:
            continue
        if justification not in JUSTIFICATIONS:
            errors.append(
                TableError(
                    path, number, "mapping_justification", f"{justification} is not one of " + ", ".join(JUSTIFICATIONS)
                )
            )
            continue
        found.append(
            (
                number,
                Mapping(
                    subject_id=_expand(row["subject_id"], curie_map),
                    predicate_id=_expand(row["predicate_id"], curie_map),
                    object_id=_expand(row["object_id"], curie_map),
                    mapping_justification=Justification(justification),
                    subject_label=row.get("subject_label") or "",
                    object_label=row.get("object_label") or "",
                    predicate_label=row.get("predicate_label") or "",
                    mapping_provider=row.get("mapping_provider") or "",
                    see_also=tuple(part for part in (row.get("see_also") or "").split("|") if part),
                    comment=row.get("comment") or "",
                ),
            )
        )
    if errors:
        raise DataError(errors)
    return found


#: the kinds of record an alignments.csv row may join: the IRI path of each, and its reference prefix
ALIGNABLE = {"grade": "grade", "framework-level": "framework-level", "occupation": "occupation", "isco08": "isco"}


def _reference(iri: str) -> str | None:
    """``https://w3id.org/certbridge/id/grade/senior`` -> ``grade:senior`` for the kinds an alignment joins."""
    kind, _, key = iri.removeprefix(str(ID)).partition("/")
    return f"{ALIGNABLE[kind]}:{key}" if iri.startswith(str(ID)) and kind in ALIGNABLE and key else None


def _cited(see_also: tuple[str, ...]) -> tuple[list[str], str | None]:
    """The source and document ids among a mapping's see_also links, and the alignment record it names."""
    ids, record = [], None
    for link in see_also:
        kind, _, key = link.removeprefix(str(ID)).partition("/")
        if link.startswith(str(ID)) and kind in ("source", "document"):
            ids.append(key)
        elif link.startswith(str(ID)) and kind == "alignment":
            record = key
    return ids, record


def alignment_rows(path: Path) -> tuple[NewRows, int]:
    """The rows of alignments.csv a mapping set stands for, and how many of its mappings are of other kinds.

    An alignment is a mapping between two certbridge grades, framework levels, occupations or ISCO-08 groups by
    a SKOS mapping predicate; its sources come from see_also, its trust from the comment certbridge writes, its
    id from the alignment record in see_also (else one derived from its three ids). The other mappings (bridges,
    links to outside IRIs) are left: their own tables hold them. Raises DataError when none is an alignment."""
    from ..writes import NewRows  # here: writes pulls in the build, which the export does not need

    rows: list[dict[str, str]] = []
    lines: list[int] = []
    others = 0
    for number, mapping in _read(path):
        origin, target = _reference(mapping.subject_id), _reference(mapping.object_id)
        relation = mapping.predicate_id.removeprefix(SKOS)
        if not (origin and target) or relation not in ALIGNMENT_RELATIONS or mapping.predicate_label:
            others += 1
            continue
        sources, record = _cited(mapping.see_also)
        trust, note = _uncomment(mapping.comment)
        key = record or "SSSOM-" + uuid.uuid5(uuid.NAMESPACE_URL, f"{origin} {relation} {target}").hex[:8]
        rows.append(
            {
                "id": key,
                "from_ref": origin,
                "to_ref": target,
                "relation": relation,
                "source_ids": ";".join(sources),
                "trust": trust,
                "note": note,
            }
        )
        lines.append(number)
    if not rows:
        raise DataError(
            [
                TableError(
                    path,
                    1,
                    "-",
                    "no mapping joins two certbridge grades, framework levels, occupations or ISCO-08 "
                    "groups by a SKOS mapping predicate, so there is nothing to add to alignments",
                )
            ]
        )
    return NewRows("alignments", rows, path, lines), others


def export_sssom(store: AnyStore, output: BinaryIO) -> None:
    """Write the graph's mapping set to a binary *output* (a few thousand rows at most: held in memory)."""
    text = io.StringIO()
    write_sssom(mappings(store), text)
    output.write(text.getvalue().encode("utf-8"))
