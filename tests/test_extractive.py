"""Model-free answers from real units of the built-in corpus."""

from test_verification import EU, LAC, units

from assistant import extractive
from assistant.citations import find_markers
from assistant.language import is_in_language


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


def test_english_question_over_chinese_sources_frames_in_english_and_says_so():
    retrieved = units(f"{LAC}#24(e)", f"{EU}#36(e)")
    answer = extractive.ask_answer("What is recommended on firearms trafficking?", retrieved, "en")
    assert "sources are in Chinese" in answer
    framed = f"The Latin American and Caribbean report ({LAC}) recommends: “加强打击枪支贩运的行动"
    assert framed in answer
    assert is_in_language(answer, "en")
    assert set(cited_ids(answer)) <= {u.id for u in retrieved}


def test_compare_groups_by_document_and_says_when_a_document_has_nothing():
    groups = [(EU, units(f"{EU}#36(e)")), (LAC, units(f"{LAC}#24(d)")), ("A/CONF.999/RPM.9/1", [])]
    answer = extractive.compare_answer("资产没收", groups, "zh")
    eu_at, lac_at = answer.index("欧洲区域筹备会议报告"), answer.index("拉丁美洲和加勒比区域筹备会议报告")
    assert eu_at < answer.index(f"{EU} ¶36(e)") < lac_at < answer.index(f"{LAC} ¶24(d)")
    assert "A/CONF.999/RPM.9/1：未检索到相关段落" in answer


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
    assert "A/CONF.241/RPM.2/2，第37(o)段" in zh and "类别：建议" in zh and "第15届" in zh
    en = extractive.lookup_answer([unit], "en")
    assert "A/CONF.241/RPM.2/2, para. 37 (o)" in en and "15th Congress" in en and "kind: recommendation" in en
