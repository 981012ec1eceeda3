"""`assistant translate` and the translation pipeline with the real local model (the 0.5B one in tests).

The model cache of renderings is shared across test sessions like the model files, so a second
session finds the same units in the cache: assertions count translated + cached.
"""

from __future__ import annotations

import re
from time import time_ns

import pytest
from conftest import ENGLISH_REPORT
from test_app_client import copy_store
from test_verification import LAC, units

from assistant.cli import main
from assistant.translation import UnitTranslator, build_messages, clean_output, drop_lead_in, tidy_rendering
from vectorstore.ingest import ingest_files
from vectorstore.renderings import CJK, Rendering, RenderingStore, cjk_share, text_hash
from vectorstore.store import UnitStore

SYMBOL = "A/CONF.777/RPM.1/1"
MODEL = "qwen2.5-0.5b"


@pytest.fixture(scope="module")
def settings(builtin_store, builtin_settings, tmp_path_factory):
    """A copy of the built-in store plus the small English test report."""
    tmp = tmp_path_factory.mktemp("translate")
    data_dir = copy_store(builtin_settings, tmp / "data")
    settings = builtin_settings.with_overrides(data_dir=str(data_dir), model=MODEL)
    report = tmp / "report.en.txt"
    text = ENGLISH_REPORT.format(symbol=SYMBOL, region="Test", topic="small island developing States")
    report.write_text(text, encoding="utf-8")
    ingest_files([report], settings, store=UnitStore(settings), progress=False, parse_budget=120)
    return settings


def run(settings, capsys, *args):
    code = main(["translate", *args, "--model", MODEL, "--data-dir", str(settings.data_dir)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_prompt_carries_heading_chapeau_and_official_terms():
    messages = build_messages("加强负责打击枪支贩运机构的能力", "zh", "审议成果",
                              "与会者未经谈判提出了下列建议：", [("枪支贩运", "trafficking in firearms")])
    prompt = messages[1]["content"]
    assert "Section heading (context only, do not translate): 审议成果" in prompt
    assert "lead-in (context only, do not translate): 与会者未经谈判提出了下列建议：" in prompt
    assert "Official English terms: 枪支贩运 = trafficking in firearms" in prompt
    assert prompt.endswith("Text to translate into English:\n加强负责打击枪支贩运机构的能力")
    assert clean_output("```\nTranslation: “Strengthen the capacity.”\n```") == "Strengthen the capacity."
    echo = prompt.replace("加强负责打击枪支贩运机构的能力", "Strengthen the capacity.")
    assert clean_output(echo) == "Strengthen the capacity."
    added = "The Meeting identified the following recommendations:\nStrengthen the capacity."
    assert drop_lead_in(added, "加强负责打击枪支贩运机构的能力") == "Strengthen the capacity."
    own = "The Meeting elected the following officers:\nChair: Alena Kupchyna (Belarus)"
    assert drop_lead_in(own, "会议选出下列主席团成员：\n主席：Alena Kupchyna（白俄罗斯）") == own


def test_an_english_rendering_writes_the_source_s_enumerators_as_un_english_does():
    """UN Chinese numbers the items inside a sub-item ㈠ ㈡ ...; a model copies them, and an English
    reader cannot read them (they count as CJK in English)."""
    source = "例如需要：㈠增强……；㈡加强……；㈩最后……"
    copied = "For example, the need:\n㈠ to enhance ...;\n㈡ to strengthen ...;\n㈩ finally ..."
    tidied = tidy_rendering(copied, source, "", "en")
    assert tidied == "For example, the need:\n(i) to enhance ...;\n(ii) to strengthen ...;\n(x) finally ..."
    assert CJK.search(copied) and not CJK.search(tidied)
    assert tidy_rendering("例如需要：㈠增强", "For example: (i) to enhance", "", "zh") == "例如需要：㈠增强"


def test_translate_renders_missing_units_stores_them_and_resumes_from_the_cache(settings, capsys):
    code, _, err = run(settings, capsys, "--symbol", SYMBOL, "--limit", "2")
    assert code == 0, err
    done = re.search(r"Translated (\d+) units .* (\d+) from the cache", err)
    assert done and int(done[1]) + int(done[2]) == 2, err
    store = UnitStore(settings)
    rendered = RenderingStore(settings).get_many(store.units())
    mine = {uid: r for uid, r in rendered.items() if uid.startswith(SYMBOL)}
    assert len(mine) == 2
    for rendering in mine.values():
        assert rendering.language == "zh" and rendering.source == "machine" and MODEL in rendering.model
        assert CJK.search(rendering.text), rendering

    # a new data directory has no renderings, but this machine's cache has the two units
    (settings.data_dir / "renderings.sqlite").unlink()
    code, _, err = run(settings, capsys, "--symbol", SYMBOL, "--limit", "2")
    assert code == 0 and "Translated 0 units" in err and "2 from the cache" in err


def test_check_lists_unrendered_units_and_prints_figures_per_document(settings, capsys):
    code, out, _ = run(settings, capsys, "--check", "--symbol", SYMBOL)
    assert code == 1  # units without a rendering fail the check
    assert re.search(rf"{re.escape(SYMBOL)}#\S+: no rendering", out)
    assert re.search(rf"^  {re.escape(SYMBOL)}\s+\d+/\d+\s+[\d.]+ %\s+rendered \d+/\d+", out, re.M)


def test_bad_input_is_a_clear_error(settings, capsys):
    code, _, err = run(settings, capsys, "--symbol", "A/CONF.000/X/1")
    assert code == 2 and "unknown --symbol A/CONF.000/X/1" in err and "Traceback" not in err
    code, _, err = run(settings, capsys, "--limit", "-1")
    assert code == 2 and "--limit" in err


def test_an_english_rendering_never_keeps_chinese_characters(settings):
    (unit,) = units(f"{LAC}#37(n)")
    translator = UnitTranslator(settings)
    text = translator.render_text(unit.text, "zh", "审议成果", unit.chapeau)
    assert text and not CJK.search(text) and cjk_share(text) == 0.0
    assert translator.problems(unit.text, "zh", "加强 gun trafficking") == [
        "Write English only: no Chinese characters at all.",
        "Translate the whole text: the previous translation left most of it out.",
        "Use the official term “trafficking in firearms” for “枪支贩运”.",
        "Use the official term “criminal justice system” for “刑事司法系统”.",
        "Use the official term “corruption” for “腐败”.",
    ]


def test_english_words_left_in_a_chinese_rendering_are_repaired(settings):
    translator = UnitTranslator(settings)
    mixed = "需要使刑事司法系统更加有效、 accountable、透明、包容和 responsive，并向 offenders 提供职业培训。"
    repaired = translator._repair(mixed, "zh")
    assert not re.search(r"\b(accountable|responsive|offenders)\b", repaired), repaired
    assert "刑事司法系统" in repaired and "职业培训" in repaired and cjk_share(repaired) > 0.9
    # Acronyms, symbols and names stay; only the spaces between Chinese characters go.
    kept = "在 COVID-19 疫情期间，见 A/CONF.241/RPM.2/CRP.2，联合国 毒品和犯罪问题办公室"
    assert translator._repair(kept, "zh") == kept.replace("联合国 毒品", "联合国毒品")


def test_background_translation_marks_the_document_pending_until_done(settings):
    import time
    from dataclasses import replace

    from assistant.translation import pending_symbols, translate_in_background

    (unit,) = [u for u in UnitStore(settings).units() if u.id == f"{SYMBOL}#1"]
    fresh = replace(unit, symbol="A/CONF.777/RPM.2/1",  # a text no cache has seen: the model runs
                    text=f"The Meeting was opened on {time.time_ns()} by the Chair.")
    store = RenderingStore(settings)
    thread = translate_in_background(settings, [fresh], store)
    assert thread is not None and "A/CONF.777/RPM.2/1" in pending_symbols()
    thread.join(timeout=600)
    assert not thread.is_alive() and "A/CONF.777/RPM.2/1" not in pending_symbols()
    rendering = store.get(fresh)
    assert rendering is not None and rendering.language == "zh" and CJK.search(rendering.text)
    assert translate_in_background(settings, [fresh], store) is None  # nothing missing any more


def test_figures_a_rendering_loses_are_found():
    """As values, across languages: "第六场" is carried by "6th" or "sixth", "4 月" by "April"."""
    from vectorstore.figures import lost_figures

    source = "在 2019 年 4 月 25 日第六场会议上，会议通过了报告（A/CONF.234/RPM.5/L.2），共 1,200 名与会者。"
    assert lost_figures(source, "At its 6th meeting, on 25 April 2019, the Meeting adopted its report "
                                "(A/CONF.234/RPM.5/L.2); 1200 participants.") == []
    # numbers inside document symbols are not figures: symbols are kept as they are
    assert lost_figures(source, "At its sixth meeting in 2019 the Meeting adopted its report.") == [
        "4", "25", "1200"]
    # an ordinal in words, which a count of Arabic numbers could not see
    session = "预防犯罪和刑事司法委员会第三十三届会议审议了讨论指南草案。"
    assert lost_figures(session, "At its thirty-third session, the Commission considered the guide.") == []
    assert lost_figures(session, "The Commission considered the draft guide.") == ["33"]


def test_improve_retries_a_faulty_rendering_once_and_keeps_only_a_better_one(settings):
    from dataclasses import replace

    (unit,) = units(f"{LAC}#37(n)")
    fresh = replace(unit, text=unit.text + f"（{time_ns()}）")  # a text this machine never retried
    translator = UnitTranslator(settings)
    cut = Rendering(fresh.id, "en", "Strengthen agencies.", "machine", "test", "2026-12-02", "")
    assert "Translate the whole text: the previous translation left most of it out." in translator.problems(
        fresh.text, "zh", cut.text)
    improved = translator.improve(fresh, cut)
    assert improved is not cut and translator.stats.improved == 1
    assert not CJK.search(improved.text) and len(improved.text) > 3 * len(cut.text)
    assert len(translator.problems(fresh.text, "zh", improved.text)) < len(
        translator.problems(fresh.text, "zh", cut.text))
    assert translator.improve(fresh, cut) is cut  # retried once per text on this machine, not again
    official = replace(cut, source="official")
    assert translator.improve(unit, official) is official  # an official version is never retried


def test_a_wrong_figure_is_a_fault_and_worse_than_a_missing_term(settings):
    from assistant.translation import render_context

    (unit,) = units("A/RES/76/181#1")  # "... held in Kyoto, Japan, from 7 to 12 March 2021 ..."
    translator = UnitTranslator(settings)
    wrong = ("对2021年4月7日至12日在日本京都举行的第十四届联合国预防犯罪和刑事司法大会所取得的成果表示满意，"
             "这些成果基于有记录的会员国、联合国实体、政府间组织、非政府组织和个人专家的参与。")
    right = wrong.replace("4月", "3月").replace("政府间组织", "国际组织")  # the month right, a term lost
    faults = translator.problems(unit.text, "en", wrong, render_context(unit))
    assert ("Write every figure (numbers, dates, ordinals) exactly as the text has it; the text has no 4."
            in faults)
    assert len(translator.problems(unit.text, "en", right, render_context(unit))) >= len(faults)
    assert translator._better(unit.text, "en", wrong, right) == right
    assert translator._better(unit.text, "en", right, wrong) == right


def test_a_repaired_retry_is_judged_against_the_rendering_it_would_replace(settings):
    """A real --improve run replaced this unit's rendering (a lost figure, a missing term) by one
    whose stray English fragment was repaired, after the retry had been judged, into "四第13天" for
    the Fourteenth Congress. The final text is judged again: as many faults, one a wrong figure."""
    from assistant.translation import render_context

    (unit,) = units("A/RES/76/181#9")  # "... follow-up to the outcome of the Fourteenth Congress ..."
    translator = UnitTranslator(settings)
    context = render_context(unit)
    current = "欢迎日本政府的意图，邀请所有会员国与联合国毒品和犯罪问题办公室合作，确保对京都宣言的适当跟进。"
    repaired = ("欢迎致谢日本政府的意图，并邀请所有会员国与联合国毒品和犯罪问题办公室合作，"
                "确保对四第13天预防犯罪大会结果的适当跟进，特别是实施京都宣言。")
    faults = translator.problems(unit.text, "en", repaired, context)
    assert any(p.startswith("Write every figure") for p in faults)
    assert len(translator.problems(unit.text, "en", current, context)) == len(faults)
    assert translator._better(unit.text, "en", current, repaired, context) == current
    # the real model's retry and repair of the same text (zero-width characters after it: a text
    # this machine never retried) end no worse than the rendering they would replace
    from dataclasses import replace

    unseen = "".join("\u200b\u200c"[int(bit)] for bit in f"{time_ns():b}")
    fresh = replace(unit, text=unit.text + unseen)
    improved = translator.improve(fresh, Rendering(unit.id, "zh", current, "machine", "test", "2026-12-04",
                                                   ""))
    after = translator.problems(fresh.text, "en", improved.text, context)
    assert not any(p.startswith("Write every figure") for p in after)
    assert len(after) <= len(translator.problems(fresh.text, "en", current, context))


def test_improve_flag_retries_only_renderings_with_faults(settings, capsys):
    code, _, err = run(settings, capsys, "--symbol", SYMBOL, "--improve")
    assert code == 0, err
    faulty = re.search(r"(\d+) renderings with faults to retry", err)
    retried = re.search(r"Retried (\d+) renderings in \d+ s: (\d+) improved", err)
    assert faulty and retried and faulty[1] == retried[1] and int(retried[2]) <= int(retried[1]), err
    code, _, err = run(settings, capsys, "--symbol", SYMBOL, "--improve")  # a second run retries nothing new
    assert code == 0 and "0 renderings with faults to retry" in err, err


def test_a_rendered_chapeau_is_found_by_check_and_dropped_by_improve_without_the_model(settings, capsys):
    store = UnitStore(settings)
    unit = next(u for u in store.units() if u.id == "A/RES/76/181#pp2")  # chapeau "The General Assembly,"
    renderings = RenderingStore(settings)
    body = renderings.get(unit).text
    renderings.put([Rendering(unit.id, "zh", "中华人民大会,\n" + body, "machine", MODEL, "2026-12-03",
                              text_hash(unit.text))])
    code, out, _ = run(settings, capsys, "--check", "--symbol", "A/RES/76/181")
    assert code == 1 and "A/RES/76/181#pp2: the rendering starts with a lead-in" in out, out
    code, _, err = run(settings, capsys, "--symbol", "A/RES/76/181", "--improve", "--cached-only")
    assert code == 0, err
    assert "1 renderings tidied" in err, err
    assert renderings.get(unit).text == body
    _, out, _ = run(settings, capsys, "--check", "--symbol", "A/RES/76/181")
    assert "lead-in" not in out.split("\n\n")[0]
