"""Parsing UN reports into units: the two built-in reports are the acceptance test, exactly."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from vectorstore.catalog import load_catalog
from vectorstore.errors import DocumentParseError
from vectorstore.loaders import read_document_text
from vectorstore.parsing import join_lines, parse_report
from vectorstore.settings import BUILTIN_CORPUS_DIR
from vectorstore.units import DocumentInfo, split_unit_id

DATA = Path(__file__).parent / "data"
RPM5 = "A/CONF.234/RPM.5/1"
RPM2 = "A/CONF.241/RPM.2/2"
EN = "A/CONF.999/RPM.9/1"


def _letters(first: str, last: str) -> str:
    return "".join(chr(c) for c in range(ord(first), ord(last) + 1))


EXPECTED = {
    RPM5: (75, {16: "abcd", 28: _letters("a", "g"), 36: _letters("a", "j"), 43: _letters("a", "g"),
                56: _letters("a", "h"), 57: _letters("a", "g")}),
    RPM2: (95, {24: _letters("a", "l"), 37: _letters("a", "o"), 49: _letters("a", "s"),
                66: _letters("a", "l"), 76: _letters("a", "h")}),
    EN: (16, {7: _letters("a", "f"), 10: "abc"}),
}


@pytest.fixture(scope="module")
def catalog():
    return {doc.symbol: doc for doc in load_catalog(BUILTIN_CORPUS_DIR / "catalog.json").values()}


@pytest.fixture(scope="module")
def sources(catalog):
    """Raw text of each report, read through the real loader."""
    texts = {symbol: read_document_text(BUILTIN_CORPUS_DIR / doc.file) for symbol, doc in catalog.items()}
    texts[EN] = read_document_text(DATA / "en_report_excerpt.txt")
    return texts


@pytest.fixture(scope="module")
def reports(catalog, sources):
    """symbol -> {ref: unit} for the two built-in reports and the English excerpt."""
    docs = dict(catalog)
    docs[EN] = DocumentInfo(symbol=EN, language="en", congress=16, region="Western Asia")
    parsed = {}
    for symbol, doc in docs.items():
        units = parse_report(sources[symbol], doc, doc.file or "en_report_excerpt.txt")
        parsed[symbol] = units
    return parsed


def _by_ref(units):
    return {unit.ref: unit for unit in units}


@pytest.mark.parametrize("symbol", [RPM5, RPM2, EN])
def test_every_paragraph_exactly_once_in_order(reports, symbol):
    last, _ = EXPECTED[symbol]
    paragraphs = [u.paragraph for u in reports[symbol] if u.item is None]
    assert paragraphs == list(range(1, last + 1))


@pytest.mark.parametrize("symbol", [RPM5, RPM2, EN])
def test_sub_items_exactly(reports, symbol):
    _, items = EXPECTED[symbol]
    found = defaultdict(str)
    for unit in reports[symbol]:
        if unit.item:
            found[unit.paragraph] += unit.item
    assert dict(found) == items


@pytest.mark.parametrize("symbol", [RPM5, RPM2, EN])
def test_document_order_ids_and_metadata(reports, catalog, symbol):
    units = reports[symbol]
    ids = [u.id for u in units]
    assert len(ids) == len(set(ids))
    # Sub-items follow their paragraph directly, in letter order.
    order = [(u.paragraph, u.item or "") for u in units]
    assert order == sorted(order, key=lambda p: (p[0], len(p[1]), p[1]))
    for unit in units:
        assert split_unit_id(unit.id)[0] == symbol
        assert unit.text.strip() == unit.text and unit.text
        assert unit.kind in ("summary", "recommendation", "other")
    if symbol in catalog:
        doc = catalog[symbol]
        assert {(u.region, u.congress, u.language, u.title_en, tuple(u.dates)) for u in units} == {
            (doc.region, doc.congress, doc.language, doc.title_en, tuple(doc.dates))}


def test_chapeau_of_sub_items(reports):
    rpm5 = _by_ref(reports[RPM5])
    assert rpm5["16"].text == "会议确定了未经与会者谈判的以下建议："
    assert rpm5["16(c)"].chapeau == rpm5["16"].text
    assert rpm5["57(a)"].chapeau == "有关未来的京都宣言的结构和实质内容，会议确定了未经与会者谈判的以下建议："
    assert rpm5["16"].chapeau == "" and rpm5["15"].chapeau == ""
    # The chapeau goes into what is embedded, never into the quoted text.
    assert rpm5["16(c)"].chapeau in rpm5["16(c)"].embedding_text
    assert rpm5["16(c)"].chapeau not in rpm5["16(c)"].text
    assert _by_ref(reports[RPM2])["49(s)"].chapeau == "与会者未经谈判提出了下列建议："


def test_sub_item_text_is_exact(reports):
    rpm5 = _by_ref(reports[RPM5])
    assert rpm5["28(b)"].text == ("在制定预防犯罪战略时适当考虑与性别有关的问题"
                                  "以及问题儿童和问题青年的脆弱性；")
    rpm2 = _by_ref(reports[RPM2])
    assert rpm2["24(e)"].text == "加强打击枪支贩运的行动，以解决本区域的暴力问题；"  # "- (e)" bullet gone
    assert rpm2["76(h)"].text.startswith("为在刑事司法系统中使用数字技术制定问责机制")
    assert rpm2["76(h)"].text.endswith("例如在案件档案管理系统中就是如此。")


def test_numbered_headings_are_sections_not_paragraphs(reports):
    rpm5 = _by_ref(reports[RPM5])
    assert rpm5["17"].section == [
        "二. 结论和建议",
        "B. 实质性项目和讲习班",
        "1. 预防犯罪促进社会和经济发展的全面战略（议程项目 3）；循证的预防犯罪：有助于成功实践的统计、"
        "指标和评价（讲习班 1）",
        "审议情况概要",
    ]
    assert rpm5["29"].section[2] == ("2. 应对刑事司法系统所面临挑战的综合办法（议程项目 4）；"
                                     "减少再次犯罪：查明风险和制定解决办法（讲习班 2）")
    assert rpm5["44"].section[2].startswith("4. 开展国际合作并提供技术援助以预防和应对"
                                            "一切形式的犯罪：(a)一切形式")
    assert rpm5["43(g)"].text.endswith("化进行富有意义的辩论。")  # the heading after it is not glued on
    rpm2 = _by_ref(reports[RPM2])
    assert rpm2["25"].section[-1].startswith("1. 推进创新的循证预防犯罪战略以促进社会、"
                                             "经济和环境发展（议程项目 3）")
    assert rpm2["36"].text == ("会上还提到了在调查儿童性虐待和贩运人口案件方面开展国际合作所面临的挑战，"
                               "这些案件往往是通过社交媒体网络发生的。")
    for units in reports.values():
        for unit in units:
            assert "（议程项目" not in unit.text[:40] or unit.paragraph in (69, 92), unit.id


def test_agenda_lists_stay_inside_their_paragraph(reports):
    rpm5 = _by_ref(reports[RPM5])
    text = rpm5["69"].text
    assert text.startswith("第一场会议还通过了临时议程（A/CONF.234/RPM.5/L.1），内容如下：\n1. 会议开幕。\n")
    assert "\n(a) 预防犯罪促进社会和经济发展的全面战略（议程项目 3）" in text
    assert "(d) 开展国际合作并提供技术援助以预防和应对一切形式的犯罪：(a)一切形式和表现的恐怖主义；" in text
    assert text.endswith("\n6. 对第十四届预防犯罪大会的建议。\n7. 通过会议报告。")
    assert rpm5["70"].text == "在同一场会议上，会议核准了工作安排。会议收到的文件清单载于本报告附件。"
    rpm2 = _by_ref(reports[RPM2])
    assert rpm2["92"].text.startswith("在第 1 场会议上，还通过了临时议程（A/CONF.241/RPM.2/1），"
                                      "其内容如下：\n1. 会议开幕。")
    assert "\n(d) 加强共同努力" in rpm2["92"].text and rpm2["92"].text.endswith("7. 通过会议报告。")
    assert not [u for u in reports[RPM5] + reports[RPM2] if u.paragraph in (69, 92) and u.item]


def test_nested_circled_items_stay_inside_57e(reports):
    rpm5 = _by_ref(reports[RPM5])
    text = rpm5["57(e)"].text
    assert text.startswith("在未来的京都宣言中反映一些内容，例如需要：㈠增强每个会员国在保护本国公民")
    assert all(marker in text for marker in "㈠㈡㈢㈣")
    assert text.endswith("为全球预防犯罪和刑事司法政策提供依据方面的作用；")
    assert rpm5["57(f)"].text.startswith("加强预防犯罪和刑事司法委员会在推动落实各届预防犯罪大会的成果")


def test_table_of_contents_and_front_matter_are_not_paragraphs(reports):
    rpm2 = _by_ref(reports[RPM2])
    assert rpm2["1"].section == ["一. 导言"]
    assert rpm2["1"].text.startswith("大会在关于联合国预防犯罪和罪犯待遇大会的作用")
    for unit in reports[RPM2]:
        assert "页次" not in unit.text and "目录" not in unit.text and "\t" not in unit.text
        assert "2026年4月25日至30日，阿布扎比" not in unit.text
    # The annex (list of documents) is not attached to the last paragraph.
    assert rpm2["95"].text.endswith("和 A/CONF.241/RPM.2/L.1/Add.5）。")
    assert _by_ref(reports[RPM5])["75"].text.endswith("和A/CONF.234/RPM.5/L.2/Add.4）。")


ARTEFACTS = re.compile(r"undocs\.org|https?://|V\.19-02889|\d+/15 |\]\(#\)|\[A/CONF|^- |\n- |^\s|\s$")


@pytest.mark.parametrize("symbol", [RPM5, RPM2, EN])
def test_no_extraction_artefacts(reports, symbol):
    for unit in reports[symbol]:
        assert not ARTEFACTS.search(unit.text), (unit.id, unit.text)
        assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", unit.text), unit.id
        assert "  " not in unit.text
        assert not re.search(rf"(^|\s){re.escape(symbol)}($|\s)", unit.text), unit.id  # page header


def test_page_break_and_link_runs_are_joined(reports):
    rpm5 = _by_ref(reports[RPM5])
    # Paragraph 34 spans the page break (header "A/CONF.234/RPM.5/1", footer "7/15 V.19-02889").
    assert rpm5["34"].text == (
        "与会者认为必须系统收集和分析按性别和年龄分列的数据，以便为循证政策和方案提供依据。几位发言者强调与"
        "民间社会协作规划和实施旨在产生社会影响的方案的重要性，例如那些旨在使罪犯重返社会和保护受害者权利的方案。")
    # Paragraph 7 is interrupted by a run of ten undocs.org links in the middle of a word.
    assert "讨论指南把有关具有广泛重要性和全球重要性的问题的议程项目" in rpm5["7"].text
    # Paragraph 66 is interrupted by a link between two sentences.
    assert "会议成果将为 2020 年京都宣言播下种子。他提到 2015 年在多哈举行" in rpm5["66"].text
    # A symbol broken at the line end is rejoined as printed.
    assert "（A/CONF.234/RPM.5/L.2、A/CONF.234/RPM.5/L.2/Add.1、" in rpm5["75"].text
    assert "A/CONF.234/RPM.5/L.2/Add.2、A/CONF.234/RPM.5/L.2/Add.3 和" in rpm5["75"].text


def test_hard_line_breaks_joined_verbatim(reports):
    rpm5 = _by_ref(reports[RPM5])
    assert rpm5["1"].text == (
        "联合国大会在其关于联合国预防犯罪和罪犯待遇大会的作用、职能、间隔期和会期的第 56/119 号决议中，"
        "决定应在每届预防犯罪大会之前举行区域筹备会议，还决定将今后的大会称作联合国预防犯罪和刑事司法大会。")
    # Breaks between a number and a Chinese character keep the printed spacing ("15 日", "第 73/184").
    assert "于 2006 年 8 月 15 日至 18 日在曼谷" in rpm5["2"].text
    assert "大会第 73/184 号决议赞赏地注意到" in rpm5["5"].text
    assert "（A/CONF.234/PM.1）已于 2018 年 9 月发布。" in rpm5["5"].text
    assert rpm5["68"].text.split("\n")[1:] == [
        "主席： Alena Kupchyna（白俄罗斯）", "副主席： Lucie Angers（加拿大）",
        "报告员： Luigi Ripamonti（意大利）"]
    en = _by_ref(reports[EN])
    assert en["1"].text == (
        "The General Assembly, in its resolution 56/119 on the role, function, periodicity and duration of "
        "the United Nations congresses on the prevention of crime and the treatment of offenders, decided "
        "that regional preparatory meetings should be held prior to each congress.")


def _comparable(text: str) -> str:
    """Source text without artefacts and whitespace, written independently of the parser."""
    text = re.sub(r"https?://\S+", "", text)
    text = re.sub(r"\[([^\]]*)\]\(#\)", r"\1", text)
    text = re.sub(r"(?m)^\s*- ", "", text)
    text = re.sub(r"(?m)^\s*(A/CONF\.\d+/RPM\.\d+/\d+|\d+/15 V\.19-02889|V\.19-02889 \d+/15)\s*$", "", text)
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("symbol", [RPM5, RPM2, EN])
def test_unit_text_is_verbatim(reports, sources, symbol):
    """Apart from whitespace, every unit's text occurs in the source exactly as printed."""
    source = _comparable(sources[symbol])
    for unit in reports[symbol]:
        assert re.sub(r"\s+", "", unit.text) in source, unit.id


KINDS = {
    RPM5: [(range(1, 10), "other"), (range(10, 16), "summary"), (range(16, 17), "recommendation"),
           (range(17, 28), "summary"), (range(28, 29), "recommendation"), (range(29, 36), "summary"),
           (range(36, 37), "recommendation"), (range(37, 43), "summary"), (range(43, 44), "recommendation"),
           (range(44, 56), "summary"), (range(56, 58), "recommendation"), (range(58, 76), "other")],
    RPM2: [(range(1, 11), "other"), (range(11, 24), "summary"), (range(24, 25), "recommendation"),
           (range(25, 28), "other"), (range(28, 37), "summary"), (range(37, 38), "recommendation"),
           (range(38, 40), "other"), (range(40, 49), "summary"), (range(49, 50), "recommendation"),
           (range(50, 53), "other"), (range(53, 66), "summary"), (range(66, 67), "recommendation"),
           (range(67, 70), "other"), (range(70, 76), "summary"), (range(76, 77), "recommendation"),
           (range(77, 96), "other")],
    EN: [(range(1, 5), "other"), (range(5, 7), "summary"), (range(7, 8), "recommendation"),
         (range(8, 10), "summary"), (range(10, 11), "recommendation"), (range(11, 17), "other")],
}


@pytest.mark.parametrize("symbol", [RPM5, RPM2, EN])
def test_kinds(reports, symbol):
    expected = {n: kind for numbers, kind in KINDS[symbol] for n in numbers}
    assert {u.id: u.kind for u in reports[symbol]} == {u.id: expected[u.paragraph] for u in reports[symbol]}


def test_sections(reports):
    rpm5 = _by_ref(reports[RPM5])
    assert rpm5["58"].section == ["三. 出席情况和工作安排", "A. 会议日期和地点"]
    assert rpm5["71"].section == ["三. 出席情况和工作安排", "E. 通过议程和工作安排", "程序"]
    assert rpm5["72"].section == ["三. 出席情况和工作安排", "F. 其他事项"]
    assert rpm5["57(c)"].section == ["二. 结论和建议", "C. 其他事项"]
    assert rpm5["10"].section == [
        "二. 结论和建议",
        "A. 第十四届联合国预防犯罪和刑事司法大会总主题：“推进预防犯罪、刑事司法和法治："
        "努力实现《2030 年议程》”",
        "审议情况概要"]
    rpm2 = _by_ref(reports[RPM2])
    assert rpm2["94"].section == ["三. 出席情况和工作安排", "E. 通过议程和工作安排", "会议程序"]
    assert rpm2["95"].section == ["四. 通过报告和会议闭幕"]
    assert rpm2["66(b)"].section[-1] == "审议成果"


def test_english_report(reports):
    en = _by_ref(reports[EN])
    assert en["6"].text.endswith(
        "and noted that multi-stakeholder cooperation was needed to address the links between those forms "
        "of crime (see A/CONF.999/PM.1, para. 12).")
    assert en["7(f)"].text == ("Integrate climate change adaptation strategies into law enforcement "
                               "operations.")
    assert en["7(a)"].chapeau == ("The Meeting identified the following recommendations, which were not "
                                  "negotiated by the participants:")
    assert en["8"].section == [
        "II. Recommendations", "B. Substantive items and workshops",
        "1. Comprehensive crime prevention strategies for social and economic development (agenda item 3); "
        "evidence-based crime prevention: statistics, indicators and evaluation in support of successful "
        "practices (workshop 1)",
        "Summary of deliberations"]
    assert en["15"].section[-1] == "Proceedings"
    assert "\n4. Substantive agenda items and workshop topics of the Sixteenth Congress:\n(a) Comprehensive" \
        in en["13"].text
    assert en["12"].text.endswith(":\nChair: Rania Haddad (Lebanon)\nVice-Chair: Omar Al-Khatib (Jordan)\n"
                                  "Rapporteur: Sara Nasser (Oman)")
    assert en["16"].text.endswith("(A/CONF.999/RPM.9/L.2 and A/CONF.999/RPM.9/L.2/Add.1).")
    assert all(u.language == "en" and u.region == "Western Asia" for u in reports[EN])


def test_closing_text_after_sub_items_belongs_to_the_paragraph():
    text = ("I. Recommendations\n1. The Meeting made the following recommendations:\n(a) Do this;\n"
            "(b) Do that.\nThe Meeting also stressed the importance of follow-up.\n2. Another paragraph.\n")
    units = _by_ref(parse_report(text, DocumentInfo("X/1", "en"), "closing.md"))
    assert units["1"].text == ("The Meeting made the following recommendations:\n"
                               "The Meeting also stressed the importance of follow-up.")
    assert units["1(b)"].text == "Do that."
    assert units["1(b)"].chapeau == "The Meeting made the following recommendations:"
    assert [u.kind for u in units.values()] == ["recommendation"] * 4  # chapter without subheadings


def test_markdown_markup_is_removed():
    text = ("# I. Introduction\n\n1. The Meeting adopted the agenda ([A/CONF.1/RPM.1/L.1](#)) and "
            "**approved** its work:\n - (a) First item;\n - (b) Second item.\n2. Closing.\n")
    units = _by_ref(parse_report(text, DocumentInfo("A/CONF.1/RPM.1/1", "en"), "note.md"))
    assert units["1"].text == "The Meeting adopted the agenda (A/CONF.1/RPM.1/L.1) and approved its work:"
    assert units["1(a)"].text == "First item;" and units["1"].section == ["I. Introduction"]


@pytest.mark.parametrize(("left", "right", "joined"), [
    ("会期的第 56/119 号决议中，还", "决定将今后的大会", "会期的第 56/119 号决议中，还决定将今后的大会"),
    ("大会第", "73/184 号决议", "大会第 73/184 号决议"),
    ("2018 年 9", "月发布。", "2018 年 9 月发布。"),
    ("报告（A/CONF.234/", "RPM.5/L.2", "报告（A/CONF.234/RPM.5/L.2"),
    ("和A/CONF.", "234/RPM.5/L.2", "和A/CONF.234/RPM.5/L.2"),
    ("should be held", "prior to each", "should be held prior to each"),
    ("noted that multi-", "stakeholder", "noted that multi-stakeholder"),
    ("内容如下：", "1. 会议开幕。", "内容如下：\n1. 会议开幕。"),
])
def test_join_lines(left, right, joined):
    assert join_lines(left, right) == joined


@pytest.mark.parametrize("text", [
    "",
    "This is a letter without any numbered paragraphs.\nIt has two lines.",
    "一. 导言\n联合国大会决定应在每届预防犯罪大会之前举行区域筹备会议。\n",
])
def test_text_without_numbered_paragraphs_is_refused(text):
    with pytest.raises(DocumentParseError, match=r"letter\.txt: no numbered paragraphs"):
        parse_report(text, DocumentInfo("X/1", "en"), "letter.txt")


def test_broken_numbering_is_refused_not_silently_merged(sources):
    # Paragraph 17 lost its number (e.g. a damaged copy): 18, 19 ... must not vanish into 16(d).
    damaged = sources[RPM5].replace("17. 一些与会者对第十四届", "一些与会者对第十四届")
    with pytest.raises(DocumentParseError, match=r"damaged\.txt: .*after paragraph 16.*paragraph 17"):
        parse_report(damaged, DocumentInfo(RPM5, "zh"), "damaged.txt")


def test_unnumbered_text_after_a_heading_is_refused():
    text = ("I. Summary\n1. First paragraph.\nSummary of deliberations\n"
            "A paragraph whose number was lost in conversion.\n2. Second paragraph.\n")
    with pytest.raises(DocumentParseError, match=r"lost\.txt: some text is not inside any numbered"):
        parse_report(text, DocumentInfo("X/1", "en"), "lost.txt")


def test_layout_variants_number_alone_tabs_and_numbered_chapter():
    # A chapter numbered like a paragraph, a number alone on its line, tabs after markers (PDF/Word).
    text = ("1. Introduction\n1.\nThe General Assembly decided\nthat meetings be held.\n"
            "2.\tThe Meeting recommended:\n(a)\tOne thing;\n(b)\tAnother.\n3. Done.\n")
    units = _by_ref(parse_report(text, DocumentInfo("X/1", "en"), "variants.txt"))
    assert list(units) == ["1", "2", "2(a)", "2(b)", "3"]
    assert units["1"].text == "The General Assembly decided that meetings be held."
    assert units["1"].section == ["1. Introduction"]
    assert units["2(a)"].text == "One thing;"
