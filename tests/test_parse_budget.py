"""Parsing in linear time, and the worker's time budget (issue 15, item 1).

The inputs that were super-linear before (a line of 1,500 "……" leader dots in a table of
contents, 50,000 "[", a one-megabyte paragraph over hard line breaks) are parsed here; the tests
assert the result, and print the time (benchmark-style, not asserted: the machine is shared).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vectorstore.errors import DocumentParseError
from vectorstore.parse_worker import prepare_file
from vectorstore.parsing import parse_document
from vectorstore.settings import BUILTIN_CORPUS_DIR
from vectorstore.units import DocumentInfo

DOC = DocumentInfo("A/CONF.999/RPM.9/1", "en")
SENTENCE = "the Meeting recommended that Member States strengthen cooperation against organized crime"


def _timed_parse(name: str, text: str):
    started = time.perf_counter()
    try:
        result = parse_document(text, DOC, f"{name}.txt")
    finally:
        print(f"\n{name}: {len(text):,} characters parsed in {time.perf_counter() - started:.2f} s")
    return result


def test_table_of_contents_line_of_leader_dots():
    text = ("Contents\nI. Introduction " + "……" * 1500 + " 2\nII. Recommendations " + "." * 8000 + " 3\n"
            "I. Introduction\n1. The Meeting opened.\n"
            "II. Recommendations\n2. The Meeting recommended action.\n")
    units = _timed_parse("leader-dots", text).units
    assert [(u.ref, u.text, u.section) for u in units] == [
        ("1", "The Meeting opened.", ["I. Introduction"]),
        ("2", "The Meeting recommended action.", ["II. Recommendations"])]


def test_fifty_thousand_open_brackets_and_unclosed_markup():
    text = ("1. The Meeting noted " + "[" * 50_000 + " the report.\n"
            "2. The Meeting adopted [the agenda](#) and " + "[a](" * 10_000 + "**bold" * 5_000 + ".\n")
    units = _timed_parse("brackets", text).units
    assert [u.ref for u in units] == ["1", "2"]
    assert units[0].text == "The Meeting noted " + "[" * 50_000 + " the report."
    assert units[1].text.startswith("The Meeting adopted the agenda and [a](")


@pytest.mark.parametrize("script", ["latin", "chinese"])
def test_one_megabyte_paragraph_over_hard_line_breaks(script):
    line = SENTENCE if script == "latin" else "会议建议会员国加强合作以打击有组织犯罪并保护受害者的权利"
    lines = [line] * (1_000_000 // len(line))
    text = "1. " + "\n".join(lines) + "\n2. The Meeting closed.\n"
    units = _timed_parse(f"paragraph-{script}", text).units
    assert [u.ref for u in units] == ["1", "2"]
    separator = " " if script == "latin" else ""
    assert units[0].text == separator.join(lines)
    assert len(units[0].text) >= 950_000


def test_a_long_run_of_unnumbered_headings():
    text = "1. The Meeting opened.\n\n" + "\n\n".join(f"Topic {n}" for n in range(20_000)) + \
        "\n\n2. The Meeting closed.\n"
    units = _timed_parse("headings", text).units
    assert [u.ref for u in units] == ["1", "2"]
    assert units[1].section[-1] == "Topic 19999" and len(units[1].section) <= 6


def test_many_footnotes_on_one_page():
    text = "1. " + "\n".join(f"Word{n % 50 + 1} and more text" for n in range(20_000)) + "\n" + \
        "______________\n" + "\n".join(f"{n} Note {n}." for n in range(1, 51)) + "\n2. End.\n"
    parsed = _timed_parse("footnotes", text)
    assert [u.ref for u in parsed.units] == ["1", "2"]
    assert parsed.units[0].text.startswith("Word and more text Word and more text")  # markers 1..50 gone
    assert "Note 7." not in parsed.units[0].text


def test_worker_refuses_a_file_over_its_budget_and_returns_a_good_one(tmp_path):
    kyoto = BUILTIN_CORPUS_DIR / "A-RES-76-181.en.txt"
    prepared = prepare_file(kyoto, {}, budget=30)
    assert prepared.document.symbol == "A/RES/76/181"
    assert len([u for u in prepared.parsed.units if not u.preamble]) == 110
    with pytest.raises(DocumentParseError, match=r"A-RES-76-181\.en\.txt: reading and parsing took longer "
                                                 r"than 0\.001 s.*ASSISTANT_PARSE_BUDGET"):
        prepare_file(kyoto, {}, budget=0.001)


def test_worker_passes_parse_errors_through(tmp_path):
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear colleagues,\nplease find the report attached.\n", encoding="utf-8")
    with pytest.raises(DocumentParseError, match=r"letter\.txt: no numbered paragraphs"):
        prepare_file(Path(letter), {"symbol": "X/1"}, budget=30)


def test_worker_answers_a_process_holding_more_than_1024_files():
    # the app holds Chroma's, the models' and the sessions' files; select() refused any
    # descriptor past 1024 and every later upload failed
    import os

    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        prepared = prepare_file(BUILTIN_CORPUS_DIR / "A-RES-76-181.en.txt", {}, budget=30)
    finally:
        for fd in held:
            os.close(fd)
    assert prepared.document.symbol == "A/RES/76/181"
