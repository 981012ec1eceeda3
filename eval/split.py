"""The dev/test split of the evaluation set: tune on dev, report on test (see eval/README.md).

Every question in eval/questions.jsonl carries `"split": "dev"` or `"split": "test"`. The split
is stratified by question language x question type x language of the documents the gold
paragraphs are in, so each half has the same mix (Chinese questions over the English Kyoto
Declaration are in both halves, and so on).

It is deterministic and stable: a question keeps the split it was given. Questions without one
(newly added) are assigned stratum by stratum, in the order of a hash of their id, each to the
half that has fewer questions of that stratum (dev on a tie). Adding questions therefore never
moves an existing question from dev to test or back.

    .venv/bin/python -m eval.split            # assign splits to new questions (rewrites the file)
    .venv/bin/python -m eval.split --check    # exit 1 if a question has no split
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

SPLITS = ("dev", "test")
QUESTIONS_PATH = Path(__file__).resolve().parent / "questions.jsonl"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def document_languages() -> dict[str, str]:
    """{symbol: "zh" | "en"} from the built-in corpus catalog (and the shared one, if present)."""
    languages: dict[str, str] = {}
    for path in (PROJECT_ROOT / "corpus" / "catalog.json",
                 PROJECT_ROOT.parent / "shared" / "corpus" / "catalog.json"):
        if path.is_file():
            for entry in json.loads(path.read_text(encoding="utf-8"))["documents"]:
                languages.setdefault(entry["symbol"], entry["language"])
    return languages


def gold_language(gold: list[str], languages: dict[str, str]) -> str:
    """"zh", "en", "zh+en" (gold in documents of both languages) or "none" (unanswerable)."""
    found = sorted({languages.get(uid.split("#")[0], "?") for uid in gold}, reverse=True)
    return "+".join(found) if found else "none"


def stratum(row: dict, languages: dict[str, str]) -> tuple[str, str, str]:
    return row["lang"], row["type"], gold_language(row["gold"], languages)


def assign_splits(rows: list[dict], languages: dict[str, str]) -> int:
    """Give every row without a split one (in place); returns how many were assigned."""
    counts: Counter = Counter()
    for row in rows:
        if row.get("split") in SPLITS:
            counts[(stratum(row, languages), row["split"])] += 1
    new = [row for row in rows if row.get("split") not in SPLITS]
    new.sort(key=lambda row: (stratum(row, languages), hashlib.sha256(row["id"].encode()).hexdigest()))
    for row in new:
        key = stratum(row, languages)
        half = "dev" if counts[(key, "dev")] <= counts[(key, "test")] else "test"
        row["split"] = half
        counts[(key, half)] += 1
    return len(new)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS_PATH)
    parser.add_argument("--check", action="store_true", help="only check that every question has a split")
    args = parser.parse_args(argv)
    lines = args.questions.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    missing = [row["id"] for row in rows if row.get("split") not in SPLITS]
    if args.check:
        if missing:
            print(f"questions without a dev/test split: {', '.join(missing)}", file=sys.stderr)
            return 1
        return 0
    assigned = assign_splits(rows, document_languages())
    args.questions.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                              encoding="utf-8")
    print(f"assigned {assigned} questions; dev {sum(r['split'] == 'dev' for r in rows)}, "
          f"test {sum(r['split'] == 'test' for r in rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
