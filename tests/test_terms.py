"""The official-terms table: its contents and the matcher that finds terms and checks renderings."""

import re
from pathlib import Path

import pytest

from vectorstore.terms import TermsFileError, load_terms, parse_terms

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def table():
    return load_terms()


def test_all_193_member_states_have_one_entry_each(table):
    states = [t for t in table.terms if t.kind == "state"]
    assert len(states) == 193
    assert len({t.official("en") for t in states}) == 193
    assert len({t.official("zh") for t in states}) == 193


@pytest.mark.parametrize("zh, en", [
    ("白俄罗斯", "Belarus"),
    ("大不列颠及北爱尔兰联合王国", "United Kingdom of Great Britain and Northern Ireland"),
    ("大韩民国", "Republic of Korea"),
    ("朝鲜民主主义人民共和国", "Democratic People's Republic of Korea"),
    ("伊朗伊斯兰共和国", "Iran (Islamic Republic of)"),
    ("玻利维亚多民族国", "Bolivia (Plurinational State of)"),
    ("委内瑞拉玻利瓦尔共和国", "Venezuela (Bolivarian Republic of)"),
    ("俄罗斯联邦", "Russian Federation"),
    ("阿拉伯联合酋长国", "United Arab Emirates"),
    ("哥斯达黎加", "Costa Rica"),
    ("联合国毒品和犯罪问题办公室", "United Nations Office on Drugs and Crime"),
    ("预防犯罪和刑事司法委员会", "Commission on Crime Prevention and Criminal Justice"),
    ("联合国打击跨国有组织犯罪公约", "United Nations Convention against Transnational Organized Crime"),
    ("纳尔逊·曼德拉规则", "Nelson Mandela Rules"),
    ("网络犯罪公约", "Convention on Cybercrime"),
    ("枪支", "firearms"),
    ("贩运人口", "trafficking in persons"),
    ("司法协助", "mutual legal assistance"),
])
def test_official_counterparts_in_both_directions(table, zh, en):
    assert table.hints(zh, "zh") == [(zh, en)]
    assert table.hints(en, "en") == [(en, zh)]


def test_longest_form_wins_and_spaces_and_dots_are_ignored(table):
    text = "《联合国打击跨国有组织犯罪公约》及《纳尔逊∙曼德拉规则》和《2030 年可持续发展议程》"
    found = [m.term.official("en") for m in table.find(text, "zh")]
    assert found == ["United Nations Convention against Transnational Organized Crime",
                     "Nelson Mandela Rules", "2030 Agenda for Sustainable Development"]
    assert [m.text for m in table.find(text, "zh")][1] == "纳尔逊∙曼德拉规则"


def test_short_chinese_forms_map_to_the_same_entry(table):
    assert table.lookup("毒罪办", "zh") is table.lookup("联合国毒品和犯罪问题办公室", "zh")
    assert table.lookup("联合王国", "zh").official("en").startswith("United Kingdom of Great Britain")


def test_english_matching_ignores_case_hyphens_and_plurals(table):
    text = "Trafficking in Firearm and money laundering, capacity building for Member State officials"
    found = [m.term.official("zh") for m in table.find(text, "en")]
    assert found == ["枪支贩运", "洗钱", "能力建设", "会员国"]


def test_missing_reports_terms_without_their_official_counterpart(table):
    source = "加强打击枪支贩运的行动；主席：Alena Kupchyna（白俄罗斯）"
    bad = "Strengthen action against gunship trafficking; Chair: Alena Kupchyna (White Russia)"
    good = "Strengthen action against firearms trafficking; Chair: Alena Kupchyna (Belarus)"
    assert [m.text for m in table.missing(source, "zh", bad)] == ["枪支贩运", "白俄罗斯"]
    assert table.missing(source, "zh", good) == []


def test_render_only_forms_are_accepted_but_not_searched(table):
    assert table.missing("选举主席团成员", "zh", "Election of officers") == []
    assert all(m.term.official("zh") != "主席团成员"
               for m in table.find("police officers and the Bureau", "en"))


def test_the_corpus_terms_are_found_in_both_reports(table):
    for path in CORPUS.glob("*.zh.txt"):
        text = path.read_text(encoding="utf-8")
        kinds = {m.term.kind for m in table.find(text, "zh")}
        assert {"state", "body", "instrument", "term"} <= kinds, path.name


def test_no_english_form_contains_cjk_and_no_chinese_form_latin_letters(table):
    for term in table.terms:
        assert not any(re.search(r"[\u4e00-\u9fff]", f) for f in term.en), term
        assert not any(re.search(r"[A-Za-z]", f) for f in term.zh), term


def test_malformed_lines_are_reported_with_their_number():
    with pytest.raises(TermsFileError, match="line 2"):
        parse_terms("state\t白俄罗斯\tBelarus\nstate\t只有中文\n")
    with pytest.raises(TermsFileError, match="unknown kind"):
        parse_terms("country\t白俄罗斯\tBelarus\n")
