"""Parts, preamble and page furniture on a real UN document: resolution 76/181 with the Kyoto
Declaration annexed, English text as extracted from the UN PDF (corpus/A-RES-76-181.en.txt)."""

from __future__ import annotations

import re

import pytest

from vectorstore.catalog import load_catalog
from vectorstore.loaders import read_document_text
from vectorstore.parsing import parse_document
from vectorstore.settings import BUILTIN_CORPUS_DIR
from vectorstore.units import DocumentInfo

KYOTO_FILE = "A-RES-76-181.en.txt"
KYOTO = "A/RES/76/181"


@pytest.fixture(scope="module")
def kyoto_doc() -> DocumentInfo:
    return load_catalog(BUILTIN_CORPUS_DIR / "catalog.json")[KYOTO_FILE]


@pytest.fixture(scope="module")
def kyoto(kyoto_doc):
    return parse_document(read_document_text(BUILTIN_CORPUS_DIR / KYOTO_FILE), kyoto_doc, KYOTO_FILE)


@pytest.fixture(scope="module")
def units(kyoto):
    return {u.ref: u for u in kyoto.units}


def test_body_and_annex_are_numbered_separately(kyoto):
    numbered = [u.ref for u in kyoto.units if not u.preamble]
    assert numbered == [str(n) for n in range(1, 14)] + [f"annex:{n}" for n in range(1, 98)]
    assert [u.ref for u in kyoto.units if u.preamble] == [f"pp{n}" for n in range(1, 7)] + [
        f"annex:pp{n}" for n in range(1, 5)]
    assert [(p.name, p.paragraphs, p.sub_items, p.preamble, p.numbering) for p in kyoto.parts] == [
        ("", 13, 0, 6, "ok"), ("annex", 97, 0, 4, "ok")]
    assert all(u.item is None and u.symbol == KYOTO for u in kyoto.units)


def test_ids_and_citations_carry_the_part(units):
    assert units["annex:36"].id == "A/RES/76/181#annex:36"
    assert units["annex:36"].citation("en") == "A/RES/76/181, annex, para. 36"
    assert units["annex:36"].citation("zh") == "第76/181号决议附件第36段"
    assert units["1"].id == "A/RES/76/181#1" and units["1"].part == ""
    assert units["pp3"].citation("en") == "A/RES/76/181, preambular para. 3"
    assert units["annex:pp2"].id == "A/RES/76/181#annex:pp2"


def test_catalog_aliases_reach_every_unit(units, kyoto_doc):
    # An alias is a name, or {"name": ..., "part": ...} for a name of one part.
    names = [a if isinstance(a, str) else a["name"] for a in kyoto_doc.aliases]
    assert "Kyoto Declaration" in names and "京都宣言" in names
    assert all(u.aliases == kyoto_doc.aliases and u.language == "en" and u.congress == 14
               for u in units.values())


def test_verbatim_paragraphs(units):
    assert units["annex:36"].text == (
        "Take measures to address overcrowding in detention facilities and to improve the overall "
        "effectiveness and capacity of the criminal justice system, including by considering the use of "
        "alternatives to pretrial detention and custodial sentences, giving due consideration to the "
        "United Nations Standard Minimum Rules for Non-custodial Measures (the Tokyo Rules);")
    assert units["annex:63"].text == (
        "Establish or strengthen regional and cross-regional cooperation networks of law enforcement and "
        "other criminal justice practitioners to exchange information and best practices with a view to, "
        "inter alia, building trust among them and further facilitating international cooperation;")
    assert units["1"].text == (
        "Expresses its satisfaction with the results achieved by the Fourteenth United Nations Congress "
        "on Crime Prevention and Criminal Justice, held in Kyoto, Japan, from 7 to 12 March 2021, which "
        "were based on, notwithstanding the situation brought about by the COVID-19 pandemic, the "
        "participation of a record number of Member States, United Nations entities, other "
        "intergovernmental organizations, non-governmental organizations and individual experts, and "
        "expresses its appreciation to the United Nations Office on Drugs and Crime for enabling not only "
        "in-person but also online participation through the use of a customized online event platform;")
    assert units["annex:97"].text.endswith("provided for the Fourteenth Congress.")
    assert units["13"].text.endswith("on the implementation of the present resolution.")  # no "53rd plenary"


def test_a_footnote_block_inside_a_sentence_is_not_in_it(units):
    # Paragraph 7 continues on the next page after footnotes 1-2 and the running head.
    assert units["7"].text.endswith(
        "to make every effort, where appropriate, to implement the principles contained therein, in "
        "conformity with the purposes and principles of the Charter of the United Nations;")
    # Annex 85 is split by footnote 17 and the page head "Fourteenth United Nations Congress on ...".
    assert "drug policy commitments, through a comprehensive and balanced approach" in units["annex:85"].text


def test_footnote_reference_numbers_are_removed(units):
    assert "Criminal Justice and the related recommendations" in units["pp6"].text  # "Justice1 and"
    assert "(the Nelson Mandela Rules), as well as" in units["annex:35"].text  # "Rules),8 as"
    assert units["annex:35"].text.endswith("(the Bangkok Rules);")  # "Rules); 9"
    assert "Development and the achievement thereof" in units["annex:pp4"].text  # "Development 4"
    assert "the documents noted by relevant" in units["annex:51"].text  # "documents 15"
    assert "article 57, paragraph 5, of the Convention" in units["annex:68"].text  # not footnotes


RUNNING_HEADS = re.compile(r"A/RES/76/181|21-19220|\b\d{1,2}/16\b|Fourteenth United Nations Congress on "
                           r"Crime Prevention and Criminal Justice A/RES|_{3}|Ibid\.|Treaty Series")


def test_no_running_heads_job_numbers_or_footnote_text(kyoto):
    for unit in kyoto.units:
        assert not RUNNING_HEADS.search(unit.text), (unit.id, unit.text)
        assert "  " not in unit.text and unit.text == unit.text.strip()
    assert any("20 page-foot footnotes" in s for s in kyoto.skipped)
    assert any("53rd plenary meeting" in s for s in kyoto.skipped)


def test_preamble_units_and_subject_line(units):
    assert units["pp1"].text.startswith("Emphasizing the responsibility assumed by the United Nations")
    assert units["pp1"].text.endswith("General Assembly resolution 415 (V) of 1 December 1950,")
    assert units["pp1"].kind == "preamble" and units["pp1"].chapeau == "The General Assembly,"
    assert units["pp6"].text.startswith("Having considered the report of the Fourteenth")
    # pp4 spans a page break: the running head in the middle is gone.
    assert "and invited the intergovernmental bodies of the United Nations system" in units["pp4"].text
    assert units["annex:pp1"].text.startswith("Assembled at the Fourteenth United Nations Congress")
    assert units["annex:pp1"].chapeau.startswith("We, Heads of State and Government")
    assert units["annex:pp4"].text.startswith("Recognizing the need to build upon the progress")


def test_thematic_headings_and_lead_ins_are_sections(units):
    title = ("Kyoto Declaration on Advancing Crime Prevention, Criminal Justice and the Rule of Law: "
             "Towards the Achievement of the 2030 Agenda for Sustainable Development")
    assert units["annex:1"].section == [title, "Declare the following:"]
    assert units["annex:21"].section == [title, "We therefore endeavour to take the following actions:",
                                         "Advancing crime prevention",
                                         "Addressing the causes, including the root causes, of crime"]
    assert units["annex:22"].section[-2:] == ["Advancing crime prevention", "Evidence-based crime prevention"]
    assert units["annex:31"].section[-2:] == [
        "Advancing the criminal justice system",
        "Safeguarding victims’ rights and protecting witnesses and reporting persons"]
    assert units["annex:45"].section[-1] == ("Addressing the vulnerabilities of children and youth in "
                                             "contact with the criminal justice system")
    assert units["annex:60"].section[-2:] == [
        "Promoting international cooperation and technical assistance to prevent and address all forms "
        "of crime", "International cooperation, including through capacity-building and technical assistance"]
    assert units["annex:96"].section == [
        title, "In order to ensure appropriate follow-up to this declaration and to our commitments:"]
    assert units["1"].section == [] and units["annex:20"].text.startswith("We commit to making full")


def test_two_page_text_running_title_and_a_footnote_inside_a_sentence():
    # A short PDF: the running title repeats only twice; footnote 1 splits paragraph 2.
    page_head = ("A/CONF.999/RPM.1/1\nRegional Preparatory Meeting for the Sixteenth Congress\n"
                 "21-01234\n{}/2\n")
    text = (page_head.format(1) + "\n1. The Meeting opened in Vienna.\n\n"
            "2. The Meeting recalled the Kyoto Declaration,1 and\n"
            "__________________\n\n1 Resolution 76/181, annex.\n\n"
            + page_head.format(2) + "\ncalled for its implementation.\n\n"
            "3. The Meeting closed.\n")
    parsed = parse_document(text, DocumentInfo("A/CONF.999/RPM.1/1", "en"), "two-pages.txt")
    assert [(u.ref, u.text) for u in parsed.units] == [
        ("1", "The Meeting opened in Vienna."),
        ("2", "The Meeting recalled the Kyoto Declaration, and called for its implementation."),
        ("3", "The Meeting closed.")]
    assert any("1 page-foot footnotes" in s for s in parsed.skipped)


def test_a_heading_beside_a_few_page_breaks_is_not_a_running_head():
    # "Summary of deliberations" opens two of six pages; the running head is on all of them.
    pages = []
    for page in range(1, 7):
        heading = "Summary of deliberations\n" if page in (2, 5) else ""
        body = "\n".join(["The Meeting discussed the topic at length and"] * 12)  # a page of text
        pages.append(f"A/CONF.999/RPM.2/1\nSixteenth Congress preparatory meeting\n{page}/6\n"
                     f"{heading}{page}. {body} closed item {page}.\n")
    parsed = parse_document("".join(pages), DocumentInfo("A/CONF.999/RPM.2/1", "en"), "six-pages.txt")
    assert [u.ref for u in parsed.units] == [str(n) for n in range(1, 7)]
    assert parsed.units[1].section == ["Summary of deliberations"] and parsed.units[4].kind == "summary"
    assert not any("Sixteenth Congress" in u.text for u in parsed.units)
