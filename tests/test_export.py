"""Markdown and .docx exports of an answer: every cited paragraph listed with its verbatim text
and its rendering in the other language, labelled."""

from __future__ import annotations

import docx
import pytest

from assistant.chain import Answer, AnswerChain
from assistant.citations import marker, render
from assistant.export import SOURCES_HEADING, answer_to_docx, answer_to_markdown
from assistant.ui_sources import sources_html
from vectorstore.renderings import CJK, Rendering, renderings_for, text_hash
from vectorstore.retrieval import Hit

LATAM_37O = "A/CONF.241/RPM.2/2#37(o)"
EUROPE_37 = "A/CONF.234/RPM.5/1#37"


def make_answer(units, language: str, extra_retrieved=(), corrections=()) -> Answer:
    """An answer citing `units`, as the chain builds it (markers in text, rendered for readers)."""
    text = " ".join(f"Point {i} {marker([u])}." for i, u in enumerate(units, start=1))
    return Answer(
        text=text, rendered=render(text, language), language=language, backend="extractive", mode="ask",
        citations=list(units), corrections=list(corrections),
        retrieved=[Hit(u, 1.0, "hybrid") for u in [*units, *extra_retrieved]],
        standalone_question="金融情报单位" if language == "zh" else "financial intelligence units",
        notices=[],
    )


@pytest.fixture(scope="module")
def cited(builtin_store):
    units = builtin_store.get([LATAM_37O, EUROPE_37])
    assert [u.id for u in units] == [LATAM_37O, EUROPE_37]
    return units


def test_markdown_lists_cited_paragraphs_in_order_with_verbatim_text(cited):
    md = answer_to_markdown(make_answer(cited, "zh"))
    sources = md.split(f"## {SOURCES_HEADING}", 1)[1]
    first = sources.index("1. **A/CONF.241/RPM.2/2，第37(o)段**")
    second = sources.index("2. **A/CONF.234/RPM.5/1，第37段**")
    assert first < second
    for unit in cited:
        for line in unit.text.splitlines():
            assert f"> {line}" in sources
    assert "（A/CONF.241/RPM.2/2，第37(o)段）" in md.split(SOURCES_HEADING, 1)[0]  # the answer itself


def test_markdown_uses_english_convention_for_english_answers(cited):
    md = answer_to_markdown(make_answer(cited, "en"))
    assert "1. **A/CONF.241/RPM.2/2, para. 37 (o)**" in md
    assert "(A/CONF.234/RPM.5/1, para. 37)" in md
    assert "第37" not in md


def test_markdown_reports_corrections_and_missing_citations(cited):
    md = answer_to_markdown(make_answer([], "en", corrections=["removed ¶120: not in the report"]))
    assert "no citations" in md
    assert "removed ¶120: not in the report" in md


def test_docx_has_answer_then_numbered_sources_with_verbatim_text(cited, tmp_path):
    answer = make_answer(cited, "zh", extra_retrieved=[])
    path = answer_to_docx(answer, tmp_path / "answer.docx", renderings={})
    paragraphs = docx.Document(str(path)).paragraphs
    texts = [p.text for p in paragraphs]
    heading = texts.index(SOURCES_HEADING)
    body = "\n".join(texts[:heading])
    assert "（A/CONF.241/RPM.2/2，第37(o)段）" in body and "（A/CONF.234/RPM.5/1，第37段）" in body

    references = [t for t in texts[heading:] if t.startswith("[")]
    assert references[0].startswith("[1] A/CONF.241/RPM.2/2，第37(o)段")
    assert references[1].startswith("[2] A/CONF.234/RPM.5/1，第37段")
    quotes = [p.text for p in paragraphs[heading:] if p.style.name == "Quote"]
    assert quotes == [u.text for u in cited]


def test_docx_of_a_real_lookup_answer_quotes_every_citation(builtin_settings, builtin_store, tmp_path):
    settings = builtin_settings.with_overrides(backend="extractive")
    answer = AnswerChain(settings).invoke("拉美报告第37(o)段", mode="lookup")
    assert LATAM_37O in [u.id for u in answer.citations]
    texts = [p.text for p in docx.Document(str(answer_to_docx(answer, tmp_path / "a.docx"))).paragraphs]
    for unit in answer.citations:
        assert unit.text in texts
    store_ids = {u.id for u in builtin_store.units()}
    assert {u.id for u in answer.citations} <= store_ids


def test_exports_carry_original_and_labelled_rendering(cited, tmp_path):
    def text(u):
        return f"Rendering of paragraph {u.item or 'whole'}."  # "37" would be a figure not in the original

    renderings = {u.id: Rendering(u.id, "en", text(u), "machine", "qwen-test", "2026-12-01",
                                  text_hash(u.text)) for u in cited}
    answer = make_answer(cited, "en")
    md = answer_to_markdown(answer, renderings=renderings)
    assert md.count("*unofficial machine translation (qwen-test, 2026-12-01):*") == 2
    assert "   > Rendering of paragraph o." in md and "   > Rendering of paragraph whole." in md
    texts = [p.text for p in docx.Document(str(answer_to_docx(answer, tmp_path / "r.docx",
                                                               renderings=renderings))).paragraphs]
    for unit in cited:
        at = texts.index(unit.text)
        assert texts[at + 1] == "unofficial machine translation (qwen-test, 2026-12-01):"
        assert texts[at + 2] == text(unit)
    zh = answer_to_markdown(make_answer(cited, "zh"), renderings=renderings)
    assert "*非官方机器翻译（qwen-test, 2026-12-01）:*" in zh


def test_exports_say_which_figure_a_rendering_states_that_its_original_does_not(builtin_store, tmp_path):
    """The shipped rendering of RPM.5/1 para. 21 says "held in 2014" for the Fourteenth Congress."""
    cited = builtin_store.get(["A/CONF.234/RPM.5/1#21", "A/CONF.241/RPM.2/2#37(n)"])
    caution = "the translation states 2014, which the original does not"
    md = answer_to_markdown(make_answer(cited, "en"))
    assert md.count(caution) == 1 and md.index(caution) < md.index("held in 2014")
    texts = [p.text for p in docx.Document(str(answer_to_docx(make_answer(cited, "en"),
                                                               tmp_path / "f.docx"))).paragraphs]
    captions = [texts[texts.index(unit.text) + 1] for unit in cited]
    assert caution in captions[0] and caution not in captions[1]
    assert sources_html(make_answer(cited, "en")).count(caution) == 1


def test_docx_uses_the_shipped_renderings_by_default(builtin_store, tmp_path):
    cited = builtin_store.get(["A/CONF.241/RPM.2/2#37(n)", "A/CONF.234/RPM.5/1#68"])
    shipped = renderings_for(cited)
    assert set(shipped) == {u.id for u in cited}
    texts = [p.text for p in docx.Document(str(answer_to_docx(make_answer(cited, "en"),
                                                               tmp_path / "d.docx"))).paragraphs]
    for unit in cited:
        at = texts.index(unit.text)
        assert texts[at + 1].startswith("unofficial machine translation (")
        assert texts[at + 2] == shipped[unit.id].text and not CJK.search(texts[at + 2])
