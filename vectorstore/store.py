"""UnitStore: the units of all documents in one Chroma collection (embedded or server).

- Chroma `PersistentClient` under `settings.chroma_dir`, or `HttpClient` when
  `settings.chroma_host` is set. Cosine space, telemetry off.
- Vectors come from a LangChain `Embeddings` adapter, computed from `Unit.embedding_text`
  (passage mode); the verbatim `Unit.text` travels in the metadata (`Unit.to_metadata`).
- The collection metadata records the embedder fingerprint (a collection is never queried with
  another model's vectors), a revision that changes on every write (the BM25 index rebuilds
  when it changes) and the document registry (DocumentInfo and unit count per symbol), so listing
  documents never scans the units.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from assistant.config import Settings
from vectorstore.embeddings import BATCH_SIZE, make_embeddings
from vectorstore.errors import EmbedderMismatchError, UnknownDocumentError, UserError
from vectorstore.filters import Filters
from vectorstore.units import DocumentInfo, Unit

_REBUILD_HINT = (
    "rebuild it with `assistant ingest --rebuild` (re-embeds the built-in corpus; ingest your own "
    "files again afterwards), or delete {where}."
)


def open_client(settings: Settings):
    """A Chroma client for these settings (UserError when a configured server is unreachable)."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_host:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
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


def _store_location(settings: Settings) -> str:
    if settings.chroma_host:
        server = f"{settings.chroma_host}:{settings.chroma_port}"
        return f"collection '{settings.collection}' on the Chroma server {server}"
    return f"collection '{settings.collection}' in {settings.chroma_dir}"


def delete_collection(settings: Settings) -> bool:
    """Drop the whole collection (for `ingest --rebuild`); False if it did not exist."""
    client = open_client(settings)
    if settings.collection not in {c.name for c in client.list_collections()}:
        return False
    client.delete_collection(settings.collection)
    return True


def _unit_order(unit: Unit) -> tuple:
    # Paragraph before its items; "aa" after "z" (longer letters sort later).
    item = unit.item or ""
    return unit.symbol, unit.paragraph, len(item), item


class UnitStore:
    def __init__(self, settings: Settings, embeddings: Embeddings | None = None):
        self.settings = settings
        self.embeddings = embeddings if embeddings is not None else make_embeddings(settings)
        self.fingerprint = getattr(self.embeddings, "fingerprint", type(self.embeddings).__name__)
        self._client = open_client(settings)
        try:
            self._collection = self._client.get_or_create_collection(
                settings.collection,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": self.fingerprint, "revision": uuid.uuid4().hex, "documents": "{}"},
                embedding_function=None,
            )
        except ValueError as exc:  # e.g. an invalid collection name
            raise UserError(f"Cannot open Chroma collection '{settings.collection}': {exc}") from exc
        built_with = (self._collection.metadata or {}).get("embedder")
        if built_with != self.fingerprint:
            raise EmbedderMismatchError(
                f"The {_store_location(settings)} was built with the embedder '{built_with}', but the "
                f"configured embedder is '{self.fingerprint}' (ASSISTANT_EMBEDDINGS / ASSISTANT_ST_MODEL). "
                "Switch back to the embedder that built it, or "
                + _REBUILD_HINT.format(where=self._data_location())
            )

    def _data_location(self) -> str:
        if self.settings.chroma_host:
            return f"the collection '{self.settings.collection}' on the server"
        return f"the directory {self.settings.chroma_dir}"

    # ---- writing -------------------------------------------------------------------------------

    def replace_document(self, units: list[Unit], progress: bool = False,
                         document: DocumentInfo | None = None) -> None:
        """Store all units of one document, replacing its previous units: all or nothing.

        Everything is embedded first; only then are the old units swapped for the new ones. If
        writing fails, the previous units of that symbol are put back and the error is re-raised.
        `document` (optional) is what `documents()` reports for it (file name and congress venue
        are not in the units); by default it is taken from the first unit.
        """
        if not units:
            raise ValueError("replace_document needs at least one unit")
        symbols = {u.symbol for u in units}
        if len(symbols) != 1:
            raise ValueError(f"replace_document takes the units of one document, got {sorted(symbols)}")
        symbol = symbols.pop()
        ids = [u.id for u in units]
        duplicates = [uid for uid, n in Counter(ids).items() if n > 1]
        if duplicates:
            raise UserError(f"{symbol}: duplicate paragraph ids {duplicates[:5]}; nothing was stored.")

        vectors = self._embed_passages([u.embedding_text for u in units], progress, desc=symbol)
        records = {"ids": ids, "embeddings": vectors, "metadatas": [u.to_metadata() for u in units]}
        previous = self._collection.get(where={"symbol": symbol}, include=["embeddings", "metadatas"])
        registry = self._registry()
        try:
            self._delete_symbol(symbol)
            self._add(records)
        except Exception:
            self._delete_symbol(symbol)
            if previous["ids"]:
                self._add({key: previous[key] for key in ("ids", "embeddings", "metadatas")})
            self._write_metadata(registry)
            raise
        registry[symbol] = {**asdict(document or _document_of(units[0])), "units": len(units)}
        self._write_metadata(registry)

    def remove_document(self, symbol: str) -> int:
        """Delete a document's units; returns how many (UnknownDocumentError if it is not stored)."""
        found = self._collection.get(where={"symbol": symbol}, include=[])["ids"]
        registry = self._registry()
        if not found:
            known = ", ".join(sorted(registry)) or "none"
            raise UnknownDocumentError(f"No document {symbol!r} in the store (stored: {known}).")
        self._delete_symbol(symbol)
        registry.pop(symbol, None)
        self._write_metadata(registry)
        return len(found)

    def _embed_passages(self, texts: list[str], progress: bool, desc: str) -> list[list[float]]:
        vectors: list[list[float]] = []
        with tqdm(total=len(texts), desc=f"embedding {desc}", unit="unit", disable=not progress,
                  leave=False) as bar:
            for start in range(0, len(texts), BATCH_SIZE):
                batch = texts[start:start + BATCH_SIZE]
                vectors.extend(self.embeddings.embed_documents(batch))
                bar.update(len(batch))
        return vectors

    def _add(self, records: dict) -> None:
        step = self._client.get_max_batch_size()
        for start in range(0, len(records["ids"]), step):
            self._collection.add(**{key: list(values[start:start + step]) for key, values in records.items()})

    def _delete_symbol(self, symbol: str) -> None:
        self._collection.delete(where={"symbol": symbol})

    def _write_metadata(self, registry: dict) -> None:
        """Store the document registry with a new revision (every write changes the revision)."""
        self._collection.modify(metadata={
            "embedder": self.fingerprint,
            "revision": uuid.uuid4().hex,
            "documents": json.dumps(registry, ensure_ascii=False),
        })

    def _collection_metadata(self) -> dict:
        # Fetched fresh: another process (or server client) may have written since we opened it.
        collection = self._client.get_collection(self.settings.collection, embedding_function=None)
        return collection.metadata or {}

    def _registry(self) -> dict[str, dict]:
        metadata = self._collection_metadata()
        if "documents" in metadata:
            return json.loads(metadata["documents"])
        # A collection written before the registry existed: rebuild it from the units once.
        registry: dict[str, dict] = {}
        for meta in self._collection.get(include=["metadatas"])["metadatas"]:
            entry = registry.setdefault(meta["symbol"], {**asdict(_document_of(Unit.from_metadata(meta))),
                                                         "units": 0})
            entry["units"] += 1
        return registry

    # ---- reading -------------------------------------------------------------------------------

    def revision(self) -> str:
        """Changes whenever the content changes (also for writes from another process)."""
        return str(self._collection_metadata().get("revision", ""))

    def count(self, filters: Filters | None = None) -> int:
        """Number of units (matching `filters`)."""
        where = filters.to_chroma_where() if filters else None
        if where is None:
            return self._collection.count()
        return len(self._collection.get(where=where, include=[])["ids"])

    def units(self, filters: Filters | None = None) -> list[Unit]:
        """All units (matching `filters`), in document order."""
        where = filters.to_chroma_where() if filters else None
        metadatas = self._collection.get(where=where, include=["metadatas"])["metadatas"]
        return sorted(self._to_units(metadatas), key=_unit_order)

    def get(self, ids: list[str]) -> list[Unit]:
        """The units with these ids, in the order asked; unknown ids are skipped."""
        if not ids:
            return []
        found = self._collection.get(ids=list(dict.fromkeys(ids)), include=["metadatas"])
        by_id = {uid: Unit.from_metadata(meta) for uid, meta in zip(found["ids"], found["metadatas"],
                                                                    strict=True)}
        return [by_id[uid] for uid in ids if uid in by_id]

    def dense_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[Unit, float]]:
        """Nearest units to `query` (query mode) with their cosine similarity, best first."""
        if k <= 0 or self.count() == 0:
            return []
        where = filters.to_chroma_where() if filters else None
        result = self._collection.query(
            query_embeddings=[self.embeddings.embed_query(query)],
            n_results=min(k, self.count()),
            where=where,
            include=["metadatas", "distances"],
        )
        return [(Unit.from_metadata(meta), 1.0 - float(distance))
                for meta, distance in zip(result["metadatas"][0], result["distances"][0], strict=True)]

    def documents(self) -> list[DocumentInfo]:
        """One DocumentInfo per stored document, sorted by symbol."""
        return [DocumentInfo.from_catalog_entry(entry) for _, entry in sorted(self._registry().items())]

    def document_unit_counts(self) -> dict[str, int]:
        """symbol -> number of stored units."""
        return {symbol: entry["units"] for symbol, entry in sorted(self._registry().items())}

    def has_documents(self, symbols: Iterable[str]) -> bool:
        """True when every symbol is stored."""
        registry = self._registry()
        return all(symbol in registry for symbol in symbols)

    @staticmethod
    def _to_units(metadatas: list[dict]) -> list[Unit]:
        return [Unit.from_metadata(meta) for meta in metadatas]


def _document_of(unit: Unit) -> DocumentInfo:
    """The document-level fields a unit carries."""
    return DocumentInfo(symbol=unit.symbol, language=unit.language, congress=unit.congress,
                        region=unit.region, venue=unit.venue, dates=list(unit.dates),
                        title_zh=unit.title_zh, title_en=unit.title_en, declaration=unit.declaration)
