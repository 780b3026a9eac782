"""`certbridge sources`, GET /api/v1/sources and the domain function: every source with the records resting on it,
counted against the tables themselves."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import httpx
import pytest
from helpers.data import Cli
from helpers.serving import serving

from certbridge.api.settings import Settings
from certbridge.api.sources import sources_page
from certbridge.data import DATA_DIR
from certbridge.graph.sources import source_report
from certbridge.graph.store import open_store
from certbridge.graph.vocabulary import concept_names
from certbridge.visualize.catalogue import Language, text

#: tables whose rows share another table's named graph
_GRAPH_OF = {"framework_levels": "frameworks"}
#: the columns that cite a source or document
_CITING = (
    "source_id",
    "source_ids",
    "document_id",
    "exact_match_source_id",
    "skill_levels_source_id",
    "founded_source_id",
)


def _citations() -> tuple[Counter, dict[str, Counter]]:
    """(ids of sources.csv and documents.csv, per source: rows of each table citing it), read from data/."""
    ids: Counter = Counter()
    cited: dict[str, Counter] = {}
    for path in sorted(DATA_DIR.glob("*.csv")):
        table = _GRAPH_OF.get(path.stem, path.stem)
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if path.stem in ("sources", "documents"):
                    ids[row["id"]] += 1
                keys = {  # a row citing one source in two columns is one record resting on it
                    key
                    for column in _CITING
                    for key in filter(None, (k.strip() for k in (row.get(column) or "").split(";")))
                }
                for key in keys:
                    cited.setdefault(key, Counter())[table] += 1
    return ids, cited


def test_every_source_is_listed_with_the_records_of_each_table_that_cite_it(real_store: Path) -> None:
    report = source_report(open_store(real_store))
    ids, cited = _citations()
    assert [s.id for s in report.sources] == sorted(ids)
    for source in report.sources:
        assert source.by_table == dict(cited.get(source.id, {})), source.id
        assert source.records == sum(source.by_table.values())
    by_id = {s.id: s for s in report.sources}
    assert by_id["SRC-FJ-ZZGOV2022"].trust == "high" and by_id["SRC-FJ-ZZGOV2022"].kind == "official page"
    assert by_id["SRC-FJ-ZZGOV2022"].url == "http://www.zhangzhou.gov.cn/cms/html/zzsrmzf/2022-03-31/1947464673.html"
    assert (by_id["SRC-FJ-XH2019"].date, by_id["SRC-FJ-XH2019"].precision) == ("2019-04-05", "day")
    assert (by_id["P-FZ2018"].date, by_id["P-FZ2018"].precision, by_id["P-FZ2018"].kind) == (
        "2018-08",
        "month",
        "policy document",
    )
    assert (by_id["P-FJ2021-71"].date, by_id["P-FJ2021-71"].precision) == ("2021", "year")
    hk01 = by_id["SRC-FJ-HK01"]
    assert hk01.date is None and hk01.precision is None and hk01.date_as_stated == "not shown in the excerpt"
    assert by_id["SRC-MR15"].url is None
    with (DATA_DIR / "agreements.csv").open(newline="", encoding="utf-8") as f:
        agreements = len(list(csv.DictReader(f)))
    assert report.by_table["occupations"] == 2176 and report.by_table["agreements"] == agreements


def test_cli_sources(real_store: Path, cli: Cli) -> None:
    as_json = cli("sources", "--store", real_store, "--json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == source_report(open_store(real_store)).to_json()
    text = cli("sources", "--store", real_store)
    assert text.exit_code == 0 and "SRC-FJ-ZZGOV2022" in text.stdout and "records citing a source" in text.stdout
    missing = cli("sources", "--store", real_store.parent / "no-such-store")
    assert missing.exit_code != 0 and "Traceback" not in missing.output


def test_rest_sources(real_store: Path) -> None:
    with serving(Settings(real_store)) as url:
        answer = httpx.get(f"{url}/api/v1/sources", timeout=30)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
        assert answer.json() == source_report(open_store(real_store)).to_json()


@pytest.mark.parametrize("language", [Language.ZH, Language.EN], ids=str)
def test_sources_page(real_store: Path, language: Language) -> None:
    """GET /sources: a page for people in the shell, in the language asked for: every source as a row with its
    address as a link, date with its precision, trust by its name, and counts, with the column names the CLI uses."""
    report = source_report(open_store(real_store))
    side = 0 if language is Language.ZH else 1
    with serving(Settings(real_store)) as url:
        answer = httpx.get(f"{url}/sources", params={"lang": language.value}, timeout=30)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert f'<html lang="{language.value}">' in page and 'class="lang-switch"' in page  # the shell
    assert text("sources.heading", language, count=len(report.sources)) in page
    assert text("sources.heading", language.other, count=len(report.sources)) not in page
    for name in ("id", "title", "kind", "url", "date", "precision", "trust", "records", "by_table"):
        assert f'<th scope="col">{text(f"sources.column.{name}", language)}</th>' in page
    rows = re.findall(r'<tr><th scope="row" id="([^"]+)">(.*?)</tr>', page, re.S)
    assert [key for key, _ in rows] == [s.id for s in report.sources]
    cells = dict(rows)
    zz = cells["SRC-FJ-ZZGOV2022"]
    address = "http://www.zhangzhou.gov.cn/cms/html/zzsrmzf/2022-03-31/1947464673.html"
    assert f'<a href="{address}" rel="noopener noreferrer">' in zz
    assert f"<td>2022-03-31</td><td>{('日', 'day')[side]}</td>" in zz
    assert f"<td>{concept_names('trust')['high'][side]}</td>" in zz
    fz = cells["P-FZ2018"]
    assert f"<td>2018-08</td><td>{('月', 'month')[side]}</td>" in fz and "policy document" in fz
    assert text("sources.none", language) in cells["SRC-MR15"]
    for source in report.sources:
        assert f"<td>{source.records}</td>" in cells[source.id], source.id
    totals = dict(re.findall(r"<tr><th scope='row'><code>([^<]+)\.csv</code></th><td>(\d+)</td></tr>", page))
    assert {table: int(n) for table, n in totals.items()} == report.by_table
    assert sources_page(report, language) in page


def test_the_source_report_is_made_once_per_store_version(tmp_path: Path, monkeypatch) -> None:
    """It scans every dcterms:source (about a second at national scale): the API and the page share one report per
    version served, and a new version gets a new one."""
    from helpers.data import MINI_DATA

    import certbridge.api.sources as api_sources
    from certbridge.graph.build import build

    made: list[str] = []

    def counted(store):
        made.append("report")
        return source_report(store)

    monkeypatch.setattr(api_sources, "source_report", counted)
    location = tmp_path / "store"
    build(MINI_DATA, location)
    with serving(Settings(location)) as url, httpx.Client(base_url=url, timeout=60) as http:
        first = http.get("/api/v1/sources").json()
        assert http.get("/api/v1/sources").json() == first and http.get("/sources").status_code == 200
        assert made == ["report"]
        build(MINI_DATA, location)  # a new version is served from the next request on
        assert http.get("/api/v1/sources").json() == first
        assert made == ["report", "report"]
