"""Score retrieval (and optionally answers) on the evaluation set in eval/questions.jsonl.

By default runs the hybrid retrieval evaluation on the built-in corpus: recall@1/5/10, MRR and
nDCG@10 at paragraph level, per language and per question type. Writes report.md, results.json
and recall.png to --out (default: DATA_DIR/eval).

  assistant eval                         hybrid retrieval
  assistant eval --compare               BM25-only, dense-only and hybrid side by side
  assistant eval --answers --backend extractive
                                         also answer every question and score the citations
  assistant eval --check-floors          exit 1 if hybrid recall@5 of a language is below
                                         eval/floors.json (what CI runs)
"""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from eval import harness
from eval.report import write_report


def add_arguments(parser) -> None:
    parser.add_argument("--compare", action="store_true",
                        help="run BM25-only, dense-only and hybrid retrieval side by side")
    parser.add_argument("--answers", action="store_true",
                        help="also evaluate answers with the configured --backend (slow with llamacpp)")
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
    from vectorstore.ingest import open_store
    from vectorstore.retrieval import HybridSearcher

    questions = harness.sample(harness.load_questions(args.questions), args.limit)
    floors = harness.load_floors(args.floors)  # read early: a bad file fails before the slow part
    store = open_store(settings)
    searcher = HybridSearcher(store, settings)

    configs = harness.CONFIGURATIONS if args.compare else ("hybrid",)
    retrieval, failures = {}, []
    for config in configs:
        records = harness.evaluate_retrieval(searcher, _progress(questions, f"retrieval ({config})"), config)
        retrieval[config] = harness.summarize_retrieval(records)
        if config == "hybrid":
            failures = harness.records_as_dicts(harness.failures(records))

    violations = harness.floor_violations(retrieval["hybrid"], floors)
    results = {
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "revision": store.revision(),
        "settings": {"embeddings": settings.embeddings, "dense_weight": settings.dense_weight,
                     "bm25_weight": settings.bm25_weight},
        "floors": floors,
        "floor_violations": violations,
        "retrieval": retrieval,
        "retrieval_failures": failures,
    }

    if args.answers:
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


def _progress(questions, label: str):
    return tqdm(questions, desc=label, unit="q", leave=False, file=sys.stderr,
                disable=not sys.stderr.isatty())


def _print_summary(results: dict) -> None:
    print(f"{results['questions']} questions ({results['answerable']} with gold citations)")
    print(f"{'config':<8} {'lang':<4} {'n':>4} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6} {'nDCG':>6}")
    for config, summary in results["retrieval"].items():
        blocks = [*summary["by_lang"].items(), ("all", summary["overall"])]
        for lang, b in blocks:
            values = " ".join(_number(b[m]) for m in harness.RETRIEVAL_METRICS)
            print(f"{config:<8} {lang:<4} {b['n']:>4} {values}")
    if "answers" in results:
        a = results["answers"]["summary"]["overall"]
        print("answers: " + ", ".join(f"{k} {_number(v).strip()}" for k, v in a.items() if k != "n"))


def _number(value) -> str:
    return f"{value:>6.3f}" if value is not None else f"{'-':>6}"
