"""Nothing lost, nothing invented: a generated well-formed document comes back exactly.

Hypothesis writes documents the way UN documents are laid out (a resolution's subject line and
preamble, numbered paragraphs, lead-ins with lettered sub-items, annexes with their own
numbering and title) in four layouts that real extractions produce: one line per paragraph (Word,
Markdown), hard-wrapped lines with blank lines between paragraphs (PDF text of a resolution),
the same with each paragraph number alone on its line, and hard-wrapped lines with a blank line
after every line (PDF text of a report). The parser must return every unit, in order, with the
exact text, and nothing else.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vectorstore.parsing import parse_document
from vectorstore.units import DocumentInfo, unit_ref

SYMBOL = "A/RES/99/1"
WORDS = st.sampled_from(["states", "should", "strengthen", "cooperation", "against", "crime", "and",
                         "victims", "of", "trafficking", "in", "persons", "the", "rule", "law",
                         "international", "criminal", "justice", "data", "prisons", "youth"])
LAYOUTS = ["one-line", "wrapped", "number-alone", "blank-after-every-line"]


def _sentence(words: list[str], end: str) -> str:
    return " ".join([words[0].capitalize(), *words[1:]]) + end


def _words(min_size: int = 3):
    return st.lists(WORDS, min_size=min_size, max_size=30)



@st.composite
def paragraphs(draw):
    """(text, [item texts]) — a paragraph, or a lead-in with lettered sub-items."""
    if draw(st.booleans()):
        return _sentence(draw(_words()), "."), []
    items = draw(st.lists(_words(), min_size=1, max_size=4))
    texts = [_sentence(w, ";") for w in items[:-1]] + [_sentence(items[-1], ".")]
    return _sentence(draw(_words()), ":"), texts


@st.composite
def documents(draw):
    layout = draw(st.sampled_from(LAYOUTS))
    parts = [("", "", draw(st.integers(0, 3) if layout != "blank-after-every-line" else st.just(0)))]
    annexes = draw(st.integers(0, 2))
    names = ["annex"] if annexes == 1 else [f"annex {'I' * (i + 1)}" for i in range(annexes)]
    # With a blank line after every line, a wrapped title cannot be told from text after it.
    title_words = st.lists(WORDS, min_size=1, max_size=2) if layout == "blank-after-every-line" else _words(2)
    parts += [(name, _sentence(draw(title_words), ""), 0) for name in names]
    content = [(name, title, [_sentence(draw(_words()), ",") for _ in range(preamble)],
                draw(st.lists(paragraphs(), min_size=1, max_size=8))) for name, title, preamble in parts]
    return layout, draw(st.integers(30, 90)), content


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line]


def _render(layout: str, width: int, content) -> str:
    blocks: list[list[str]] = []

    def add(text: str, marker: str = "") -> None:
        if layout == "one-line":
            blocks.append([f"{marker} {text}" if marker else text])
        elif layout == "number-alone" and marker and marker[0].isdigit():
            blocks.append([marker, *_wrap(text, width)])
        else:
            blocks.append(_wrap(f"{marker} {text}" if marker else text, width))

    for name, title, preamble, paras in content:
        if name:
            blocks.append([name[0].upper() + name[1:]])
            add(title)
        if preamble:
            add("The General Assembly,")
            for text in preamble:
                add(text)
        for number, (text, items) in enumerate(paras, start=1):
            add(text, f"{number}.")
            for letter, item in zip("abcd", items, strict=False):
                add(item, f"({letter})")
    if layout == "one-line":
        return "\n".join(line for block in blocks for line in block) + "\n"
    if layout == "blank-after-every-line":
        return "\n\n".join(line for block in blocks for line in block) + "\n"
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _expected(content) -> list[tuple[str, str]]:
    expected = []
    for name, _title, preamble, paras in content:
        expected += [(unit_ref(n, None, name, True), text) for n, text in enumerate(preamble, start=1)]
        for number, (text, items) in enumerate(paras, start=1):
            expected.append((unit_ref(number, None, name), text))
            expected += [(unit_ref(number, letter, name), item) for letter, item in zip("abcd", items,
                                                                                        strict=False)]
    return expected


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents())
def test_every_unit_comes_back_exactly_once_with_its_text(document):
    layout, width, content = document
    parsed = parse_document(_render(layout, width, content), DocumentInfo(SYMBOL, "en"), "generated.txt")
    assert [(u.ref, u.text) for u in parsed.units] == _expected(content)
    for (name, title, _preamble, _paras), part in zip(content, parsed.parts, strict=True):
        assert (part.name, part.title, part.numbering) == (name, title, "ok")
