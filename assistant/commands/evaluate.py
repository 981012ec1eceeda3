"""Score retrieval (and optionally answers) on the evaluation set in eval/questions.jsonl.

By default runs the hybrid retrieval evaluation on the built-in corpus (the two Chinese reports
and the English Kyoto Declaration: a mixed store): recall@1/5/10, MRR and nDCG@10 at paragraph
level, per language, per question type and per slice "question language -> document language",
for the dev half, the test half and both. Writes report.md, results.json and recall.png to --out
(default: DATA_DIR/eval).

  assistant eval                         hybrid retrieval
  assistant eval --compare               BM25-only, dense-only and hybrid side by side, and per
                                         slice hybrid's margin over the best single channel with
                                         a bootstrap interval (rule 5, eval/margins.py)
  assistant eval --split dev             only the dev half (tune on it; report the test half)
  assistant eval --compare --split dev --no-renderings [--no-glossary]
                                         measure without the renderings in retrieval (or
                                         without the glossary channel)
  assistant eval --answers --backend extractive
                                         also answer every question and score the citations
  assistant eval --check-floors          exit 1 if hybrid recall@5 of a language or slice is
                                         below eval/floors.json on the half the floors were
                                         measured on (the test half; what CI runs)
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from eval import harness
from eval.margins import TOLERANCE, slice_margins
from eval.report import write_report


def add_arguments(parser) -> None:
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all",
                        help="evaluate the dev half, the test half or both (default: all, reported per half)")
    parser.add_argument("--no-renderings", action="store_true",
                        help="leave out the renderings in retrieval (to measure without them)")
    parser.add_argument("--no-glossary", action="store_true",
                        help="leave out the English->Chinese glossary channel (to measure without it)")
    parser.add_argument("--compare", action="store_true",
                        help="run BM25-only, dense-only and hybrid retrieval side by side")
    parser.add_argument("--answers", action="store_true",
                        help="also evaluate answers with the configured --backend (slow with llamacpp)")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="with --answers: the generative evaluation (eval/answer_eval.py) over a "
                             "stratified sample of N questions, with eval/answer_floors.json")
    parser.add_argument("--out", type=Path, help="output directory (default: DATA_DIR/eval)")
    parser.add_argument("--limit", type=int,
                        help="evaluate an evenly spread sample of N questions (quick checks)")
    parser.add_argument("--check-floors", action="store_true",
                        help="exit with status 1 if hybrid recall@5 of a language is below the floors")
    parser.add_argument("--questions", type=Path, default=harness.QUESTIONS_PATH,
                        help="evaluation set (JSONL; default: eval/questions.jsonl)")
    parser.add_argument("--floors", type=Path, default=harness.FLOORS_PATH,
                        help="recall@5 floors per language (JSON; default: eval/floors.json)")


def run(args, settings) -> int:
    from vectorstore import retrieval

    # channel switches for this run only (measure on dev before changing the defaults)
    defaults = retrieval.RENDERINGS_CHANNEL, retrieval.USE_GLOSSARY
    retrieval.RENDERINGS_CHANNEL = defaults[0] and not args.no_renderings
    retrieval.USE_GLOSSARY = defaults[1] and not args.no_glossary
    try:
        return _run(args, settings)
    finally:
        retrieval.RENDERINGS_CHANNEL, retrieval.USE_GLOSSARY = defaults


def _run(args, settings) -> int:
    from vectorstore import retrieval as channels
    from vectorstore.ingest import open_store
    from vectorstore.retrieval import HybridSearcher

    questions = harness.sample(harness.select_split(harness.load_questions(args.questions), args.split),
                               args.limit)
    floors = harness.load_floors(args.floors)  # read early: a bad file fails before the slow part
    floor_split = harness.floor_split(args.floors)
    store = open_store(settings)
    searcher = HybridSearcher(store, settings)

    configs = harness.CONFIGURATIONS if args.compare else ("hybrid",)
    retrieval, by_split, failures, records_by_config = {}, {}, [], {}
    for config in configs:
        records = harness.evaluate_retrieval(searcher, _progress(questions, f"retrieval ({config})"), config)
        records_by_config[config] = records
        retrieval[config] = harness.summarize_retrieval(records)
        for split in harness.SPLITS:
            in_split = [r for r in records if r.split == split]
            if in_split:
                by_split.setdefault(split, {})[config] = harness.summarize_retrieval(in_split)
        if config == "hybrid":
            failures = harness.records_as_dicts(harness.failures(records))

    floored = retrieval if floor_split == "all" else by_split.get(floor_split)
    if floored is None:  # e.g. --split dev while the floors hold for the test half
        violations = []
    else:
        violations = harness.floor_violations(floored["hybrid"], floors)
    results = {
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "revision": store.revision(),
        "settings": {"embeddings": settings.embeddings, "dense_weight": settings.dense_weight,
                     "bm25_weight": settings.bm25_weight, "renderings_channel": channels.RENDERINGS_CHANNEL,
                     "glossary": channels.USE_GLOSSARY},
        "split": args.split,
        "floors": floors,
        "floor_split": floor_split,
        "floor_violations": violations,
        "retrieval": retrieval,
        "retrieval_by_split": by_split,
        "retrieval_failures": failures,
        "margins": _margins(records_by_config),
    }

    if args.answers and args.sample:  # the generative evaluation: its own sample, report and floors
        from assistant.chain import AnswerChain
        from eval.answer_eval import run_answer_eval

        _, answer_violations = run_answer_eval(
            AnswerChain(settings, searcher), store, args.sample, None if args.split == "all" else args.split,
            out=args.out or settings.data_dir / "eval")
        for problem in answer_violations:
            print(f"answer floor violated: {problem}", file=sys.stderr)
        if args.check_floors and answer_violations:
            return 1
    elif args.answers:
        from assistant.chain import AnswerChain

        chain = AnswerChain(settings, searcher)
        existing = [unit.id for unit in store.units()]
        answer_records = harness.evaluate_answers(chain, _progress(questions, "answers"), existing)
        results["answers"] = {"summary": harness.summarize_answers(answer_records),
                              "records": harness.records_as_dicts(answer_records)}

    paths = write_report(results, args.out or settings.data_dir / "eval")
    _print_summary(results)
    print(f"\nreport: {paths['markdown']}\nchart:  {paths.get('chart', '-')}\njson:   {paths['json']}")

    if args.check_floors and violations:
        if args.limit:
            print("note: floors were set on the full set; a --limit sample is noisier", file=sys.stderr)
        for problem in violations:
            print(f"recall floor violated: {problem}", file=sys.stderr)
        return 1
    return 0


def _margins(records_by_config: dict[str, list]) -> dict[str, list[dict]]:
    """Rule 5 per half and slice (eval.margins): hybrid against the best single channel."""
    halves = {}
    for split in (*harness.SPLITS, "all"):
        chosen = {config: [r for r in records if split == "all" or r.split == split]
                  for config, records in records_by_config.items()}
        margins = slice_margins(chosen)
        if margins:
            halves[split] = [{**asdict(m), "margin": m.margin, "meets_rule": m.meets_rule,
                              "rule_within_error": m.rule_within_error, "verdict": m.verdict}
                             for m in margins]
    return halves


def _progress(questions, label: str):
    return tqdm(questions, desc=label, unit="q", leave=False, file=sys.stderr,
                disable=not sys.stderr.isatty())


def _print_summary(results: dict) -> None:
    print(f"{results['questions']} questions ({results['answerable']} with gold citations)")
    print(f"{'half':<5} {'config':<8} {'slice':<9} {'n':>4} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6} "
          f"{'nDCG':>6}")
    halves = [*results.get("retrieval_by_split", {}).items(), ("all", results["retrieval"])]
    for half, retrieval in halves:
        for config, summary in retrieval.items():
            blocks = [*summary["by_lang"].items(), *summary.get("by_slice", {}).items(),
                      ("all", summary["overall"])]
            for name, b in blocks:
                values = " ".join(_number(b[m]) for m in harness.RETRIEVAL_METRICS)
                print(f"{half:<5} {config:<8} {name:<9} {b['n']:>4} {values}")
    if results.get("margins"):
        print(f"\nrule 5: hybrid recall@5 at least the best single channel - {TOLERANCE} "
              "(95% paired bootstrap interval of the margin)")
        for half, margins in results["margins"].items():
            for m in margins:
                print(f"{half:<5} {m['slice']:<9} {m['n']:>4} hybrid {m['hybrid']:.3f} "
                      f"{m['best_channel']:<5} {m['best']:.3f} margin {m['margin']:+.3f} "
                      f"[{m['low']:+.3f}, {m['high']:+.3f}] {m['verdict']}")
    if "answers" in results:
        a = results["answers"]["summary"]["overall"]
        print("answers: " + ", ".join(f"{k} {_number(v).strip()}" for k, v in a.items() if k != "n"))


def _number(value) -> str:
    return f"{value:>6.3f}" if value is not None else f"{'-':>6}"
