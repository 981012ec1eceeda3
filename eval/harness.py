"""Run the evaluation set through retrieval (HybridSearcher) and answers (AnswerChain).

Retrieval: every question with gold citations is searched in a configuration (hybrid, dense or
bm25); recall@1/5/10, MRR and nDCG@10 are scored at paragraph level (see eval.metrics) and
summarised overall, per language, per question type and per slice "question language ->
language of the gold documents" (zh->zh, en->zh, zh->en, en->en; "zh+en" when the gold spans
both). Follow-ups are searched with the previous user turn prepended, since a bare "那拉美报告呢？"
names no topic.

Every question belongs to the dev or the test half (`split`, see eval/split.py and
eval/README.md): tune on dev, report on test.

Answers: every question (unanswerable ones included) goes through AnswerChain.invoke with its
history. Refusal rule: an answer that cites nothing is a refusal. It is correct for unanswerable
questions and counts as a miss (citation precision and recall 0) for answerable ones.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.language import detect_language
from eval import metrics
from vectorstore.errors import UserError
from vectorstore.units import split_unit_id

QUESTIONS_PATH = Path(__file__).resolve().parent / "questions.jsonl"
FLOORS_PATH = Path(__file__).resolve().parent / "floors.json"

LANGUAGES = ("zh", "en")
TYPES = ("factual", "paraphrase", "multi", "compare", "lookup", "followup", "draft", "unanswerable")
CONFIGURATIONS = ("bm25", "dense", "hybrid")
SPLITS = ("dev", "test")
RECALL_KS = (1, 5, 10)
SEARCH_K = 10
RETRIEVAL_METRICS = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")
ANSWER_METRICS = ("citation_precision", "citation_recall", "citation_validity", "language_match",
                  "refused")
# AnswerChain modes by question type; the rest are plain questions ("ask").
CHAIN_MODE = {"lookup": "lookup", "compare": "compare", "draft": "draft"}


class EvalSetError(UserError):
    """The evaluation set file is missing or malformed (the message names the line)."""


@dataclass
class Question:
    id: str
    lang: str
    type: str
    question: str
    gold: list[str]
    note: str = ""
    history: list[dict] = field(default_factory=list)
    split: str = ""  # "dev" (tune on it) or "test" (report only)

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


def load_questions(path: Path | str = QUESTIONS_PATH) -> list[Question]:
    """Read and validate the JSONL evaluation set."""
    path = Path(path)
    if not path.is_file():
        raise EvalSetError(f"evaluation set not found: {path}")
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = Question(**{k: row[k] for k in ("id", "lang", "type", "question", "gold")},
                                note=row.get("note", ""), history=row.get("history", []),
                                split=row.get("split", ""))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalSetError(f"{path.name} line {number}: not a valid question ({exc})") from exc
        if question.split and question.split not in SPLITS:
            raise EvalSetError(f"{path.name} line {number}: split must be one of {SPLITS}, "
                               f"not {question.split!r}")
        if question.lang not in LANGUAGES or question.type not in TYPES:
            raise EvalSetError(f"{path.name} line {number}: unknown lang or type "
                               f"({question.lang!r}, {question.type!r})")
        for uid in question.gold:
            try:
                split_unit_id(uid)
            except ValueError as exc:
                raise EvalSetError(f"{path.name} line {number}: {exc}") from exc
        questions.append(question)
    return questions


def select_split(questions: list[Question], split: str | None) -> list[Question]:
    """The questions of one half ("dev" or "test"); all of them for None or "all"."""
    if split in (None, "all"):
        return list(questions)
    if split not in SPLITS:
        raise UserError(f"unknown split {split!r}: use dev, test or all")
    return [q for q in questions if q.split == split]


def sample(questions: list[Question], limit: int | None) -> list[Question]:
    """An evenly spread subset of `limit` questions (all types and both languages stay represented)."""
    if limit is not None and limit < 1:
        raise UserError("--limit must be a positive number of questions")
    if limit is None or limit >= len(questions):
        return list(questions)
    return [questions[i * len(questions) // limit] for i in range(limit)]


def retrieval_query(question: Question) -> str:
    """The text searched for a question: follow-ups get the previous user turn in front."""
    previous = [turn["content"] for turn in question.history if turn.get("role") == "user"]
    return f"{previous[-1]}\n{question.question}" if previous else question.question


# --- retrieval --------------------------------------------------------------------------------

@dataclass
class RetrievalRecord:
    id: str
    lang: str
    type: str
    config: str
    query: str
    gold: list[str]
    ranked: list[str]  # unit ids, best first
    latency_ms: float
    scores: dict[str, float]
    doc_lang: str = ""  # language of the documents holding the gold: "zh", "en" or "zh+en"
    split: str = ""

    @property
    def slice(self) -> str:
        """"en->zh": an English question over Chinese documents."""
        return f"{self.lang}->{self.doc_lang or '?'}"


def document_languages(searcher) -> dict[str, str]:
    """{symbol: language} of the documents in the searcher's store."""
    return {symbol: unit.language for symbol, unit in searcher.snapshot().documents.items()}


def gold_language(gold: list[str], languages: dict[str, str]) -> str:
    """"zh", "en" or "zh+en": the languages of the documents the gold paragraphs are in."""
    found = sorted({languages.get(split_unit_id(uid).symbol, "?") for uid in gold}, reverse=True)
    return "+".join(found)


def score_ranking(ranked: list[str], gold: list[str]) -> dict[str, float]:
    scores = {f"recall@{k}": metrics.recall_at_k(ranked, gold, k) for k in RECALL_KS}
    scores["mrr"] = metrics.reciprocal_rank(ranked, gold)
    scores["ndcg@10"] = metrics.ndcg_at_k(ranked, gold, 10)
    return scores


def evaluate_retrieval(searcher, questions: Iterable[Question],
                       config: str = "hybrid") -> list[RetrievalRecord]:
    """Search every answerable question with `searcher.search(query, k, mode=config)`."""
    if config not in CONFIGURATIONS:
        raise UserError(f"unknown retrieval configuration {config!r} (use {', '.join(CONFIGURATIONS)})")
    languages = document_languages(searcher) if hasattr(searcher, "snapshot") else {}
    if hasattr(searcher, "prepare_renderings"):
        searcher.prepare_renderings()  # a first search would otherwise run while they are embedded
    records = []
    for question in questions:
        if not question.answerable:
            continue
        query = retrieval_query(question)
        start = time.perf_counter()
        result = searcher.search(query, k=SEARCH_K, mode=config)
        latency_ms = (time.perf_counter() - start) * 1000
        ranked = [hit.unit.id for hit in result.hits]
        scores = score_ranking(ranked, question.gold)
        records.append(RetrievalRecord(question.id, question.lang, question.type, config, query,
                                       question.gold, ranked, latency_ms, scores,
                                       gold_language(question.gold, languages), question.split))
    return records


# --- answers ----------------------------------------------------------------------------------

@dataclass
class AnswerRecord:
    id: str
    lang: str
    type: str
    question: str
    standalone_question: str
    gold: list[str]
    cited: list[str]
    retrieved: list[str]
    answer_language: str
    backend: str
    notices: list[str]
    corrections: list[str]
    text: str
    latency_ms: float
    scores: dict[str, float | bool | None]

    @property
    def refused(self) -> bool:
        return not self.cited


# Verbatim quotations of the (Chinese) reports are not the answer's language: “…”, 「…」, "…".
_QUOTATION = re.compile(r"“[^”]*”|「[^」]*」|\"[^\"]*\"")


def detect_language_of_answer(text: str, default: str) -> str:
    """The language the answer is written in, ignoring the passages it quotes verbatim."""
    own_words = _QUOTATION.sub(" ", text)
    return detect_language(own_words, default=default)


def is_refusal(answer) -> bool:
    """The refusal rule: an answer without any citation states nothing from the reports."""
    return not answer.citations


def score_answer(question: Question, cited: list[str], retrieved: list[str], existing: set[str],
                 answer_language: str) -> dict[str, float | bool | None]:
    return {
        "citation_precision": metrics.citation_precision(cited, question.gold),
        "citation_recall": metrics.citation_recall(cited, question.gold),
        "citation_validity": metrics.citation_validity(cited, existing, retrieved),
        "language_match": metrics.language_match(answer_language, question.lang),
        "refused": not cited,
    }


def evaluate_answers(chain, questions: Iterable[Question], existing_ids: Iterable[str]) -> list[AnswerRecord]:
    """Answer every question with `chain.invoke` and score citations, language and refusals.

    The answer language is detected from the answer's own wording (citation markers and verbatim
    quotations removed, see `answer_language`), not taken from `Answer.language`, which only
    echoes the question's language.
    """
    existing = set(existing_ids)
    records = []
    for question in questions:
        start = time.perf_counter()
        answer = chain.invoke(question.question, history=question.history,
                              mode=CHAIN_MODE.get(question.type, "ask"))
        latency_ms = (time.perf_counter() - start) * 1000
        cited = [unit.id for unit in answer.citations]
        retrieved = [hit.unit.id for hit in answer.retrieved]
        answer_language = detect_language_of_answer(answer.text, default=question.lang)
        records.append(AnswerRecord(
            question.id, question.lang, question.type, question.question, answer.standalone_question,
            question.gold, cited, retrieved, answer_language, answer.backend, list(answer.notices),
            list(answer.corrections), answer.text, latency_ms,
            score_answer(question, cited, retrieved, existing, answer_language)))
    return records


# --- summaries --------------------------------------------------------------------------------

def _group_mean(records, names: tuple[str, ...]) -> dict[str, float | None]:
    return {name: metrics.mean(float(r.scores[name]) if r.scores[name] is not None else None
                               for r in records) for name in names}


def _latency(records) -> dict[str, float | None]:
    values = [r.latency_ms for r in records]
    return {"p50_ms": metrics.percentile(values, 50), "p95_ms": metrics.percentile(values, 95)}


def summarize_retrieval(records: list[RetrievalRecord]) -> dict:
    """{"overall", "by_lang", "by_type", "by_slice"}: mean metrics with question counts, plus latency."""
    def block(rs):
        return {"n": len(rs), **_group_mean(rs, RETRIEVAL_METRICS)}

    by_slice = defaultdict(list)
    for r in records:
        by_slice[r.slice].append(r)
    slices = {name: block(by_slice[name]) for name in sorted(by_slice)}
    return {**_grouped(records, block), "by_slice": slices}


def summarize_answers(records: list[AnswerRecord]) -> dict:
    """Citation metrics over answerable questions, refusal rates, language match, latency."""
    def block(rs):
        answerable = [r for r in rs if r.gold]
        unanswerable = [r for r in rs if not r.gold]
        return {
            "n": len(rs),
            "citation_precision": metrics.mean(r.scores["citation_precision"] for r in answerable),
            "citation_recall": metrics.mean(r.scores["citation_recall"] for r in answerable),
            "citation_validity": metrics.mean(r.scores["citation_validity"] for r in rs),
            "language_match": metrics.rate(r.scores["language_match"] for r in rs),
            "correct_refusal_rate": metrics.rate(r.refused for r in unanswerable),
            "false_refusal_rate": metrics.rate(r.refused for r in answerable),
        }

    return {**_grouped(records, block), "backends": sorted({r.backend for r in records})}


def _grouped(records: list, block) -> dict:
    """`block` applied to all records, to each language and to each question type; plus latency."""
    by_lang, by_type = defaultdict(list), defaultdict(list)
    for r in records:
        by_lang[r.lang].append(r)
        by_type[r.type].append(r)
    return {
        "overall": block(records),
        "by_lang": {lang: block(by_lang[lang]) for lang in LANGUAGES if by_lang[lang]},
        "by_type": {t: block(by_type[t]) for t in TYPES if by_type[t]},
        "latency": _latency(records),
    }


def failures(records: list[RetrievalRecord], k: int = 5) -> list[RetrievalRecord]:
    """Questions whose gold paragraphs are not all within the first k paragraphs."""
    return [r for r in records if (r.scores[f"recall@{k}"] or 0.0) < 1.0]


# --- floors -----------------------------------------------------------------------------------

def load_floors(path: Path | str = FLOORS_PATH) -> dict[str, float]:
    """{language or slice: minimum hybrid recall@5} from eval/floors.json.

    Keys are question languages ("zh", "en") or slices ("en->zh": English questions over Chinese
    documents); the floors hold for the half named by `floor_split` (the test half).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        floors = {key: float(value) for key, value in data["recall@5"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"cannot read the recall floors in {path}: {exc}") from exc
    bad = {key: value for key, value in floors.items() if not _floor_key(key) or not 0 <= value <= 1}
    if bad:
        raise UserError(f"{path}: floors must be a recall between 0 and 1 for zh/en or a slice "
                        f"like en->zh, got {bad}")
    return floors


def floor_split(path: Path | str = FLOORS_PATH) -> str:
    """The half of the evaluation set the floors were measured on ("test"; "all" in old files)."""
    try:
        split = json.loads(Path(path).read_text(encoding="utf-8")).get("split", "all")
    except (OSError, ValueError, AttributeError):
        return "all"
    return split if split in SPLITS else "all"


def _floor_key(key: str) -> bool:
    question, _, documents = key.partition("->")
    return question in LANGUAGES and (not documents or documents in ("zh", "en", "zh+en"))


def floor_violations(summary: dict, floors: dict[str, float]) -> list[str]:
    """Messages for every language or slice whose recall@5 is below its floor (empty: all pass)."""
    problems = []
    for key, floor in floors.items():
        group = summary.get("by_slice", {}) if "->" in key else summary["by_lang"]
        measured = group.get(key, {}).get("recall@5")
        if measured is None:
            problems.append(f"{key}: no questions were evaluated (floor {floor:.3f})")
        elif measured < floor:
            problems.append(f"{key}: recall@5 {measured:.3f} is below the floor {floor:.3f}")
    return problems


def records_as_dicts(records) -> list[dict]:
    return [asdict(r) for r in records]
