"""One writer at a time per store: an inter-process lock file in the data directory.

Embedded Chroma is not safe for two writing processes, and the store's registry is a
read-modify-write, so every writer (CLI ingest, the app's upload, translation) holds this lock
while it changes the store. The lock is `fcntl.flock` on a file in ASSISTANT_DATA_DIR:

- embedded store: `<data_dir>/store-writer.lock` (one per data directory, whatever the collection);
- Chroma server: `<data_dir>/store-writer-<host>-<port>-<collection>.lock` (writers on this machine
  sharing that data directory; writers on other machines are not covered).

The kernel releases a flock when its holder dies (even by kill -9), so a lock is never stale.
The holder writes who it is (pid, command, since when) into the file; a second writer waits up
to a timeout and then raises `StoreBusyError` naming the holder. Within one process the lock is
re-entrant (a caller holding `writer_lock(...)` can call `UnitStore.replace_document`), and
threads of one process take turns.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from vectorstore.errors import UserError
from vectorstore.settings import Settings

DEFAULT_TIMEOUT = 600.0  # seconds a second writer waits (an ingest of a large report takes minutes)
_POLL_SECONDS = 0.1
_log = logging.getLogger(__name__)


class StoreBusyError(UserError):
    """Another process kept the store's writer lock longer than we were willing to wait."""


def lock_path(settings: Settings) -> Path:
    """The lock file serialising writers of the store these settings open."""
    if not settings.chroma_host:
        return settings.data_dir / "store-writer.lock"
    server = f"{settings.chroma_host}-{settings.chroma_port}-{settings.collection}"
    key = re.sub(r"[^A-Za-z0-9_.-]+", "_", server)
    return settings.data_dir / f"store-writer-{key}.lock"


def describe_holder(path: Path) -> str:
    """'pid 123 (assistant ingest x.txt) on host, since 2026-...' from the lock file, or ''."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return ""
    if not holder:
        return ""
    return (f"pid {holder.get('pid')} ({holder.get('command', '?')}) on {holder.get('host', '?')}, "
            f"since {holder.get('since', '?')}")


class _ProcessLock:
    """The flock of one lock file, shared by the threads of this process (re-entrant per thread)."""

    def __init__(self, path: Path):
        self.path = path
        self.thread_lock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None

    def acquire(self, timeout: float, on_wait: Callable[[str], None], blocking: bool = True) -> bool:
        deadline = time.monotonic() + timeout
        if not self.thread_lock.acquire(blocking, timeout if blocking else -1):
            if not blocking:
                return False
            raise StoreBusyError(self._busy_message("another thread of this process"))
        try:
            if self.depth == 0 and not self._flock(deadline, on_wait, blocking):
                self.thread_lock.release()
                return False
        except BaseException:
            self.thread_lock.release()
            raise
        self.depth += 1
        return True

    def release(self) -> None:
        self.depth -= 1
        if self.depth == 0 and self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                os.ftruncate(fd, 0)  # nobody holds it now; a waiter must not read our name
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        self.thread_lock.release()

    def _flock(self, deadline: float, on_wait: Callable[[str], None], blocking: bool) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        told = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not blocking:
                        os.close(fd)
                        return False
                    if time.monotonic() >= deadline:
                        raise StoreBusyError(self._busy_message(describe_holder(self.path))) from None
                    if not told:
                        on_wait(f"The store is being changed by another writer: {describe_holder(self.path)}"
                                f" (lock file {self.path}). Waiting for it to finish...")
                        told = True
                    time.sleep(_POLL_SECONDS)
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_whoami(), ensure_ascii=False).encode("utf-8"), 0)
        self.fd = fd
        return True

    def _busy_message(self, holder: str) -> str:
        return (f"The store is locked by another writer: {holder or 'unknown holder'} (lock file "
                f"{self.path}). Wait until it has finished and try again; if no such process is "
                "running, the lock is free already.")


def _whoami() -> dict:
    return {"pid": os.getpid(), "command": " ".join(sys.argv)[:300], "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds")}


_locks: dict[Path, _ProcessLock] = {}
_locks_guard = threading.Lock()


def _process_lock(path: Path) -> _ProcessLock:
    key = path.resolve()
    with _locks_guard:
        if key not in _locks:
            _locks[key] = _ProcessLock(key)
        return _locks[key]


def _forget_locks_in_child() -> None:
    # A forked child does not hold its parent's lock (and must not release it).
    global _locks, _locks_guard
    _locks = {}
    _locks_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_locks_in_child)


def _warn(message: str) -> None:
    _log.warning(message)


@contextmanager
def writer_lock(settings: Settings, timeout: float = DEFAULT_TIMEOUT,
                on_wait: Callable[[str], None] = _warn) -> Iterator[None]:
    """Hold the store's writer lock for the block; waits up to `timeout` s (StoreBusyError after).

    `on_wait(message)` is called once if another writer holds it (default: a logging warning,
    which reaches stderr). Re-entrant within a thread.
    """
    lock = _process_lock(lock_path(settings))
    lock.acquire(timeout, on_wait)
    try:
        yield
    finally:
        lock.release()


@contextmanager
def try_writer_lock(settings: Settings) -> Iterator[bool]:
    """Take the writer lock only if it is free right now; yields whether it was taken."""
    lock = _process_lock(lock_path(settings))
    taken = lock.acquire(0, _warn, blocking=False)
    try:
        yield taken
    finally:
        if taken:
            lock.release()
