"""Trace regional recommendations into the adopted declaration, and find agreed language.

Each recommendation gets its closest declaration paragraphs with a score, a reason (shared
official terms, shared themes) and a verdict: taken up, partly or not found; each declaration
paragraph lists the recommendations that fed it. Thresholds are calibrated on labelled pairs
(eval/trace_eval.py). Without --from, the regional reports of the declaration's own congress
are traced (today: the European report into the Kyoto Declaration).

examples:
  assistant trace                                         both directions, Markdown on stdout
  assistant trace --from A/CONF.234/RPM.5/1 --json        JSON (every recommendation unit)
  assistant trace --format docx --out trace.docx          Word tables (also md, csv)
  assistant trace --novel --symbol A/CONF.241/RPM.2/2     recommendations with no counterpart
  assistant trace --text "加强区域执法合作网络"               agreed language for a draft point
  assistant trace --theme international_cooperation       only recommendations under a matrix theme
"""

from __future__ import annotations

import json
import sys

from assistant.trace import NEW_LABEL, agreed_language, reader_text, trace_from_store, verdict_label
from assistant.trace_export import FORMATS, to_csv, to_json, to_markdown, write
from vectorstore.errors import UserError


def add_arguments(parser) -> None:
    parser.add_argument("--from", dest="sources", action="append", default=[], metavar="SYMBOL",
                        help="report(s) whose recommendations are traced (repeatable; default: the "
                             "regional reports of the declaration's congress)")
    parser.add_argument("--symbol", action="append", default=[], metavar="SYMBOL",
                        help="same as --from (reads naturally with --novel)")
    parser.add_argument("--declaration", metavar="SYMBOL",
                        help="document holding the declaration (default: the latest stored one, "
                             "A/RES/76/181 for the Kyoto Declaration)")
    parser.add_argument("--novel", action="store_true",
                        help="list only the recommendations with no counterpart in the declaration")
    parser.add_argument("--text", metavar="TEXT",
                        help="agreed language for this draft point instead (closest paragraphs, or new)")
    parser.add_argument("--theme", action="append", default=[], metavar="THEME_ID",
                        help="only recommendations under this theme of the matrix taxonomy (repeatable)")
    parser.add_argument("-k", "--top", type=int, default=3, help="paragraphs per recommendation (default 3)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="language of labels and citations (default: en)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--format", choices=FORMATS, default="md", help="output format (default: md)")
    parser.add_argument("--out", metavar="FILE", help="write to FILE (required for docx)")


def run(args, settings) -> int:
    from vectorstore.ingest import open_store

    if not 1 <= args.top <= 20:
        raise UserError("--top must be between 1 and 20.")
    if args.format == "docx" and not args.out:
        raise UserError("--format docx needs --out FILE (a Word file cannot be printed).")
    store = open_store(settings)
    if args.text is not None:
        return _agreed_language(args, settings, store)
    symbols = list(dict.fromkeys(args.sources + args.symbol))
    if args.novel and not symbols:
        raise UserError("--novel needs the report to check: --symbol SYMBOL (e.g. A/CONF.241/RPM.2/2).")
    report = trace_from_store(store, symbols=symbols, declaration=args.declaration, k=args.top,
                              settings=settings).with_theme(args.theme)
    for notice in report.notices(args.lang):
        print(notice, file=sys.stderr)
    if args.json:
        text = json.dumps(to_json(report, args.lang, args.novel), ensure_ascii=False, indent=1) + "\n"
        if args.out:
            _write_text(args.out, text)
        else:
            sys.stdout.write(text)
    elif args.out:
        path = write(report, args.format, args.out, args.lang, args.novel)
        print(f"wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(to_markdown(report, args.lang, args.novel) if args.format == "md"
                         else to_csv(report, args.lang, args.novel))
    counts = report.verdict_counts()
    print(f"{len(report.rows)} recommendations: {counts['taken up']} taken up, {counts['partly']} partly, "
          f"{counts['not found']} not found.", file=sys.stderr)
    return 0


def _agreed_language(args, settings, store) -> int:
    found = agreed_language(args.text, k=args.top, settings=settings, store=store,
                            declaration=args.declaration)
    lang = args.lang
    if args.json:
        matches = [{"id": m.unit.id, "citation": m.unit.citation(lang), "score": m.score,
                    "verdict": m.verdict, "reason": m.reason(lang), "text": m.unit.text}
                   for m in found.matches]
        print(json.dumps({"text": found.text, "new": found.is_new, "suggestion": found.suggestion(lang),
                          "matches": matches}, ensure_ascii=False, indent=1))
        return 0
    head = NEW_LABEL[lang] if found.is_new else (found.suggestion(lang) or "")
    print(f"{head}\n")
    for m in found.matches:
        print(f"{m.unit.citation(lang)} — {verdict_label(m.verdict, lang)}; {m.reason(lang)}")
        print(f"  {m.unit.text}")
        text, kind = reader_text(m.side, lang)
        if kind != "original":
            print(f"  [{kind}] {text}")
        print()
    return 0


def _write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    print(f"wrote {path}", file=sys.stderr)
