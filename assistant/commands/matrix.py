"""TODO: matrix (not implemented yet)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    pass


def run(args, settings) -> int:
    raise SystemExit("matrix: not implemented yet")
