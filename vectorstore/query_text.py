"""What a question asks, as text: cleaned for search, and without the words that name documents.

- `clean_query`: control and invisible characters out, whitespace collapsed, Chinese in
  simplified characters (`simplified`), cut to MAX_QUERY_CHARS (with a notice in the question's
  language).
- `similarity_text`: the question without the phrases naming documents (they say nothing about
  what is asked of them; see vectorstore.query_scope), for dense and BM25 similarity.
- `has_content_besides_references`: does a question that cites a paragraph also ask something?

Retrieval (vectorstore/retrieval.py) ranks; this module and query_scope read the question.
"""

from __future__ import annotations

import re
import unicodedata

import zhconv

from vectorstore.bm25 import tokenize
from vectorstore.errors import UserError
from vectorstore.language import detect_language
from vectorstore.query_scope import resolve_scope, strip_spans
from vectorstore.references import reference_spans
from vectorstore.wording import say

MAX_QUERY_CHARS = 2000  # longer questions are cut (with a notice): embedders see ~512 tokens anyway
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def simplified(text: str) -> str:
    """`text` with Chinese written in traditional characters (歐洲報告第10段) in the simplified ones
    of UN Chinese (欧洲报告第10段), so that document names, references and words match; simplified
    Chinese and other text come back unchanged (zhconv's MediaWiki tables, "zh-hans")."""
    return zhconv.convert(text, "zh-hans") if _HAN.search(text) else text


def clean_query(query) -> tuple[str, list[str]]:
    """Control characters removed, whitespace collapsed, cut to MAX_QUERY_CHARS (with a notice)."""
    if not isinstance(query, str):
        raise UserError("empty question: the question must be text")
    chars = []
    for ch in query:
        category = unicodedata.category(ch)
        if category == "Cc" or category in ("Zl", "Zp"):
            chars.append(" ")  # newlines, tabs, NUL, escape sequences...
        elif category not in ("Cf", "Cs", "Co", "Cn"):  # zero-width, surrogates, private use
            chars.append(ch)
    text = simplified(re.sub(r"\s+", " ", "".join(chars)).strip())
    if not text:
        raise UserError("empty question: type a question or a paragraph reference (第24段 / para. 24)")
    notices = []
    if len(text) > MAX_QUERY_CHARS:
        cut = text[:MAX_QUERY_CHARS]
        boundary = max(cut.rfind(c) for c in " 。；;，,.!?！？")
        if boundary > MAX_QUERY_CHARS * 0.8:
            cut = cut[: boundary + 1]
        notices.append(say(
            detect_language(cut),
            en=f"The question is {len(text):,} characters long; only its first {len(cut):,} were searched.",
            zh=f"问题长度为 {len(text):,} 个字符，仅检索了前 {len(cut):,} 个字符。",
        ))
        text = cut.strip()
    return text, notices


def similarity_text(text: str, spans: list[tuple[int, int]] | None = None) -> str:
    """The question without the phrases naming documents (see vectorstore.query_scope).

    `spans` are the mention spans `resolve_scope` found; without them, the grammar's document
    mentions (symbols, regions, congresses) are left out. A question that is nothing but a
    document name is searched as it is.
    """
    if spans is None:
        spans = resolve_scope(text, []).spans
    stripped = strip_spans(text, spans)
    return stripped if tokenize(stripped) else text


def has_content_besides_references(text: str, documents=None, spans=()) -> bool:
    """Does the question ask something beyond "show me paragraph 24 of report X"?

    `documents` (the stored ones) let names such as "第76/181号决议" count as references too;
    `spans` are more phrases that only point to a document (a city, a year: `QueryScope.spans`)."""
    rest = list(text)
    for start, end in [*reference_spans(text, documents), *spans]:
        rest[start:end] = " " * (end - start)
    leftover = "".join(rest)
    filler = {"说", "内容", "全文", "原文", "show", "quote", "text", "full", "什么", "了", "看",
              "meeting", "report", "会议", "报告"}
    return len([t for t in tokenize(leftover) if t not in filler and not t.isdigit()]) >= 2
