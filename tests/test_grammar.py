"""One grammar for paragraph references and UN symbols: questions, markers and running text agree."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.citations import find_markers, find_mentions, marker, render
from vectorstore.references import (
    MAX_RANGE,
    SYMBOL,
    chinese_number,
    chinese_numeral,
    document_mentions,
    find_references,
    is_invisible,
    is_symbol,
    parse_references,
)
from vectorstore.text_cleaning import clean_text
from vectorstore.units import DocumentInfo, Unit, split_unit_id

RES = "A/RES/76/181"
LAC = "A/CONF.241/RPM.2/2"

# What the catalog holds for the resolution: an alias may name a part of the document.
DOCUMENTS = {
    RES: DocumentInfo(RES, "en", congress=14, title_en="Fourteenth United Nations Congress on Crime",
                      aliases=[{"name": "Kyoto Declaration", "part": "annex"},
                               {"name": "京都宣言", "part": "annex"},
                               "resolution 76/181", "第76/181号决议"]),
    LAC: DocumentInfo(LAC, "zh", congress=15, region="Latin America and the Caribbean"),
}


def grammar(text, documents=None):
    return [r.ref for r in parse_references(text, documents)]


def mentioned(text, documents=None):
    return [c.ref for m in find_mentions(text, documents) for c in m.citations]


# issue 16: the two APIs used to read these differently
@pytest.mark.parametrize("text, expected", [
    ("第24至26段", ["24", "25", "26"]),
    ("第24段(d)项", ["24(d)"]),
    ("para. 24(a)-(c)", ["24(a)", "24(b)", "24(c)"]),
    ("第二十四段", ["24"]),
])
def test_questions_and_running_text_read_references_alike(text, expected):
    assert grammar(text) == expected
    assert mentioned(text) == expected


def test_sub_item_ranges_expand_to_every_letter():
    letters = [f"24({chr(c)})" for c in range(ord("a"), ord("z") + 1)]
    assert grammar("para. 24(a)-(z)") == letters
    assert mentioned("24(a)-(z)") == letters  # without a paragraph word too


def test_paragraph_ranges_expand_within_a_bound():
    assert grammar("paras. 10 to 13") == ["10", "11", "12", "13"]
    assert grammar(f"第1至{MAX_RANGE + 1}段") == [str(n) for n in range(1, MAX_RANGE + 2)]
    assert grammar(f"第1至{MAX_RANGE + 2}段") == ["1", str(MAX_RANGE + 2)]  # too long: the ends only


@pytest.mark.parametrize("text, expected", [
    ("A/RES/76/181, annex, para. 36", ("A/RES/76/181", "annex:36")),
    ("annex, paragraph 36", (None, "annex:36")),
    ("paragraph 36 of the annex", (None, "annex:36")),
    ("附件第36段", (None, "annex:36")),
    ("preambular paragraph 3", (None, "pp3")),
    ("the third preambular paragraph", (None, "pp3")),
    ("序言部分第3段", (None, "pp3")),
    ("annex II, para. 4 (b)", (None, "annex-ii:4(b)")),
    ("附件二第4(b)段", (None, "annex-ii:4(b)")),
    ("paragraph 2 of annex 2", (None, "annex-ii:2")),
    ("A/RES/76/181#annex-ii:4(b)", ("A/RES/76/181", "annex-ii:4(b)")),
    ("[A/RES/76/181 ¶annex:pp2]", ("A/RES/76/181", "annex:pp2")),
])
def test_parts_and_preamble(text, expected):
    assert [(r.symbol, r.ref) for r in parse_references(text)] == [expected]


@pytest.mark.parametrize("text", [
    "Kyoto Declaration, para. 36",
    "京都宣言第36段",
    "《京都宣言》第36段",
    "What does paragraph 36 of the Kyoto Declaration say?",
    "第76/181号决议附件第36段",
    "resolution 76/181, annex, para. 36",
])
def test_aliases_name_the_document_and_its_part(text):
    (ref,) = parse_references(text, DOCUMENTS)
    assert ref.unit_id == "A/RES/76/181#annex:36"
    assert ref.label("en") == "A/RES/76/181, annex, para. 36"
    assert ref.label("zh") == "第76/181号决议附件第36段"


def test_a_plain_alias_names_the_whole_document():
    assert [r.unit_id for r in parse_references("resolution 76/181, para. 5", DOCUMENTS)] == [f"{RES}#5"]
    assert [r.unit_id for r in parse_references("第76/181号决议第5段", DOCUMENTS)] == [f"{RES}#5"]
    # an explicit part wins over the alias's
    assert [r.unit_id for r in parse_references("Kyoto Declaration, preambular paragraph 2", DOCUMENTS)] == [
        f"{RES}#annex:pp2"]


def test_without_documents_aliases_are_not_known():
    (ref,) = parse_references("Kyoto Declaration, para. 36")
    assert (ref.symbol, ref.congress, ref.ref) == (None, 14, "36")  # the venue names the congress
    assert parse_references("resolution 76/181, para. 5")[0].symbol is None
    assert [m.kind for m in document_mentions("第 73/184 号决议")] == []


def test_alias_mentions_replace_the_venue_inside_them():
    mentions = document_mentions("What does the Kyoto Declaration say about cybercrime, compared with Doha?",
                                 DOCUMENTS)
    assert [(m.kind, m.value, m.part) for m in mentions] == [("symbol", RES, "annex"), ("congress", 13, "")]
    text = "京都宣言如何看待网络犯罪"
    (m,) = document_mentions(text, DOCUMENTS)
    assert text[m.start:m.end] == "京都宣言"
    # a resolution number names a document only when it is stored
    assert document_mentions("大会第 73/184 号决议", DOCUMENTS) == []
    assert document_mentions("大会第76/181号决议", DOCUMENTS)[0].value == RES


def test_alias_shared_by_two_documents_names_neither():
    docs = {"A/1/1": {"aliases": ["the report"]}, "A/2/2": {"aliases": ["the report"]}}
    assert parse_references("the report, para. 3", docs)[0].symbol is None


def test_marker_carries_the_part_and_parses_back_exactly():
    ids = [f"{RES}#annex:36", f"{RES}#pp3", f"{RES}#annex-ii:4(b)", f"{LAC}#24(d)"]
    text = f"Agreed {marker(ids)}."
    assert marker(ids) == f"[{RES} ¶annex:36; {RES} ¶pp3; {RES} ¶annex-ii:4(b); {LAC} ¶24(d)]"
    assert [c.unit_id for m in find_markers(text) for c in m.citations] == ids
    for language in ("en", "zh"):
        rendered = render(text, language)
        markers = find_markers(rendered, known_symbols={RES, LAC})
        assert [c.unit_id for m in markers for c in m.citations] == ids
    assert render(text, "en") == (f"Agreed ({RES}, annex, para. 36; {RES}, preambular para. 3; "
                                  f"{RES}, annex II, para. 4 (b); {LAC}, para. 24 (d)).")
    assert render(text, "zh") == ("Agreed （第76/181号决议附件第36段；第76/181号决议序言部分第3段；"
                                  f"第76/181号决议附件二第4(b)段；{LAC}，第24(d)段）.")


def test_rendering_follows_the_unit_citation_label():
    unit = Unit(RES, 36, None, "text", "recommendation", part="annex")
    assert render(marker([unit]), "en") == f"({unit.citation('en')})"
    assert render(marker([unit]), "zh") == f"（{unit.citation('zh')}）"


@pytest.mark.parametrize("symbol", [
    "A/CONF.241/RPM.2/2", "E/CN.15/2007/6", "A/RES/76/181", "CTOC/COP/2020/10", "A/CONF.241/RPM.2/2/Add.1",
    "A/76/463",
])
def test_symbol_pattern_reads_un_symbols(symbol):
    assert is_symbol(symbol)
    assert [m.group() for m in SYMBOL.finditer(f"见{symbol}。")] == [symbol]


@pytest.mark.parametrize("text", ["and/or", "24/7", "A/", "第76/181号决议", "a/conf"])
def test_symbol_pattern_rejects_look_alikes(text):
    assert not is_symbol(text)


def test_spans_point_into_the_text_as_given():
    text = "见第９\u200b９段和 para.\u200b 24 （d）。"
    groups = find_references(text)
    assert [r.ref for g in groups for r in g.references] == ["99", "24(d)"]
    assert [text[g.start:g.end] for g in groups] == ["第９\u200b９段", "para.\u200b 24 （d）"]


def test_a_span_never_ends_in_whitespace():
    text = "para. 99 A/CONF.241/RPM.2/2#99 and 第24段(d) 然后"
    assert [text[g.start:g.end] for g in find_references(text)] == [
        "para. 99", "A/CONF.241/RPM.2/2#99", "第24段(d)"]


def test_a_unit_id_glued_to_a_number_is_read():
    text = f"para. 99{LAC}#98{LAC}#97(d)"
    assert grammar(text) == ["99", "98", "97(d)"]
    assert [r.symbol for r in parse_references(text)][1:] == [LAC, LAC]


# -- what is invisible is text_cleaning's one definition: the grammar reads text as if cleaned --

@pytest.mark.parametrize("hidden", ["\u200b", "\u200d", "\u00ad", "\u202e", "\u2066",  # format, bidi
                                    "\ufeff", "\ue000", "\U000f0041",  # BOM, private use
                                    "\x07", "\x1b", "\x7f", "\U000e0041"])  # controls, a tag
def test_every_character_clean_text_removes_is_read_through(hidden):
    assert clean_text(f"第9{hidden}9段") == "第99段"
    assert grammar(f"第9{hidden}9段") == ["99"] and grammar(f"para. 2{hidden}4") == ["24"]


@pytest.mark.parametrize("line_break", ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028"])
def test_a_line_break_is_no_invisible_character(line_break):
    # clean_text turns every line break into "\n": the reader sees two lines, not "24"
    assert not is_invisible(line_break[0])
    assert "24" not in grammar(f"第2{line_break}4段")


@settings(max_examples=1000, deadline=None)
@given(st.characters())
def test_the_grammar_and_clean_text_agree_on_what_is_invisible(char):
    assert is_invisible(char) == (clean_text(f"a{char}b") == "ab")


def test_a_symbol_written_right_before_belongs_to_the_mention():
    text = "（E/CN.15/2007/6，第 23 段）"
    (mention,) = find_mentions(text)
    assert text[mention.start:mention.end] == "E/CN.15/2007/6，第 23 段"


def test_chinese_numerals_both_ways():
    assert [chinese_number(t) for t in ("九九", "廿", "廿四", "卅", "一二〇", "一百零五", "二十四")] == [
        99, 20, 24, 30, 120, 105, 24]
    assert [chinese_numeral(n) for n in (10, 24, 105, 110, 1010)] == ["十", "二十四", "一百零五", "一百一十",
                                                                      "一千零一十"]
    assert all(chinese_number(chinese_numeral(n)) == n for n in range(1, 10000))
    assert chinese_number("二三十") is None


def test_unit_ids_written_with_parts_read_like_split_unit_id():
    for uid in (f"{RES}#annex:36", f"{RES}#pp3", f"{RES}#annex:pp2", f"{LAC}#24(d)", f"{RES}#annex-ii:4(b)"):
        (ref,) = parse_references(f"see {uid} here")
        assert (ref.symbol, ref.paragraph, ref.item, ref.part, ref.preamble) == tuple(split_unit_id(uid))


def test_reference_text_never_runs_into_neighbouring_numbers():
    assert grammar("2025年2月4日至6日") == []
    assert grammar("SDG 16 and paragraph 5") == ["5"]
    assert not re.search(r"\d", "".join(grammar("第 73/184 号决议")))


# -- properties over generated text: the grammar never raises, never points outside the text --

_PIECES = ["第", "段", "至", "、", "(d)", "（ｅ）", "para.", " paragraph ", "¶", "annex", "附件", "序言部分",
           "24", "２４", "九九", "廿", "-", " and ", "A/CONF.241/RPM.2/2", "#", "annex:", "pp", "[", "]",
           "(", ")", "\u200b", "Kyoto Declaration", "京都宣言", "resolution 76/181", " ", "x", "\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_generated_reference_text_is_read_safely(text):
    for group in find_references(text, DOCUMENTS):
        assert 0 <= group.start <= group.end <= len(text)
        for ref in group.references:
            assert text[ref.span[0]:ref.span[1]] == ref.text and ref.paragraph >= 1
        assert len(group.references) <= 26 * 30  # ranges are bounded
    for m in find_markers(text, known_symbols={LAC, RES}):
        assert text[m.start] in "[【［〔(（" and m.citations
