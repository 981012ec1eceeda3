"""A disk cache in front of an embedder: the same text is embedded once per machine.

Embedding a paragraph takes a few hundred milliseconds on a 2-core CPU, so re-ingesting a report,
rebuilding the store after a restart or a fresh test session would otherwise pay for it again.
Vectors are keyed by the embedder's fingerprint, the mode (passage or query) and the text's
sha256, in one SQLite file per embedder under the cache directory. A different embedder has a
different fingerprint and therefore never sees another's vectors.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings


class CachedEmbeddings(Embeddings):
    """Wraps an embedder that has a `fingerprint` attribute; same interface, same vectors."""

    def __init__(self, inner: Embeddings, cache_dir: Path):
        self.inner = inner
        self.fingerprint = inner.fingerprint
        cache_dir.mkdir(parents=True, exist_ok=True)
        safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.fingerprint)
        self._path = cache_dir / f"{safe_name}.sqlite"
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")

    def __getattr__(self, name):
        # Anything else (dimension, model name, ...) comes from the wrapped embedder.
        return getattr(self.inner, name)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts), "passage", self.inner.embed_documents)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Query-mode vectors of many texts, looked up in one pass."""
        return self._embed(list(texts), "query", lambda batch: [self.inner.embed_query(t) for t in batch])

    def _embed(self, texts: list[str], mode: str, compute) -> list[list[float]]:
        keys = [_key(mode, text) for text in texts]
        found = self._load(keys)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            vectors = compute([texts[i] for i in missing])
            new = {keys[i]: np.asarray(v, dtype=np.float32) for i, v in zip(missing, vectors, strict=True)}
            self._save(new)
            found.update(new)
        return [found[key].tolist() for key in keys]

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30)

    def _load(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {}
        with self._lock, self._connect() as db:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def _save(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock, self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                           [(key, vector.tobytes()) for key, vector in vectors.items()])


def _key(mode: str, text: str) -> str:
    return mode + ":" + hashlib.sha256(text.encode("utf-8")).hexdigest()
