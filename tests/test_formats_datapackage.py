"""data/datapackage.json: generated from data/README.md and the tables, committed, and valid for Frictionless."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from frictionless import validate

from certbridge.data import DATA_DIR
from certbridge.graph.errors import CertbridgeError
from certbridge.graph.formats.datapackage import PACKAGE_FILE, build_package, package_text


def errors(data_dir: Path) -> list[tuple[str, str, str]]:
    report = validate(str(data_dir / PACKAGE_FILE))
    found = [(task.name, error.type, error.note) for task in report.tasks for error in task.errors]
    return found + [("package", error.type, error.note) for error in report.errors]


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def test_committed_package_is_the_generated_one() -> None:
    assert (DATA_DIR / PACKAGE_FILE).read_text(encoding="utf-8") == package_text(), (
        "run: python -m certbridge.graph.formats.datapackage"
    )


def test_the_tables_are_valid_for_frictionless() -> None:
    assert errors(DATA_DIR) == []


def test_every_table_every_column_keys_and_sources() -> None:
    package = build_package()
    resources = {resource["name"]: resource for resource in package["resources"]}
    assert set(resources) == {path.stem for path in DATA_DIR.glob("*.csv")}
    for name, resource in resources.items():
        header = (DATA_DIR / resource["path"]).read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        assert [field["name"] for field in resource["schema"]["fields"]] == header
        assert all(field["description"] for field in resource["schema"]["fields"]), name
        assert resource["schema"].get("primaryKey"), name
    assert resources["framework_levels"]["schema"]["primaryKey"] == ["framework", "level"]
    keys = {(fk["fields"][0], fk["reference"]["resource"]) for fk in resources["occupations"]["schema"]["foreignKeys"]}
    assert keys == {("parent_code", ""), ("source_id", "sources")}
    trust = next(f for f in resources["grade_bridges"]["schema"]["fields"] if f["name"] == "trust")
    assert trust["constraints"]["enum"] == ["high", "medium-high", "medium", "medium-low", "low"]
    assert any("SRC-EQF-ELM" in source["title"] for source in resources["framework_levels"]["sources"])
    assert package["licenses"][0]["path"] == "SOURCES.md"


@pytest.mark.parametrize(
    "table,old,new,error",
    [
        ("occupations", "6-04-02-01,4,", "6-04-02-01,4,", None),  # unchanged: the copy itself is valid
        ("occupations", ",6-04-02,0,", ",6-99-99,0,", "foreign-key"),
        ("framework_levels", "EQF,3,", "EQF,2,", "primary-key"),
        ("grade_bridges", ",medium-low,medium-low,", ",unsure,medium-low,", "constraint-error"),
        ("grade_levels", ",1,学徒工,", ",first,学徒工,", "type-error"),
    ],
    ids=["valid", "unknown-parent", "duplicate-level", "trust-outside-enum", "rank-not-integer"],
)
def test_a_broken_table_is_found(data_copy: Path, table: str, old: str, new: str, error: str | None) -> None:
    path = data_copy / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    found = {kind for _, kind, _ in errors(data_copy)}
    assert (error in found) if error else not found, found


def test_an_undocumented_column_stops_the_generator(data_copy: Path) -> None:
    path = data_copy / "alignments.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("note\n", "note,extra\n", 1), encoding="utf-8")
    with pytest.raises(CertbridgeError, match="'extra' is not documented"):
        build_package(data_copy)


def test_package_lists_the_files_it_describes() -> None:
    package = json.loads((DATA_DIR / PACKAGE_FILE).read_text(encoding="utf-8"))
    assert all((DATA_DIR / resource["path"]).is_file() for resource in package["resources"])
