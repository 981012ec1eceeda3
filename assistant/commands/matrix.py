"""Thematic matrix of the recommendations: themes x reports, with paragraph references.

Every recommendation of the selected reports is put under one or more themes of the bilingual
taxonomy (assistant/data/themes.json) by embedding similarity plus keywords; recommendations that
match no theme go to an "other" row (their number is printed on stderr).

examples:
  assistant matrix                                   Markdown table on stdout (Chinese)
  assistant matrix --lang en --region LAC            English labels, Latin America only
  assistant matrix --format docx --out matrix.docx   Word table
  assistant matrix --format csv --out matrix.csv     one row per theme x report x recommendation
  assistant matrix --explain "A/CONF.241/RPM.2/2#24(e)"   why a recommendation sits where it does
"""

from __future__ import annotations

import sys

from assistant.commands.filter_options import add_filter_arguments
from assistant.matrix import GIST_MODES, LANGUAGES, matrix_from_store
from assistant.matrix_export import FORMATS, to_csv, to_markdown, write
from vectorstore.errors import UnknownDocumentError, UserError
from vectorstore.units import split_unit_id


def add_arguments(parser) -> None:
    add_filter_arguments(parser, kinds=False,
                         region_help="only this region (repeatable): full name, LAC, EUR, 拉美, 欧洲 ...")
    parser.add_argument("--lang", choices=LANGUAGES, default="zh",
                        help="language of theme labels and gists (default: zh)")
    parser.add_argument("--format", choices=FORMATS, default="md", help="output format (default: md)")
    parser.add_argument("--out", metavar="FILE", help="write to FILE (required for docx)")
    parser.add_argument("--gists", choices=GIST_MODES, default="keywords",
                        help="cross-language gists: key terms + original opening (default, offline) "
                             "or short translations by the configured chat backend (llm)")
    parser.add_argument("--explain", metavar="UNIT_ID",
                        help="show why one recommendation was put under its themes, e.g. "
                             "'A/CONF.241/RPM.2/2#24(e)' (or '24(e)' with one --symbol)")


def run(args, settings) -> int:
    from vectorstore.ingest import open_store

    if args.format == "docx" and not args.out and not args.explain:
        raise UserError("--format docx needs --out FILE (a Word file cannot be printed).")
    store = open_store(settings)
    if args.explain:
        uid = _unit_id(args.explain, args.symbol, store)
        # Assignments do not depend on the other units: the unit's own report is enough.
        matrix = matrix_from_store(store, lang=args.lang, symbols=[split_unit_id(uid)[0]], settings=settings)
        if uid not in matrix.assignments:
            raise UserError(f"{uid} introduces a list: the matrix lists its sub-items, e.g. {uid}(a).")
        print(matrix.explain(uid))
        return 0
    matrix = matrix_from_store(store, lang=args.lang, symbols=args.symbol, congresses=args.congress,
                               regions=args.region, gists=args.gists, settings=settings)
    for notice in matrix.notices:
        print(notice, file=sys.stderr)
    if args.out:
        path = write(matrix, args.format, args.out)
        print(f"wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(to_markdown(matrix) if args.format == "md" else to_csv(matrix))
    other = len(matrix.other_units)
    print(f"{len(matrix.units)} recommendations; {other} in \"other\" (no theme matched).", file=sys.stderr)
    return 0


def _unit_id(value: str, symbols: list[str], store) -> str:
    """A full unit id, or a bare reference like 24(e) when exactly one --symbol is given."""
    value = value.strip()
    if "#" in value:
        try:
            split_unit_id(value)
        except ValueError as exc:
            raise UserError(f"Not a unit id: {value!r} (expected e.g. A/CONF.241/RPM.2/2#24(e)).") from exc
        uid = value
    elif len(symbols) == 1:
        uid = f"{symbols[0]}#{value.replace(' ', '')}"
    else:
        raise UserError(f"--explain {value}: give the full unit id (SYMBOL#24(e)) or exactly one --symbol.")
    found = store.get([uid])
    if not found:
        raise UnknownDocumentError(f"{uid} is not in the store.")
    if found[0].kind != "recommendation":
        raise UserError(f"{uid} is not a recommendation (kind: {found[0].kind}); "
                        "the matrix covers recommendations only.")
    return uid
