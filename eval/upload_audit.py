"""Retrieval over documents the project was not tuned on: resolutions ingested as a new user would.

`eval/uploads/` holds three General Assembly resolutions written for this audit in the layout of
the UN's PDF text (running heads, a footnote, an agenda inside a paragraph, an annex), ingested
without a catalog (no congress, dates, city or region), and `questions.jsonl` (English and Chinese
questions; gold unit ids). The built-in store is copied to a temporary data directory, the
resolutions are ingested there with `ingest_files`, and recall@5 is printed per search mode and
question language. The uploads are not rendered (`assistant translate` was not run), as after a
plain `assistant ingest`.

    .venv/bin/python -m eval.upload_audit [--misses]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from eval.metrics import paragraph_key
from vectorstore.ingest import ensure_builtin_corpus, ingest_files
from vectorstore.retrieval import MODES, HybridSearcher
from vectorstore.settings import Settings
from vectorstore.store import UnitStore

UPLOADS = Path(__file__).parent / "uploads"


def recall_at_5(searcher: HybridSearcher, questions: list[dict], mode: str,
                misses: list[str] | None = None) -> dict[str, list[float]]:
    """question language -> recall@5 of each question; `misses` collects the questions below 1."""
    by_language: dict[str, list[float]] = {}
    for q in questions:
        gold = {paragraph_key(g) for g in q["gold"]}
        hits = searcher.search(q["question"], 5, mode=mode).hits
        recall = len(gold & {paragraph_key(h.unit.id) for h in hits}) / len(gold)
        by_language.setdefault(q["lang"], []).append(recall)
        if misses is not None and recall < 1:
            misses.append(f"{q['id']} {q['question']}  ->  {', '.join(h.unit.id for h in hits)}")
    return by_language


def main() -> int:
    settings = Settings.from_env()
    ensure_builtin_corpus(settings)
    lines = (UPLOADS / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    uploads = sorted(UPLOADS.glob("*.txt"))
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        shutil.copytree(settings.data_dir, data_dir, ignore=shutil.ignore_patterns("*.lock", "eval"))
        copy = settings.with_overrides(data_dir=str(data_dir))
        store = UnitStore(copy)
        ingest_files(uploads, copy, store=store, progress=False)
        searcher = HybridSearcher(store, copy)
        searcher.prepare_renderings()
        print(f"{len(questions)} questions over {len(uploads)} uploads beside the built-in corpus")
        misses: list[str] = []
        for mode in MODES:
            scores = recall_at_5(searcher, questions, mode, misses if mode == "hybrid" else None)
            cells = "  ".join(f"{lang} {sum(v) / len(v):.2f} ({len(v)})"
                              for lang, v in sorted(scores.items()))
            print(f"  {mode:<6} recall@5  {cells}")
        if "--misses" in sys.argv:
            print("hybrid misses:", *misses, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
