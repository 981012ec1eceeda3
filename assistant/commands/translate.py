"""Render every paragraph in the other language (zh -> en, en -> zh) with the local model; check terms.

Units without a current rendering (none stored, none shipped, or their text changed) are
translated one at a time (recommendations first, then summaries, then the rest), with their
section heading and chapeau as context and the official terms they contain as hints; each is
stored as soon as it is done, so an interrupted run resumes.
The model is the configured one (--model; the 1.5B model is the quality default).

  assistant translate                          # everything missing, progress bar and ETA
  assistant translate --symbol A/RES/76/181    # one document
  assistant translate --check                  # renderings lacking a term or a figure; % per document
  assistant translate --improve                # ... and retry once those lacking a term or a figure
  assistant translate --improve --cached-only  # only the fixes that need no model (lead-in, ㈠ -> (i))
  assistant translate --fresh --export corpus/renderings.jsonl   # regenerate the shipped file
"""

from __future__ import annotations

import shlex
import sys
from datetime import date
from pathlib import Path

from assistant.commands.filter_options import check_filters
from vectorstore.errors import UserError

TARGET_PERCENT = 95.0
_READING_ORDER = {"recommendation": 0, "summary": 1, "other": 2, "preamble": 3}


def add_arguments(parser) -> None:
    parser.add_argument("--symbol", action="append", default=[], metavar="SYMBOL",
                        help="only this document (repeatable)")
    parser.add_argument("--check", action="store_true",
                        help="translate nothing: list renderings lacking the official counterpart of a "
                             "term in their original, losing a figure of it, or (Chinese) keeping "
                             "English words, and the share of term occurrences rendered officially per "
                             f"document (target ≥ {TARGET_PERCENT:.0f} %%); exit 1 when a document misses")
    parser.add_argument("--fresh", action="store_true",
                        help="ignore the shipped renderings file (re-render through the cache)")
    parser.add_argument("--export", type=Path, metavar="FILE",
                        help="afterwards, write the selected units' renderings to FILE (JSON lines, "
                             "with model, date and this command), e.g. corpus/renderings.jsonl")
    parser.add_argument("--limit", type=int, default=0, metavar="N",
                        help="translate at most N units this run (0: all)")
    parser.add_argument("--improve", action="store_true",
                        help="also drop a lead-in the machine renderings start with that their original "
                             "does not have (no model), then retry once those that lack an official term, "
                             "drop a number or leave most of the text out; the retry is kept when it has "
                             "fewer faults (once per text on this machine; not with --cached-only)")
    parser.add_argument("--cached-only", action="store_true",
                        help="store only what this machine's translation cache already holds (no model)")


def run(args, settings) -> int:
    from vectorstore.filters import Filters
    from vectorstore.ingest import open_store
    from vectorstore.renderings import RenderingStore, check_renderings
    from vectorstore.terms import load_terms

    if args.limit < 0:
        raise UserError("--limit must be 0 (all) or more")
    store = open_store(settings)
    filters = Filters(symbols=tuple(args.symbol))
    check_filters(store, filters)
    units = store.units(filters)
    renderings = RenderingStore(settings)
    include_shipped = not args.fresh

    if args.check:
        checks = check_renderings(units, renderings.get_many(units, include_shipped), load_terms())
        print(format_check(checks))
        return 0 if all(c.percent >= TARGET_PERCENT and not c.cjk_in_english and not c.english_in_chinese
                        and not c.lead_in and not c.changing and not c.unrendered for c in checks) else 1

    # Most-read first, so that an interrupted run has rendered what readers see most.
    missing = renderings.missing(units, include_shipped)
    missing.sort(key=lambda u: _READING_ORDER.get(u.kind, 9))
    if args.limit:
        missing = missing[:args.limit]
    print(f"{len(units)} units; {len(units) - len(renderings.missing(units, include_shipped))} rendered, "
          f"{len(missing)} to translate this run.", file=sys.stderr)
    if missing:
        stats = _translate(settings, missing, renderings, args.cached_only)
        print(f"Translated {stats.translated} units in {stats.seconds:.0f} s "
              f"({stats.units_per_second:.3f} units/s), {stats.cached} from the cache; "
              f"{stats.retried} retried, {stats.repaired} repaired.", file=sys.stderr)
        for failure in stats.failures:
            print(f"  not rendered: {failure}", file=sys.stderr)
    if args.improve:
        _tidy(units, renderings, include_shipped)
        if not args.cached_only:
            _improve(settings, units, renderings, include_shipped)
    if args.export:
        _export(args, units, renderings.get_many(units, include_shipped), settings)
    return 0


def _translate(settings, units, renderings, cached_only: bool):
    from tqdm import tqdm

    from assistant.translation import UnitTranslator, translate_units

    translator = UnitTranslator(settings)
    total = sum(translator.cached(u) for u in units) if cached_only else len(units)
    with tqdm(total=total, desc="Translating", unit="unit", file=sys.stderr) as bar:
        def advance(unit, rendering):
            bar.set_postfix_str(unit.id, refresh=False)
            bar.update(1)
        return translate_units(settings, units, renderings, translator, on_unit=advance,
                               cached_only=cached_only)


def _tidy(units, renderings, include_shipped: bool) -> None:
    """Machine renderings that start with their chapeau rendered (or "Here is the translation:"),
    or English ones that kept their source's enumerators ㈠ ㈡ ..., stored tidied
    (`tidy_rendering`): fixes that need no model, so they apply to shipped renderings too."""
    from dataclasses import replace

    from assistant.translation import tidy_rendering

    found = renderings.get_many(units, include_shipped)
    tidied = []
    for unit in units:
        rendering = found.get(unit.id)
        if rendering is not None and rendering.source == "machine":
            text = tidy_rendering(rendering.text, unit.text, unit.chapeau, rendering.language)
            if text != rendering.text:
                tidied.append(replace(rendering, text=text))
    renderings.put(tidied)
    print(f"{len(tidied)} renderings tidied (a lead-in their original does not have dropped, "
          f"enumerators ㈠ ㈡ ... written (i), (ii) ... in English).", file=sys.stderr)


def _improve(settings, units, renderings, include_shipped: bool) -> None:
    from tqdm import tqdm

    from assistant.translation import UnitTranslator, render_context

    translator = UnitTranslator(settings)
    found = renderings.get_many(units, include_shipped)
    faulty = [u for u in units if u.id in found and found[u.id].source == "machine"
              and not translator.cache.retried(u.language, u.text)
              and translator.problems(u.text, u.language, found[u.id].text, render_context(u))]
    print(f"{len(faulty)} renderings with faults to retry.", file=sys.stderr)
    for unit in tqdm(faulty, desc="Retrying", unit="unit", file=sys.stderr):
        improved = translator.improve(unit, found[unit.id])
        if improved is not found[unit.id]:
            renderings.put([improved])
    stats = translator.stats
    print(f"Retried {len(faulty)} renderings in {stats.seconds:.0f} s: {stats.improved} improved.",
          file=sys.stderr)


def _export(args, units, found, settings) -> None:
    from vectorstore.renderings import write_shipped

    models = sorted({r.model for r in found.values() if r.model})
    command = "assistant translate " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 \
        else f"assistant translate --export {args.export}"
    meta = {"models": models, "date": date.today().isoformat(), "command": command,
            "units": len(units), "missing": [u.id for u in units if u.id not in found]}
    count = write_shipped(args.export, found.values(), meta)
    print(f"Wrote {count} renderings to {args.export} ({args.export.stat().st_size / 1024:.0f} KiB); "
          f"{len(meta['missing'])} units have none.", file=sys.stderr)


def format_check(checks) -> str:
    lines = []
    for check in checks:
        for uid, missing in check.lacking:
            lines.append(f"{uid}: lacks " + "; ".join(missing))
        for uid, figures in check.losing:
            lines.append(f"{uid}: loses figures of its original: " + ", ".join(figures))
        for uid, figures in check.changing:
            lines.append(f"{uid}: states figures its original does not: " + ", ".join(figures))
        for uid, words in check.english_in_chinese:
            lines.append(f"{uid}: English words left in the Chinese rendering: " + "; ".join(words))
        for uid in check.cjk_in_english:
            lines.append(f"{uid}: English rendering contains CJK characters")
        for uid in check.lead_in:
            lines.append(f"{uid}: the rendering starts with a lead-in its original does not have")
        for uid in check.unrendered:
            lines.append(f"{uid}: no rendering")
    lines.append("")
    lines.append("Term occurrences rendered with the official term, per document "
                 f"(target ≥ {TARGET_PERCENT:.0f} %):")
    for check in checks:
        figures = f"{check.official:>5}/{check.occurrences:<5} {check.percent:5.1f} %"
        lines.append(f"  {check.symbol:<24} {figures}   "
                     f"rendered {check.rendered}/{check.units}, CJK in English: {len(check.cjk_in_english)}, "
                     f"English in Chinese: {len(check.english_in_chinese)}, "
                     f"losing a figure: {len(check.losing)}, "
                     f"stating a figure the original does not: {len(check.changing)}, "
                     f"starting with a lead-in: {len(check.lead_in)}")
    return "\n".join(lines)
