"""Parts and the numbering check on fixtures written like real UN documents (tests/data/parts):
annexes with their own numbering, a restart without an annex heading, a duplicate, a gap."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore.errors import DocumentParseError
from vectorstore.parsing import parse_document
from vectorstore.units import DocumentInfo

PARTS = Path(__file__).parent / "data" / "parts"
SYMBOL = "E/CN.15/2099/L.9"


def _parse(name: str, accept: bool = False, language: str = "en"):
    return parse_document((PARTS / name).read_text(encoding="utf-8"), DocumentInfo(SYMBOL, language), name,
                          accept)


def test_each_annex_has_its_own_numbering_and_sub_items():
    parsed = _parse("two_annexes.txt")
    units = {u.ref: u for u in parsed.units}
    assert list(units) == ["pp1", "pp2", "1", "2", "2(a)", "2(b)", "3",
                           "annex-i:1", "annex-i:2", "annex-i:2(a)", "annex-i:2(b)", "annex-i:3"]
    assert units["annex-i:2(b)"].id == f"{SYMBOL}#annex-i:2(b)"
    assert units["annex-i:2(b)"].citation("en") == f"{SYMBOL}, annex I, para. 2 (b)"
    assert units["annex-i:2(b)"].chapeau == "The expert group recommended:"
    assert units["annex-i:1"].section == ["Outline of the report of the expert group"]
    assert units["pp1"].text == ("Recalling its resolution 98/1 of 1 May 2098, in which it decided to hold "
                                 "an expert meeting on cybercrime,")
    assert units["pp2"].chapeau == "The Commission on Crime Prevention and Criminal Justice,"
    # Annex II is a list of participants: nothing citable, and the summary says it was left out.
    assert [(p.name, p.paragraphs, p.sub_items, p.preamble) for p in parsed.parts] == [
        ("", 3, 2, 2), ("annex I", 3, 2, 0)]
    assert any(s.startswith("annex II (line 45") and "List of participants" in s for s in parsed.skipped)


def test_a_numbered_list_inside_a_sub_item_stays_inside_it():
    units = {u.ref: u for u in _parse("two_annexes.txt").units}
    assert units["2(b)"].text == ("To prepare the agenda of the next meeting, which shall read as follows:\n"
                                  "1. Opening of the meeting.\n2. Adoption of the agenda.\n"
                                  "3. Closure of the meeting.")
    assert units["3"].text == "Decides to remain seized of the matter."


def test_chinese_annex_heading():
    units = {u.ref: u for u in _parse("zh_annex.txt", language="zh").units}
    assert list(units) == ["1", "2", "2(a)", "2(b)", "annex-i:1", "annex-i:2"]
    assert units["annex-i:1"].text == "专家组建议加强培训。"
    assert units["annex-i:1"].citation("zh") == f"{SYMBOL}, 附件一第1段"


def test_restart_without_annex_heading_is_refused_naming_the_line():
    with pytest.raises(DocumentParseError, match=r"restart_without_annex\.txt: .*restarts at 1 after "
                                                 r"paragraph 2 on line 9.*--accept-numbering-warnings"):
        _parse("restart_without_annex.txt")


def test_accepted_restart_becomes_a_part_of_its_own_never_merged():
    parsed = _parse("restart_without_annex.txt", accept=True)
    units = {u.ref: u.text for u in parsed.units}
    assert units == {"pp1": "Recalling its earlier resolutions,",
                     "1": "Decides to hold a meeting in 2099;",
                     "2": "Requests the Secretary-General to report on the meeting.",
                     "part-2:1": "The meeting shall last three days.",
                     "part-2:2": "The meeting shall be open to observers."}
    assert [p.name for p in parsed.parts] == ["", "part 2"]
    assert len(parsed.warnings) == 1 and "line 9" in parsed.warnings[0]


@pytest.mark.parametrize("accept", [False, True])
def test_duplicate_number_is_always_refused(accept):
    with pytest.raises(DocumentParseError, match=r"paragraph 2 appears twice \(also on line 7\): line 5"):
        _parse("duplicate_number.txt", accept=accept)


def test_gap_is_refused_or_stored_under_the_printed_numbers():
    with pytest.raises(DocumentParseError, match=r"after paragraph 2: paragraph 3 was not found but line 7"):
        _parse("gap_in_numbering.txt")
    parsed = _parse("gap_in_numbering.txt", accept=True)
    assert [u.ref for u in parsed.units] == ["1", "2", "4", "5"]
    assert parsed.units[1].text == "The Meeting elected its officers."  # 4 is not merged into 2
    assert parsed.parts[0].numbering == "accepted: gap at line 7"


@pytest.mark.parametrize("accept", [False, True])
def test_a_repeated_sub_item_letter_is_always_refused(accept):
    """A second (b) merged into the first before; "paragraph 2\n(b) above" is text, not an item."""
    with pytest.raises(DocumentParseError, match=r"paragraph 2 has sub-item \(b\) twice: line 11"):
        _parse("duplicate_sub_item.txt", accept=accept)


def test_a_skipped_sub_item_letter_is_refused_or_stored_under_its_printed_letter():
    with pytest.raises(DocumentParseError, match=r"sub-item \(d\) of paragraph 2 was not found but line 13 "
                                                 r".* is lettered \(e\).*--accept-numbering-warnings"):
        _parse("gap_in_sub_items.zh.txt", language="zh")
    parsed = _parse("gap_in_sub_items.zh.txt", accept=True, language="zh")
    units = {u.ref: u.text for u in parsed.units}
    assert list(units) == ["1", "2", "2(a)", "2(b)", "2(c)", "2(e)", "3"]
    assert units["2(c)"] == "支持研究网上受害对儿童的长期影响；"  # (e) is not merged into (c)
    assert parsed.parts[0].numbering == "accepted: sub-item gap at line 13"


def test_a_running_title_printed_on_few_pages_stays_out_of_the_paragraphs():
    """UN resolutions print their running title on even pages only: a 5-page resolution repeats
    it twice, a 4-page one once. Neither may end up inside a paragraph, nor may a Chinese
    footnote number before full-width punctuation ("报告1；")."""
    english = {u.ref: u.text for u in _parse("resolution_title_on_even_pages.en.txt").units}
    assert english["pp6"].endswith("and its contribution to the discussion of emerging forms of crime, "
                                   "including trafficking in cultural property,")
    assert not any("Strengthening international cooperation to protect" in t for t in english.values())
    chinese = {u.ref: u.text for u in _parse("short_resolution.zh.txt", language="zh").units}
    assert chinese["6"].endswith("为上述目的提供预算外资源；")
    assert chinese["1"] == "欢迎秘书长关于第76/185号决议执行情况的报告；"


def test_markdown_emphasis_is_markup_not_text():
    """"*The Economic and Social Council,*" is the subject and "*Recalling* ..." a preambular
    paragraph: with the asterisks left in, the first preambular paragraph was dropped as front
    matter and the second became pp1."""
    parsed = _parse("italic_preamble.en.md")
    units = {u.ref: u for u in parsed.units}
    assert list(units) == ["pp1", "pp2", "1", "2"]
    assert units["pp1"].text.startswith("Recalling the United Nations Convention against Transnational")
    assert units["pp1"].chapeau == "The Economic and Social Council,"
    assert units["1"].text.startswith("Urges Member States") and "*" not in units["2"].text


def test_in_a_recommendations_chapter_without_subheadings_what_speakers_said_is_a_summary():
    """A chapter titled 建议 / Recommendations with no "Summary of deliberations" subheading made
    every paragraph a recommendation, so answers quoted "许多发言者强调…" as "recommends"."""
    kinds = {u.ref: u.kind for u in _parse("report_without_kind_subheadings.zh.txt", language="zh").units}
    assert [kinds[str(n)] for n in range(4, 10)] == ["summary"] * 5 + ["recommendation"]
    assert kinds["9(a)"] == "recommendation"  # 与会者未经谈判提出了下列建议：(a) …
    english = ("E/CN.15/2099/L.9\n\nII. Recommendations\n\n"
               "1. Many speakers stressed the threat of cybercrime.\n\n"
               "2. The representative of UNODC introduced the theme.\n\n"
               "3. Strengthen mutual legal assistance.\n")
    units = parse_document(english, DocumentInfo(SYMBOL, "en"), "inline").units
    assert [u.kind for u in units] == ["summary", "summary", "recommendation"]


def test_an_agenda_inside_an_early_paragraph_keeps_items_that_share_the_next_numbers():
    """An agenda "1.-5." inside paragraph 3 of a resolution: its items 4 and 5 are also the next
    paragraph numbers. The reading without a duplicate wins: the real "4." follows the list."""
    parsed = _parse("agenda_in_an_early_paragraph.en.txt")
    units = {u.ref: u for u in parsed.units}
    assert list(units) == ["pp1", "1", "2", "3", "4", "5", "6"]
    assert units["3"].text.startswith("Approves the following provisional agenda for the Twentieth Congress:")
    assert "4. International cooperation against organized crime." in units["3"].text
    assert units["3"].text.endswith("5. Adoption of the report of the Congress.")
    assert units["4"].text.startswith("Requests the Secretary-General to prepare a discussion guide")


def test_an_inner_list_item_with_no_namesake_after_it_is_the_next_paragraph():
    # items "1.-3." inside paragraph 3, then paragraphs 4 and 5: no second "4." follows, so the
    # "4." that could continue the list is the paragraph
    text = ("The Commission,\n\n1. Decides to meet;\n\n2. Decides also to report;\n\n"
            "3. Approves the following agenda:\n1. Opening.\n2. Matters.\n3. Closing.\n\n"
            "4. Requests the secretariat to act;\n\n5. Decides to remain seized of the matter.\n")
    units = {u.ref: u for u in parse_document(text, DocumentInfo(SYMBOL, "en"), "inline.txt").units}
    assert [r for r in units if not r.startswith("pp")] == ["1", "2", "3", "4", "5"]
    assert units["3"].text.endswith("3. Closing.")
    assert units["4"].text == "Requests the secretariat to act;"


def test_provisions_headed_as_rules_are_refused_not_cited_as_paragraphs():
    """An annex of rules ("Rule 1", "Rule 2" with its own 1. and 2., "Rule 3"): read as
    paragraphs, rule 2's items became "annex, para. 1" and "para. 2" and rule 3 merged into the
    second; rule 1 was dropped as front matter. Refused, with or without accepted warnings."""
    for accept in (False, True):
        with pytest.raises(DocumentParseError,
                           match=r"provisions_headed_as_rules\.en\.txt: annex: .*“Rule 1” on "
                                 r"line 24, “Rule 2” on line 29.*Nothing was stored"):
            _parse("provisions_headed_as_rules.en.txt", accept)


@pytest.mark.parametrize("name, language, first, second", [
    ("provisions_numbered_decimally.en.txt", "en", 27, 31),
    ("provisions_numbered_decimally.zh.txt", "zh", 24, 26),
])
def test_provisions_numbered_decimally_are_refused_not_merged_into_paragraphs(name, language, first, second):
    """An annex of rules numbered "1.1", "1.2" under headings "1. Fundamental aims" (the Tokyo
    Rules' layout): read as paragraphs, rules 1.1 and 1.2 merged into the text of "annex, para. 1"
    without a word. Refused, with or without accepted warnings; a wrapped line that begins with a
    decimal figure ("1.5 million persons ...") is not a rule."""
    for accept in (False, True):
        with pytest.raises(DocumentParseError,
                           match=rf"{name}: annex: its provisions are numbered decimally \(“1\.1 .*” on "
                                 rf"line {first}, “1\.2 .*” on line {second}, \.\.\.\).*1\.1 and 1\.2 "
                                 r"would merge into one paragraph 1 .*Nothing was stored"):
            _parse(name, accept, language)


def test_one_line_beginning_with_a_decimal_figure_is_no_decimal_numbering():
    text = ("The Commission,\n\n1. Notes that an estimated\n1.5 Million persons were assisted;\n\n"
            "2. Decides to remain seized of the matter.\n")
    units = parse_document(text, DocumentInfo(SYMBOL, "en"), "inline.txt").units
    assert [u.ref for u in units if not u.ref.startswith("pp")] == ["1", "2"]


def test_one_article_heading_shaped_line_is_a_cross_reference_not_a_rules_document():
    # a hard line break can leave "Article 5" alone on a line inside a sentence
    text = ("The Commission,\n\n1. Recalls the obligations under\nArticle 5\nof the Convention;\n\n"
            "2. Decides to remain seized of the matter.\n")
    units = parse_document(text, DocumentInfo(SYMBOL, "en"), "inline.txt").units
    assert [u.ref for u in units if not u.ref.startswith("pp")] == ["1", "2"]
    assert "Article 5 of the Convention" in units[-2].text


def test_a_summary_chapter_divided_into_themes_is_summaries():
    """"III. Summary of deliberations" with sections "A. Strategies ...", "B. Protecting ...": its
    paragraphs were of kind "other" (only a recommendations chapter gave its kind to its paragraphs)."""
    path = Path(__file__).parent.parent / "eval" / "uploads" / "A-CONF-241-RPM-3-1.en.txt"
    units = parse_document(path.read_text(encoding="utf-8"), DocumentInfo(SYMBOL, "en"), path.name).units
    assert {u.ref: u.kind for u in units} == {
        "1": "other", "2": "recommendation", "2(a)": "recommendation", "2(b)": "recommendation",
        "2(c)": "recommendation", "2(d)": "recommendation", "2(e)": "recommendation",
        "3": "summary", "4": "summary", "5": "summary", "6": "summary", "7": "other"}
