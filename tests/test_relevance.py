"""The relevance gate (assistant/relevance.py) on real retrieval over the built-in store: an
in-domain question on a topic no paragraph mentions is refused, not answered from paragraphs
about something else; a question sharing one word with a paragraph, in either language, is not."""

from __future__ import annotations

import pytest

from assistant.language import detect_language
from assistant.relevance import question_words, share_of_question, shares_no_word
from assistant.support import attribution_tokens
from vectorstore.bm25 import tokenize as search_tokens

LAC = "A/CONF.241/RPM.2/2"
KYOTO = "A/RES/76/181"


@pytest.fixture(scope="module")
def chain(extractive_chain):
    return extractive_chain


def no_rendering(unit, language):
    return None


@pytest.mark.parametrize("question, language", [
    ("欧洲报告对无人机走私有什么建议？", "zh"),
    ("What does the Kyoto Declaration say about whaling?", "en"),
    ("拉美报告对足球流氓有什么建议？", "zh"),
])
def test_a_topic_no_paragraph_mentions_is_refused_with_the_closest_paragraphs(chain, question, language):
    answer = chain.invoke(question)
    assert answer.citations == []
    expected = "文件中没有这个问题的答案" if language == "zh" else "do not contain the answer"
    assert expected in answer.text
    assert answer.retrieved and answer.retrieved[0].unit.citation(language) in answer.text


@pytest.mark.parametrize("question, cited", [
    ("What did the LAC meeting recommend about firearms trafficking?", f"{LAC}#37(n)"),  # via the rendering
    ("拉美会议对枪支贩运有什么建议？", f"{LAC}#37(n)"),
    ("police questioning methods that avoid coerced confessions", f"{KYOTO}#annex:47"),
])
def test_a_question_sharing_a_word_with_a_paragraph_in_either_language_is_answered(chain, question, cited):
    answer = chain.invoke(question)
    assert cited in {u.id for u in answer.citations}, answer.text


def test_the_documents_names_are_not_shared_words(chain):
    """Resolution 76/181's para. 10 names the Kyoto Declaration: that is no answer about whaling."""
    question = "What does the Kyoto Declaration say about whaling?"
    units = chain.searcher.store.get([f"{KYOTO}#10"])
    assert not shares_no_word(question, units, no_rendering)  # "Kyoto", "Declaration"
    assert shares_no_word(question, units, no_rendering, attribution_tokens(units))


def test_an_english_question_is_compared_with_a_chinese_paragraph_through_its_rendering(chain):
    units = chain.searcher.store.get([f"{LAC}#37(n)"])
    assert not shares_no_word("firearms trafficking", units, chain._rendering)
    assert shares_no_word("whaling quotas", units, chain._rendering)
    # no rendering yet (an upload being translated): no word can be compared, so no refusal
    assert not shares_no_word("whaling quotas", units, no_rendering)


def test_chinese_questions_use_the_official_terms_as_domain_vocabulary():
    from assistant.relevance import uses_domain_vocabulary

    assert uses_domain_vocabulary("拉美报告和京都宣言关于资产追回有何异同？")  # 资产追回: a term of the table
    assert not uses_domain_vocabulary("巧克力蛋糕怎么做？")
    assert not uses_domain_vocabulary("法国和日本的首都分别是哪里？")  # names of States are no domain terms
    assert uses_domain_vocabulary("asset recovery") and not uses_domain_vocabulary("chocolate cake")


def test_a_compare_question_in_chinese_keeps_the_english_declaration_s_paragraphs(chain):
    """The Kyoto Declaration's paras. 70-71 are on asset recovery: a Chinese comparison with the
    LAC report must quote them, not say the declaration has nothing (cross-language cosines of a
    Chinese question to English text are low; the question's official term makes it in-domain)."""
    answer = chain.invoke("拉美报告和京都宣言关于资产追回有何异同？", mode="compare")
    cited = {u.id for u in answer.citations}
    assert cited & {f"{KYOTO}#annex:70", f"{KYOTO}#annex:71"}, answer.text
    assert any(u.symbol == LAC for u in answer.citations)
    assert "均未涉及" not in answer.text


@pytest.mark.parametrize("question, on, off", [
    # 腐败 is the question's topic: a paragraph on asset recovery "in cases involving corruption" is
    # on it; counted in character bigrams (么承, 对腐, 言对 ...) it had 1 of 7
    ("京都宣言对腐败有什么承诺？", f"{KYOTO}#annex:70", f"{KYOTO}#annex:77"),
    ("What does the Kyoto Declaration say about corruption?", f"{KYOTO}#annex:53", f"{KYOTO}#annex:77"),
])
def test_a_statements_share_of_the_questions_words_counts_words_not_the_documents_names(chain, question,
                                                                                       on, off):
    units = chain.searcher.store.get([on, off])
    words = question_words(question, units)
    assert words and not words & set(search_tokens("Kyoto Declaration 京都宣言"))
    rendered = {u.id: u.text if u.language == detect_language(question)
                else chain._rendering(u, detect_language(question)) for u in units}
    assert share_of_question(words, rendered[on]) >= 0.5
    assert share_of_question(words, rendered[off]) == 0.0
    assert share_of_question(set(), rendered[off]) == 1.0  # a question of question words only
