"""Figures as values across languages and forms (vectorstore.figures), on real wording of the corpus."""

import pytest

from vectorstore.figures import added_figures, all_figures, changed_figures, stated_figures


@pytest.mark.parametrize("text, values", [
    ("the twenty-third special session", {23}),
    ("大会第二十三届特别会议", {23}),
    ("第十四届预防犯罪大会", {14}),
    ("the Fourteenth Congress", {14}),
    ("the 14th Congress", {14}),
    ("held in Kyoto, Japan, from 7 to 12 March 2021", {7, 12, 2021}),
    ("2021年3月7日至12日", {2021, 3, 7, 12}),
    ("二〇二一年", {2021}),
    ("2 billion dollars", {2_000_000_000}),
    ("20亿美元", {2_000_000_000}),
    ("1,000 participants, 2.5 per cent", {1000, 2.5}),
    ("one hundred and twenty-five States", {125}),
    ("第57条第5款 / article 57 (5)", {57, 5}),
    ("resolution 78/223", {78, 223}),
    ("三百五十个", {350}),
    ("百分之二十", {20}),
    ("over the past five decades", {50}),  # RPM.5/1 para. 10's "50 年后", as its rendering says it
    ("50 年后", {50}),
])
def test_a_figure_is_its_value_in_either_language_and_any_form(text, values):
    assert stated_figures(text) == {float(v) for v in values}


@pytest.mark.parametrize("text", [
    "一些发言者指出一个问题", "两次会议分别", "两者", "十分重要", "进一步统一", "之一", "唯一",
    "One of the first speakers", "尽量减少二次伤害", "二次受害",
    "承诺：(1) 关注儿童", "（一）加强合作", "㈠ 加强", "1. Strengthen the", "the COVID-19 pandemic", "G20",
])
def test_words_that_are_not_figures_state_none(text):
    assert stated_figures(text) == set()


def test_where_a_figure_may_be_found_every_reading_counts():
    assert {1.0, 3.0} <= all_figures("the first meeting, in March")
    assert 1.0 in all_figures("一些")


def test_a_rendering_with_a_wrong_month_or_session_is_caught():
    # A/RES/76/181, para. 1 and annex para. 43 as the 1.5B model once rendered them
    assert added_figures("对京都2021年4月7日至12日召开的第十四届联合国预防犯罪和刑事司法大会表示满意",
                         "held in Kyoto, Japan, from 7 to 12 March 2021, the Fourteenth Congress") == ["4"]
    assert added_figures("执行北京宣言和行动纲要以及大会二十届特设会议所采纳的成果",
                         "the outcome documents as adopted at the twenty-third special session") == ["20"]
    assert added_figures("大会第二十三届特别会议", "the twenty-third special session") == []


def test_a_unit_s_document_names_its_own_figures_only_as_attribution(builtin_store):
    (unit,) = builtin_store.get(["A/RES/76/181#annex:87"])  # crimes that affect the environment
    stated = "第十四届大会通过的宣言承诺采取有效措施防止和打击影响环境的犯罪。"
    assert changed_figures(stated, unit) == []  # the Fourteenth Congress is the declaration's own
    assert changed_figures(stated, unit, attribution=False) == ["14"]  # a rendering may not add it
    # the resolution's own date is in its title; another date is a claim the paragraph must make
    assert changed_figures("大会2021年12月16日第76/181号决议的附件承诺防止影响环境的犯罪。", unit) == []
    assert changed_figures("京都宣言于2020年5月通过了关于环境犯罪的措施。", unit) == ["5", "2020"]
