"""Outer adapters: the command line (and, later, the HTTP API). The only layer that reads the environment."""
