"""mypy over the package as installed: graph/ strict, the rest with the default settings ([tool.mypy]).

The modules rewritten with the store interface are clean and must stay so; elsewhere the errors may not grow
beyond the counts below (issue 17 asks for zero everywhere: lower a ceiling whenever a module is cleaned).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from helpers.layout import ROOT, package_tree

#: must have no error at all
CLEAN = (
    "certbridge/graph/store",
    "certbridge/graph/build",
    "certbridge/graph/derived",
    "certbridge/graph/progress",
    "certbridge/graph/writes",
    "certbridge/api/state",
    "certbridge/api/changes",
    "certbridge/graph/changes",
    "certbridge/graph/routing",
    "certbridge/graph/formats",
    "certbridge/visualize",
    "certbridge/graph/remote",
    "certbridge/graph/reasoning",
    "certbridge/graph/neighbourhood",
    "certbridge/graph/validate",
    "certbridge/graph/synth",
    "certbridge/graph/query",
    "certbridge/api/settings",
    "certbridge/api/query_worker",
    "certbridge/api/sparql",
    "certbridge/api/problems",
    "certbridge/api/negotiation",
    "certbridge/api/query_page",
    "certbridge/api/downloads",
    "certbridge/api/writes",
    "certbridge/api/conventions",
)
#: errors allowed per folder or module today (a ratchet: never raise one)
CEILING = {
    "certbridge/graph/convert": 14,
    "certbridge/graph/describe": 9,
    "certbridge/graph/export": 1,
    "certbridge/api": 8,
}
_WHERE = re.compile(r"^(certbridge/[\w/]+?)(?:\.py)?:\d+: error:", re.MULTILINE)


def _area(path: str) -> str:
    for area in sorted((*CLEAN, *CEILING), key=len, reverse=True):
        if path == area or path.startswith(area + "/"):
            return area
    return path


def test_mypy(tmp_path: Path) -> None:
    tree = package_tree(tmp_path / "tree")
    mypy = Path(sys.executable).with_name("mypy")
    result = subprocess.run(
        [
            *(str(mypy), "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache")),
            *("--no-error-summary", "-p", "certbridge"),
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "error: " not in result.stderr, result.stderr
    errors = Counter(_area(path) for path in _WHERE.findall(result.stdout))
    unclean = {area: errors[area] for area in CLEAN if errors[area]}
    assert not unclean, result.stdout
    grown = {area: (count, CEILING.get(area, 0)) for area, count in errors.items() if count > CEILING.get(area, 0)}
    assert not grown, f"more mypy errors than allowed (found, allowed): {grown}\n{result.stdout}"
