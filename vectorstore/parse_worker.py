"""Reading and parsing one file in a worker process, under a time budget.

Parsing is pure Python and holds the GIL: a hostile or huge file parsed inside the app would
stall every session. `prepare_file` therefore runs `read_document_text` + `document_info_for` +
`parse_document` in a separate Python process (`python -m vectorstore.parse_worker`) and waits at
most `budget` seconds for the result, counted from the moment the worker is ready (its start-up
is not the file's fault); past that the worker is killed and the file refused with a
DocumentParseError that says so.

A plain subprocess rather than multiprocessing: "spawn" would re-run the importing program's
`__main__` (the CLI) in the child, and "fork" is unsafe in a process with threads (Gradio, Chroma).

The protocol is one pickle each way over the worker's stdin/stdout, after a one-byte "ready".
"""

from __future__ import annotations

import os
import pickle
import selectors
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from vectorstore.errors import DocumentParseError, UserError
from vectorstore.parsing import ParsedDocument
from vectorstore.units import DocumentInfo

BUDGET_ENV = "ASSISTANT_PARSE_BUDGET"
DEFAULT_BUDGET_SECONDS = 5.0
_STARTUP_LIMIT_SECONDS = 60.0  # interpreter + imports on a busy machine; not the file's budget
_READY = b"R"
_PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Prepared:
    """A file read and parsed: its metadata and units (what `ingest_files` stores)."""

    document: DocumentInfo
    parsed: ParsedDocument


def budget_from_env(environ=os.environ) -> float:
    """The parse budget in seconds: ASSISTANT_PARSE_BUDGET, else 5 s."""
    raw = environ.get(BUDGET_ENV, "").strip()
    if not raw:
        return DEFAULT_BUDGET_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise UserError(f"{BUDGET_ENV} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise UserError(f"{BUDGET_ENV} must be positive, not {raw!r}")
    return value


def prepare_here(path: Path, overrides: dict, accept_numbering_warnings: bool) -> Prepared:
    """Read, identify and parse `path` in this process (what the worker runs)."""
    from vectorstore.catalog import document_info_for
    from vectorstore.loaders import read_document_text
    from vectorstore.parsing import parse_document

    text = read_document_text(path)
    document = document_info_for(path, text, overrides)
    return Prepared(document, parse_document(text, document, path.name, accept_numbering_warnings))


def prepare_file(path: Path, overrides: dict, accept_numbering_warnings: bool = False,
                 budget: float | None = None) -> Prepared:
    """`prepare_here` in a worker process; DocumentParseError if it takes longer than `budget`."""
    path = Path(path)
    budget = budget_from_env() if budget is None else budget
    request = pickle.dumps((str(path), overrides, accept_numbering_warnings))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(_PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    with tempfile.TemporaryFile() as errors:
        worker = subprocess.Popen([sys.executable, "-m", "vectorstore.parse_worker"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=errors, env=env)
        try:
            if _read(worker, 1, _STARTUP_LIMIT_SECONDS) != _READY:
                raise DocumentParseError(f"{path.name}: the parser process did not start "
                                         f"({_stderr_tail(errors)})")
            worker.stdin.write(request)
            worker.stdin.close()
            reply = _read(worker, None, budget)
            if reply is None:
                raise DocumentParseError(
                    f"{path.name}: reading and parsing took longer than {budget:g} s, so the file was "
                    f"refused (a line of thousands of dots or brackets, or one enormous paragraph?). "
                    f"If it is a genuine long document, raise the limit with {BUDGET_ENV} or "
                    "`assistant ingest --parse-budget SECONDS`.")
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
        try:
            status, payload = pickle.loads(reply)
        except Exception:  # noqa: BLE001 - a worker that died mid-write, or an unreadable reply
            raise DocumentParseError(f"{path.name}: the parser process failed (exit code "
                                     f"{worker.returncode}; {_stderr_tail(errors)})") from None
    if status == "error":
        raise payload
    if status == "crash":
        raise DocumentParseError(f"{path.name}: the parser failed on this file ({payload}); "
                                 "please report it with the file")
    return payload


def _read(worker: subprocess.Popen, size: int | None, timeout: float) -> bytes | None:
    """`size` bytes (or everything up to EOF if None) from the worker's stdout, or None when
    `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    fd = worker.stdout.fileno()
    chunks: list[bytes] = []
    received = 0
    # a selector (epoll/poll), not select(): a long-running app can hold more than 1024 files,
    # and select() refuses any descriptor past that
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while size is None or received < size:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return None
            chunk = os.read(fd, 1 << 16 if size is None else size - received)
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
    return b"".join(chunks)


def _stderr_tail(errors) -> str:
    errors.seek(0)
    lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    return lines[-1][:200] if lines else "no message"


def _serve() -> None:
    out = sys.stdout.buffer
    out.write(_READY)
    out.flush()
    path, overrides, accept = pickle.loads(sys.stdin.buffer.read())
    try:
        reply = ("ok", prepare_here(Path(path), overrides, accept))
    except UserError as exc:
        reply = ("error", exc)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a parse failure
        reply = ("crash", f"{type(exc).__name__}: {exc}"[:300])
    out.write(pickle.dumps(reply))
    out.flush()


if __name__ == "__main__":
    # Through the module's real name, so the pickled reply names vectorstore.parse_worker.Prepared
    # (not __main__.Prepared, which the parent cannot import).
    from vectorstore.parse_worker import _serve as serve

    serve()
