"""Property-based tests (Hypothesis, 1,000 examples per target) over the places untrusted text
enters: the loaders, the report parser, the reference grammar and answer verification.

Generated inputs mix real report structure (numbered paragraphs, sub-items, chapters, tables of
contents, Markdown, page furniture, references in both languages) with hostile characters
(controls, zero-width and bidi characters, full-width digits, unclosed brackets). Each target
states what must hold for every input, not what one input gives.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.citations import find_markers
from assistant.verification import verify_answer
from vectorstore.errors import DocumentParseError
from vectorstore.loaders import read_document_text
from vectorstore.parsing import parse_report
from vectorstore.references import MAX_RANGE, parse_references
from vectorstore.text_cleaning import clean_text, invisible_characters, not_text_reason
from vectorstore.units import DocumentInfo, Unit, split_unit_id

EXAMPLES = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Hostile characters: controls, zero-width, bidi, byte-order mark, line separators, private use.
HOSTILE = ["\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x1b]0;t\x07", "\x7f", "\x85", "\r", "\r\n",
           "\u00ad", "\u200b", "\u200d", "\u200e", "\u202e", "\u2066", "\u2069", "\u2028", "\ufeff",
           "\ue000", "\ufffd", "\U000e0041", "\t"]


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="properties-") as folder:
        yield Path(folder)


# --- loaders ------------------------------------------------------------------------------

@EXAMPLES
@given(data=st.binary(max_size=2000) | st.binary(max_size=40).map(lambda b: b * 50),
       suffix=st.sampled_from([".txt", ".md"]))
def test_loader_reads_any_bytes_as_clean_text_or_refuses_by_name(workdir, data, suffix):
    path = workdir / f"random{suffix}"
    path.write_bytes(data)
    try:
        text = read_document_text(path)
    except DocumentParseError as error:
        assert str(error).startswith(f"{path.name}: ")
        return
    assert text.strip()
    assert invisible_characters(text) == [] and "\r" not in text
    assert unicodedata.is_normalized("NFC", text)
    assert not_text_reason(text) is None


_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=300) | st.lists(
    st.sampled_from(HOSTILE) | st.text(max_size=8) | st.sampled_from(["1. 段落", "(a) item", "第24段"]),
    max_size=40).map("".join)


@EXAMPLES
@given(text=_TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "gb18030"]))
def test_loader_returns_the_text_as_written_minus_invisible_characters(workdir, text, encoding):
    """Decoding in any supported encoding gives `clean_text(text)`, or a refusal for text that is
    mostly control characters, empty after cleaning, or (without a BOM) has NUL bytes."""
    data = (b"\xfe\xff" + text.encode("utf-16-be")) if encoding == "utf-16-be-bom" else text.encode(encoding)
    path = workdir / "written.txt"
    path.write_bytes(data)
    try:
        result = read_document_text(path)
    except DocumentParseError as error:
        assert str(error).startswith("written.txt: ")
        assert (not_text_reason(text) or not clean_text(text).strip()
                or (b"\x00" in data and encoding in ("utf-8", "gb18030"))
                or (encoding == "gb18030" and _decodes_as_utf8_differently(data, text))), str(error)
        return
    if encoding == "gb18030" and _decodes_as_utf8_differently(data, text):
        return  # GB18030 bytes that happen to be valid UTF-8 read as UTF-8 (the tried-first encoding)
    if b"\x00" in data and encoding in ("utf-8", "gb18030"):
        return  # NULs on one side only read as UTF-16 without a byte-order mark: some other text
    assert result == clean_text(text)


def _decodes_as_utf8_differently(data: bytes, text: str) -> bool:
    try:
        return data.decode("utf-8") != text
    except UnicodeDecodeError:
        return False


@EXAMPLES
@given(text=_TEXT)
def test_clean_text_is_idempotent_and_keeps_visible_characters(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert invisible_characters(cleaned) == []
    # every printable character survives (possibly composed with a neighbour by NFC)
    visible = Counter(unicodedata.normalize("NFD", "".join(c for c in text if c.isprintable())))
    assert visible <= Counter(unicodedata.normalize("NFD", cleaned))


# --- parser -------------------------------------------------------------------------------

_TOKENS = st.sampled_from(["States", "should", "strengthen", "cooperation", "会议", "建议", "各国应",
                           "加强", "合作", "cybercrime", "A/CONF.241/RPM.2/2", "第24段", "para. 3 (b)",
                           "2025", "**bold**", "[link](#)", "[", "](", "…", "……", ". . .", "·", *HOSTILE])
_SENTENCE = st.lists(_TOKENS, min_size=1, max_size=8).map(" ".join)
_NUMBERING = ["next", "next", "next", "next", "same", "restart", "skip", "any"]
_PARAGRAPH_LINE = st.tuples(st.just("para"), st.sampled_from(_NUMBERING), st.integers(0, 1200),
                            st.sampled_from([". ", ".", "．", ".\t", "\u200b. "]), _SENTENCE)
_LINE = st.one_of(  # paragraphs and sub-items are the most frequent lines, as in reports
    _PARAGRAPH_LINE, _PARAGRAPH_LINE, _PARAGRAPH_LINE, _PARAGRAPH_LINE,
    st.tuples(st.just("item"), st.sampled_from(["(a) ", "(b) ", "（c） ", "(z) ", "(aa) ", "(A) "]),
              _SENTENCE),
    st.tuples(st.just("item"), st.sampled_from(["(a) ", "(b) ", "(c) ", "(d) "]), _SENTENCE),
    st.sampled_from(["I. Introduction", "II. Recommendations", "一. 导言", "二、建议",
                     "III. Summary of deliberations", "A. Recommendations", "B. Summary of deliberations",
                     "Recommendations", "审议情况概要",
                     "Proceedings", "目录", "Contents", "页次", "Paragraphs Page", "A/CONF.234/RPM.5/1",
                     "V.19-02889 3/15", "7/15", "*1902889*", "http://undocs.org/A/RES/73/184", "12",
                     "Annex", "附件", "附件一", "Annex II", "Appendix"]),
    st.tuples(st.just("toc"), st.integers(0, 400), st.sampled_from(["2", "", "x", " 12"])),
    st.tuples(st.just("markup"), st.sampled_from(["# ", "## ", "- ", "* ", "• "]), _SENTENCE),
    _SENTENCE,
)


def _report_text(lines: list) -> str:
    """Lines of a report: mostly increasing paragraph numbers, with repeats, restarts, gaps."""
    out, number = [], 0
    for line in lines:
        if isinstance(line, str):
            out.append(line)
        elif line[0] == "para":
            _, step, any_number, separator, sentence = line
            steps = {"next": number + 1, "same": number, "restart": 1, "skip": number + 2}
            number = steps.get(step, any_number)
            out.append(f"{number}{separator}{sentence}")
        elif line[0] == "toc":
            out.append(f"一. 导言{'…' * line[1]}{line[2]}")
        else:
            out.append(line[1] + line[2])
    return "\n".join(out)


_report_lines = st.lists(_LINE, min_size=1, max_size=20).map(_report_text)
_report_lines = _report_lines | _report_lines.map("1. The Meeting was opened in Vienna.\n".__add__)


@EXAMPLES
@given(text=_report_lines, language=st.sampled_from(["en", "zh"]))
def test_parser_gives_unique_clean_units_or_a_parse_error(workdir, text, language):
    path = workdir / "generated.txt"
    path.write_bytes(text.encode("utf-8"))
    try:
        units = parse_report(read_document_text(path), DocumentInfo("A/CONF.999/GEN/1", language), path.name)
    except DocumentParseError as error:
        assert path.name in str(error)
        return
    assert units
    ids = [u.id for u in units]
    assert len(ids) == len(set(ids)), ids
    for unit in units:
        assert isinstance(unit, Unit) and split_unit_id(unit.id) == unit.key
        for field in [unit.text, unit.chapeau, *unit.section]:
            assert invisible_characters(field) == [], (unit.id, field)


# --- reference grammar --------------------------------------------------------------------

_REFERENCE_PIECES = st.sampled_from([
    "第", "段", "项", "至", "到", "、", "和", "及", "或", "-", "–", "~", "(", ")", "（", "）", "[", "]", " ",
    "para.", "paras.", "paragraph", "paragraphs", "No.", "¶", "#", "of", "and", "to", "through",
    "annex", "Annex II", "附件", "preambular", "序言部分", "pp", "Kyoto", "京都宣言", "拉美报告",
    "the European report", "第十五届", "resolution 76/181", "A/CONF.241/RPM.2/2", "A/RES/76/181",
    "A/CONF.241/RPM.2/2#", "SYM#annex-ii:", "24", "9", "99", "999", "1234", "2025", "２４", "九九", "廿四",
    "二十四", "一百零五", "(a)", "(d)", "(z)", "(aa)", "(a)-(z)", "a", "d",
]) | st.sampled_from(HOSTILE) | st.text(max_size=3)


@EXAMPLES
@given(pieces=st.lists(_REFERENCE_PIECES, max_size=30))
def test_reference_grammar_never_raises_and_spans_point_into_the_text(pieces):
    text = "".join(pieces)
    refs = parse_references(text)
    tokens_by_span: dict[tuple[int, int], int] = {}
    for ref in refs:
        start, end = ref.span
        assert 0 <= start <= end <= len(text)
        assert text[start:end] == ref.text
        assert ref.item is None or re.fullmatch("[a-z]{1,2}", ref.item)
        tokens_by_span[ref.span] = tokens_by_span.get(ref.span, 0) + 1
    for (start, end), count in tokens_by_span.items():
        written = len(re.findall(r"\d+|[a-zA-Z]+|[零〇一二两三四五六七八九十百千廿卅卌]+", text[start:end]))
        assert count <= (MAX_RANGE + 27) * max(written, 1), (text[start:end], count)  # no unbounded expansion


# --- verification -------------------------------------------------------------------------

_SYMBOL = "A/CONF.241/RPM.2/2"
_OTHER = "A/CONF.234/RPM.5/1"
_RETRIEVED = [
    Unit(_SYMBOL, 3, None, "会议确定了以下建议：", "recommendation", language="zh"),
    Unit(_SYMBOL, 24, None, "各国应加强打击网络犯罪的国际合作。", "recommendation", language="zh"),
    Unit(_SYMBOL, 24, "d", "各国应保护人口贩运的被害人。", "recommendation", language="zh"),
    Unit(_OTHER, 37, "o", "States should strengthen cooperation against cybercrime.", "recommendation",
         language="en"),
]
_RETRIEVED_IDS = {u.id for u in _RETRIEVED}
_ANSWER_PIECES = st.sampled_from([
    f"[{_SYMBOL} ¶24(d)]", f"[{_SYMBOL} ¶24]", f"[{_SYMBOL} ¶99]", f"[{_OTHER} ¶37(o)]", f"[{_OTHER} ¶37]",
    f"[{_SYMBOL} ¶24(d); {_OTHER} ¶99]", "[¶3]", "[2]", "[7]", "[来源1]", "[A/X/1 ¶1]", f"[{_SYMBOL}#24(d)]",
    "【第24段】", "（第24(d)段）", "第24段", "第99段", "第九九段", "第9\u200b9段", "第２４段", "para. 99",
    "paragraph No. 99", "para99", f"{_SYMBOL}#99", "24(a)-(z)", "paras. 3-24", "第24至26段",
    "各国应加强打击网络犯罪的国际合作。", "States should strengthen cooperation against cybercrime. ",
    "会议确定了以下建议：", "没有找到相关段落。", "\n", "\n- ", "。", ". ", "；", "<b>", "</b>",
    "<|im_start|>",
    "[link](http://example.org)", "![img](http://example.org/x.png)", "[", "]", "¶",
]) | st.sampled_from(HOSTILE) | st.text(max_size=5)


@EXAMPLES
@given(pieces=st.lists(_ANSWER_PIECES, max_size=25), language=st.sampled_from(["zh", "en"]),
       sources=st.sampled_from([None, [u.id for u in _RETRIEVED]]))
def test_verification_never_raises_and_keeps_only_retrieved_citations(pieces, language, sources):
    result = verify_answer("".join(pieces), _RETRIEVED, language, sources=sources)
    assert {u.id for u in result.cited} <= _RETRIEVED_IDS
    for found in find_markers(result.text, sources=sources, known_symbols={_SYMBOL, _OTHER}):
        for citation in found.citations:
            assert citation.unit_id in _RETRIEVED_IDS, (result.text, citation)


# pieces of references, to glue and cut them in every way, and verification's own notices
_ADJACENCY_PIECES = st.sampled_from([
    "paragraph", "para", ".", " .", "No", "#", "99", "9", "24", "(d)", "(e)", "-", "至", "第", "段", "项",
    "annex", _SYMBOL, f"{_SYMBOL}#",
    "（段落编号已删除）", "(paragraph number removed)", "（未找到支持此句的段落）",
])


@EXAMPLES
# glued: SYM#99 shows once 99 is gone; cut in two by a sentence split
@example(pieces=["para. 99", f"{_SYMBOL}#99"], language="zh", sources=None)
@example(pieces=["paragraph", ". ", "\n", "99"], language="en", sources=None)
@given(pieces=st.lists(_ANSWER_PIECES | _ADJACENCY_PIECES, max_size=25),
       language=st.sampled_from(["zh", "en"]),
       sources=st.sampled_from([None, [u.id for u in _RETRIEVED]]))
def test_verification_leaves_no_paragraph_number_that_was_not_retrieved(pieces, language, sources):
    """Whatever the grammar reads as a paragraph reference in the verified answer names a
    retrieved paragraph (references to documents not in context are quotes and are skipped)."""
    result = verify_answer("".join(pieces), _RETRIEVED, language, sources=sources)
    symbols = {u.symbol for u in _RETRIEVED}
    for ref in parse_references(result.text):
        if ref.region or ref.congress or (ref.symbol and ref.symbol not in symbols):
            continue
        assert any(u.paragraph == ref.paragraph and ref.item in (None, u.item) for u in _RETRIEVED), (
            result.text, ref)
