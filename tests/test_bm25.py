"""BM25: tokenisation, language-aware scoring, persistence and rebuild on a new revision."""

from __future__ import annotations

import numpy as np

from vectorstore.bm25 import BM25Index, index_path, load_or_build, query_language, tokenize
from vectorstore.units import Unit

SYM_ZH = "A/CONF.999/RPM.1/1"
SYM_EN = "A/CONF.999/RPM.2/1"


def zh(paragraph, text, item=None):
    return Unit(SYM_ZH, paragraph, item, text, "recommendation", section=["二. 建议"], language="zh")


def en(paragraph, text):
    return Unit(SYM_EN, paragraph, None, text, "summary", section=["Summary"], language="en")


UNITS = [
    zh(1, "加强金融情报单位和银行部门的能力，以查明可疑付款。"),
    zh(2, "处理和防止儿童性虐待和儿童性剥削问题，包括在网上和旅游业中的此类问题。"),
    zh(3, "发言者强调需要通过《联合国打击跨国有组织犯罪公约》处理一切形式的有组织犯罪。"),
    zh(4, "利用技术推进司法服务现代化，采用电子证据和网络犯罪调查工具。"),
    en(1, "Speakers stressed international cooperation against cybercrime and electronic evidence."),
    en(2, "Participants discussed the trafficking of firearms and border controls in 2030."),
]


def test_tokenize_chinese_uses_jieba_and_drops_stopwords():
    tokens = tokenize("加强金融情报单位和银行部门的能力")
    assert "金融" in tokens and "银行" in tokens
    assert "的" not in tokens and "和" not in tokens


def test_tokenize_latin_lowercases_stems_and_keeps_digits():
    tokens = tokenize("The Trafficking of Firearms in 2030")
    assert tokens == ["traffick", "firearm", "2030"]


def test_tokenize_mixed_scripts():
    tokens = tokenize("UNODC 的网络犯罪 programme")
    assert "unodc" in tokens and "programme" in tokens and "犯罪" in tokens


def test_query_language():
    assert query_language("网络犯罪的对策是什么？") == "zh"
    assert query_language("What about cybercrime?") == "en"
    assert query_language("UNODC 在网络犯罪方面的作用") == "zh"
    assert query_language("2030") == "en"


def test_search_ranks_the_matching_paragraph_first():
    index = BM25Index.build(UNITS, "r1")
    assert index.search("金融情报单位", 3)[0][0] == f"{SYM_ZH}#1"
    assert index.search("儿童性剥削", 3)[0][0] == f"{SYM_ZH}#2"
    assert index.search("firearms trafficking", 3)[0][0] == f"{SYM_EN}#2"


def test_query_script_decides_which_units_are_scored():
    index = BM25Index.build(UNITS, "r1")
    # English words never score Chinese units: the English unit comes back, no Chinese one
    english = index.search("cybercrime electronic evidence", 10)
    assert [uid for uid, _ in english] == [f"{SYM_EN}#1"]
    # Chinese words never score English units
    chinese = index.search("网络犯罪 电子证据", 10)
    assert chinese and all(uid.startswith(SYM_ZH) for uid, _ in chinese)
    # digits in an English question score English units only
    assert [uid for uid, _ in index.search("2030", 10)] == [f"{SYM_EN}#2"]


def test_no_match_and_mask():
    index = BM25Index.build(UNITS, "r1")
    assert index.search("量子计算", 5) == []
    assert index.search("", 5) == []
    allowed = np.array([not u.id.endswith("#1") for u in UNITS])
    assert all(not uid.endswith("#1") for uid, _ in index.search("金融情报单位 网络犯罪", 5, allowed))


def test_empty_index():
    index = BM25Index.build([], "empty")
    assert len(index) == 0
    assert index.search("网络犯罪", 5) == []


def test_persistence_across_instances(tmp_path):
    path = index_path(tmp_path, "rpm_units")
    built = load_or_build(path, "r1", lambda: UNITS)
    assert path.exists()

    def must_not_rebuild():
        raise AssertionError("the saved index should have been reused")

    loaded = load_or_build(path, "r1", must_not_rebuild)
    assert loaded.ids == built.ids
    assert loaded.search("儿童性剥削", 3) == built.search("儿童性剥削", 3)
    assert loaded.search("firearms", 3) == built.search("firearms", 3)


def test_rebuilt_when_revision_changes(tmp_path):
    path = index_path(tmp_path, "rpm_units")
    load_or_build(path, "r1", lambda: UNITS)
    added = UNITS + [zh(5, "量子计算在刑事司法中的应用。")]
    index = load_or_build(path, "r2", lambda: added)
    assert index.revision == "r2" and len(index) == len(added)
    assert index.search("量子计算", 3)[0][0] == f"{SYM_ZH}#5"
    removed = [u for u in added if u.symbol != SYM_EN]
    index = load_or_build(path, "r3", lambda: removed)
    assert index.search("firearms", 3) == []
    assert BM25Index.load(path).revision == "r3"


def test_corrupt_index_file_is_rebuilt(tmp_path):
    path = index_path(tmp_path, "rpm_units")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npz file")
    assert BM25Index.load(path) is None
    index = load_or_build(path, "r1", lambda: UNITS)
    assert index.search("儿童性剥削", 1)[0][0] == f"{SYM_ZH}#2"


def test_glossary_maps_english_terms_to_the_reports_chinese_terms():
    from vectorstore.glossary import chinese_terms

    assert chinese_terms("Compare what they said about cryptocurrencies and money laundering") == [
        "加密货币", "洗钱"]
    assert "公设辩护人" in chinese_terms("appointing public defenders")
    # the longest phrase wins: "restorative justice", not "justice" alone
    assert chinese_terms("restorative justice") == ["恢复性司法"]
    assert chinese_terms("the weather in Vienna") == []
    # translated terms find the Chinese unit that plain English words cannot score
    index = BM25Index.build(UNITS, "r1")
    assert index.search("financial intelligence units", 3) == []
    assert index.search(" ".join(chinese_terms("financial intelligence units")), 3)[0][0] == f"{SYM_ZH}#1"
