"""Add, remove or list reports in the store (or rebuild it).

Examples:
  assistant ingest report.pdf --symbol A/CONF.241/RPM.3/1 --region Africa --congress 15
  assistant ingest reports/*.docx --metadata reports/catalog.json
  assistant ingest --remove A/CONF.241/RPM.3/1
  assistant ingest --list
  assistant ingest --rebuild      (after changing ASSISTANT_EMBEDDINGS: re-embeds the built-in corpus)

Files may be .txt, .md, .pdf or .docx, Chinese or English. Metadata comes from these flags, then
--metadata, then a sidecar REPORT.json or catalog.json beside the file, then the text itself.
Re-ingesting a document replaces its units; a file that fails leaves the store unchanged.
For each file it prints the parts found (body, annexes), their paragraphs, sub-items and preambular
units, the numbering check, and what was not stored (page furniture, footnotes, a list of documents).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vectorstore.catalog import load_catalog
from vectorstore.errors import UserError
from vectorstore.language import detect_language


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="report files to ingest")
    meta = parser.add_argument_group("metadata for the files (overrides catalog and detection)")
    meta.add_argument("--symbol", help="document symbol, e.g. A/CONF.241/RPM.2/2")
    meta.add_argument("--region", help="region, e.g. 'Latin America and the Caribbean'")
    meta.add_argument("--congress", type=int, help="congress number, e.g. 15")
    meta.add_argument("--language", choices=["zh", "en"], help="language of the report")
    meta.add_argument("--title", help="report title (stored as the Chinese or English title)")
    meta.add_argument("--metadata", type=Path, metavar="JSON_FILE",
                      help='catalog.json-style file: {"documents": [{"file": ..., "symbol": ...}]}')
    actions = parser.add_argument_group("store maintenance")
    actions.add_argument("--remove", metavar="SYMBOL", action="append", default=[],
                         help="remove a document by symbol (repeatable)")
    actions.add_argument("--builtin", action="store_true", help="ingest the built-in corpus if missing")
    actions.add_argument("--rebuild", action="store_true",
                         help="drop the collection and re-ingest the built-in corpus (after an "
                              "embedder change; your own files must be ingested again)")
    actions.add_argument("--list", action="store_true", help="list stored documents with unit counts")
    checks = parser.add_argument_group("parsing")
    checks.add_argument("--accept-numbering-warnings", action="store_true",
                        help="store a document whose paragraph numbering skips a number or restarts at 1 "
                             "without an annex heading (the restarted paragraphs become a separate part); "
                             "without it such a file is refused. Duplicate numbers are always refused.")
    checks.add_argument("--parse-budget", type=float, metavar="SECONDS",
                        help="seconds each file may take to read and parse before it is refused "
                             "(default: ASSISTANT_PARSE_BUDGET or 5)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args, settings) -> int:
    from vectorstore.ingest import IngestError, ensure_builtin_corpus, ingest_files
    from vectorstore.store import UnitStore, delete_collection

    if args.parse_budget is not None and args.parse_budget <= 0:
        raise UserError("--parse-budget must be a positive number of seconds.")
    if args.symbol and len(args.paths) > 1:
        raise UserError("--symbol names one document: give one PATH with it.")
    if not (args.paths or args.remove or args.builtin or args.rebuild or args.list):
        raise UserError("Nothing to do: give PATH..., --remove SYMBOL, --builtin, --rebuild or --list "
                        "(see `assistant ingest --help`).")
    progress = not args.no_progress

    if args.rebuild:
        dropped = delete_collection(settings)
        print(f"Dropped collection '{settings.collection}'." if dropped
              else f"Collection '{settings.collection}' did not exist.")
    store = UnitStore(settings)
    for symbol in args.remove:
        print(f"Removed {symbol}: {store.remove_document(symbol)} units.")
    if args.builtin or args.rebuild:
        reports = ensure_builtin_corpus(settings, store=store, progress=progress)
        for report in reports:
            print(f"Built-in {report.describe()}")
            _print_details(report)
        if not reports:
            print("Built-in corpus already in the store.")
    if args.paths:
        catalog = _load_metadata(args.metadata) if args.metadata else None
        try:
            reports = ingest_files(args.paths, settings, overrides=_overrides(args), store=store,
                                   progress=progress, catalog=catalog,
                                   accept_numbering_warnings=args.accept_numbering_warnings,
                                   parse_budget=args.parse_budget)
        except IngestError as exc:
            _print_reports(exc.reports)
            raise
        _print_reports(reports)
        for report in reports:
            if not report.official:
                print(f"Renderings of {report.symbol} in the other language: `assistant translate --symbol "
                      f"{report.symbol}` (the app renders its uploads in the background).")
    if args.list:
        _print_documents(store)
    else:
        print(f"Store: {len(store.documents())} documents, {store.count()} units.")
    return 0


def _load_metadata(path: Path) -> dict:
    try:
        return load_catalog(path)
    except TypeError as exc:  # an entry without a required field such as "language"
        raise UserError(f"{path}: every document entry needs \"file\" and \"language\" ({exc})") from None


def _overrides(args) -> dict:
    overrides = {"symbol": args.symbol, "region": args.region, "congress": args.congress,
                 "language": args.language}
    if args.title:
        title_language = args.language or detect_language(args.title)
        overrides["title_en" if title_language == "en" else "title_zh"] = args.title
    return {k: v for k, v in overrides.items() if v is not None}


def _print_reports(reports) -> None:
    for report in reports:
        print(f"Ingested {report.describe()}")
        _print_details(report)


def _print_details(report) -> None:
    """Parts (paragraphs, sub-items, preambular units, numbering check) and what was left out."""
    for line in report.details():
        print(f"  {line}")


def _print_documents(store) -> None:
    documents = store.documents()
    if not documents:
        print("The store is empty: `assistant ingest --builtin` adds the built-in reports.")
        return
    counts = store.document_unit_counts()
    print(f"{'symbol':<24} {'lang':<4} {'congress':>8} {'units':>6}  region / title")
    for d in documents:
        print(f"{d.symbol:<24} {d.language:<4} {d.congress or '':>8} {counts.get(d.symbol, 0):>6}  "
              f"{d.region or '-'} / {d.title_zh or d.title_en or d.file}")
    print(f"{len(documents)} documents, {store.count()} units.")
