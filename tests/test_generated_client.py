"""A client generated from /openapi.json by openapi-python-client looks routes up against a real server.

The client is generated into a temporary directory and imported from there: if the document stopped
describing what the server sends, the generated models would fail to parse the answers.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from types import ModuleType

import httpx
import pytest
from helpers.serving import BIN, Served

SOURCE, TARGET = "IL-CT-hengfeng-spinner-senior-technician", "IL-CT-js-hrss-spinner-senior-technician"
PACKAGE = "certbridge_client"


@pytest.fixture(scope="module")
def client_package(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_text(json.dumps(httpx.get(f"{served.url}/openapi.json", timeout=30).json()))
    generated = subprocess.run(
        [
            *(str(BIN / "openapi-python-client"), "generate", "--path", str(document)),
            *("--meta", "none", "--output-path", str(folder / PACKAGE)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_the_generated_client_finds_a_route(served: Served, client_package: ModuleType) -> None:
    find_routes = importlib.import_module(f"{PACKAGE}.api.routes.find_routes")
    models = importlib.import_module(f"{PACKAGE}.models")
    with client_package.Client(base_url=served.url, timeout=httpx.Timeout(30)) as client:
        answer = find_routes.sync_detailed(client=client, from_=SOURCE, to=TARGET, as_of=date(2024, 1, 1))
        assert answer.status_code == 200
        body = answer.parsed
        assert isinstance(body, models.RouteAnswerOut)
        assert body.found and body.as_of == "2024-01-01"
        assert body.source.iri.endswith(SOURCE) and body.target.iri.endswith(TARGET)
        best = body.routes[0]
        assert best.strength == models.HopKind.FORMAL_RECOGNITION
        assert best.steps[0].evidence.iri.endswith("agreement/IL-AG01") and best.steps[0].evidence.sources
        assert body.to_dict() == json.loads(answer.content)  # the model holds everything that was sent

        only = find_routes.sync(
            client=client, from_=SOURCE, to=TARGET, as_of=date(2024, 1, 1), kinds=[models.HopKind.SAME_QUALIFICATION]
        )
        assert isinstance(only, models.RouteAnswerOut)
        assert {route.strength for route in only.routes} == {models.HopKind.SAME_QUALIFICATION}

        missing = find_routes.sync_detailed(client=client, from_="nothing at all", to=TARGET)
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.ProblemOut) and missing.parsed.type_ == "/problems/not-found"


def test_the_generated_client_searches(served: Served, client_package: ModuleType) -> None:
    search_entities = importlib.import_module(f"{PACKAGE}.api.routes.search_entities")
    models = importlib.import_module(f"{PACKAGE}.models")
    with client_package.Client(base_url=served.url, timeout=httpx.Timeout(30)) as client:
        page = search_entities.sync(client=client, q="纺纱工", type_=[models.SearchKind.OCCUPATION])
        assert isinstance(page, models.SearchOut)
        assert page.total == 1 and page.results[0].iri.endswith("occupation/6-04-02-01")
        assert page.results[0].type_ == models.SearchKind.OCCUPATION
