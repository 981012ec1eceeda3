"""parse_references: the paragraph references users and models write, and what is not one."""

from __future__ import annotations

import pytest

from vectorstore.references import chinese_number, parse_references

LAC = "Latin America and the Caribbean"
EUROPE = "Europe"


def refs(text):
    return [(r.symbol, r.region, r.congress, r.paragraph, r.item) for r in parse_references(text)]


@pytest.mark.parametrize("text, paragraph, item", [
    ("第24段", 24, None),
    ("第 23 段", 23, None),
    ("第24(d)段", 24, "d"),
    ("第24（d）段", 24, "d"),  # full-width parentheses
    ("第６６段", 66, None),  # full-width digits
    ("第66段(k)项", 66, "k"),
    ("第66段（k）分段", 66, "k"),
    ("第66段第(k)项", 66, "k"),
    ("第66段k项", 66, "k"),
    ("第24段(d)", 24, "d"),
    ("第二十四段", 24, None),
    ("para. 37 (o)", 37, "o"),
    ("para 37(o)", 37, "o"),
    ("paragraph 16", 16, None),
    ("Paragraph 16", 16, None),
    ("¶ 24(d)", 24, "d"),
    ("¶24(d)", 24, "d"),
    ("¶ 24 (d)", 24, "d"),
    ("24(d)", 24, "d"),
    ("What does 24(d) recommend?", 24, "d"),
    ("subparagraph (d) of paragraph 24", 24, "d"),
    ("paragraph 24, subparagraph (d)", 24, "d"),
])
def test_single_reference_forms(text, paragraph, item):
    assert refs(text) == [(None, None, None, paragraph, item)]


def test_reference_span_and_text_point_into_the_original_text():
    text = "请看第24（d）段的内容"
    (ref,) = parse_references(text)
    assert text[ref.span[0]:ref.span[1]] == ref.text == "第24（d）段"
    assert ref.ref == "24(d)"


@pytest.mark.parametrize("text, expected", [
    ("paras. 24 and 37", [24, 37]),
    ("第24、37段", [24, 37]),
    ("第24段和第37段", [24, 37]),
    ("第24至26段", [24, 25, 26]),
    ("paras. 24-26", [24, 25, 26]),
    ("paragraphs 24, 37 and 43", [24, 37, 43]),
])
def test_lists_and_ranges(text, expected):
    assert [p for *_, p, _ in refs(text)] == expected


def test_items_in_lists():
    assert [(p, i) for *_, p, i in refs("para. 24 (d) and (e)")] == [(24, "d"), (24, "e")]
    assert [(p, i) for *_, p, i in refs("第24(d)和(e)段")] == [(24, "d"), (24, "e")]
    assert [(p, i) for *_, p, i in refs("¶¶ 24 (a)-(c)")] == [(24, "a"), (24, "b"), (24, "c")]


@pytest.mark.parametrize("text, symbol, paragraph, item", [
    ("A/CONF.241/RPM.2/2 第66段(k)项", "A/CONF.241/RPM.2/2", 66, "k"),
    ("A/CONF.234/RPM.5/1, para. 43 (e)", "A/CONF.234/RPM.5/1", 43, "e"),
    ("[A/CONF.241/RPM.2/2 ¶24(d)]", "A/CONF.241/RPM.2/2", 24, "d"),
    ("a/conf.241/rpm.2/2 para 24", "A/CONF.241/RPM.2/2", 24, None),
    ("paragraph 24 of A/CONF.241/RPM.2/2", "A/CONF.241/RPM.2/2", 24, None),
    # a reference to another document keeps its symbol (lookup then says it is not stored)
    ("（E/CN.15/2007/6，第 23 段）", "E/CN.15/2007/6", 23, None),
    ("A/CONF.241/RPM.2/2 24(d)", "A/CONF.241/RPM.2/2", 24, "d"),
])
def test_symbol_qualifiers(text, symbol, paragraph, item):
    assert refs(text) == [(symbol, None, None, paragraph, item)]


@pytest.mark.parametrize("text, region, congress, paragraph, item", [
    ("拉美报告第24段", LAC, None, 24, None),
    ("拉丁美洲和加勒比区域筹备会议报告第24段说了什么", LAC, None, 24, None),
    ("欧洲报告第10段", EUROPE, None, 10, None),
    ("the European report, para. 43 (e)", EUROPE, None, 43, "e"),
    ("What does paragraph 24 of the Latin American report say?", LAC, None, 24, None),
    ("LAC para 24", LAC, None, 24, None),
    ("第十五届大会区域筹备会议报告第24段", None, 15, 24, None),
    ("Fifteenth Congress, paragraph 24", None, 15, 24, None),
    ("15th Congress para. 24", None, 15, 24, None),
    ("Kyoto report para 12", None, 14, 12, None),
    ("Abu Dhabi para. 5", None, 15, 5, None),
    ("第十四届欧洲报告第7段", EUROPE, 14, 7, None),
    ("the 14th Congress European report para 7", EUROPE, 14, 7, None),
    ("Asia-Pacific report para 3", "Asia and the Pacific", None, 3, None),
    ("西亚报告第3段", "Western Asia", None, 3, None),
    ("the African report, paragraph 9", "Africa", None, 9, None),
    ("what the Europeans said in para. 9", EUROPE, None, 9, None),
])
def test_region_and_congress_qualifiers(text, region, congress, paragraph, item):
    assert refs(text) == [(None, region, congress, paragraph, item)]


def test_each_reference_binds_to_its_own_document():
    assert refs("拉美报告第24段和欧洲报告第43段") == [
        (None, LAC, None, 24, None), (None, EUROPE, None, 43, None)]
    assert refs("Compare para 43 of the European report with para 24 of the LAC report") == [
        (None, EUROPE, None, 43, None), (None, LAC, None, 24, None)]
    assert refs("拉美报告第24段和第37段") == [(None, LAC, None, 24, None), (None, LAC, None, 37, None)]
    assert refs("[A/CONF.241/RPM.2/2 ¶24(d)] [A/CONF.234/RPM.5/1 ¶43]") == [
        ("A/CONF.241/RPM.2/2", None, None, 24, "d"), ("A/CONF.234/RPM.5/1", None, None, 43, None)]


@pytest.mark.parametrize("text", [
    "《2030年可持续发展议程》",
    "2030",
    "2030 Agenda for Sustainable Development",
    "第 73/184 号决议",
    "大会第 56/119 号决议",
    "resolution 73/184",
    "article 2(a) of the Convention",
    "第5(a)条",
    "SDG 16",
    "可持续发展目标 16",
    "第十五届预防犯罪大会",
    "the Fifteenth Congress in Abu Dhabi",
    "2025年2月4日至6日",
    "para 1234",
    "第0段",
    "",
    "What do the reports say about cybercrime?",
    "拉美和欧洲报告对网络犯罪有何不同看法？",
])
def test_not_references(text):
    assert refs(text) == []


def test_document_mentions_skip_look_alikes():
    from vectorstore.references import document_mentions

    def regions(text):
        return [m.value for m in document_mentions(text) if m.kind == "region"]

    assert regions("people of African descent") == []
    assert regions("非洲裔人") == []
    assert regions("the European Union and the European arrest warrant") == []
    assert regions("欧洲联盟") == []
    assert regions("the European meeting and the Latin American meeting") == [EUROPE, LAC]
    assert [m.value for m in document_mentions("Kyoto and Abu Dhabi")] == [14, 15]


def test_numbers_are_not_read_into_neighbouring_digits():
    assert [p for *_, p, _ in refs("paragraph 16 and the 2030 Agenda")] == [16]
    assert refs("委员会第三十三届会议第5段") == [(None, None, None, 5, None)]  # 33rd session is no congress


def test_chinese_numbers():
    assert chinese_number("二十四") == 24
    assert chinese_number("十") == 10
    assert chinese_number("十五") == 15
    assert chinese_number("一百零五") == 105
    assert chinese_number("abc") is None


def test_a_declaration_named_by_its_congress_reads_through_the_catalog():
    from vectorstore.catalog import load_catalog
    from vectorstore.settings import BUILTIN_CORPUS_DIR

    catalog = {info.symbol: info for info in load_catalog(BUILTIN_CORPUS_DIR / "catalog.json").values()}
    for text in ("the declaration of the Fourteenth Congress, para. 36", "第十四届大会通过的宣言第36段",
                 "Kyoto Declaration, para. 36"):
        (ref,) = parse_references(text, catalog)
        expected = ("A/RES/76/181", "annex", 36, False)
        assert (ref.symbol, ref.part, ref.paragraph, ref.declaration) == expected, text
    for text in ("Abu Dhabi Declaration, para. 5", "阿布扎比宣言第5段", "the declaration adopted at the "
                 "Fifteenth Congress, paragraph 5"):
        (ref,) = parse_references(text, catalog)
        assert (ref.symbol, ref.congress, ref.declaration) == (None, 15, True), text
    # without the declaration's holder in the store, the Kyoto Declaration is not stored either
    reports = {s: i for s, i in catalog.items() if s != "A/RES/76/181"}
    (ref,) = parse_references("Kyoto Declaration, para. 36", reports)
    assert (ref.symbol, ref.congress, ref.declaration) == (None, 14, True)
    # a congress without the word declaration is still the congress's documents
    (ref,) = parse_references("第十四届大会欧洲区域筹备会议报告第36段", catalog)
    assert (ref.region, ref.congress, ref.declaration) == ("Europe", 14, False)


def test_el_salvador_is_a_state_not_the_venue_of_the_twelfth_congress():
    """"Was El Salvador represented at the 2025 Latin American meeting?" read as a question about
    the 12th Congress (held in Salvador, Brazil); the Salvador Declaration still names it."""
    from vectorstore.references import document_mentions

    assert not [m for m in document_mentions("Was El Salvador among the countries represented?")
                if m.kind in ("congress", "declaration")]
    assert [(m.kind, m.value) for m in document_mentions("the Salvador Declaration")] == [("declaration", 12)]


@pytest.mark.parametrize("text, regions", [
    # "西亚" (Western Asia) inside Saint Lucia, Malaysia and Indonesia; "Africa" inside South Africa
    ("拉丁美洲和加勒比经济委员会邀请圣卢西亚和苏里南出席了会议。", ["Latin America and the Caribbean"]),
    ("马来西亚和印度尼西亚在西亚区域筹备会议上发言。", ["Western Asia"]),
    ("What did South Africa and the Central African Republic say at the African meeting?", ["Africa"]),
    ("South Africa spoke.", []),
])
def test_a_region_word_inside_a_member_state_s_name_is_not_a_region(text, regions):
    """A statement listing Saint Lucia was dropped as naming the Western Asian report, and a
    question naming Malaysia would have been read as asking about that meeting."""
    from vectorstore.references import document_mentions

    assert [m.value for m in document_mentions(text) if m.kind == "region"] == regions
