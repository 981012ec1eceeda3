"""UnitStore: the units of all documents in one Chroma collection (embedded or server).

- Chroma `PersistentClient` under `settings.chroma_dir`, or `HttpClient` when
  `settings.chroma_host` is set. Cosine space, telemetry off.
- Vectors come from a LangChain `Embeddings` adapter, computed from `Unit.embedding_text`
  (passage mode); the verbatim `Unit.text` travels in the metadata (`Unit.to_metadata`).
- The collection metadata records the embedder fingerprint (a collection is never queried with
  another model's vectors), a revision that changes on every committed change (the BM25 index
  rebuilds when it changes) and the document registry (DocumentInfo, unit count and generation
  per symbol), so listing documents never scans the units.

Crash safety. Each stored version of a document is a *generation*: its records carry
`generation` in their metadata and have the record id `UNIT_ID@GENERATION`. Readers only see the
generation the registry names. Replacing a document adds the new generation beside the old one,
then switches the registry in one metadata write (the commit), then deletes the old generation.
A crash (kill -9, Ctrl+C, a full disk) at any point leaves the registry naming a complete
generation: the old one before the commit, the new one after. Leftover records of other
generations are deleted on the next open or write ("repair"). Records written before generations
existed (no `generation`, id = unit id) stay readable by symbol until their document is replaced.

Writers. Every write holds the inter-process writer lock (vectorstore/locking.py; `writer()` lets
other writers hold it around several steps). Embedded Chroma keeps each directory's vector index
in memory per process and would overwrite another process's additions with its stale copy, so a
write always starts from a freshly loaded client, and a reader reloads when it sees a revision it
did not load.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict

from chromadb.errors import InvalidArgumentError, NotFoundError
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from vectorstore import chroma_client
from vectorstore.chroma_client import open_client
from vectorstore.embeddings import BATCH_SIZE, make_embeddings
from vectorstore.errors import EmbedderMismatchError, UnknownDocumentError, UserError
from vectorstore.filters import Filters
from vectorstore.locking import DEFAULT_TIMEOUT, try_writer_lock, writer_lock
from vectorstore.settings import Settings
from vectorstore.units import DocumentInfo, Unit

_REBUILD_HINT = (
    "rebuild it with `assistant ingest --rebuild` (re-embeds the built-in corpus; ingest your own "
    "files again afterwards), or delete {where}."
)
_log = logging.getLogger(__name__)

# Named points of a write, reported to `step_listener` (crash tests kill the process there):
# "staged-batch" after each batch of new records, "staged" when all are added, "switched" after the
# registry commit, "cleaned" after the old generation is deleted; "removed" after a removal's commit.
step_listener: Callable[[str], None] | None = None

# Candidates HNSW explores per query. Chroma's default (100) is approximate even on the built-in
# corpus (399 units): 15 of 6,000 true top-50 neighbours were missed over 120 evaluation
# questions, and because embedded Chroma rebuilds a small collection's graph in each process, the
# misses (and so the rankings) changed from one run to the next. With at least as many candidates
# as units the search is exact; beyond that it stays close to exact at a small cost.
SEARCH_EF = 1000
# Units with the same vector (the identical lead-ins "与会者未经谈判提出了下列建议：") tie; extra
# results are fetched so that ties at the cut are broken by reading order, not by chance.
TIE_MARGIN = 16


def _reached(step: str) -> None:
    if step_listener is not None:
        step_listener(step)


def _store_location(settings: Settings) -> str:
    if settings.chroma_host:
        server = f"{settings.chroma_host}:{settings.chroma_port}"
        return f"collection '{settings.collection}' on the Chroma server {server}"
    return f"collection '{settings.collection}' in {settings.chroma_dir}"


def delete_collection(settings: Settings) -> bool:
    """Drop the whole collection (for `ingest --rebuild`); False if it did not exist."""
    with writer_lock(settings):
        embedded = not settings.chroma_host
        client = chroma_client.reload_client(settings, None) if embedded else open_client(settings)
        if settings.collection not in {c.name for c in client.list_collections()}:
            return False
        client.delete_collection(settings.collection)
        return True


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def _part_order(part: str) -> tuple:
    """Body first, then parts by word ("annex" < "appendix") and number (II before IX, 2 before 10)."""
    if not part:
        return (0, "", 0)
    word, _, number = part.partition(" ")
    if not number or number.isdigit():
        return (1, word, int(number or 0))
    digits = [_ROMAN.get(ch, 0) for ch in number]  # IX = -1 + 10
    return (1, word, sum(-d if d < nxt else d for d, nxt in zip(digits, digits[1:] + [0], strict=True)))


def _unit_order(unit: Unit) -> tuple:
    # A document's reading order: body, then annexes; within a part the preamble comes before the
    # numbered paragraphs; a paragraph before its items; "aa" after "z" (longer letters sort later).
    item = unit.item or ""
    return unit.symbol, _part_order(unit.part), not unit.preamble, unit.paragraph, len(item), item


def _record_id(unit_id: str, generation: str) -> str:
    return f"{unit_id}@{generation}" if generation else unit_id


class UnitStore:
    def __init__(self, settings: Settings, embeddings: Embeddings | None = None, *,
                 lock_timeout: float = DEFAULT_TIMEOUT):
        self.settings = settings
        self.embeddings = embeddings if embeddings is not None else make_embeddings(settings)
        self.fingerprint = getattr(self.embeddings, "fingerprint", type(self.embeddings).__name__)
        self.lock_timeout = lock_timeout
        self.add_batch_size: int | None = None  # records per add() call (default: Chroma's maximum)
        self._embedded = not settings.chroma_host
        self._client = chroma_client.shared_client(settings) if self._embedded else open_client(settings)
        self._system = chroma_client.current_system(settings) if self._embedded else None
        self._writing = 0  # depth of `writer()` blocks of this store
        try:
            self._collection = self._client.get_collection(settings.collection, embedding_function=None)
        except (NotFoundError, ValueError):  # not created yet: create it, one writer at a time
            with self.writer():
                self._collection = self._create_collection()
        built_with = (self._collection.metadata or {}).get("embedder")
        if built_with != self.fingerprint:
            raise EmbedderMismatchError(
                f"The {_store_location(settings)} was built with the embedder '{built_with}', but the "
                f"configured embedder is '{self.fingerprint}' (ASSISTANT_EMBEDDINGS / ASSISTANT_ST_MODEL). "
                "Switch back to the embedder that built it, or "
                + _REBUILD_HINT.format(where=self._data_location())
            )
        self._repair_on_open()
        self._search_exactly()

    def _create_collection(self):
        try:
            return self._client.get_or_create_collection(
                self.settings.collection,
                configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
                metadata={"embedder": self.fingerprint, "revision": uuid.uuid4().hex, "documents": "{}"},
                embedding_function=None,
            )
        except (ValueError, InvalidArgumentError) as exc:  # e.g. an invalid collection name
            raise UserError(f"Cannot open Chroma collection '{self.settings.collection}': {exc}") from exc

    def _data_location(self) -> str:
        if self.settings.chroma_host:
            return f"the collection '{self.settings.collection}' on the server"
        return f"the directory {self.settings.chroma_dir}"

    # ---- writing -------------------------------------------------------------------------------

    @contextmanager
    def writer(self) -> Iterator[UnitStore]:
        """Hold the store's inter-process writer lock (re-entrant) with a client current on disk.

        Every writing method takes it by itself; hold it around several steps that must not
        interleave with another writer (e.g. read units, compute, write).
        """
        with writer_lock(self.settings, timeout=self.lock_timeout):
            if self._embedded and not self._writing:  # another process may have written before
                self._reload_for_writing()
            self._writing += 1
            try:
                yield self
            finally:
                self._writing -= 1

    def _reload_for_writing(self) -> None:
        try:
            revision = self._metadata_via(chroma_client.shared_client(self.settings)).get("revision")
        except NotFoundError:  # the collection is about to be created
            revision = None
        self._attach(chroma_client.reload_client(self.settings, revision), revision is not None)

    def _attach(self, client, collection_exists: bool = True) -> None:
        """Read and write through `client` (embedded: on the process' current system) from now on."""
        self._client = client
        self._system = chroma_client.current_system(self.settings)
        if collection_exists:
            self._collection = client.get_collection(self.settings.collection, embedding_function=None)

    def replace_document(self, units: list[Unit], progress: bool = False,
                         document: DocumentInfo | None = None) -> None:
        """Store all units of one document, replacing its previous units: all or nothing.

        Everything is embedded first; then, holding the writer lock, the new units are added as a
        new generation and the registry is switched to it in one write. Until that write readers
        see the previous units; if anything fails or interrupts before it (even Ctrl+C), the new
        records are deleted and the error re-raised. `document` (optional) is what `documents()`
        reports for it (file name and congress venue are not in the units); by default it is taken
        from the first unit.
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
        generation = uuid.uuid4().hex
        records = {
            "ids": [_record_id(uid, generation) for uid in ids],
            "embeddings": vectors,
            "metadatas": [{**u.to_metadata(), "generation": generation} for u in units],
        }
        entry = {**asdict(document or _document_of(units[0])), "units": len(units), "generation": generation}
        with self.writer():
            self._repair_if_needed()
            self._commit(symbol, records, entry)

    def _commit(self, symbol: str, records: dict, entry: dict) -> None:
        """Add the new generation, switch the registry to it, delete the old one (lock held)."""
        generation = entry["generation"]
        try:
            self._add(records)
            _reached("staged")
            registry = self._registry()
            previous = registry.get(symbol)
            registry[symbol] = entry
            self._write_metadata(registry)
        except BaseException:  # Ctrl+C too: the old generation must stay the visible one
            self._roll_back(symbol, generation)
            raise
        _reached("switched")
        if previous is not None:
            self._delete_generation(symbol, previous.get("generation", ""))
        _reached("cleaned")

    def _roll_back(self, symbol: str, generation: str) -> None:
        try:
            if self._registry().get(symbol, {}).get("generation") == generation:
                return  # interrupted after the commit: the new generation is the document now
            self._collection.delete(where={"generation": generation})
        except Exception as exc:  # e.g. the server went away: the next open or write repairs it
            _log.warning("Could not delete the partly written %s (%s); it is removed on the next "
                         "open of the store.", symbol, exc)

    def remove_document(self, symbol: str) -> int:
        """Delete a document's units; returns how many (UnknownDocumentError if it is not stored)."""
        with self.writer():
            self._repair_if_needed()
            registry = self._registry()
            if symbol not in registry:
                known = ", ".join(sorted(registry)) or "none"
                raise UnknownDocumentError(f"No document {symbol!r} in the store (stored: {known}).")
            entry = registry.pop(symbol)
            self._write_metadata(registry)  # the commit: readers no longer see the document
            _reached("removed")
            self._delete_generation(symbol, entry.get("generation", ""))
            return int(entry["units"])

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
        step = min(self._client.get_max_batch_size(), self.add_batch_size or 1 << 30)
        for start in range(0, len(records["ids"]), step):
            self._collection.add(**{key: list(values[start:start + step]) for key, values in records.items()})
            _reached("staged-batch")

    def _delete_generation(self, symbol: str, generation: str) -> None:
        if generation:
            self._collection.delete(where={"generation": generation})
            return
        # Records from before generations: their id is the unit id (no "@generation").
        found = self._collection.get(where={"symbol": symbol}, include=["metadatas"])
        old = [rid for rid, meta in zip(found["ids"], found["metadatas"], strict=True)
               if not meta.get("generation")]
        self._delete_ids(old)

    def _delete_ids(self, ids: list[str]) -> None:
        step = self._client.get_max_batch_size()
        for start in range(0, len(ids), step):
            self._collection.delete(ids=ids[start:start + step])

    def _write_metadata(self, registry: dict) -> None:
        """Store the document registry with a new revision (the commit point of every change)."""
        revision = uuid.uuid4().hex
        self._collection.modify(metadata={
            "embedder": self.fingerprint,
            "revision": revision,
            "documents": json.dumps(registry, ensure_ascii=False),
        })
        if self._embedded:  # our system wrote it, so it is current for this revision
            chroma_client.note_revision(self.settings, revision)

    # ---- repair --------------------------------------------------------------------------------

    def _consistent(self) -> bool:
        """Cheap check: every record belongs to the registry and every registered unit is there."""
        metadata = self._collection_metadata()
        if "documents" not in metadata:
            return False
        expected = sum(entry["units"] for entry in json.loads(metadata["documents"]).values())
        return self._collection.count() == expected

    def _search_exactly(self) -> None:
        """Raise ef_search of a collection created with a smaller one (a mutable setting)."""
        hnsw = (getattr(self._collection, "configuration", None) or {}).get("hnsw") or {}
        if hnsw.get("ef_search", SEARCH_EF) >= SEARCH_EF:
            return
        with try_writer_lock(self.settings) as taken:
            if taken:
                with self.writer():
                    self._collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
                    self._attach(self._client)

    def _repair_on_open(self) -> None:
        # A live writer holds the lock while its store looks inconsistent (new generation added,
        # registry not yet switched); it repairs on its own. A dead one released it.
        if self._consistent():
            return
        with try_writer_lock(self.settings) as taken:
            if taken:
                with self.writer():
                    self._repair_if_needed()

    def _repair_if_needed(self) -> None:
        """Delete records no registry entry owns; drop entries whose units are gone (lock held)."""
        if self._consistent():
            return
        metadata = self._collection_metadata()
        registry = self._registry(metadata)
        owner = {entry["generation"]: symbol for symbol, entry in registry.items() if entry.get("generation")}
        found = self._collection.get(include=["metadatas"])
        counts: Counter[str] = Counter()
        orphans = []
        for rid, meta in zip(found["ids"], found["metadatas"], strict=True):
            generation = meta.get("generation") or ""
            symbol = owner.get(generation) if generation else meta.get("symbol")
            if symbol in registry and registry[symbol].get("generation", "") == generation:
                counts[symbol] += 1
            else:
                orphans.append(rid)
        changed = "documents" not in metadata
        for symbol in list(registry):
            if counts[symbol] == 0:
                _log.warning("%s had no units left in the store (an interrupted write of an older "
                             "version); it is removed from the registry, ingest it again.", symbol)
                del registry[symbol]
                changed = True
            elif counts[symbol] != registry[symbol]["units"]:
                registry[symbol]["units"] = counts[symbol]
                changed = True
        if orphans:  # not a content change: no reader sees them
            _log.info("Deleting %d records left by an interrupted write.", len(orphans))
            self._delete_ids(orphans)
        if changed:
            self._write_metadata(registry)

    # ---- reading -------------------------------------------------------------------------------

    def _metadata_via(self, client) -> dict:
        # Fetched fresh: another process (or server client) may have written since we opened it.
        return client.get_collection(self.settings.collection, embedding_function=None).metadata or {}

    def _collection_metadata(self) -> dict:
        # Embedded: through the current system (ours may have been replaced and stopped).
        client = chroma_client.shared_client(self.settings) if self._embedded else self._client
        return self._metadata_via(client)

    def _registry(self, metadata: dict | None = None) -> dict[str, dict]:
        metadata = self._collection_metadata() if metadata is None else metadata
        if "documents" in metadata:
            return json.loads(metadata["documents"])
        # A collection written before the registry existed: rebuild it from the units once.
        registry: dict[str, dict] = {}
        for meta in self._collection.get(include=["metadatas"])["metadatas"]:
            entry = registry.setdefault(meta["symbol"], {**asdict(_document_of(Unit.from_metadata(meta))),
                                                         "units": 0})
            entry["units"] += 1
        return registry

    def _reading(self) -> tuple[object, dict[str, dict]]:
        """The collection to read from and the current registry (one metadata read).

        Embedded mode: if another process committed a revision our client has not loaded, reload
        it, so that vector search sees that process' new records.
        """
        metadata = self._collection_metadata()
        if self._embedded:
            client = chroma_client.current_client(self.settings, str(metadata.get("revision", "")))
            if chroma_client.current_system(self.settings) is not self._system:
                self._attach(client)
        return self._collection, self._registry(metadata)

    @staticmethod
    def _visible(registry: dict[str, dict], filters: Filters | None) -> dict | None:
        """`where` for the registry's current generations (and `filters`); None if nothing is stored."""
        generations = [e["generation"] for e in registry.values() if e.get("generation")]
        legacy = [symbol for symbol, e in registry.items() if not e.get("generation")]
        parts = ([{"generation": {"$in": generations}}] if generations else []) + (
            [{"symbol": {"$in": legacy}}] if legacy else [])
        if not parts:
            return None
        where = parts[0] if len(parts) == 1 else {"$or": parts}
        extra = filters.to_chroma_where() if filters else None
        return where if extra is None else {"$and": [where, extra]}

    def revision(self) -> str:
        """Changes whenever the content changes (also for writes from another process)."""
        return str(self._collection_metadata().get("revision", ""))

    def count(self, filters: Filters | None = None) -> int:
        """Number of units (matching `filters`)."""
        collection, registry = self._reading()
        if filters is None or filters.empty:
            return sum(entry["units"] for entry in registry.values())
        where = self._visible(registry, filters)
        return len(collection.get(where=where, include=[])["ids"]) if where else 0

    def units(self, filters: Filters | None = None) -> list[Unit]:
        """All units (matching `filters`), in document order."""
        collection, registry = self._reading()
        where = self._visible(registry, filters)
        if where is None:
            return []
        metadatas = collection.get(where=where, include=["metadatas"])["metadatas"]
        return sorted(self._to_units(metadatas), key=_unit_order)

    def get(self, ids: list[str]) -> list[Unit]:
        """The units with these ids, in the order asked; unknown ids are skipped."""
        if not ids:
            return []
        collection, registry = self._reading()
        records = {}
        for uid in dict.fromkeys(ids):
            entry = registry.get(uid.partition("#")[0])
            if entry is not None:
                records[_record_id(uid, entry.get("generation", ""))] = uid
        if not records:
            return []
        found = collection.get(ids=list(records), include=["metadatas"])
        by_id = {records[rid]: Unit.from_metadata(meta) for rid, meta in zip(found["ids"], found["metadatas"],
                                                                            strict=True)}
        return [by_id[uid] for uid in ids if uid in by_id]

    def dense_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[Unit, float]]:
        """Nearest units to `query` (query mode) with their cosine similarity, best first."""
        collection, registry = self._reading()
        where = self._visible(registry, filters)
        stored = sum(entry["units"] for entry in registry.values())
        if k <= 0 or where is None or stored == 0:
            return []
        result = collection.query(
            query_embeddings=[self.embeddings.embed_query(query)],
            n_results=min(k + TIE_MARGIN, stored),
            where=where,
            include=["metadatas", "distances"],
        )
        found = [(Unit.from_metadata(meta), 1.0 - float(distance))
                 for meta, distance in zip(result["metadatas"][0], result["distances"][0], strict=True)]
        found.sort(key=lambda pair: (-round(pair[1], 6), _unit_order(pair[0])))
        return found[:k]

    def documents(self) -> list[DocumentInfo]:
        """One DocumentInfo per stored document, sorted by symbol."""
        return [DocumentInfo.from_catalog_entry(entry) for _, entry in sorted(self._reading()[1].items())]

    def document_unit_counts(self) -> dict[str, int]:
        """symbol -> number of stored units."""
        return {symbol: entry["units"] for symbol, entry in sorted(self._reading()[1].items())}

    def has_documents(self, symbols: Iterable[str]) -> bool:
        """True when every symbol is stored."""
        registry = self._reading()[1]
        return all(symbol in registry for symbol in symbols)

    @staticmethod
    def _to_units(metadatas: list[dict]) -> list[Unit]:
        return [Unit.from_metadata(meta) for meta in metadatas]


def _document_of(unit: Unit) -> DocumentInfo:
    """The document-level fields a unit carries."""
    return DocumentInfo(symbol=unit.symbol, language=unit.language, congress=unit.congress,
                        region=unit.region, venue=unit.venue, dates=list(unit.dates),
                        title_zh=unit.title_zh, title_en=unit.title_en, declaration=unit.declaration)
