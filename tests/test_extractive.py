"""Model-free answers from real units of the built-in corpus."""

from dataclasses import replace

import pytest
from test_verification import EU, LAC, RES, units

from assistant import extractive
from assistant.citations import find_markers
from assistant.language import is_in_language
from vectorstore.renderings import Rendering, cjk_share, renderings_for, text_hash


def cited_ids(text):
    return [c.unit_id for m in find_markers(text) for c in m.citations]


def bullets(text):
    return [line for line in text.splitlines() if line.startswith("- ")]


def test_sentences_split_on_chinese_and_english_punctuation():
    assert extractive.split_unit_sentences("甲乙丙丁戊。己庚辛壬癸；子丑寅卯辰", "zh") == \
        ["甲乙丙丁戊。", "己庚辛壬癸；", "子丑寅卯辰"]
    assert extractive.split_unit_sentences("One two three. Four five six; seven eight", "en") == \
        ["One two three.", "Four five six;", "seven eight"]


def test_chinese_answer_quotes_the_best_sentences_verbatim_each_with_its_marker():
    retrieved = units(f"{LAC}#37(n)", f"{LAC}#24(e)", f"{LAC}#24(d)")
    answer = extractive.ask_answer("拉美报告关于打击枪支贩运有什么建议？", retrieved, "zh", max_sentences=2)
    lines = bullets(answer)
    assert len(lines) == 2
    for line in lines:
        quote = line[line.index("“") + 1:line.index("”")]
        (uid,) = cited_ids(line)
        assert quote in units(uid)[0].text  # verbatim
    assert "枪支" in answer and is_in_language(answer, "zh")


def rendered(unit, text):
    return Rendering(unit.id, "en", text, "machine", "qwen-test", "2026-12-01", text_hash(unit.text))


def test_english_question_over_chinese_sources_quotes_the_labelled_rendering():
    retrieved = units(f"{LAC}#24(e)", f"{EU}#36(e)")
    renderings = {
        f"{LAC}#24(e)": rendered(retrieved[0], "Strengthen action against trafficking in firearms in order "
                                               "to address violence in the region."),
        f"{EU}#36(e)": rendered(retrieved[1], "Consider promoting the use of confiscated assets for public "
                                              "or social purposes."),
    }
    answer = extractive.ask_answer("What is recommended on firearms trafficking?", retrieved, "en",
                                   renderings=renderings)
    assert "unofficial machine translation, with the originals in the sources" in answer
    framed = (f"The Latin American and Caribbean report ({LAC}) recommends: “Strengthen action against "
              "trafficking in firearms")
    assert framed in answer
    assert cjk_share(answer) == 0.0 and is_in_language(answer, "en")
    assert set(cited_ids(answer)) <= {u.id for u in retrieved}


def test_a_pending_rendering_is_quoted_in_the_original_and_the_answer_says_so():
    retrieved = units(f"{LAC}#24(e)")
    answer = extractive.ask_answer("What is recommended on firearms trafficking?", retrieved, "en",
                                   renderings={})
    assert "quoted in Chinese as they have no translation yet" in answer
    assert "“加强打击枪支贩运的行动" in answer


def test_english_answers_over_shipped_renderings_are_under_ten_percent_cjk():
    retrieved = units(f"{LAC}#37(n)", f"{EU}#16(b)", f"{EU}#16(c)", f"{EU}#68")
    assert set(renderings_for(retrieved)) == {u.id for u in retrieved}  # shipped in corpus/renderings.jsonl
    for answer in (extractive.ask_answer("firearms trafficking", retrieved, "en"),
                   extractive.lookup_answer(retrieved[:1], "en"),
                   extractive.draft_answer("cooperation", retrieved, "en"),
                   extractive.compare_answer("cooperation", [(LAC, retrieved[:1]), (EU, retrieved[1:])],
                                             "en")):
        assert cjk_share(answer) < 0.10, answer


def test_english_lookup_of_a_chinese_paragraph_quotes_its_rendering_with_the_label():
    (unit,) = units(f"{LAC}#37(n)")
    answer = extractive.lookup_answer([unit], "en", renderings={unit.id: rendered(unit, "Strengthen the "
                                                                                   "capacity of agencies.")})
    assert "(unofficial machine translation; the original is in the sources):" in answer
    assert "“Strengthen the capacity of agencies.”" in answer and cited_ids(answer) == [unit.id]


def test_compare_groups_by_document_and_says_when_a_document_has_nothing():
    groups = [(EU, units(f"{EU}#36(e)")), (LAC, units(f"{LAC}#24(d)")), ("A/CONF.999/RPM.9/1", [])]
    answer = extractive.compare_answer("资产没收", groups, "zh")
    eu_at, lac_at = answer.index("欧洲区域筹备会议报告"), answer.index("拉丁美洲和加勒比区域筹备会议报告")
    assert eu_at < answer.index(f"{EU} ¶36(e)") < lac_at < answer.index(f"{LAC} ¶24(d)")
    assert "A/CONF.999/RPM.9/1：检索到的段落均未涉及这一问题。" in answer


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_document_with_nothing_on_the_theme_is_not_flagged_as_an_unsupported_claim(language):
    """The line saying a document has nothing is no claim about its content: verification must
    not append "(no supporting paragraph found)" to it."""
    from assistant.verification import verify_answer

    groups = [(LAC, units(f"{LAC}#24(d)")), ("A/RES/76/181", [])]
    answer = extractive.compare_answer("资产没收", groups, language)
    result = verify_answer(answer, units(f"{LAC}#24(d)"), language)
    assert result.corrections == [] and result.text == answer


def test_draft_puts_recommendations_first_and_cites_every_bullet():
    retrieved = units(f"{LAC}#20", f"{LAC}#66(g)", f"{LAC}#66(h)")
    answer = extractive.draft_answer("网络犯罪", retrieved, "zh")
    lines = bullets(answer)
    assert lines and all(len(cited_ids(line)) == 1 for line in lines)
    assert cited_ids(lines[0])[0] in (f"{LAC}#66(g)", f"{LAC}#66(h)")


def test_lookup_quotes_the_whole_unit_with_its_metadata():
    (unit,) = units(f"{LAC}#37(o)")
    zh = extractive.lookup_answer([unit], "zh")
    assert f"“{unit.text.strip()}”" in zh
    assert "A/CONF.241/RPM.2/2, 第37(o)段" in zh and "类别：建议" in zh and "第15届" in zh
    en = extractive.lookup_answer([unit], "en", renderings={})
    assert "A/CONF.241/RPM.2/2, para. 37 (o)" in en and "15th Congress" in en and "kind: recommendation" in en


KYOTO = "A/RES/76/181"


def test_lookup_heading_of_an_annex_paragraph_cites_the_annex():
    """The heading a reader copies is the paragraph's UN citation, part included: never
    "A/RES/76/181, para. 36" for annex paragraph 36 (the resolution body has 13 paragraphs)."""
    (annexed,) = units(f"{KYOTO}#annex:36")
    en = extractive.lookup_answer([annexed], "en")
    zh = extractive.lookup_answer([annexed], "zh", renderings={})
    assert en.startswith("A/RES/76/181, annex, para. 36;")
    assert zh.startswith("第76/181号决议附件第36段；")
    (body,) = units(f"{KYOTO}#11")
    assert extractive.lookup_answer([body], "en").startswith("A/RES/76/181, para. 11;")


def test_documents_are_named_by_what_they_are():
    (report,) = units(f"{EU}#36(e)")
    (annexed,) = units(f"{KYOTO}#annex:36")
    (body,) = units(f"{KYOTO}#11")
    assert extractive.document_name(report, "en") == f"The European report ({EU})"
    assert extractive.document_name(annexed, "en") == f"The Kyoto Declaration ({KYOTO})"
    assert extractive.document_name(annexed, "zh") == f"《京都宣言》（{KYOTO}）"  # the official terms table
    assert extractive.document_name(body, "en") == "General Assembly resolution 76/181"
    assert extractive.document_name(body, "zh") == "大会第76/181号决议"
    other = replace(body, symbol="E/CN.15/2019/1")
    assert extractive.document_name(other, "en") == "Document E/CN.15/2019/1"
    assert extractive.document_name(other, "zh") == "文件 E/CN.15/2019/1"


def test_compare_with_the_declaration_names_it_and_does_not_call_it_a_report():
    groups = [(EU, units(f"{EU}#36(e)")), (KYOTO, units(f"{KYOTO}#annex:36"))]
    en = extractive.compare_answer("prison overcrowding", groups, "en", renderings={})
    assert "What each document says" in en and f"The Kyoto Declaration ({KYOTO}):" in en
    assert "Report A/RES" not in en
    zh = extractive.compare_answer("监狱拥挤", groups, "zh", renderings={})
    assert "各文件的相关内容" in zh and f"《京都宣言》（{KYOTO}）：" in zh


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_quoted_translation_stating_a_figure_its_original_does_not_carries_a_caution(language):
    """Shipped machine renderings that `assistant translate --check` lists as stating a figure
    their original does not: RPM.5/1 para. 21 says "the Crime Congress held in 2014" for the
    Fourteenth Congress, annex pp1 of the Kyoto Declaration "40年前" for half a century. A reader
    may paste a quote, so each quote and lookup of them says which figure is not in the original;
    the original itself, and a right rendering, carry no caution."""
    from assistant.verification import verify_answer

    other = {"en": f"{EU}#21", "zh": f"{RES}#annex:pp1"}[language]
    wrong = {"en": "2014", "zh": "40"}[language]
    right = {"en": f"{EU}#10", "zh": f"{RES}#annex:36"}[language]  # "five decades" is "50 年"
    (unit,) = units(other)
    assert unit.language != language and unit.id in renderings_for([unit])
    caution = {"en": f"the translation states {wrong}, which the original does not",
               "zh": f"译文中的 {wrong} 为原文所无"}[language]
    lookup = extractive.lookup_answer([unit], language)
    assert caution in lookup.splitlines()[0] and cited_ids(lookup) == [unit.id]
    reading = extractive.readings([unit], language)[unit.id]
    sentence = next(s for s in extractive.split_unit_sentences(reading.text, language) if wrong in s)
    for line in (extractive.quote_line(unit, sentence, language, reading=reading),
                 extractive.quote_line(unit, sentence, language, framed=False, reading=reading)):
        assert caution in line[:line.index("“")] and cited_ids(line) == [unit.id]
        result = verify_answer(line, [unit], language)
        assert result.corrections == [] and result.text == line  # the caution is framing, not a claim
    official = replace(reading.rendering, source="official")  # the UN's own version is not cautioned
    assert official.cautioned_label(unit, language) == official.label(language)
    for rendering, cautioned in ((reading.rendering, True), (official, False)):
        answer = extractive.ask_answer(sentence, [unit], language, renderings={unit.id: rendering})
        assert (caution in answer) == cautioned, answer
    (fine,) = units(right)
    for answer in (extractive.lookup_answer([fine], language),  # a right rendering
                   extractive.lookup_answer([unit], unit.language)):  # the original itself
        assert "原文所无" not in answer and "which the original does not" not in answer
