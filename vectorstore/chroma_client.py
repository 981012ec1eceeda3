"""Chroma clients for the store: embedded (`PersistentClient`) or a server (`HttpClient`).

Embedded chromadb keeps one in-memory *system* per directory and process, vector index included,
and never notices what another process wrote: its vector search then misses (or fails on) the
other process's records, and a write through it would persist its stale index over theirs. So
this module tracks, per directory, the store revision the process' current system is known to
be current for; a reader whose revision differs gets a freshly loaded system (`current_client`),
and a writer always starts from one (`reload_client`). Replaced systems are stopped a little
later (their threads and files would leak otherwise), once readers have moved to the new one.
"""

from __future__ import annotations

import os
import threading
import time

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from vectorstore.errors import UserError
from vectorstore.locking import writer_lock
from vectorstore.settings import Settings

RETIRED_SYSTEM_GRACE = 30.0  # seconds a replaced system stays usable for reads in flight

_revision_of: dict[str, str] = {}  # directory -> revision its current system is current for
_retired: list[tuple[float, object]] = []  # (when replaced, system)
_clients: dict[str, tuple[object, object]] = {}  # directory -> (system, a client on it)
_guard = threading.Lock()


def open_client(settings: Settings):
    """A Chroma client for these settings (UserError when a configured server is unreachable).

    Embedded: a client on the process' current system for the directory (chromadb's cache).
    """
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_host:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        if (settings.chroma_dir / "chroma.sqlite3").exists():
            return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
        # Two processes creating the same new store at once race in Chroma's schema migrations
        # ("table collections already exists"): one creates it under the writer lock, the other
        # waits and opens it.
        with writer_lock(settings):
            return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    address = f"{settings.chroma_host}:{settings.chroma_port}"
    try:
        client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                     settings=chroma_settings)
        client.heartbeat()
    except Exception as exc:  # connection refused, DNS failure, timeout, not a Chroma server...
        raise UserError(
            f"Cannot reach the Chroma server at {address} ({type(exc).__name__}). Start it with "
            f"`chroma run --host {settings.chroma_host} --port {settings.chroma_port} --path DIR`, "
            "or unset ASSISTANT_CHROMA_HOST to use the embedded store."
        ) from exc
    return client


def _key(settings: Settings) -> str:
    return os.path.realpath(settings.chroma_dir)  # chromadb's own cache key


def current_system(settings: Settings):
    """The process' current embedded system for the directory (None before the first client)."""
    return SharedSystemClient._identifier_to_system.get(_key(settings))


def shared_client(settings: Settings):
    """One client per current embedded system (building a client costs tens of milliseconds)."""
    key = _key(settings)
    system, client = _clients.get(key, (None, None))
    if system is None or system is not current_system(settings):
        client = open_client(settings)
        _clients[key] = (current_system(settings), client)
    return client


def reload_client(settings: Settings, revision: str | None):
    """A client on a newly loaded embedded system, current for `revision` (read before calling)."""
    key = _key(settings)
    with _guard:
        old = SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
        now = time.monotonic()
        if old is not None:
            _retired.append((now, old))
        while _retired and now - _retired[0][0] > RETIRED_SYSTEM_GRACE:
            _retired.pop(0)[1].stop()
        client = shared_client(settings)
        if revision is None:
            _revision_of.pop(key, None)
        else:
            _revision_of[key] = revision
    return client


def current_client(settings: Settings, revision: str):
    """A client on a system current for `revision`: the cached one, or a reloaded one."""
    with _guard:
        fresh = _revision_of.get(_key(settings)) == revision and current_system(settings) is not None
        if fresh:
            return shared_client(settings)
    return reload_client(settings, revision)


def note_revision(settings: Settings, revision: str) -> None:
    """The current system has just written `revision`, so it is current for it."""
    with _guard:
        _revision_of[_key(settings)] = revision
