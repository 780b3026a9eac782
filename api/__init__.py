"""Outer adapters: the command line (typer) and the web service (FastAPI), with their settings. The only layer
that reads the environment."""
