"""Generative evaluation of answers: a stratified sample through the real chain and model.

    assistant eval --answers --backend llamacpp --sample 40 [--split test] [--check-floors]
    .venv/bin/python -m eval.answer_eval --sample 40 --split test --backend llamacpp \\
        --model qwen2.5-0.5b --check-floors          # the same, standalone
    .venv/bin/python -m eval.answer_eval --support     # the support checker on the hand labels

Per question (the chain's stream, timed):
- citation precision and recall against gold (paragraph level, eval.metrics);
- statements kept and dropped by the support check;
- CJK characters in an English answer; degenerate (repetitive) output; answer language;
- refusals: an unanswerable question must cite nothing;
- draft answers cite only documents of the congress the question names;
- time to the first statement and total time.

The sample is stratified: questions are taken round-robin over (language, type) strata in file
order, so any N >= 16 covers both languages and every type. Tune prompts on `--split dev`,
report `--split test`. Floors (eval/answer_floors.json) fail the build: CI runs the 0.5B model
over 40 questions (measured to fit in 15 minutes on 2 cores).

`--support` scores assistant.support against eval/statements_labelled.jsonl: statements from
real answers, each labelled by hand as supported or not by its cited paragraph.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.language import detect_language
from assistant.statements import has_cjk
from eval import metrics
from eval.harness import CHAIN_MODE, LANGUAGES, TYPES, Question, detect_language_of_answer, load_questions
from vectorstore.errors import UserError
from vectorstore.references import document_mentions

EVAL_DIR = Path(__file__).resolve().parent
QUESTIONS_PATH = EVAL_DIR / "questions.jsonl"
FLOORS_PATH = EVAL_DIR / "answer_floors.json"
LABELS_PATH = EVAL_DIR / "statements_labelled.jsonl"


def stratified_sample(questions: list[Question], n: int, split: str | None = None,
                      splits: dict[str, str] | None = None) -> list[Question]:
    """`n` questions taken round-robin over (language, type) strata, in file order."""
    if n < 1:
        raise UserError("--sample must be a positive number of questions")
    if split:
        questions = [q for q in questions if (splits or {}).get(q.id) == split]
        if not questions:
            raise UserError(f"no question is in the {split!r} split")
    strata: dict[tuple[str, str], list[Question]] = defaultdict(list)
    for q in questions:
        strata[(q.lang, q.type)].append(q)
    order = [(lang, t) for t in TYPES for lang in LANGUAGES if strata.get((lang, t))]
    chosen, depth = [], 0
    while len(chosen) < min(n, len(questions)):
        for key in order:
            if depth < len(strata[key]) and len(chosen) < n:
                chosen.append(strata[key][depth])
        depth += 1
    return chosen


def question_splits(path: Path = QUESTIONS_PATH) -> dict[str, str]:
    """{question id: "dev" | "test"} (questions without a split are left out)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["id"]: row["split"] for row in rows if row.get("split")}


@dataclass
class Record:
    id: str
    lang: str
    type: str
    question: str
    gold: list[str]
    cited: list[str]
    backend: str
    text: str
    kept: int
    dropped: int
    first_s: float | None  # time to the first streamed statement (None: nothing streamed)
    total_s: float
    cjk_in_english: bool
    degenerate: bool
    language_ok: bool
    congress_ok: bool | None  # draft naming a congress: every cited document is of that congress
    notices: list[str] = field(default_factory=list)
    dropped_reasons: list[str] = field(default_factory=list)
    # every model statement, kept or dropped: text, cited ids, support verdict (for hand labelling)
    statements: list[dict] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return not self.cited


def evaluate(chain, questions: list[Question], store, progress=None) -> list[Record]:
    from assistant.chain import Answer, is_statement_text

    congress_of = {d.symbol: d.congress for d in store.documents()}
    records = []
    for q in questions:
        started = time.perf_counter()
        first, answer = None, None
        for item in chain.stream(q.question, q.history, CHAIN_MODE.get(q.type, "ask")):
            if is_statement_text(item):
                if first is None:
                    first = time.perf_counter() - started
            elif isinstance(item, Answer):
                answer = item
        total = time.perf_counter() - started
        cited = [u.id for u in answer.citations]
        language = detect_language_of_answer(answer.text, default=q.lang)
        named = {m.value for m in document_mentions(q.question) if m.kind in ("congress", "declaration")}
        congress_ok = None
        if q.type == "draft" and named:
            congress_ok = all(congress_of.get(u.symbol) in named for u in answer.citations)
        records.append(Record(
            q.id, q.lang, q.type, q.question, q.gold, cited, answer.backend, answer.rendered,
            len(answer.statements), len(answer.dropped), first, total,
            cjk_in_english=q.lang == "en" and has_cjk(answer.rendered),
            degenerate=any("repetitive" in n or "重复" in n for n in answer.notices)
            or any("degenerate" in s.support or "退化" in s.support for s in answer.dropped),
            language_ok=language == q.lang, congress_ok=congress_ok, notices=list(answer.notices),
            dropped_reasons=[s.support for s in answer.dropped],
            statements=[{"text": s.text, "cited": [u.id for u in s.units], "kept": s.supported,
                         "support": s.support} for s in answer.statements + answer.dropped],
            retrieved=[h.unit.id for h in answer.retrieved]))
        if progress:
            progress(records[-1])
    return records


def summarize(records: list[Record]) -> dict:
    def block(rs: list[Record]) -> dict:
        answerable = [r for r in rs if r.gold]
        unanswerable = [r for r in rs if not r.gold]
        statements = sum(r.kept + r.dropped for r in rs)
        firsts = [r.first_s for r in rs if r.first_s is not None]
        drafts = [r for r in rs if r.congress_ok is not None]
        return {
            "n": len(rs),
            "citation_precision": metrics.mean(metrics.citation_precision(r.cited, r.gold)
                                               for r in answerable),
            "citation_recall": metrics.mean(metrics.citation_recall(r.cited, r.gold) for r in answerable),
            "dropped_share": (sum(r.dropped for r in rs) / statements) if statements else None,
            "cjk_in_english": sum(r.cjk_in_english for r in rs),
            "degenerate": sum(r.degenerate for r in rs),
            "repetition_rate": metrics.rate(r.degenerate for r in rs),
            "language_match": metrics.rate(r.language_ok for r in rs),
            "correct_refusal_rate": metrics.rate(r.refused for r in unanswerable),
            "false_refusal_rate": metrics.rate(r.refused for r in answerable),
            "draft_congress_ok": metrics.rate(r.congress_ok for r in drafts),
            "first_statement_p50_s": metrics.percentile(firsts, 50),
            "total_p50_s": metrics.percentile([r.total_s for r in rs], 50),
            "total_p95_s": metrics.percentile([r.total_s for r in rs], 95),
            "model_answers": sum(r.backend != "extractive" for r in rs),
        }

    by_lang = {lang: block([r for r in records if r.lang == lang]) for lang in LANGUAGES
               if any(r.lang == lang for r in records)}
    by_type = {t: block([r for r in records if r.type == t]) for t in TYPES
               if any(r.type == t for r in records)}
    return {"overall": block(records), "by_lang": by_lang, "by_type": by_type}


def load_floors(path: Path = FLOORS_PATH) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"cannot read the answer floors in {path}: {error}") from error


def floor_violations(summary: dict, floors: dict) -> list[str]:
    """Messages for every metric outside its floor ("min" metrics per language or overall, "max" counts
    overall)."""
    problems = []
    for name, floor in floors.get("min_per_language", {}).items():
        for lang, block in summary["by_lang"].items():
            value = block.get(name)
            if value is not None and value < floor:
                problems.append(f"{lang}: {name} {value:.3f} is below the floor {floor:.3f}")
    for name, floor in floors.get("min_overall", {}).items():  # rates over too few questions per language
        value = summary["overall"].get(name)
        if value is not None and value < floor:
            problems.append(f"{name} {value:.3f} is below the floor {floor:.3f}")
    for name, ceiling in floors.get("max_overall", {}).items():
        value = summary["overall"].get(name)
        if value is not None and value > ceiling:
            problems.append(f"{name} {value} is above the ceiling {ceiling}")
    return problems


def run_answer_eval(chain, store, sample: int, split: str | None, floors_path: Path = FLOORS_PATH,
                    questions_path: Path = QUESTIONS_PATH, out: Path | None = None) -> tuple[dict, list[str]]:
    """Run, print and (with `out`) write the evaluation; returns (results, floor violations)."""
    problem = chain.backend_problem()
    if problem:  # every answer would be an extractive fallback: not what was asked to measure
        raise UserError(f"the configured answer backend cannot be used: {problem}")
    questions = stratified_sample(load_questions(questions_path), sample, split,
                                  question_splits(questions_path))
    floors = load_floors(floors_path)

    def progress(r: Record) -> None:
        print(f"  {r.id} {r.lang} {r.type:<12} {r.backend:<10} kept {r.kept} dropped {r.dropped} "
              f"first {_fmt(r.first_s)} total {r.total_s:.1f}s cited {len(r.cited)}", file=sys.stderr)

    started = time.perf_counter()
    records = evaluate(chain, questions, store, progress)
    summary = summarize(records)
    results = {"questions": len(questions), "split": split,
               "seconds": round(time.perf_counter() - started, 1),
               "summary": summary, "records": [asdict(r) for r in records]}
    violations = floor_violations(summary, floors)
    results["floor_violations"] = violations
    print_summary(results)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "answers.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"answers: {out / 'answers.json'}")
    return results, violations


def print_summary(results: dict) -> None:
    names = ("citation_precision", "citation_recall", "dropped_share", "language_match",
             "correct_refusal_rate", "false_refusal_rate", "draft_congress_ok", "first_statement_p50_s",
             "total_p50_s")
    print(f"answers: {results['questions']} questions ({results['split'] or 'all'} split), "
          f"{results['seconds']} s")
    print(f"{'':<6} {'n':>3} " + " ".join(f"{n[:10]:>10}" for n in names) + "  cjk-en degen")
    s = results["summary"]
    for label, block in [*s["by_lang"].items(), ("all", s["overall"])]:
        print(f"{label:<6} {block['n']:>3} " + " ".join(f"{_fmt(block[n]):>10}" for n in names)
              + f"  {block['cjk_in_english']:>6} {block['degenerate']:>5}")


# -- the support checker on hand labels ---------------------------------------------------------

def support_eval(store, labels_path: Path = LABELS_PATH, split: str | None = None) -> dict:
    """Precision/recall of "supported" by assistant.support against hand labels."""
    from assistant.chain import _load_rendering
    from assistant.statements import Statement
    from assistant.support import SupportChecker
    from vectorstore.retrieval import HybridSearcher
    from vectorstore.terms import terms_if_readable

    rows = [json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if split:
        rows = [r for r in rows if r.get("split") == split]
    ids = {uid for r in rows for uid in r["cited"] + r.get("retrieved", [])}
    units = {u.id: u for u in store.get(sorted(ids))}
    searcher = HybridSearcher(store, store.settings)
    checker = SupportChecker(getattr(store, "embeddings", None), rendering=_load_rendering(store.settings),
                             terms=terms_if_readable(), stored_word=searcher.stores_word)
    mistakes = []
    by_model: dict[str, Counter] = defaultdict(Counter)  # the model that wrote the statements
    for row in rows:
        statement = Statement(row["text"], [], units=[units[u] for u in row["cited"] if u in units])
        retrieved = [units[u] for u in row.get("retrieved", []) if u in units]
        framing = tuple(row.get("framing", ()))
        verdict = checker.check(statement, retrieved, framing)
        truth = bool(row["supported"])
        outcome = ("t" if verdict.supported == truth else "f") + ("p" if verdict.supported else "n")
        by_model[row.get("model", "")][outcome] += 1
        if verdict.supported != truth:
            mistakes.append({"id": row["id"], "label": truth, "reason": verdict.reason,
                             "text": row["text"][:90]})
    by_language = defaultdict(int)
    for row in rows:
        by_language[detect_language(row["text"])] += 1
    return {"n": len(rows), "by_language": dict(by_language), **_confusion(sum(by_model.values(), Counter())),
            "by_model": {model: _confusion(counts) for model, counts in sorted(by_model.items())},
            "mistakes": mistakes}


def _confusion(counts: Counter) -> dict:
    """tp, fp, fn, tn (counts of "tp", "fp", ...) with the precision and recall they give."""
    tp, fp, fn, tn = (counts[key] for key in ("tp", "fp", "fn", "tn"))
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None}


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="answer evaluation (also: assistant eval --answers --sample N)")
    parser.add_argument("--sample", type=int, help="answer a stratified sample of N questions")
    parser.add_argument("--split", choices=("dev", "test"), help="only questions (or labels) of this half")
    parser.add_argument("--backend", help="llamacpp | openai | extractive (default: ASSISTANT_BACKEND)")
    parser.add_argument("--model", help="local model name, e.g. qwen2.5-0.5b (default: ASSISTANT_MODEL)")
    parser.add_argument("--check-floors", action="store_true", help="exit 1 outside eval/answer_floors.json")
    parser.add_argument("--out", type=Path, help="write answers.json here")
    parser.add_argument("--support", action="store_true", help="score the support checker on the hand labels")
    args = parser.parse_args()
    from assistant.chain import AnswerChain
    from vectorstore.ingest import open_store
    from vectorstore.retrieval import HybridSearcher
    from vectorstore.settings import Settings

    settings = Settings.from_env().with_overrides(
        **{k: v for k, v in (("backend", args.backend), ("model", args.model)) if v})
    store = open_store(settings)
    if args.support:
        print(json.dumps(support_eval(store, split=args.split), ensure_ascii=False, indent=1))
        return 0
    if not args.sample:
        parser.error("give --sample N (answers) or --support (the support checker)")
    chain = AnswerChain(settings, HybridSearcher(store, settings))
    _, violations = run_answer_eval(chain, store, args.sample, args.split, out=args.out)
    for problem in violations:
        print(f"answer floor violated: {problem}", file=sys.stderr)
    return 1 if args.check_floors and violations else 0


if __name__ == "__main__":
    sys.exit(main())
