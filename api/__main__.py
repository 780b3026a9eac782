"""``python -m certbridge.api``: the same command line as ``certbridge`` (the tests run it so, as a real process)."""

from .cli import main

main()
