"""TODO: ingest (not implemented yet)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    pass


def run(args, settings) -> int:
    raise SystemExit("ingest: not implemented yet")
