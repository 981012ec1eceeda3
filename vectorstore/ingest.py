"""Ingestion: files -> text -> metadata -> units -> store, all-or-nothing per file.

Each file is read and parsed in a worker process under a time budget (`parse_worker`), so a
hostile file can neither stall the app nor hang the CLI. `ingest_files` stores every file it can
and then, if any file failed, raises `IngestError` (a UserError) naming each failed file and why;
the files stored before are listed in the message and kept in `error.reports`. A failed file
never changes the store: its document keeps the units it had before.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from vectorstore.catalog import CATALOG_NAME, load_catalog
from vectorstore.errors import UserError
from vectorstore.parse_worker import prepare_file
from vectorstore.parsing import ParsedDocument
from vectorstore.renderings import store_official_version
from vectorstore.settings import BUILTIN_CORPUS_DIR, Settings
from vectorstore.store import UnitStore
from vectorstore.units import DocumentInfo


@dataclass
class IngestReport:
    """What happened to one stored file."""

    path: Path
    document: DocumentInfo
    units: int  # units stored now
    replaced: int  # units of the same symbol before (0 for a new document)
    seconds: float
    parsed: ParsedDocument | None = None  # parts, numbering check, what was left out
    official: bool = False  # stored as the official rendering of the same document in the other language

    @property
    def symbol(self) -> str:
        return self.document.symbol

    def describe(self) -> str:
        action = f"replaced {self.replaced} units" if self.replaced else "new document"
        if self.official:
            action = "official rendering of the stored version, replacing machine renderings"
        return f"{self.path.name}: {self.symbol}, {self.units} units ({action}, {self.seconds:.1f} s)"

    def details(self) -> list[str]:
        """The metadata questions can name the document by (region, congress, venue, dates; from the
        catalog, flags or the printed title); per part: paragraphs, sub-items, preambular units,
        numbering; then what was not stored."""
        doc = self.document
        facts = {"region": doc.region, "congress": doc.congress or "", "venue": doc.venue,
                 "dates": " to ".join(doc.dates)}
        known = ", ".join(f"{name} {value}" for name, value in facts.items() if value)
        lines = []
        if known:
            lines.append(f"metadata: {known} (--region, --congress, --metadata or a sidecar JSON correct it)")
        return lines + (self.parsed.describe() if self.parsed else [])


class IngestError(UserError):
    """Some files could not be ingested; the others were stored (see `reports`)."""

    def __init__(self, failures: list[tuple[Path, str]], reports: list[IngestReport]):
        self.failures = failures
        self.reports = reports
        lines = [f"{len(failures)} file(s) not ingested (the store is unchanged for them):"]
        lines += [f"  {path.name}: {reason}" for path, reason in failures]
        if reports:
            lines.append("Stored: " + ", ".join(f"{r.path.name} ({r.symbol})" for r in reports))
        super().__init__("\n".join(lines))


def ingest_files(paths, settings: Settings, overrides: dict | None = None, store: UnitStore | None = None,
                 progress: bool = True, catalog: dict[str, DocumentInfo] | None = None,
                 accept_numbering_warnings: bool = False, parse_budget: float | None = None,
                 before_write=None) -> list[IngestReport]:
    """Ingest report files; raises IngestError after storing the good ones if any file failed.

    `overrides` (symbol, region, congress, language, title_zh, title_en, ...) apply to every file
    and win over `catalog` (entries of an explicit catalog.json-style file, by file name), which
    wins over a sidecar/catalog.json beside the file and detection from the text.
    `accept_numbering_warnings` stores a document whose numbering has a gap or restarts without
    an annex heading (reported); `parse_budget` is the seconds each file may take to read and
    parse (default: ASSISTANT_PARSE_BUDGET or 5 s). `before_write(document)` is called with each
    file's DocumentInfo before anything is written for it (document or official rendering); it
    raises UserError to refuse the file (the app refuses built-in symbols this way).
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise UserError("No files to ingest.")
    store = store if store is not None else UnitStore(settings)
    reports: list[IngestReport] = []
    failures: list[tuple[Path, str]] = []
    stored_symbols: dict[str, Path] = {}
    for path in tqdm(paths, desc="files", unit="file", disable=not progress or len(paths) < 2):
        try:
            file_overrides = {**_catalog_overrides(catalog, path), **(overrides or {})}
            report = _ingest_one(path, store, file_overrides, progress, stored_symbols,
                                 accept_numbering_warnings, parse_budget, before_write)
        except UserError as exc:
            failures.append((path, _without_file_prefix(str(exc), path)))
            continue
        stored_symbols[report.symbol] = path
        reports.append(report)
    if failures:
        raise IngestError(failures, reports)
    return reports


def _ingest_one(path: Path, store: UnitStore, overrides: dict, progress: bool,
                stored_symbols: dict[str, Path], accept_numbering_warnings: bool,
                parse_budget: float | None, before_write=None) -> IngestReport:
    started = time.perf_counter()
    prepared = prepare_file(path, overrides, accept_numbering_warnings, parse_budget)
    document, parsed = prepared.document, prepared.parsed
    if document.symbol in stored_symbols:
        raise UserError(f"same symbol {document.symbol} as {stored_symbols[document.symbol].name} "
                        "in this batch; give each file its own --symbol")
    if before_write is not None:
        before_write(document)
    previous = store.document_unit_counts().get(document.symbol, 0)
    # Official versions win (vectorstore/renderings.py): the other-language version of a stored
    # document is aligned by unit id as its official rendering, not stored as a second document.
    official = store_official_version(store, parsed.units)
    if official is not None:
        return IngestReport(path, document, official, 0, time.perf_counter() - started, parsed, official=True)
    store.replace_document(parsed.units, progress=progress, document=document)
    return IngestReport(path, document, len(parsed.units), previous, time.perf_counter() - started, parsed)


def _catalog_overrides(catalog: dict[str, DocumentInfo] | None, path: Path) -> dict:
    if not catalog:
        return {}
    entry = catalog.get(path.name)
    if entry is None and len(catalog) == 1:  # a one-document metadata file applies to any file name
        entry = next(iter(catalog.values()))
    if entry is None:
        raise UserError(f"no entry for {path.name} in the metadata file (entries: {', '.join(catalog)})")
    return {k: v for k, v in asdict(entry).items() if k != "file" and v not in (None, "", [])}


def _without_file_prefix(message: str, path: Path) -> str:
    # Loader/parser messages already start with the file name; the summary prints it once.
    for prefix in (f"{path}: ", f"{path.name}: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def remove_document(symbol: str, settings: Settings, store: UnitStore | None = None) -> int:
    """Remove one document's units; returns how many (UnknownDocumentError if absent)."""
    store = store if store is not None else UnitStore(settings)
    return store.remove_document(symbol)


def builtin_catalog() -> dict[str, DocumentInfo]:
    """The built-in corpus' catalog.json, by file name."""
    return load_catalog(BUILTIN_CORPUS_DIR / CATALOG_NAME)


def ensure_builtin_corpus(settings: Settings, store: UnitStore | None = None,
                          progress: bool = True) -> list[IngestReport]:
    """Ingest the built-in reports the store does not have yet (a quick no-op once they are in)."""
    store = store if store is not None else UnitStore(settings)
    missing = [name for name, doc in builtin_catalog().items() if not store.has_documents([doc.symbol])]
    if not missing:
        return []
    reports = ingest_files([BUILTIN_CORPUS_DIR / name for name in missing], settings, store=store,
                           progress=progress)
    # The shipped renderings are searched too: embed them now, during the first start's set-up,
    # rather than in the background of the first searches (cached per machine afterwards).
    from vectorstore.retrieval import HybridSearcher

    HybridSearcher(store, settings).prepare_renderings()
    return reports


def open_store(settings: Settings) -> UnitStore:
    """The configured store, with the built-in corpus ingested first if it is missing."""
    store = UnitStore(settings)
    ensure_builtin_corpus(settings, store=store)
    return store
