"""The bilingual wording module: keyword-only texts, region names from the terms table, ordinals."""

from __future__ import annotations

import pytest

from vectorstore.terms import load_terms
from vectorstore.wording import (
    congress_name,
    describe_document,
    ordinal,
    other_language,
    reader_language,
    region_adjective,
    region_name,
    region_names,
    say,
)


def test_say_takes_keyword_texts_only():
    assert say("zh", zh="中", en="en") == "中"
    assert say("en", zh="中", en="en") == "en"
    assert say("fr", zh="中", en="en") == "en"  # everyone but a Chinese reader reads English
    with pytest.raises(TypeError):
        say("zh", "中", "en")  # positional texts could be swapped unnoticed


def test_region_names_come_from_the_terms_table():
    table_regions = {t.official("en"): t.official("zh") for t in load_terms().terms if t.kind == "region"}
    assert region_names() == table_regions
    assert region_name("Latin America and the Caribbean", "zh") == "拉丁美洲和加勒比"
    assert region_name("Latin America and the Caribbean", "en") == "Latin America and the Caribbean"
    assert region_name("Atlantis", "zh") == "Atlantis"  # unknown: kept as given
    assert region_adjective("Europe") == "European"


def test_region_rows_are_never_searched_for_in_texts():
    # "欧洲区域筹备会议" is rightly rendered "European Regional ..." - a region row must not make
    # the term check demand "Europe".
    table = load_terms()
    found = {m.term.kind for m in table.find("欧洲区域筹备会议和非洲的代表", "zh")}
    assert "region" not in found


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                     (12, "12th"), (13, "13th"), (14, "14th"), (21, "21st"), (112, "112th")])
def test_ordinals(n, text):
    assert ordinal(n) == text


def test_congress_and_document_descriptions():
    assert congress_name(14, "zh") == "第14届预防犯罪大会"
    assert congress_name(14, "en") == "14th Congress"
    assert describe_document("A/CONF.234/RPM.5/1", "Latin America and the Caribbean", 14, "zh") == \
        "A/CONF.234/RPM.5/1（拉丁美洲和加勒比，第14届）"
    assert describe_document("A/CONF.234/RPM.5/1", "Latin America and the Caribbean", 14, "en") == \
        "A/CONF.234/RPM.5/1 (Latin America and the Caribbean, 14th Congress)"
    assert describe_document("A/RES/76/181", "", None, "en") == "A/RES/76/181"


def test_languages():
    assert other_language("zh") == "en" and other_language("en") == "zh"
    assert reader_language("zh") == "zh" and reader_language("fr") == "en"
