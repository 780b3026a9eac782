"""data/datapackage.json: the CSV tables as a Frictionless data package, generated from data/README.md.

The README documents each table's columns; the converters hold the closed sets of values; this module adds the
types, keys and references between tables, and the sources each table cites (read from the tables). A test keeps
the committed file equal to what :func:`build_package` makes, so the README, the tables and the package cannot
drift apart. Regenerate with ``python -m certbridge.graph.formats.datapackage``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from certbridge.data import DATA_DIR

from ..convert.agreements import DIRECTIONS, MECHANISMS, STATUSES
from ..convert.classification import COUNT_SUBJECTS, SUBREGION_LEVELS
from ..convert.context import TRUST_LEVELS
from ..convert.grades import ALIGNMENT_RELATIONS, CREDENTIAL_KINDS, LADDERS
from ..convert.issuers import (
    AUTHORISATION_KINDS,
    AUTHORISATION_STATUSES,
    CHECK_RESULTS,
    ORGANISATION_KINDS,
    QUESTION_BANKS,
    SANCTION_REASONS,
    SANCTION_STATUSES,
)
from ..convert.standards import CODE_ORIGINS
from ..convert.standards import KINDS as STANDARD_KINDS
from ..errors import CertbridgeError
from ..tables import key_columns

PACKAGE_FILE = "datapackage.json"

#: (table or "*", column) -> the closed set the converter accepts, and whether the converter requires a value
ENUMS: dict[tuple[str, str], tuple[Sequence[str], bool]] = {
    ("*", "trust"): (TRUST_LEVELS, False),
    ("agreements", "direction"): (DIRECTIONS, True),
    ("agreements", "mechanism"): (MECHANISMS, True),
    ("agreements", "status"): (STATUSES, True),
    ("alignments", "relation"): (tuple(ALIGNMENT_RELATIONS), True),
    ("grade_levels", "ladder"): (LADDERS, True),
    ("credentials", "kind"): (tuple(CREDENTIAL_KINDS), True),
    ("organisations", "kind"): (tuple(ORGANISATION_KINDS), True),
    ("organisations", "question_bank"): (QUESTION_BANKS, False),
    ("authorisations", "kind"): (AUTHORISATION_KINDS, True),
    ("authorisations", "status"): (AUTHORISATION_STATUSES, True),
    ("sanctions", "reason"): (SANCTION_REASONS, True),
    ("sanctions", "resulting_status"): (SANCTION_STATUSES, True),
    ("quality_checks", "result"): (CHECK_RESULTS, True),
    ("standards", "kind"): (STANDARD_KINDS, True),
    ("standards", "code_from"): (CODE_ORIGINS, False),  # required only with an occupation code
    ("subregions", "division_level"): (tuple(SUBREGION_LEVELS), True),
    ("classification_counts", "about"): (COUNT_SUBJECTS, True),
}
INTEGERS = {"level", "rank", "number_of_levels", "minimum_years_held", "edition_year", "value"}
YES_NO = {
    "illustrative",
    "in_five_level_ladder",
    "in_eight_level_ladder",
    "recognises_certificates",
    "counted_by_certbridge",
}
ONE_ZERO = {"digital_occupation_S", "green_occupation_L", "sources_agree"}
#: partial dates (YYYY, YYYY-MM, YYYY-MM-DD, or ????-MM-DD without a year: data/README.md's date rules)
DATES = {"date", "valid_from", "valid_to", "last_confirmed", "founded"}
URIS = {"url", "esco_uri", "exact_match"}
#: single-valued references: column -> (table, column); lists (``source_ids``, ``party_refs``) are not checkable
#: as Frictionless foreign keys and are described only, and so are the columns naming a region, which may be a
#: province-level one (regions.csv) or a city or county (subregions.csv)
REFERENCES: dict[str, tuple[str, str]] = {
    "source_id": ("sources", "id"),
    "exact_match_source_id": ("sources", "id"),
    "skill_levels_source_id": ("sources", "id"),
    "founded_source_id": ("sources", "id"),
    "document_id": ("documents", "id"),
    "issuer_id": ("organisations", "id"),
    "occupation_code": ("occupations", "code"),
    "standard_id": ("standards", "id"),
    "grade_id": ("grade_levels", "id"),
}
TABLE_REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("framework_levels", "framework"): ("frameworks", "id"),
    ("occupations", "parent_code"): ("occupations", "code"),
    ("isco08_groups", "parent_code"): ("isco08_groups", "code"),
}
#: the columns that cite sources (ids of sources.csv)
CITING_COLUMNS = ("source_id", "source_ids", "exact_match_source_id", "skill_levels_source_id", "founded_source_id")
_HEADING = re.compile(r"^## (.+)$")
_COLUMN_HEAD = re.compile(r"^\| column(?: \((\w+)\.csv\))? \| meaning \|$")
_ROW = re.compile(r"^\| (`[^|]+`) \| (.*) \|$")


def documented_columns(readme: str) -> dict[str, dict[str, str]]:
    """table -> column -> meaning, from the README's ``| column | meaning |`` tables under ``## name.csv``."""
    tables: dict[str, dict[str, str]] = {}
    section: list[str] = []
    current: str | None = None
    for line in readme.splitlines():
        heading = _HEADING.match(line)
        if heading:
            section = re.findall(r"(\w+)\.csv", heading.group(1))
            current = None
            continue
        head = _COLUMN_HEAD.match(line)
        if head and section:
            current = head.group(1) or section[0]
            tables.setdefault(current, {})
            continue
        row = _ROW.match(line)
        if row and current:
            for name in re.findall(r"`([^`]+)`", row.group(1)):
                tables[current][name] = row.group(2).strip()
        elif not line.startswith("|"):
            current = None if line.strip() else current
    return tables


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _field(table: str, name: str, meaning: str, key: Sequence[str]) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "description": meaning, "type": "string"}
    constraints: dict[str, Any] = {}
    if name in INTEGERS:
        field["type"] = "integer"
    elif name in YES_NO:
        field.update(type="boolean", trueValues=["yes"], falseValues=["no"])
    elif name in ONE_ZERO:
        field.update(type="boolean", trueValues=["1"], falseValues=["0"])
    elif name in DATES:
        constraints["pattern"] = r"\d{4}(-\d{2}(-\d{2})?)?|\?{4}-\d{2}-\d{2}"
    elif name in URIS:
        field["format"] = "uri"
    enum = ENUMS.get((table, name)) or ENUMS.get(("*", name))
    if enum:
        values, required = enum
        constraints["enum"] = list(values)
        if required:
            constraints["required"] = True
    if name in key:
        constraints["required"] = True
    if constraints:
        field["constraints"] = constraints
    return field


def _sources(table: str, rows: list[dict[str, str]], sources: Mapping[str, dict[str, str]]) -> list[dict[str, str]]:
    cited: set[str] = set()
    for row in rows:
        for column in CITING_COLUMNS:
            cited.update(part.strip() for part in (row.get(column) or "").split(";") if part.strip())
    found = []
    for key in sorted(cited & sources.keys()):
        entry = {"title": f"{key}: {sources[key]['title']}"}
        if sources[key]["url"]:
            entry["path"] = sources[key]["url"]
        found.append(entry)
    return found


def build_package(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """The data package of *data_dir*'s tables; raises CertbridgeError naming a column the README does not
    document, or documents but the table lacks."""
    documented = documented_columns((data_dir / "README.md").read_text(encoding="utf-8"))
    sources = {row["id"]: row for row in _rows(data_dir / "sources.csv")}
    resources = []
    drift: list[str] = []
    for path in sorted(data_dir.glob("*.csv")):
        table = path.stem
        header = _header(path)
        meanings = documented.get(table, {})
        drift += [
            f"{path.name}: column {name!r} is not documented in README.md" for name in header if name not in meanings
        ]
        drift += [
            f"{path.name}: README.md documents {name!r}, which the table lacks"
            for name in meanings
            if name not in header
        ]
        key = [column for column in key_columns(table) if column in header]
        schema: dict[str, Any] = {
            "fields": [_field(table, name, meanings.get(name, ""), key) for name in header],
            "missingValues": [""],
        }
        if key:
            schema["primaryKey"] = key
        references = [
            {"fields": [name], "reference": {"resource": target if target != table else "", "fields": [column]}}
            for name in header
            for target, column in [TABLE_REFERENCES.get((table, name)) or REFERENCES.get(name) or ("", "")]
            if target
        ]
        if references:
            schema["foreignKeys"] = references
        resource: dict[str, Any] = {
            "name": table,
            "path": path.name,
            "profile": "tabular-data-resource",
            "format": "csv",
            "encoding": "utf-8",
            "schema": schema,
        }
        cited = _sources(table, _rows(path), sources) if table != "sources" else []
        if cited:
            resource["sources"] = cited
        resources.append(resource)
    if drift:
        raise CertbridgeError(
            "data/README.md and the tables disagree:\n" + "\n".join(drift),
            hint="document the column in data/README.md, or remove it there",
        )
    return {
        "profile": "tabular-data-package",
        "name": "certbridge-data",
        "title": "certbridge: Chinese vocational skill certificates and their recognition",
        "description": "The editable tables the certbridge graph is built from; columns as in README.md.",
        "licenses": [
            {
                "path": "SOURCES.md",
                "title": "per source, as SOURCES.md lists; several sources state no licence (check before reuse)",
            }
        ],
        "resources": resources,
    }


def package_text(data_dir: Path = DATA_DIR) -> str:
    return json.dumps(build_package(data_dir), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    (DATA_DIR / PACKAGE_FILE).write_text(package_text(), encoding="utf-8")
