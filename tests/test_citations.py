import pytest

from assistant.citations import Citation, find_markers, find_mentions, marker, render, strip_markers
from vectorstore.units import Unit

SYM = "A/CONF.241/RPM.2/2"
EU = "A/CONF.234/RPM.5/1"


def cited(text, **kw):
    return [[c.unit_id or c.ref for c in m.citations] for m in find_markers(text, **kw)]


@pytest.mark.parametrize("text", [
    f"加强合作[{SYM} ¶24(d)]。",
    f"加强合作【{SYM} ¶ 24 (d)】。",
    f"加强合作［{SYM}, para. 24(d)］。",
    f"加强合作[{SYM} 第24(d)段]。",
    f"加强合作[{SYM} 第24（d）段]。",
    f"加强合作[{SYM}#24(d)]。",
    f"加强合作[{SYM} paragraph 24 (D)]。",
])
def test_marker_variants_parse_to_the_same_unit(text):
    assert cited(text) == [[f"{SYM}#24(d)"]]


def test_several_citations_in_one_marker_and_symbol_carried_forward():
    assert cited(f"x [{SYM} ¶24(d); {EU} ¶43(e)].") == [[f"{SYM}#24(d)", f"{EU}#43(e)"]]
    assert cited(f"x [{SYM} ¶24(d), ¶25]") == [[f"{SYM}#24(d)", f"{SYM}#25"]]


def test_missing_symbol_is_filled_from_the_default_or_left_empty():
    assert cited("x [¶24(d)]", default_symbol=SYM) == [[f"{SYM}#24(d)"]]
    markers = find_markers("x [第24(d)段]")
    assert markers[0].citations == [Citation(None, 24, "d")]


def test_source_numbers_resolve_only_with_the_numbered_sources():
    sources = [f"{SYM}#24(d)", f"{EU}#43"]
    assert cited("x [1] y [来源2] z [1, 2]", sources=sources) == [
        [f"{SYM}#24(d)"], [f"{EU}#43"], [f"{SYM}#24(d)", f"{EU}#43"]]
    assert cited("x [1]") == []
    assert cited("x [3]", sources=sources) == []


def test_rendered_forms_parse_only_for_known_documents():
    text = f"见（{SYM}，第24(d)段）和 ({SYM}, para. 24 (d))，另见（E/CN.15/2007/6，第 23 段）。"
    assert cited(text, known_symbols={SYM}) == [[f"{SYM}#24(d)"], [f"{SYM}#24(d)"]]
    assert cited(text) == []  # without known symbols, parentheses are prose


def test_brackets_that_are_not_citations_are_left_alone():
    assert cited("see [sic] and [24] and [note]") == []


def test_render_in_both_conventions():
    text = f"加强合作[{SYM} ¶24(d); {EU} ¶43]。"
    assert render(text, "zh") == f"加强合作（{SYM}，第24(d)段；{EU}，第43段）。"
    assert render(text, "en") == f"加强合作({SYM}, para. 24 (d); {EU}, para. 43)。"


def test_marker_and_strip():
    unit = Unit(SYM, 24, "d", "text", "recommendation")
    assert marker([unit, f"{EU}#43", unit]) == f"[{SYM} ¶24(d); {EU} ¶43]"
    assert strip_markers(f"a[{SYM} ¶24(d)]b") == "ab"


@pytest.mark.parametrize("text, expected", [
    ("根据第120段，", [(None, 120, None)]),
    ("如第24(d)和(e)段所述", [(None, 24, "d"), (None, 24, "e")]),
    ("第24、25段", [(None, 24, None), (None, 25, None)]),
    ("paragraph 120 says", [(None, 120, None)]),
    ("paras. 24 and 25(b)", [(None, 24, None), (None, 25, "b")]),
    ("（E/CN.15/2007/6，第 23 段）", [("E/CN.15/2007/6", 23, None)]),
    ("第 56/119 号决议", []),
])
def test_paragraph_mentions_in_running_text(text, expected):
    found = [(c.symbol, c.paragraph, c.item) for m in find_mentions(text) for c in m.citations]
    assert found == expected


@pytest.mark.parametrize("uid, en, zh", [
    ("A/CONF.241/RPM.2/2#24(d)", "A/CONF.241/RPM.2/2, para. 24 (d)", "A/CONF.241/RPM.2/2, 第24(d)段"),
    ("A/RES/76/181#36", "A/RES/76/181, para. 36", "第76/181号决议第36段"),
    ("A/RES/76/181#annex:36", "A/RES/76/181, annex, para. 36", "第76/181号决议附件第36段"),
    ("A/RES/76/181#pp3", "A/RES/76/181, preambular para. 3", "第76/181号决议序言部分第3段"),
])
def test_a_citation_in_a_message_is_written_as_the_un_writes_it(uid, en, zh):
    """Corrections ("re-attributed citation ... to ...") are read and pasted: no `¶24(d)` there."""
    citation = Citation.from_id(uid)
    assert citation.label("en") == en and citation.label("zh") == zh
