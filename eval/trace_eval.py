"""Traceability evaluation: labelled recommendation <-> declaration pairs, calibration and metrics.

eval/trace_pairs.jsonl holds pairs labelled by reading both texts (European report
A/CONF.234/RPM.5/1, Chinese; Kyoto Declaration, annex of A/RES/76/181, English): each line names a
recommendation unit, a declaration paragraph (or null: nothing in the declaration takes it up),
a label, "taken up", "partly" or "not found", a note, the half of its recommendation, and
"pooled": true when the paragraph was judged because the matcher ranked it among the three best
(pooling; judged by reading like the others, so that the top matches are labelled).

Split: the labelled recommendations are divided into a *calibration* half and a *report* half,
recorded on every line ("half"), so adding pairs or recommendations never moves one. New
recommendations without a recorded half are split among themselves by the original rule:
stratified by their gold verdict (the best label among their pairs), ordered within a stratum by
a hash of the unit id (stable, independent of the matcher). The components' standardisation,
the weights (one per WEIGHT_GROUPS group) and the thresholds are chosen on the calibration half
only; figures are reported on the report half (and, as a check, with the halves swapped: two-fold
cross-validation, "swapped_report_on_calibration_half").

Thresholds: from the pair-level labels (each labelled pair's own score against its label; a null
pair counts with the recommendation's best score): class-balanced logistic boundaries between
"not found" and the other pairs (partly) and between "taken up" and "partly" pairs (taken_up).

Metrics (per recommendation with at least one positive pair, i.e. taken up or partly):
  precision@1   the best-scored paragraph is a labelled positive;
  mrr           mean reciprocal rank of the best-ranked labelled positive;
  recall@3      a labelled positive is among the three best (hit rate); pair_recall@3 also given:
                the share of positive pairs whose paragraph is among the three best;
  verdict accuracy  (all labelled recommendations) the verdict of the best match equals the gold
                verdict (balanced: the mean of the per-verdict recalls); pair verdict accuracy: the
                verdict of each labelled pair's own score (a null pair: the recommendation's best
                score) equals its label.

    .venv/bin/python -m eval.trace_eval                      # metrics with the shipped calibration
    .venv/bin/python -m eval.trace_eval --calibrate          # grid on the calibration half, report
    .venv/bin/python -m eval.trace_eval --calibrate --write  # ... and write the calibration file
    .venv/bin/python -m eval.trace_eval --check-floors       # exit 1 below eval/trace_floors.json
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from assistant.trace import (
    CALIBRATION_PATH,
    COMPONENTS,
    NOT_FOUND,
    PARTLY,
    TAKEN_UP,
    VERDICTS,
    TraceCalibration,
    Tracer,
    declaration_units,
    normalization_of,
)

EVAL_DIR = Path(__file__).resolve().parent
PAIRS_PATH = EVAL_DIR / "trace_pairs.jsonl"
FLOORS_PATH = EVAL_DIR / "trace_floors.json"
HALVES = ("calibration", "report")
RANK = {TAKEN_UP: 2, PARTLY: 1, NOT_FOUND: 0}
# Weights are chosen per group of components (members share the group's weight equally): the
# same evidence seen two ways (whole paragraph and best clause; each language's words) counts as
# one kind, which keeps the grid small for the few labelled recommendations. Components are
# standardised first, so the weights are comparable. bridge_both (two machine translations
# compared) is left out.
WEIGHT_GROUPS = {
    "cross": ("cross",),
    "dense_declaration_language": ("bridge_en", "clauses_en"),
    "dense_other_language": ("bridge_zh", "clauses_zh"),
    "words": ("words_en", "words_zh"),
    "terms": ("terms",),
}
GROUP_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
SPOT_CHECK = ("A/CONF.234/RPM.5/1#56(d)", "A/RES/76/181#annex:63", 3)


def load_pairs(path: Path = PAIRS_PATH) -> list[dict]:
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for p in pairs:
        if p["label"] not in VERDICTS:
            raise ValueError(f"unknown label {p['label']!r} in {path}")
    return pairs


def gold_verdicts(pairs: list[dict]) -> dict[str, str]:
    best: dict[str, str] = {}
    for p in pairs:
        rec = p["recommendation"]
        if rec not in best or RANK[p["label"]] > RANK[best[rec]]:
            best[rec] = p["label"]
    return best


def split_halves(pairs: list[dict]) -> dict[str, str]:
    """recommendation id -> "calibration" | "report".

    A recommendation keeps the half recorded on its lines ("half"), so labelling more pairs or
    more recommendations never moves one already split. Recommendations without a recorded half
    are split among themselves by the original rule: stratified by gold verdict, ordered by a
    hash of the unit id within a stratum, alternating halves (record the result on their lines)."""
    recorded: dict[str, str] = {}
    for p in pairs:
        half = p.get("half")
        if half is None:
            continue
        if half not in HALVES:
            raise ValueError(f"unknown half {half!r} for {p['recommendation']} in the labelled pairs")
        if recorded.setdefault(p["recommendation"], half) != half:
            raise ValueError(f"{p['recommendation']} is recorded in both halves")
    gold = gold_verdicts(pairs)
    halves = dict(recorded)
    for verdict in VERDICTS:
        recs = sorted((r for r, v in gold.items() if v == verdict and r not in recorded),
                      key=lambda r: hashlib.sha256(r.encode()).hexdigest())
        for i, rec in enumerate(recs):
            halves[rec] = HALVES[i % 2]
    return halves


class Scores:
    """Score components of the labelled recommendations against every declaration paragraph."""

    def __init__(self, store, pairs: list[dict]):
        from vectorstore.renderings import renderings_for

        rec_ids = list(dict.fromkeys(p["recommendation"] for p in pairs))
        sources = store.get(rec_ids)
        missing = set(rec_ids) - {u.id for u in sources}
        if missing:
            raise SystemExit(f"labelled recommendations not in the store: {sorted(missing)}")
        declaration = sources and {p["kyoto"].split("#")[0] for p in pairs if p["kyoto"]}.pop()
        from vectorstore.filters import Filters

        targets = declaration_units(store.units(Filters(symbols=(declaration,))))
        renderings = renderings_for([*sources, *targets], store.settings)
        self.renderings_used = sum(1 for u in [*sources, *targets] if u.id in renderings)
        self.tracer = Tracer(store.embeddings, targets, renderings=renderings)
        self.rec_ids = [u.id for u in sources]
        self.target_ids = [u.id for u in targets]
        self.components = self.tracer.components([self.tracer.side_for(u) for u in sources])

    def combined(self, calibration: TraceCalibration) -> np.ndarray:
        return calibration.combine(self.components)


def metrics(scores: np.ndarray, rec_ids, target_ids, pairs, calibration: TraceCalibration,
            recs: set[str]) -> dict:
    index = {r: i for i, r in enumerate(rec_ids)}
    column = {t: j for j, t in enumerate(target_ids)}
    positives: dict[str, set[str]] = {}
    for p in pairs:
        if p["kyoto"] and p["label"] != NOT_FOUND:
            positives.setdefault(p["recommendation"], set()).add(p["kyoto"])
    gold = gold_verdicts(pairs)
    p1 = r3 = pair_hits = pair_total = ranked = 0
    reciprocal = 0.0
    confusion = Counter()
    for rec in sorted(recs):
        row = scores[index[rec]]
        order = np.argsort(-row, kind="stable")
        top = [target_ids[j] for j in order[:3]]
        predicted = calibration.verdict(float(row[order[0]]))
        confusion[(gold[rec], predicted)] += 1
        if rec in positives:
            ranked += 1
            p1 += top[0] in positives[rec]
            r3 += any(t in positives[rec] for t in top)
            ranking = [target_ids[j] for j in order]
            reciprocal += 1 / (1 + min(ranking.index(t) for t in positives[rec]))
            pair_hits += sum(t in top for t in positives[rec])
            pair_total += len(positives[rec])
    pair_correct = pair_count = 0
    pair_confusion = Counter()
    for p in pairs:
        if p["recommendation"] not in recs:
            continue
        row = scores[index[p["recommendation"]]]
        score = float(row[column[p["kyoto"]]]) if p["kyoto"] else float(row.max())
        predicted = calibration.verdict(score)
        pair_confusion[(p["label"], predicted)] += 1
        pair_correct += predicted == p["label"]
        pair_count += 1
    total = sum(confusion.values())
    return {
        "recommendations": total, "ranked": ranked,
        "precision@1": round(p1 / ranked, 3) if ranked else None,
        "recall@3": round(r3 / ranked, 3) if ranked else None,
        "mrr": round(reciprocal / ranked, 3) if ranked else None,
        "pair_recall@3": round(pair_hits / pair_total, 3) if pair_total else None,
        "verdict_accuracy": round(sum(confusion[(v, v)] for v in VERDICTS) / total, 3) if total else None,
        "balanced_verdict_accuracy": _balanced(confusion),
        "pair_verdict_accuracy": round(pair_correct / pair_count, 3) if pair_count else None,
        "pairs": pair_count,
        "confusion": {g: {p: confusion.get((g, p), 0) for p in VERDICTS} for g in VERDICTS},
        "pair_confusion": {g: {p: pair_confusion.get((g, p), 0) for p in VERDICTS} for g in VERDICTS},
    }


def _balanced(confusion: Counter) -> float | None:
    """Mean over gold verdicts present of the share predicted right."""
    recalls = []
    for gold in VERDICTS:
        total = sum(n for (g, _), n in confusion.items() if g == gold)
        if total:
            recalls.append(confusion.get((gold, gold), 0) / total)
    return round(sum(recalls) / len(recalls), 3) if recalls else None


def group_weights(values) -> dict:
    """Component weights from one weight per group (WEIGHT_GROUPS order)."""
    weights = dict.fromkeys(COMPONENTS, 0.0)
    for (_, members), value in zip(WEIGHT_GROUPS.items(), values, strict=True):
        for member in members:
            weights[member] = value / len(members)
    return weights


def choose_weights(data: Scores, pairs, recs: set[str], normalization: dict) -> dict:
    """The group weights with the best precision@1 + recall@3 + MRR on `recs` (MRR separates
    combinations the two coarse counts tie on; remaining ties: first in grid order)."""
    best, best_value = None, -1.0
    for values in itertools.product(GROUP_WEIGHTS, repeat=len(WEIGHT_GROUPS)):
        if not any(values):
            continue
        weights = group_weights(values)
        calibration = TraceCalibration(weights, taken_up=9.0, partly=9.0, normalization=normalization)
        m = metrics(data.combined(calibration), data.rec_ids, data.target_ids, pairs, calibration, recs)
        value = ranking_value(m)
        if value > best_value + 1e-9:
            best, best_value = weights, value
    return best


def pair_points(scores: np.ndarray, data: Scores, pairs, recs: set[str]) -> list[tuple[float, str]]:
    """(score, label) of every labelled pair of the recommendations in `recs`: the pair's own score;
    a null pair (nothing takes the recommendation up) counts with the recommendation's best score."""
    index = {r: i for i, r in enumerate(data.rec_ids)}
    column = {t: j for j, t in enumerate(data.target_ids)}
    points = []
    for p in pairs:
        if p["recommendation"] in recs:
            row = scores[index[p["recommendation"]]]
            points.append((float(row[column[p["kyoto"]]] if p["kyoto"] else row.max()), p["label"]))
    return points


def balanced_logistic_boundary(x, y, ridge: float = 1e-3) -> float:
    """The score where a class-balanced logistic regression of y (0/1) on x gives 1/2.

    Each class weighs as much as the other in total, so the boundary does not lean towards the
    more frequent label; every point counts (not only those near the cut), which keeps the
    boundary steady when a few pairs are added or removed."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    positives = y.sum()
    if not 0 < positives < len(y):
        raise ValueError("both classes are needed to place a boundary")
    weight = np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * (len(y) - positives)))
    mean, std = x.mean(), x.std() or 1.0
    z = (x - mean) / std
    design = np.column_stack([np.ones_like(z), z])
    beta = np.zeros(2)
    for _ in range(100):  # Newton's method; the small ridge keeps separable data finite
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (weight * (p - y)) + ridge * np.array([0.0, beta[1]])
        hessian = design.T @ (design * (weight * p * (1 - p))[:, None]) + ridge * np.diag([0.0, 1.0])
        step = np.linalg.solve(hessian + 1e-12 * np.eye(2), gradient)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    if beta[1] <= 0:
        raise ValueError("the labels do not rise with the score")
    return float(mean + std * (-beta[0] / beta[1]))


def choose_thresholds(data: Scores, weights: dict, pairs, recs: set[str],
                      normalization: dict) -> tuple[float, float]:
    """(taken_up, partly) from the labelled pairs of the recommendations in `recs`, each pair's own
    score against its label (many more points than one best label per recommendation):
    partly = the class-balanced logistic boundary between "not found" pairs and the others;
    taken_up = the boundary between "taken up" and "partly" pairs (at least partly)."""
    scores = data.combined(TraceCalibration(weights, 9.0, 9.0, normalization=normalization))
    points = pair_points(scores, data, pairs, recs)
    x = [s for s, _ in points]
    partly = balanced_logistic_boundary(x, [label != NOT_FOUND for _, label in points])
    positive = [(s, label) for s, label in points if label != NOT_FOUND]
    taken_up = balanced_logistic_boundary([s for s, _ in positive],
                                          [label == TAKEN_UP for _, label in positive])
    return round(max(taken_up, partly), 4), round(partly, 4)


def ranking_value(m: dict) -> float:
    return (m["precision@1"] or 0) + (m["recall@3"] or 0) + (m["mrr"] or 0)


def normalization_for(data: Scores, recs: set[str]):
    """The standardisation of the score components measured on the recommendations `recs`."""
    return normalization_of(data.components, [i for i, r in enumerate(data.rec_ids) if r in recs])


def recommendations_right(data: Scores, pairs, recs: set[str], normalization, weights) -> float:
    """How many of `recs` `weights` get right at precision@1, plus how many at recall@3."""
    calibration = TraceCalibration(weights, 9.0, 9.0, normalization=normalization)
    m = metrics(data.combined(calibration), data.rec_ids, data.target_ids, pairs, calibration, recs)
    return ((m["precision@1"] or 0) + (m["recall@3"] or 0)) * m["ranked"]


def calibrate(data: Scores, pairs, recs: set[str],
              current: TraceCalibration | None = None) -> TraceCalibration:
    """Standardisation, weights and thresholds, all measured on the recommendations `recs`.

    With `current` (the shipped calibration), its weights are kept unless the grid's best is
    clearly better on `recs`: at least one more recommendation right at precision@1 or recall@3
    (the grid's best is otherwise just another optimum of a small, noisy sample)."""
    normalization = normalization_for(data, recs)
    weights = choose_weights(data, pairs, recs, normalization)
    if current is not None:
        gain = (recommendations_right(data, pairs, recs, normalization, weights)
                - recommendations_right(data, pairs, recs, normalization, current.weights))
        if gain < 1 - 1e-9:
            weights = dict(current.weights)
    taken_up, partly = choose_thresholds(data, weights, pairs, recs, normalization)
    return TraceCalibration(weights, taken_up, partly, normalization=normalization)


def spot_check(data: Scores, calibration: TraceCalibration) -> dict:
    rec, target, k = SPOT_CHECK
    scores = data.combined(calibration)[data.rec_ids.index(rec)]
    order = [data.target_ids[j] for j in np.argsort(-scores, kind="stable")]
    return {"recommendation": rec, "expected": target, "rank": order.index(target) + 1, "within": k,
            "holds": order.index(target) < k, "top3": order[:3]}


def open_eval_store(data_dir: str | None):
    from vectorstore.ingest import open_store
    from vectorstore.settings import Settings

    directory = data_dir or tempfile.mkdtemp(prefix="trace-eval-")
    return open_store(Settings.from_env({**_env(), "ASSISTANT_DATA_DIR": directory}))


def _env() -> dict:
    import os

    return dict(os.environ)


def run(args) -> dict:
    pairs = load_pairs()
    halves = split_halves(pairs)
    store = open_eval_store(args.data_dir)
    data = Scores(store, pairs)
    by_half = {h: {r for r, x in halves.items() if x == h} for h in HALVES}
    out = {"pairs": len(pairs), "labels": dict(Counter(p["label"] for p in pairs)),
           "recommendations": len(halves), "renderings_used": data.renderings_used}
    if args.calibrate:
        calibration = calibrate(data, pairs, by_half["calibration"], current=TraceCalibration.load())
        swapped = calibrate(data, pairs, by_half["report"])  # a check: everything chosen on the report half
        out["calibration"] = {"weights": calibration.weights, "taken_up": calibration.taken_up,
                              "partly": calibration.partly}
        out["swapped_calibration"] = {"weights": swapped.weights, "taken_up": swapped.taken_up,
                                      "partly": swapped.partly}
        out["report_half"] = metrics(data.combined(calibration), data.rec_ids, data.target_ids, pairs,
                                     calibration, by_half["report"])
        out["calibration_half"] = metrics(data.combined(calibration), data.rec_ids, data.target_ids, pairs,
                                          calibration, by_half["calibration"])
        out["swapped_report_on_calibration_half"] = metrics(
            data.combined(swapped), data.rec_ids, data.target_ids, pairs, swapped, by_half["calibration"])
        if args.write:
            calibration = TraceCalibration(
                calibration.weights, calibration.taken_up, calibration.partly,
                about=("Chosen by eval/trace_eval.py --calibrate on the calibration half of "
                       "eval/trace_pairs.jsonl (normalization: mean and standard deviation of each "
                       "component over its recommendations x all declaration paragraphs; weights: best "
                       "precision@1 + recall@3 + MRR over a grid of group weights, the previous weights kept "
                       "unless the grid gets at least one more recommendation right; thresholds: "
                       "class-balanced logistic boundaries over the labelled pairs' own scores, not found "
                       "vs the others and taken up vs partly). Do not edit by hand."),
                normalization=calibration.normalization)
            calibration.save(CALIBRATION_PATH, extra={"renderings_used": data.renderings_used})
    else:
        calibration = TraceCalibration.load()
        out["shipped_calibration"] = {"weights": calibration.weights, "taken_up": calibration.taken_up,
                                      "partly": calibration.partly}
        for half in HALVES:
            out[f"{half}_half"] = metrics(data.combined(calibration), data.rec_ids, data.target_ids, pairs,
                                          calibration, by_half[half])
    out["all"] = metrics(data.combined(calibration), data.rec_ids, data.target_ids, pairs, calibration,
                         set(halves))
    out["spot_check"] = spot_check(data, calibration)
    return out


def check_floors(result: dict, floors: dict) -> list[str]:
    failures = []
    for key, floor in floors.get("report_half", {}).items():
        value = result["report_half"].get(key)
        if value is None or value < floor:
            failures.append(f"report half {key} = {value} < floor {floor}")
    if not result["spot_check"]["holds"]:
        failures.append(f"spot check failed: {result['spot_check']}")
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.trace_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="store to use (default: a fresh temporary one with the built-ins)")
    parser.add_argument("--calibrate", action="store_true", help="choose weights and thresholds on the "
                                                                 "calibration half")
    parser.add_argument("--write", action="store_true", help="with --calibrate: write the calibration file")
    parser.add_argument("--check-floors", action="store_true", help="exit 1 below eval/trace_floors.json")
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.check_floors:
        failures = check_floors(result, json.loads(FLOORS_PATH.read_text(encoding="utf-8")))
        for failure in failures:
            print("FLOOR:", failure, file=sys.stderr)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
