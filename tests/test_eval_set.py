"""The evaluation set itself: size, balance, coverage, well-formed ids, gold that really exists."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.language import detect_language
from eval.harness import (
    QUESTIONS_PATH,
    SPLITS,
    TYPES,
    EvalSetError,
    load_questions,
    retrieval_query,
    sample,
    select_split,
)
from eval.split import assign_splits, document_languages, stratum
from vectorstore.catalog import CATALOG_NAME, load_catalog
from vectorstore.errors import UserError
from vectorstore.loaders import read_document_text
from vectorstore.parsing import parse_report
from vectorstore.settings import BUILTIN_CORPUS_DIR


@pytest.fixture(scope="module")
def questions():
    return load_questions()


@pytest.fixture(scope="module")
def corpus_unit_ids() -> set[str]:
    """Ids of every unit parsed from the built-in corpus (no store needed)."""
    ids = set()
    for name, doc in load_catalog(BUILTIN_CORPUS_DIR / CATALOG_NAME).items():
        text = read_document_text(BUILTIN_CORPUS_DIR / name)
        ids |= {unit.id for unit in parse_report(text, doc, name)}
    assert len(ids) > 250  # both reports parsed (279 units at the time of writing)
    return ids


RESOLUTION = "A/RES/76/181"


def test_size_and_language_balance(questions):
    assert len(questions) >= 150
    langs = Counter(q.lang for q in questions)
    assert set(langs) == {"zh", "en"}
    assert abs(langs["zh"] - langs["en"]) <= len(questions) * 0.1


def test_every_type_is_covered_in_both_languages(questions):
    by_type_lang = Counter((q.type, q.lang) for q in questions)
    for qtype in TYPES:
        for lang in ("zh", "en"):
            assert by_type_lang[(qtype, lang)] >= 5, (qtype, lang)


def test_unanswerable_questions_have_no_gold_and_the_rest_do(questions):
    unanswerable = [q for q in questions if q.type == "unanswerable"]
    assert len(unanswerable) >= 15
    for q in questions:
        assert (q.gold == []) == (q.type == "unanswerable"), q.id


def test_ids_unique_and_gold_without_duplicates(questions):
    ids = [q.id for q in questions]
    assert len(ids) == len(set(ids))
    for q in questions:
        assert len(q.gold) == len(set(q.gold)), q.id
        assert q.note.strip(), q.id


def test_every_gold_id_exists_in_the_parsed_corpus(questions, corpus_unit_ids):
    missing = [(q.id, uid) for q in questions for uid in q.gold if uid not in corpus_unit_ids]
    assert not missing


def test_compare_questions_cite_at_least_two_documents(questions):
    # the two reports, or the Kyoto Declaration and one or both reports
    for q in questions:
        if q.type == "compare":
            assert len({uid.split("#")[0] for uid in q.gold}) >= 2, q.id


def test_multi_questions_need_two_paragraphs(questions):
    for q in questions:
        if q.type == "multi":
            assert len({uid.split("(")[0] for uid in q.gold}) >= 2, q.id


def test_followups_carry_a_history_with_sources_that_exist(questions, corpus_unit_ids):
    for q in questions:
        if q.type == "followup":
            roles = [turn["role"] for turn in q.history]
            assert roles[:1] == ["user"] and "assistant" in roles, q.id
            for turn in q.history:
                assert set(turn.get("sources", [])) <= corpus_unit_ids, q.id
            assert retrieval_query(q) != q.question  # the previous turn is searched too
        else:
            assert not q.history, q.id


def test_question_language_matches_its_label(questions):
    wrong = [(q.id, q.lang) for q in questions if detect_language(q.question) != q.lang]
    assert not wrong


def test_lookup_questions_use_every_required_reference_form(questions):
    lookups = " ".join(q.question for q in questions if q.type == "lookup")
    for form in ("第24段", "第24(d)段", "第66段(k)项", "para. 37 (o)", "paragraph 16", "¶ 24(d)",
                 "A/CONF.241/RPM.2/2 第66段(k)项", "拉美报告第24段", "the European report, para. 43 (e)"):
        assert form in lookups, form


def test_sample_is_spread_over_the_set_and_checks_its_size(questions):
    picked = sample(questions, 16)
    assert len(picked) == 16 and len({q.id for q in picked}) == 16
    assert len({q.type for q in picked}) >= 6 and {q.lang for q in picked} == {"zh", "en"}
    assert sample(questions, None) == questions
    with pytest.raises(UserError, match="--limit"):
        sample(questions, 0)


def test_malformed_set_is_a_clear_user_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(QUESTIONS_PATH.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n",
                   encoding="utf-8")
    with pytest.raises(EvalSetError, match="line 2"):
        load_questions(bad)
    bad.write_text('{"id": "x", "lang": "fr", "type": "factual", "question": "q", "gold": []}\n',
                   encoding="utf-8")
    with pytest.raises(EvalSetError, match="unknown lang"):
        load_questions(bad)
    with pytest.raises(EvalSetError, match="not found"):
        load_questions(tmp_path / "absent.jsonl")


# ---------------------------------------------------------------- dev/test split and the English documents


def test_every_question_is_in_the_dev_or_the_test_half(questions):
    assert {q.split for q in questions} == set(SPLITS)
    assert len(select_split(questions, "dev")) + len(select_split(questions, "test")) == len(questions)


def test_the_halves_are_stratified_by_language_type_and_document_language(questions):
    languages = document_languages()
    counts = Counter()
    for q in questions:
        counts[(stratum({"lang": q.lang, "type": q.type, "gold": q.gold}, languages), q.split)] += 1
    for key in {k for k, _ in counts}:
        assert abs(counts[(key, "dev")] - counts[(key, "test")]) <= 1, key


def test_splitting_new_questions_never_moves_old_ones():
    rows = [{"id": f"n{i}", "lang": "en", "type": "factual", "gold": ["X/1#1"]} for i in range(6)]
    rows[0]["split"] = rows[1]["split"] = "test"
    assert assign_splits(rows, {"X/1": "en"}) == 4
    assert rows[0]["split"] == rows[1]["split"] == "test"
    assert Counter(r["split"] for r in rows) == {"dev": 3, "test": 3}
    first, second = ([dict(r, split=None) for r in rows] for _ in range(2))
    assign_splits(first, {"X/1": "en"})
    assign_splits(second, {"X/1": "en"})
    assert [r["split"] for r in first] == [r["split"] for r in second]  # deterministic


def test_english_resolution_questions_in_both_languages_and_both_halves(questions):
    over_resolution = [q for q in questions if any(uid.startswith(RESOLUTION + "#") for uid in q.gold)]
    assert len(over_resolution) >= 40
    for lang in ("zh", "en"):
        for split in SPLITS:
            assert sum(q.lang == lang and q.split == split for q in over_resolution) >= 8, (lang, split)
    assert any("#annex:" in uid for q in over_resolution for uid in q.gold)


def test_unknown_split_is_a_user_error(questions, tmp_path):
    with pytest.raises(UserError, match="split"):
        select_split(questions, "train")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "lang": "en", "type": "factual", "question": "q", "gold": [], '
                   '"split": "train"}\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match="split"):
        load_questions(bad)
