"""A wheel install (not editable) in a fresh venv builds the store from another directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False, timeout=600)


def test_wheel_install_builds_from_another_directory(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__"))
    wheel = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp_path / "dist", ".", cwd=source)
    assert wheel.returncode == 0, wheel.stderr
    [wheel_file] = (tmp_path / "dist").glob("certbridge-*.whl")

    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv, cwd=tmp_path).returncode == 0
    python = venv / "bin" / "python"
    # The fresh venv borrows the test environment's dependencies through a plain path entry (so that the
    # editable install living there is not activated) and gets certbridge itself only from the wheel.
    site_packages = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path)
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site_packages.stdout.strip()) / "borrowed-dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    install = run(python, "-m", "pip", "install", "--no-deps", "--force-reinstall", wheel_file, cwd=tmp_path)
    assert install.returncode == 0, install.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run(
        python,
        "-c",
        "import certbridge.graph, certbridge.ontology as o; print(certbridge.graph.__file__);"
        "print(o.SHAPES_FILE.is_file())",
        cwd=elsewhere,
    )
    assert where.stdout.split()[0].startswith(str(venv)), where.stdout + where.stderr
    assert where.stdout.split()[1] == "True"

    certbridge = venv / "bin" / "certbridge"
    built = run(certbridge, "build", "--quiet", "--store", elsewhere / "store", cwd=elsewhere)
    assert built.returncode == 0, built.stderr
    counted = run(
        certbridge,
        "query",
        "--store",
        "store",
        "-f",
        "csv",
        "SELECT (COUNT(?o) AS ?n) WHERE { ?o a cb:Occupation }",
        cwd=elsewhere,
    )
    assert counted.stdout.split() == ["n", "1639"], counted.stderr
