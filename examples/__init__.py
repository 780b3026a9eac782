"""Example SPARQL queries, one documented ``.rq`` file each (shipped with the package, run by the tests)."""

from importlib.resources import files
from pathlib import Path

EXAMPLES_DIR = Path(str(files(__name__)))


def examples() -> list[dict[str, str]]:
    """Each example's name, description (its leading comment) and query text."""
    found = []
    for path in sorted(EXAMPLES_DIR.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        comment = [line[1:].strip() for line in text.splitlines() if line.startswith("#")]
        found.append({"name": path.stem, "description": " ".join(comment), "query": text})
    return found
