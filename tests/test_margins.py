"""Rule 5 with its sampling error (eval/margins.py): hybrid's margin over the best single channel."""

from __future__ import annotations

from eval.harness import RetrievalRecord
from eval.margins import TOLERANCE, bootstrap_interval, slice_margins


def _records(config: str, values: list[float], lang: str = "zh",
             doc_lang: str = "zh+en") -> list[RetrievalRecord]:
    return [RetrievalRecord(f"q{i:03d}", lang, "compare", config, "", [], [], 0.0, {"recall@5": v},
                            doc_lang, "test") for i, v in enumerate(values)]


def test_a_one_question_loss_is_reported_with_an_interval_that_holds_it():
    hybrid = [1.0] * 19 + [0.0]
    margins = slice_margins({"hybrid": _records("hybrid", hybrid), "dense": _records("dense", [0.5] * 20),
                             "bm25": _records("bm25", [1.0] * 20)})
    [m] = margins
    assert (m.slice, m.n, m.best_channel) == ("zh->zh+en", 20, "bm25")
    assert round(m.margin, 3) == -0.05 and not m.meets_rule
    assert m.low <= -0.05 <= m.high  # the loss is one question: a draw without it has margin 0
    assert m.high == 0.0 and m.rule_within_error and m.verdict == "under, within sampling error"
    assert m.low < -0.05  # and a draw with it twice is worse


def test_a_loss_on_many_questions_is_outside_the_tolerance():
    hybrid = [0.5] * 20
    m = slice_margins({"hybrid": _records("hybrid", hybrid), "dense": _records("dense", [0.0] * 20),
                       "bm25": _records("bm25", [1.0] * 20)})[0]
    assert m.margin == -0.5 and m.high < -TOLERANCE and not m.rule_within_error and m.verdict == "under"


def test_the_best_channel_is_chosen_again_in_every_draw():
    # dense and BM25 each win half the questions: in a draw, whichever is ahead sets the bar, so
    # the margin's interval lies below the full slice's margin of 0
    dense = [1.0] * 10 + [0.0] * 10
    bm25 = [0.0] * 10 + [1.0] * 10
    hybrid = [0.5] * 20
    low, high = bootstrap_interval({"hybrid": hybrid, "dense": dense, "bm25": bm25})
    assert high <= 0.0 and low < -0.1
    assert bootstrap_interval({"hybrid": hybrid, "dense": dense, "bm25": bm25}) == (low, high)  # seeded


def test_slices_are_kept_apart_and_a_missing_channel_gives_no_margins():
    records = {"hybrid": _records("hybrid", [1.0] * 4) + _records("hybrid", [0.0] * 3, "en", "zh"),
               "dense": _records("dense", [1.0] * 4) + _records("dense", [1.0] * 3, "en", "zh"),
               "bm25": _records("bm25", [0.0] * 4) + _records("bm25", [0.0] * 3, "en", "zh")}
    by_slice = {m.slice: m for m in slice_margins(records)}
    assert by_slice["zh->zh+en"].margin == 0.0 and by_slice["zh->zh+en"].verdict == "met"
    assert by_slice["en->zh"].margin == -1.0 and by_slice["en->zh"].n == 3
    assert slice_margins({"hybrid": records["hybrid"]}) == []
