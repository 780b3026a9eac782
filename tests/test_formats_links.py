"""EQF levels linked to the EU's own IRIs (http://data.europa.eu/snb/eqf/1 … /8), each link with its source."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from certbridge.data import DATA_DIR
from certbridge.graph.build import build
from certbridge.graph.errors import DataError
from certbridge.graph.store import open_store
from certbridge.ontology import PREFIXES

QUERY = """SELECT ?level ?match WHERE { GRAPH ?g { ?level a cb:FrameworkLevel ; skos:exactMatch ?match } }"""


def table(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def links(store: Path) -> dict[str, str]:
    return {row["level"].value: row["match"].value for row in open_store(store).query(QUERY, prefixes=PREFIXES)}


def test_each_eqf_level_is_its_eu_iri(mini_store: Path) -> None:
    found = links(mini_store)
    assert found == {
        f"https://w3id.org/certbridge/id/framework-level/EQF-{n}": f"http://data.europa.eu/snb/eqf/{n}"
        for n in range(1, 9)
    }


def test_the_real_table_links_eqf_only_and_cites_a_known_source() -> None:
    rows = table("framework_levels")
    sources = {row["id"] for row in table("sources")}
    linked = [row for row in rows if row["exact_match"]]
    assert {row["framework"] for row in linked} == {"EQF"}
    assert [row["exact_match"] for row in linked] == [f"http://data.europa.eu/snb/eqf/{n}" for n in range(1, 9)]
    assert {row["exact_match_source_id"] for row in linked} <= sources


def test_a_link_without_its_source_is_refused(mini_data: Path, tmp_path: Path) -> None:
    path = mini_data / "framework_levels.csv"
    text = path.read_text(encoding="utf-8").replace("/eqf/3,SRC-EQF-ELM", "/eqf/3,", 1)
    assert text != path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="exact_match_source_id"):
        build(mini_data, tmp_path / "store")
