"""Evaluation metrics: pure functions over unit ids, scored at PARAGRAPH level.

Paragraph level means a sub-item id `SYM#24(d)` counts as its paragraph `SYM#24`: a hit on 24(d)
finds gold 24, and a hit on 24 finds gold 24(d). Delegates cite paragraphs, so a hit on the right
paragraph but another sub-item still puts the reader in the right place. k counts hits as the
user sees them (the first k units), and each gold paragraph is credited once.

Retrieval: recall@k, reciprocal rank (MRR when averaged), nDCG@k (binary relevance).
Answers: ALCE-style citation precision and recall against gold, citation validity, answer
language match, refusal, latency percentiles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from vectorstore.units import split_unit_id


def paragraph_key(uid: str) -> str:
    """`'SYM#24(d)'` -> `'SYM#24'` (a paragraph id is returned unchanged)."""
    symbol, paragraph, _ = split_unit_id(uid)[:3]
    return f"{symbol}#{paragraph}"


def paragraph_ranking(ranked_ids: Iterable[str]) -> list[str]:
    """Paragraph keys in rank order, each kept at its first (best) position."""
    seen: dict[str, None] = {}
    for uid in ranked_ids:
        seen.setdefault(paragraph_key(uid), None)
    return list(seen)


def gold_paragraphs(gold_ids: Iterable[str]) -> set[str]:
    return {paragraph_key(uid) for uid in gold_ids}


def recall_at_k(ranked_ids: Sequence[str], gold_ids: Sequence[str], k: int) -> float | None:
    """Share of gold paragraphs hit by the first k retrieved units (None without gold)."""
    gold = gold_paragraphs(gold_ids)
    if not gold:
        return None
    return len(gold & gold_paragraphs(ranked_ids[:k])) / len(gold)


def reciprocal_rank(ranked_ids: Sequence[str], gold_ids: Sequence[str]) -> float | None:
    """1 / rank of the first unit in a gold paragraph (0 when none is retrieved; None without gold)."""
    gold = gold_paragraphs(gold_ids)
    if not gold:
        return None
    for rank, uid in enumerate(ranked_ids, start=1):
        if paragraph_key(uid) in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked_ids: Sequence[str], gold_ids: Sequence[str], k: int = 10) -> float | None:
    """Binary-relevance nDCG over the first k units; a gold paragraph gains only at its first hit."""
    gold = gold_paragraphs(gold_ids)
    if not gold:
        return None
    credited: set[str] = set()
    dcg = 0.0
    for rank, uid in enumerate(ranked_ids[:k], start=1):
        key = paragraph_key(uid)
        if key in gold and key not in credited:
            credited.add(key)
            dcg += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def citation_precision(cited_ids: Sequence[str], gold_ids: Sequence[str]) -> float | None:
    """Share of cited paragraphs that are gold paragraphs.

    None without gold (unanswerable questions are scored by refusal instead); 0.0 when an
    answerable question got no citation at all: an uncited answer is of no use to a delegate.
    """
    gold = gold_paragraphs(gold_ids)
    if not gold:
        return None
    cited = gold_paragraphs(cited_ids)
    if not cited:
        return 0.0
    return len(cited & gold) / len(cited)


def citation_recall(cited_ids: Sequence[str], gold_ids: Sequence[str]) -> float | None:
    """Share of gold paragraphs that the answer cites (None without gold)."""
    gold = gold_paragraphs(gold_ids)
    if not gold:
        return None
    return len(gold_paragraphs(cited_ids) & gold) / len(gold)


def citation_validity(cited_ids: Sequence[str], existing_ids: Iterable[str],
                      retrieved_ids: Iterable[str]) -> float | None:
    """Share of cited ids (exact unit ids) that exist in the store AND were retrieved.

    Must be 1.0: a citation to a paragraph that was not retrieved is unverified, one to a
    paragraph that does not exist is invented. None when nothing is cited.
    """
    if not cited_ids:
        return None
    existing, retrieved = set(existing_ids), set(retrieved_ids)
    return sum(1 for uid in cited_ids if uid in existing and uid in retrieved) / len(cited_ids)


def language_match(answer_language: str, expected_language: str) -> bool:
    return answer_language == expected_language


def rate(flags: Iterable[bool]) -> float | None:
    """Share of True values (None for no values), e.g. the correct-refusal rate."""
    flags = list(flags)
    return sum(flags) / len(flags) if flags else None


def mean(values: Iterable[float | None]) -> float | None:
    """Mean over the defined values (None values are skipped; None if nothing is left)."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
