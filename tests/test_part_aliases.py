"""Catalog aliases name the part whose printed title bears them (vectorstore/part_aliases.py)."""

from __future__ import annotations

from vectorstore.part_aliases import aliases_naming_parts
from vectorstore.terms import load_terms

KYOTO_TITLE = ("Kyoto Declaration on Advancing Crime Prevention, Criminal Justice and the Rule of Law: "
               "Towards the Achievement of the 2030 Agenda for Sustainable Development")


def test_a_name_the_annex_title_bears_names_the_annex_in_either_language():
    aliases = ["Kyoto Declaration", "京都宣言", "resolution 76/181", "第76/181号决议"]
    resolved = aliases_naming_parts(aliases, {"": "", "annex": KYOTO_TITLE}, "en", load_terms())
    assert resolved == [{"name": "Kyoto Declaration", "part": "annex"}, {"name": "京都宣言", "part": "annex"},
                        "resolution 76/181", "第76/181号决议"]


def test_the_terms_table_is_read_when_not_given_and_a_name_it_lacks_stays_whole():
    resolved = aliases_naming_parts(["Kyoto Declaration", "京都宣言"], {"annex": KYOTO_TITLE}, "en")
    assert resolved == [{"name": "Kyoto Declaration", "part": "annex"}, {"name": "京都宣言", "part": "annex"}]
    assert aliases_naming_parts(["某宣言"], {"annex": KYOTO_TITLE}, "en") == ["某宣言"]


def test_a_name_two_parts_bear_or_none_names_the_whole_document():
    parts = {"annex I": "Model Strategies on Crime Prevention", "annex II": "Model Strategies on Victims"}
    assert aliases_naming_parts(["Model Strategies", "the model strategies resolution"], parts, "en") == \
        ["Model Strategies", "the model strategies resolution"]
    assert aliases_naming_parts(["Model Strategies on Victims"], parts, "en") == \
        [{"name": "Model Strategies on Victims", "part": "annex II"}]


def test_whole_words_only_and_a_part_named_in_the_catalog_is_kept():
    parts = {"annex": "Kyoto Declarations of 2021"}
    assert aliases_naming_parts(["Kyoto Declaration"], parts, "en") == ["Kyoto Declaration"]
    written = [{"name": "Kyoto Declaration", "part": "appendix"}]
    assert aliases_naming_parts(written, {"annex": KYOTO_TITLE}, "en") == written


def test_a_chinese_document_s_annex_title_is_read_as_printed():
    parts = {"annex": "推进预防犯罪、刑事司法和法治：努力实现2030年可持续发展议程京都宣言"}
    assert aliases_naming_parts(["京都 宣言", "Kyoto Declaration"], parts, "zh", load_terms()) == [
        {"name": "京都 宣言", "part": "annex"}, {"name": "Kyoto Declaration", "part": "annex"}]
