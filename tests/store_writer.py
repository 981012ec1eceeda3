"""Test helper process: writes to a store, optionally dying (SIGKILL) at a named step of the write.

Run by tests/test_store_crash.py and tests/test_store_writers.py in real subprocesses; settings
come from the environment (ASSISTANT_DATA_DIR, ASSISTANT_CACHE_DIR, ASSISTANT_CHROMA_HOST, ...).

  python tests/store_writer.py ingest FILE --symbol SYM [--repeat N]
  python tests/store_writer.py revise SYMBOL          (store `revised_units(SYMBOL)`)
  python tests/store_writer.py remove SYMBOL
  python tests/store_writer.py hold-lock SECONDS      (prints "locked" once it holds the lock)
Options: --kill-at STEP[:N] (SIGKILL the N-th time the store reaches STEP, see
vectorstore.store.step_listener), --batch-size N (records per Chroma add call), --wait-for-go
(start writing when stdin says so).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vectorstore import store as store_module  # noqa: E402
from vectorstore.ingest import builtin_catalog, ingest_files  # noqa: E402
from vectorstore.loaders import read_document_text  # noqa: E402
from vectorstore.locking import writer_lock  # noqa: E402
from vectorstore.parsing import parse_report  # noqa: E402
from vectorstore.settings import BUILTIN_CORPUS_DIR, Settings  # noqa: E402
from vectorstore.units import Unit  # noqa: E402

REVISION_MARK = "（修订）"


def revised_units(symbol: str) -> list[Unit]:
    """A new version of a built-in report: its last five units dropped, every text marked."""
    name, document = next((n, d) for n, d in builtin_catalog().items() if d.symbol == symbol)
    path = BUILTIN_CORPUS_DIR / name
    units = parse_report(read_document_text(path), document, path.name)
    return [replace(u, text=u.text + REVISION_MARK) for u in units[:-5]]


def _kill_at(spec: str) -> None:
    step, _, nth = spec.partition(":")
    remaining = [int(nth or 1)]

    def listener(reached: str) -> None:
        if reached == step:
            remaining[0] -= 1
            if remaining[0] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    store_module.step_listener = listener


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["ingest", "revise", "remove", "hold-lock"])
    parser.add_argument("args", nargs="*")
    parser.add_argument("--symbol")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--kill-at")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--wait-for-go", action="store_true",
                        help='print "ready" once the store is open, start when stdin says "go"')
    options = parser.parse_args()
    settings = Settings.from_env()

    if options.action == "hold-lock":
        with writer_lock(settings):
            print("locked", flush=True)
            time.sleep(float(options.args[0]))
        return
    if options.kill_at:
        _kill_at(options.kill_at)
    store = store_module.UnitStore(settings)
    store.add_batch_size = options.batch_size
    if options.wait_for_go:  # lets a test start several writers at the same moment
        print("ready", flush=True)
        sys.stdin.readline()
    for _ in range(options.repeat):
        if options.action == "ingest":
            overrides = {"symbol": options.symbol} if options.symbol else None
            ingest_files(options.args, settings, overrides=overrides, store=store, progress=False)
        elif options.action == "revise":
            store.replace_document(revised_units(options.args[0]))
        else:
            store.remove_document(options.args[0])
    print("done", flush=True)


if __name__ == "__main__":
    main()
