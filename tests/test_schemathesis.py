"""Schemathesis over every operation of /openapi.json, with all its checks, against a real `certbridge serve`.

The server is a subprocess on a free loopback port over a private mini store, with a write token (so the
writes are exercised past their authorisation). The run is bounded (25 examples per operation, one worker)
and fails on any failure schemathesis reports; afterwards the server must still answer health.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from helpers.serving import BIN, TOKEN, Served

#: Schemathesis's positive_data_acceptance check expects any schema-valid request to be accepted. A schema
#: cannot say which strings are valid SPARQL, nor which rows agree with the tables already stored, so these
#: operations' documented rejections of such bodies (400 invalid query; 422 rejected rows, a what-if's CSV
#: included, as the API's body or the what-if page's form field) are accepted too, and
#: so is the Graph Store read's 400 for both or neither of ?graph and ?default (a schema cannot say "exactly one").
#: Nor can a schema say which store version is current: a write's If-Match naming another answers 412, a
#: correction or retirement of a row that exists but is already so, 422 or 409.
#: Each write is validated by converting every table (a third of a second on the mini data; an accepted one
#: builds the next store version, seconds), so to keep the run bounded the writes get 8 generated examples
#: and skip the coverage phase (its boundary values, about 60 requests per operation), and so do the what-ifs of
#: a proposed retirement or correction (each accepted one builds a scratch version); their documented
#: examples, fuzzing and the stateful phase still run. Every other check, and every phase of every other
#: operation, runs as schemathesis defines it.
CONFIG = """
[[operations]]
include-operation-id = ["addAgreements", "addIssuers", "addSanctions", "correctRow", "retireRecord"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "412", "422", "429"]
generation.max-examples = 8
phases.coverage.enabled = false

[[operations]]
include-operation-id = ["whatIfRetirement", "whatIfCorrection"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429", "503"]
generation.max-examples = 8
phases.coverage.enabled = false

[[operations]]
include-operation-id = ["whatIf", "showWhatIfChange"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
include-operation-id = ["querySparql", "querySparqlByPost"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
include-operation-id = "getGraph"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]
"""


def test_every_operation_passes_every_check(served: Served, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    seed = ["--seed", "1"] if os.environ.get("CI") else []  # reproducible under CI, varied locally
    command = [
        BIN / "st",
        "--config-file",
        config,
        "run",
        f"{served.url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        "25",
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--header",
        f"Authorization: Bearer {TOKEN}",
        *seed,
    ]
    started = time.monotonic()
    try:
        run = subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            timeout=300,
            env={
                **os.environ,
                "NO_COLOR": "1",
                "SCHEMATHESIS_TELEMETRY": "false",
                "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")])),
            },
            cwd=tmp_path,  # its cache directory goes there, not into the checkout
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        log = served.log.read_text()[-4_000:]
        pytest.fail(f"schemathesis did not finish in {exc.timeout:.0f} s; the server's last lines:\n{log}")
    took = time.monotonic() - started
    (tmp_path / "schemathesis.out").write_text(run.stdout + run.stderr)
    report = run.stdout[-12_000:] + run.stderr[-3_000:]
    assert run.returncode == 0, f"schemathesis reported failures (exit {run.returncode}):\n{report}"
    operations = sum(len(methods) for methods in httpx.get(f"{served.url}/openapi.json").json()["paths"].values())
    assert f"Tested: {operations}" in run.stdout, report  # every documented operation was run
    assert took < 120, f"the run took {took:.0f} s"
    health = httpx.get(f"{served.url}/api/v1/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert served.process.poll() is None, served.log.read_text()[-3_000:]
    assert "Traceback" not in served.log.read_text(), served.log.read_text()[-5_000:]
