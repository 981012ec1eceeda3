"""English -> Chinese query translation (glossary) and cross-lingual retrieval on the built-in corpus."""

from __future__ import annotations

import time

import pytest

from vectorstore.glossary import (
    GLOSSARY_PATH,
    GlossaryError,
    english_terms,
    load_glossary,
    matched_terms,
    stem,
    translate_query,
)


def terms(text: str) -> list[str]:
    return translate_query(text).split()


# ------------------------------------------------------------------ translate_query


@pytest.mark.parametrize("question, expected", [
    ("What was said about trafficking in persons?", "贩运人口"),
    ("human trafficking networks", "人口贩运"),
    ("smuggling of migrants by sea", "偷运移民"),
    ("Cybercrime and electronic evidence", "电子证据"),
    ("illicit trafficking in firearms", "贩运枪支"),
    ("money laundering through casinos", "洗钱"),
    ("asset recovery and mutual legal assistance", "资产追回"),
    ("asset recovery and mutual legal assistance", "司法协助"),
    ("alternatives to imprisonment for women", "监禁替代"),
    ("restorative justice programmes", "恢复性司法"),
    ("crimes that affect the environment", "影响环境的犯罪"),
    ("the role of UNODC", "毒罪办"),
    ("the Kyoto Declaration", "京都宣言"),
    ("the 2030 Agenda for Sustainable Development", "2030年可持续发展议程"),
    ("public-private partnerships", "公私伙伴关系"),
])
def test_typical_phrases_map_to_the_terms_the_reports_print(question, expected):
    assert expected in terms(question)


@pytest.mark.parametrize("variant", ["cyber-crime", "cyber crimes", "Cybercrimes", "CYBERCRIME"])
def test_spelling_case_and_plural_variants_match(variant):
    assert terms(variant) == ["网络犯罪"]


def test_inflected_forms_match_their_base_entry():
    assert "受害人" in terms("the victims")
    assert "受害人" in terms("a Victim")
    assert "贩运" in terms("children who were trafficked")
    assert "偷运" in terms("smuggled goods and smuggling") or "走私" in terms("smuggled goods and smuggling")
    assert "累犯" in terms("reducing reoffending") and "累犯" in terms("recidivism")
    assert "儿童" in terms("child") and "儿童" in terms("children")


def test_longest_phrase_wins_over_its_parts():
    # "trafficking in persons" is one entry: the bare 贩运 ("trafficking") is not added
    assert terms("trafficking in persons") == ["贩运人口", "人口贩运"]
    matched = [english for english, _ in matched_terms("firearms trafficking and cybercrime")]
    assert matched == ["firearms trafficking", "cybercrime"]


def test_no_glossary_term_gives_empty_string():
    assert translate_query("What happened on Tuesday afternoon?") == ""
    assert translate_query("") == ""


def test_chinese_question_needs_no_translation():
    assert translate_query("拉美报告对网络犯罪说了什么？") == ""


def test_short_words_do_not_collide_with_stemmed_entries():
    # "theme" and "them" must stay apart after stemming
    assert terms("tell them") == []
    assert "主题" in terms("the theme")
    assert stem("theme") != stem("them")


def test_terms_are_unique_and_in_question_order():
    result = terms("victims of crime, victims, cybercrime, victims")
    assert len(result) == len(set(result))
    assert result.index("网络犯罪") > result.index("犯罪受害人")


def test_translation_is_fast():
    question = ("Draft declaration input on reducing reoffending, victims of trafficking in persons, "
                "firearms, cybercrime and alternatives to imprisonment, citing the recommendations.")
    translate_query(question)  # glossary loaded once
    start = time.perf_counter()
    for _ in range(200):
        translate_query(question)
    assert (time.perf_counter() - start) / 200 < 0.001


def test_shipped_glossary_is_large_and_well_formed():
    glossary, longest = load_glossary(GLOSSARY_PATH)
    assert len(glossary) >= 500
    assert longest >= 4
    assert all(terms_ for terms_ in glossary.values())


def test_malformed_glossary_line_is_reported(tmp_path):
    bad = tmp_path / "terms.tsv"
    bad.write_text("# comment\ncybercrime 网络犯罪\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match="line 2"):
        load_glossary(bad)


# ------------------------------------------------------------------ retrieval on the built-in corpus

LAC = "A/CONF.241/RPM.2/2"
EUROPE = "A/CONF.234/RPM.5/1"

# English questions on distinct topics, each answered by one Chinese paragraph.
CROSS_LINGUAL = [
    ("firearms", "Did speakers talk about disarmament programmes for guns and ammunition "
                 "and about registering weapons?", f"{LAC}#34"),
    ("cybercrime", "Which expert group's comprehensive study of cybercrime did participants welcome, "
                   "and who should help build capacity against cyber-crime?", f"{EUROPE}#51"),
    ("environment", "What role do conservation groups and environmental agencies play against "
                    "crimes that affect the environment, and should new protocols be drafted?", f"{LAC}#60"),
    ("legal aid", "Were government-funded public defenders mentioned as an effective form of legal aid, "
                  "along with mobile justice services?", f"{LAC}#15"),
    ("victims", "How can trauma-informed and victim-centred approaches reduce secondary victimization, "
                "and can specialized courts help?", f"{LAC}#45"),
]


@pytest.fixture(scope="module")
def searcher(builtin_store, builtin_settings):
    from vectorstore.retrieval import HybridSearcher

    return HybridSearcher(builtin_store, builtin_settings)


def _paragraphs(result, k: int = 5) -> list[str]:
    return [f"{h.unit.symbol}#{h.unit.paragraph}" for h in result.hits[:k]]


@pytest.mark.parametrize("topic, question, paragraph", CROSS_LINGUAL, ids=[c[0] for c in CROSS_LINGUAL])
def test_english_question_finds_the_chinese_paragraph_in_the_top_5(searcher, topic, question, paragraph):
    # among the Chinese reports: the built-in store also holds the English Kyoto Declaration, whose
    # own paragraphs on these topics are fair answers for an English question
    from vectorstore.filters import Filters

    result = searcher.search(question, k=5, filters=Filters(symbols=(LAC, EUROPE)))
    assert paragraph in _paragraphs(result), (topic, _paragraphs(result))


@pytest.mark.parametrize("topic, question, paragraph", CROSS_LINGUAL, ids=[c[0] for c in CROSS_LINGUAL])
def test_keyword_search_alone_reaches_chinese_text_through_the_glossary(searcher, topic, question, paragraph):
    # BM25 has no English text to match in the built-in corpus: only translated terms can score
    result = searcher.search(question, k=10, mode="bm25")
    assert paragraph in _paragraphs(result, 10), (topic, _paragraphs(result, 10))


# ------------------------------------------------------------------ the other way: Chinese -> English


def test_chinese_terms_map_back_to_english_longest_first():
    assert english_terms("京都宣言关于网络犯罪说了什么？")[-1] == "cybercrime"
    assert english_terms("监狱在新冠疫情中面临的风险")[:1] == ["prison"]
    # the longest Chinese term wins and its parts are not matched again
    assert english_terms("恢复性司法方案") == ["restorative justice"]
    assert english_terms("今天天气很好") == []
    assert english_terms(None) == []


def test_a_chinese_question_reaches_an_english_paragraph_through_english_terms():
    from vectorstore.bm25 import BM25Index
    from vectorstore.units import Unit

    texts = ["Take measures against cybercrime and its threats.", "Promote restorative justice processes."]
    units = [Unit("A/RES/1/1", n, None, text, "recommendation", language="en")
             for n, text in enumerate(texts, start=1)]
    index = BM25Index.build(units, "r")
    assert index.search("恢复性司法", 2) == []  # Chinese words score no English text
    assert index.search(" ".join(english_terms("恢复性司法")), 2)[0][0] == "A/RES/1/1#2"
