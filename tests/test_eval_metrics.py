"""Evaluation metrics on hand-made rankings (paragraph-level matching, edge cases)."""

from __future__ import annotations

import math

import pytest

from eval import metrics

L = "A/CONF.241/RPM.2/2"
E = "A/CONF.234/RPM.5/1"


def test_paragraph_key_drops_the_item_and_keeps_the_symbol():
    assert metrics.paragraph_key(f"{L}#24(d)") == f"{L}#24"
    assert metrics.paragraph_key(f"{L}#24") == f"{L}#24"
    assert metrics.paragraph_key(f"{E}#24") != metrics.paragraph_key(f"{L}#24")


def test_paragraph_ranking_keeps_first_position_of_each_paragraph():
    ranked = [f"{L}#24(d)", f"{L}#24(a)", f"{E}#46", f"{L}#24", f"{L}#53"]
    assert metrics.paragraph_ranking(ranked) == [f"{L}#24", f"{E}#46", f"{L}#53"]


def test_recall_matches_sub_items_at_paragraph_level():
    # a hit on 24(a) finds gold 24(d); a hit on paragraph 66 finds gold 66(k)
    assert metrics.recall_at_k([f"{L}#24(a)"], [f"{L}#24(d)"], 1) == 1.0
    assert metrics.recall_at_k([f"{L}#66"], [f"{L}#66(k)"], 1) == 1.0
    # same paragraph number in the other report does not count
    assert metrics.recall_at_k([f"{E}#24"], [f"{L}#24"], 5) == 0.0


def test_recall_at_k_counts_hits_as_the_user_sees_them():
    # five sub-items of 37 take five places: 53 is the sixth hit
    ranked = [f"{L}#37(a)", f"{L}#37(b)", f"{L}#37(c)", f"{L}#37(d)", f"{L}#37(e)", f"{L}#53"]
    assert metrics.recall_at_k(ranked, [f"{L}#53"], 5) == 0.0
    assert metrics.recall_at_k(ranked, [f"{L}#53"], 6) == 1.0
    assert metrics.reciprocal_rank(ranked, [f"{L}#53"]) == pytest.approx(1 / 6)


def test_recall_partial_and_gold_items_of_one_paragraph_count_once():
    ranked = [f"{E}#30", f"{E}#12", f"{E}#13"]
    assert metrics.recall_at_k(ranked, [f"{E}#30", f"{E}#36(i)"], 5) == 0.5
    assert metrics.recall_at_k(ranked, [f"{E}#36(b)", f"{E}#36(h)", f"{E}#30"], 5) == 0.5


def test_metrics_without_gold_are_undefined():
    assert metrics.recall_at_k([f"{E}#1"], [], 5) is None
    assert metrics.reciprocal_rank([f"{E}#1"], []) is None
    assert metrics.ndcg_at_k([f"{E}#1"], [], 10) is None
    assert metrics.citation_precision([f"{E}#1"], []) is None


def test_reciprocal_rank():
    ranked = [f"{E}#1", f"{E}#2(a)", f"{E}#2(b)", f"{E}#3"]
    assert metrics.reciprocal_rank(ranked, [f"{E}#3"]) == pytest.approx(1 / 4)
    assert metrics.reciprocal_rank(ranked, [f"{E}#2"]) == pytest.approx(1 / 2)
    assert metrics.reciprocal_rank(ranked, [f"{E}#9"]) == 0.0


def test_ndcg_perfect_partial_and_zero():
    gold = [f"{L}#1", f"{L}#2"]
    assert metrics.ndcg_at_k([f"{L}#1", f"{L}#2", f"{L}#3"], gold, 10) == pytest.approx(1.0)
    swapped = metrics.ndcg_at_k([f"{L}#3", f"{L}#1", f"{L}#2"], gold, 10)
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert swapped == pytest.approx(expected)
    assert metrics.ndcg_at_k([f"{L}#3", f"{L}#1"], gold, 1) == 0.0
    # a second hit in an already credited paragraph gains nothing
    repeated = metrics.ndcg_at_k([f"{L}#1(a)", f"{L}#1(b)", f"{L}#2"], gold, 10)
    assert repeated == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_citation_precision_and_recall_at_paragraph_level():
    gold = [f"{L}#66(g)", f"{L}#66(h)", f"{L}#24(k)"]
    cited = [f"{L}#66(g)", f"{L}#20"]
    assert metrics.citation_precision(cited, gold) == 0.5  # 66 is gold, 20 is not
    assert metrics.citation_recall(cited, gold) == 0.5  # paragraphs 66 and 24 are gold, 66 cited
    assert metrics.citation_precision([], gold) == 0.0
    assert metrics.citation_recall([], gold) == 0.0


def test_citation_validity_requires_existence_and_retrieval():
    existing = {f"{E}#46", f"{E}#47", f"{L}#53"}
    retrieved = {f"{E}#46", f"{L}#53", f"{L}#999"}
    cited = [f"{E}#46", f"{E}#47", f"{L}#999", f"{L}#53"]  # 47 not retrieved, 999 does not exist
    assert metrics.citation_validity(cited, existing, retrieved) == 0.5
    assert metrics.citation_validity([], existing, retrieved) is None


def test_rate_mean_and_language_match():
    assert metrics.rate([True, False, True, True]) == 0.75
    assert metrics.rate([]) is None
    assert metrics.mean([1.0, None, 0.0]) == 0.5
    assert metrics.mean([None]) is None
    assert metrics.language_match("zh", "zh") and not metrics.language_match("zh", "en")


def test_percentile_interpolates_and_checks_its_argument():
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert metrics.percentile(values, 50) == 30.0
    assert metrics.percentile(values, 95) == pytest.approx(48.0)
    assert metrics.percentile([7.0], 95) == 7.0
    assert metrics.percentile([], 50) is None
    with pytest.raises(ValueError):
        metrics.percentile(values, 120)
