"""Renderings: records, the data-dir store (real SQLite), the shipped file, official alignment, checks.

The last tests read the shipped file corpus/renderings.jsonl: every built-in unit has a rendering,
no English rendering contains CJK, and the terms the issue names are rendered officially.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_verification import EU, LAC, corpus, units

from vectorstore.errors import UserError
from vectorstore.renderings import (
    CJK,
    LATIN_WORDS,
    SHIPPED_PATH,
    NumberingMismatchError,
    Rendering,
    RenderingStore,
    align_official,
    check_renderings,
    cjk_share,
    read_shipped,
    starts_with_lead_in,
    target_language,
    text_hash,
    write_shipped,
)
from vectorstore.terms import load_terms


def machine(unit, text, model="test-model"):
    return Rendering(unit.id, "en", text, "machine", model, "2026-12-01", text_hash(unit.text))


def test_labels_are_in_the_reader_language():
    (unit,) = units(f"{LAC}#37(n)")
    rendering = machine(unit, "Strengthen the capacity of agencies combating firearms trafficking")
    assert rendering.label("en") == "unofficial machine translation"
    assert rendering.label("zh") == "非官方机器翻译"
    official = replace(rendering, source="official", model="")
    assert official.label("en") == "official English version" and official.label("zh") == "正式英文本"
    assert rendering.as_json() == {"language": "en", "text": rendering.text, "source": "machine",
                                   "model": "test-model"}


def test_store_round_trip_official_wins_and_stale_renderings_are_ignored(make_settings, tmp_path):
    store = RenderingStore(make_settings(tmp_path), shipped=None)
    first, second = units(f"{LAC}#37(n)", f"{LAC}#37(o)")
    assert store.missing([first, second]) == [first, second]
    store.put([machine(first, "machine text"), machine(second, "other text")])
    assert store.get(first).text == "machine text"
    store.put([replace(machine(first, "official text"), source="official", model="")])
    assert store.get(first).text == "official text"  # official before machine
    changed = replace(second, text=second.text + "（修订）")
    assert store.missing([first, changed]) == [changed]  # its rendering is of the old text
    assert store.remove(LAC, "official") == 1
    assert store.get(first).text == "machine text"
    assert store.remove(LAC) == 2 and store.missing([first]) == [first]


def test_a_symbol_is_removed_without_touching_a_symbol_it_prefixes(make_settings, tmp_path):
    store = RenderingStore(make_settings(tmp_path), shipped=None)
    (unit,) = units(f"{LAC}#24(d)")
    longer = replace(unit, symbol=LAC + "0")
    store.put([machine(unit, "a"), machine(longer, "b")])
    assert store.remove(LAC) == 1 and store.get(longer).text == "b"


def test_the_data_dir_wins_over_the_shipped_file(make_settings, tmp_path):
    first, second = units(f"{EU}#68", f"{EU}#69")
    shipped = tmp_path / "renderings.jsonl"
    write_shipped(shipped, [machine(first, "shipped one"), machine(second, "shipped two")],
                  {"models": ["test-model"], "date": "2026-12-01", "command": "assistant translate"})
    meta, found = read_shipped(shipped)
    assert meta["renderings"] == 2 and meta["command"] == "assistant translate" and len(found) == 2
    store = RenderingStore(make_settings(tmp_path / "data"), shipped=shipped)
    store.put([machine(first, "stored one")])
    got = store.get_many([first, second])
    assert got[first.id].text == "stored one" and got[second.id].text == "shipped two"
    assert store.get_many([first, second], include_shipped=False).keys() == {first.id}


def test_a_corrupt_shipped_line_is_a_clear_error(tmp_path):
    bad = tmp_path / "renderings.jsonl"
    bad.write_text('{"_meta": {}}\nnot json\n', encoding="utf-8")
    with pytest.raises(UserError, match="line 2"):
        read_shipped(bad)


def _english_version(zh_units):
    return [replace(u, language="en", text=f"English text of {u.ref}.") for u in zh_units]


def test_official_version_aligns_by_unit_id():
    stored = [u for u in corpus().values() if u.symbol == EU]
    rendered = align_official(stored, _english_version(stored), "2026-12-01")
    assert [r.unit_id for r in rendered] == [u.id for u in stored]
    assert all(r.source == "official" and r.language == "en" for r in rendered)
    assert rendered[0].renders(stored[0]) and rendered[0].text == f"English text of {stored[0].ref}."


def test_numbering_mismatch_lists_the_differing_ids():
    stored = [u for u in corpus().values() if u.symbol == EU]
    official = _english_version(stored)
    official = [u for u in official if u.ref != "36(e)"] + [replace(official[0], paragraph=99)]
    with pytest.raises(NumberingMismatchError) as caught:
        align_official(stored, official, "2026-12-01")
    message = str(caught.value)
    assert "Only in the stored document (1): 36(e)" in message
    assert "Only in the new version (1): 99" in message and "Nothing was stored" in message


def test_same_language_or_other_symbol_is_not_an_official_version():
    stored = [u for u in corpus().values() if u.symbol == EU]
    with pytest.raises(UserError, match="same language"):
        align_official(stored, stored, "2026-12-01")
    with pytest.raises(UserError, match="same symbol"):
        align_official(stored, [replace(u, symbol=LAC, language="en") for u in stored], "2026-12-01")


def test_check_counts_term_occurrences_and_lists_what_lacks_the_official_term():
    first, second = units(f"{LAC}#37(n)", f"{EU}#68")
    renderings = {
        first.id: machine(first, "Strengthen agencies that combat gunship trafficking, border control, "
                                 "corruption in the criminal justice system"),
        second.id: machine(second, "Officers elected: Chair: Alena Kupchyna (Belarus); Vice-Chair: "
                                   "Lucie Angers (Canada); Rapporteur: Luigi Ripamonti (Italy)"),
    }
    checks = {c.symbol: c for c in check_renderings([first, second], renderings, load_terms())}
    assert [uid for uid, _ in checks[LAC].lacking] == [first.id]
    assert "枪支贩运 → trafficking in firearms" in checks[LAC].lacking[0][1]
    assert checks[LAC].official == checks[LAC].occurrences - 1
    assert checks[EU].lacking == [] and checks[EU].percent == 100.0


def test_check_lists_english_words_left_in_chinese_and_figures_lost():
    (unit,) = [u for u in corpus().values() if u.id == "A/RES/76/181#pp1"]
    text = "强调联合国在 crime prevention 领域的责任，根据经济及社会理事会1948年8月13日第155 C (VII)号决议。"
    left = Rendering(unit.id, "zh", text, "machine", "test-model", "2026-12-02", text_hash(unit.text))
    (check,) = check_renderings([unit], {unit.id: left}, load_terms())
    assert check.english_in_chinese == [(unit.id, ["crime prevention"])]
    # "resolution 415 (V) of 1 December 1950" is lost whole; 155 C (VII) of 13 August 1948 is carried
    assert check.losing == [(unit.id, ["1", "415", "1950"])]


def test_check_lists_a_rendering_that_states_a_figure_its_original_does_not():
    (unit,) = [u for u in corpus().values() if u.id == "A/RES/76/181#1"]  # "from 7 to 12 March 2021"
    wrong = "对2021年4月7日至12日在日本京都举行的第十四届联合国预防犯罪和刑事司法大会取得的成果表示满意。"
    right = wrong.replace("4月", "3月")
    for text, changing in ((wrong, [(unit.id, ["4"])]), (right, [])):
        rendering = Rendering(unit.id, "zh", text, "machine", "test-model", "2026-12-04",
                              text_hash(unit.text))
        (check,) = check_renderings([unit], {unit.id: rendering}, load_terms())
        assert check.changing == changing


# ---------------------------------------------------------------- the shipped built-in renderings

@pytest.fixture(scope="module")
def shipped():
    meta, found = read_shipped(SHIPPED_PATH)
    if not found:
        pytest.fail(f"{SHIPPED_PATH} is missing: run `assistant translate --export {SHIPPED_PATH}`")
    return meta, found


def test_the_shipped_file_records_model_date_and_command(shipped):
    meta, _ = shipped
    assert meta["models"] and meta["date"] and meta["command"].startswith("assistant translate")


def test_every_shipped_rendering_is_current_in_the_other_language_and_english_ones_have_no_cjk(shipped):
    _, found = shipped
    units = corpus()
    stray = [uid for uid in found if uid not in units]
    assert not stray, f"renderings of units that are not in the built-in corpus: {stray[:5]}"
    for uid, rendering in found.items():
        unit = units[uid]
        assert rendering.renders(unit), f"{uid}: rendering of an older text"
        assert rendering.language == target_language(unit.language), uid
        if rendering.language == "en":
            assert not CJK.search(rendering.text), uid
        else:
            assert cjk_share(rendering.text) > 0.5, uid
            assert not LATIN_WORDS.search(rendering.text), f"{uid}: English words left in Chinese"


def test_no_shipped_rendering_starts_with_its_chapeau_rendered(shipped):
    _, found = shipped
    units = corpus()
    with_lead_in = [uid for uid, r in found.items()
                    if starts_with_lead_in(r.text, units[uid].text, units[uid].chapeau)]
    assert not with_lead_in, f"run `assistant translate --improve --cached-only --export`: {with_lead_in}"


def test_a_rendered_chapeau_is_told_from_the_text_s_own_lead_in():
    # the chapeaux of the resolution's and the declaration's preambles, rendered with the paragraph
    assert starts_with_lead_in("中华人民大会,\n承认联合国预防犯罪和刑事司法大会……",
                               "Acknowledging that the United Nations congresses ..., have influenced "
                               "national policies.", "The General Assembly,")
    assert starts_with_lead_in("我们，联合国的领导人和政府部长和代表，\n再次回顾了……多哈宣言。",
                               "Recalling the Doha Declaration ...,",
                               "We, Heads of State and Government, Ministers and Representatives of "
                               "Member States,")
    # a sub-item's chapeau ending with a colon, rendered before it
    assert starts_with_lead_in("The Meeting made the following recommendations:\nStrengthen the capacity.",
                               "加强负责打击枪支贩运机构的能力", "会议提出了下列建议：")
    # the text's own lead-in: a colon in the source, or a comma ending the source's own first line
    own = ("In the future Kyoto Declaration, reflect, for example, the need:\n(i) to enhance ...;\n"
           "(ii) to strengthen ...")
    assert not starts_with_lead_in(own, "在未来的京都宣言中反映一些内容，例如需要：㈠增强……；㈡加强……",
                                   "会议确定了以下建议：")
    assert not starts_with_lead_in("The General Assembly,\nRecalling ...",
                                   "The General Assembly,\nRecalling ...", "The Meeting,")
    # one line, or no chapeau ending with a comma: nothing to drop
    assert not starts_with_lead_in("中华人民大会，承认……", "Acknowledging ...", "The General Assembly,")
    assert not starts_with_lead_in("第一行，\n第二行。", "First, second.", "")


def test_every_built_in_unit_has_a_shipped_rendering(shipped):
    _, found = shipped
    missing = [uid for uid in corpus() if uid not in found]
    assert not missing, f"{len(missing)} of {len(corpus())} built-in units lack a rendering: {missing[:5]}"


def test_the_terms_the_issue_names_are_rendered_officially(shipped):
    _, found = shipped
    assert "firearms" in found[f"{LAC}#37(n)"].text
    assert "Belarus" in found[f"{EU}#68"].text
