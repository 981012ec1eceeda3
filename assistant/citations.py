"""Citation markers: parse them from model output, write them, render them for readers.

The canonical marker in model output and in `Answer.text` is `[A/CONF.241/RPM.2/2 ¶24(d)]`;
several citations share one marker: `[A/CONF.241/RPM.2/2 ¶24(d); A/CONF.234/RPM.5/1 ¶43(e)]`.
Parsing tolerates what small models write instead: full-width brackets, `¶ 24 (d)`,
`para. 24(d)`, `第24(d)段`, unit ids (`SYM#24(d)`), a missing symbol (filled from
`default_symbol` when only one document is in context), source numbers (`[1]`, `[来源2]`) when the
numbered source list is given, and the rendered forms `（SYM，第24(d)段）` / `(SYM, para. 24 (d))`
when `known_symbols` is given and SYM is one of them (reports themselves cite other documents
in parentheses, e.g. `（E/CN.15/2007/6，第 23 段）`, and those quotes must stay as they are).

Readers see `（A/CONF.241/RPM.2/2，第24(d)段）` (zh) or `(A/CONF.241/RPM.2/2, para. 24 (d))` (en).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from vectorstore.units import Unit, split_unit_id, unit_id

SYMBOL_PATTERN = r"[A-Z][A-Z0-9]*(?:/[A-Za-z0-9.\-]*[A-Za-z0-9])+"
_ITEM = r"(?:\s*[(（]\s*(?P<item>[a-z]{1,2})\s*[)）])"
# One reference: optional symbol, optional paragraph word, number, optional sub-item.
_REF = re.compile(
    rf"\s*(?:(?P<symbol>{SYMBOL_PATTERN})(?P<hash>#)?\s*[,，:：]?\s*)?"
    r"(?P<prefix>¶+\s*|paras?\.?\s*|paragraphs?\s+|第\s*)?"
    rf"(?P<paragraph>\d{{1,4}})(?!\d){_ITEM}?\s*段?",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"\s*(?:[;；,，、]|\band\b|和|及)\s*", re.IGNORECASE)
_SOURCE_NUMBER = re.compile(r"\s*(?:来源|资料|sources?|src|s)?\s*#?\s*(?P<n>\d{1,2})\s*", re.IGNORECASE)
_OPEN_TO_CLOSE = {"[": "]", "【": "】", "［": "］", "〔": "〕", "(": ")", "（": "）"}
_PARENTHESES = ("(", "（")

# Paragraph mentions outside markers: 第24段, 第24(d)段, 第24、25段, paragraph 24, paras. 24 and 25, ¶24.
_NUM = r"\d{1,4}(?!\d)(?:\s*[(（]\s*[a-z]{1,2}\s*[)）])?"
_NEXT_NUM = r"(?:\d{1,4}(?!\d)(?:\s*[(（]\s*[a-z]{1,2}\s*[)）])?|[(（]\s*[a-z]{1,2}\s*[)）])"
_MENTION = re.compile(
    rf"(?:(?P<symbol>{SYMBOL_PATTERN})\s*[,，]?\s*)?"
    rf"(?:第\s*(?P<zh>{_NUM}(?:\s*(?:[、,，和及至到-]|以及)\s*(?:第\s*)?{_NEXT_NUM})*)\s*段"
    rf"|(?:¶+|paras?\.|paragraphs?)\s*(?P<en>{_NUM}(?:\s*(?:,|and|to|-|–)\s*{_NEXT_NUM})*))",
    re.IGNORECASE,
)
_NUM_IN_LIST = re.compile(rf"(?P<paragraph>\d{{1,4}})?(?!\d){_ITEM}?", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    """A cited paragraph or sub-item; `symbol` is None when the model left it out."""

    symbol: str | None
    paragraph: int
    item: str | None = None

    @classmethod
    def of(cls, unit: Unit) -> Citation:
        return cls(unit.symbol, unit.paragraph, unit.item)

    @classmethod
    def from_id(cls, uid: str) -> Citation:
        return cls(*split_unit_id(uid)[:3])

    @property
    def ref(self) -> str:
        return f"{self.paragraph}" + (f"({self.item})" if self.item else "")

    @property
    def unit_id(self) -> str | None:
        return unit_id(self.symbol, self.paragraph, self.item) if self.symbol else None

    def with_symbol(self, symbol: str) -> Citation:
        return Citation(symbol, self.paragraph, self.item)

    def label(self, language: str = "en") -> str:
        """`A/CONF.241/RPM.2/2 ¶24(d)` (en) or `A/CONF.241/RPM.2/2 第24(d)段` (zh), for messages."""
        symbol = f"{self.symbol} " if self.symbol else ""
        return f"{symbol}第{self.ref}段" if language == "zh" else f"{symbol}¶{self.ref}"


@dataclass
class Marker:
    """A citation marker found in a text: its span and what it cites."""

    start: int
    end: int
    citations: list[Citation]


@dataclass
class Mention:
    """A paragraph number written outside any marker ("第120段", "paragraph 120")."""

    start: int
    end: int
    citations: list[Citation]


def marker(cited: Iterable[Unit | Citation | str]) -> str:
    """The canonical marker for units, citations or unit ids: `[SYM ¶24(d); SYM ¶25]`."""
    parts = []
    for c in cited:
        c = Citation.from_id(c) if isinstance(c, str) else Citation.of(c) if isinstance(c, Unit) else c
        part = f"{c.symbol} ¶{c.ref}" if c.symbol else f"¶{c.ref}"
        if part not in parts:
            parts.append(part)
    return f"[{'; '.join(parts)}]" if parts else ""


def find_markers(text: str, default_symbol: str | None = None, sources: list[str] | None = None,
                 known_symbols: Iterable[str] = ()) -> list[Marker]:
    """All citation markers in `text`, in order.

    `default_symbol` fills in a missing symbol; `sources` (unit ids, in the numbered order the
    prompt listed them) resolves source numbers like `[2]`; parenthesised citations count only
    for `known_symbols`.
    """
    known_symbols = set(known_symbols)
    found = []
    pos = 0
    while True:
        start = _next_opening(text, pos)
        if start < 0:
            return found
        parsed = _parse_marker(text, start, default_symbol, sources, known_symbols)
        if parsed:
            found.append(parsed)
            pos = parsed.end
        else:
            pos = start + 1


def strip_markers(text: str) -> str:
    """`text` without its bracketed citation markers."""
    return replace_markers(text, lambda m: "")


def replace_markers(text: str, replacement) -> str:
    """Replace each bracketed marker by `replacement(marker) -> str`."""
    out, pos = [], 0
    for m in find_markers(text):
        out.append(text[pos:m.start])
        out.append(replacement(m))
        pos = m.end
    out.append(text[pos:])
    return "".join(out)


def render(text: str, language: str) -> str:
    """Markers in the reader's convention: `（SYM，第24(d)段）` or `(SYM, para. 24 (d))`."""
    return replace_markers(text, lambda m: render_citations(m.citations, language))


def render_citations(citations: Iterable[Citation | Unit], language: str) -> str:
    cits = [Citation.of(c) if isinstance(c, Unit) else c for c in citations]
    if language == "zh":
        parts = [(f"{c.symbol}，" if c.symbol else "") + f"第{c.ref}段" for c in cits]
        return f"（{'；'.join(parts)}）"
    parts = [(f"{c.symbol}, " if c.symbol else "")
             + f"para. {c.paragraph}" + (f" ({c.item})" if c.item else "") for c in cits]
    return f"({'; '.join(parts)})"


def find_mentions(text: str) -> list[Mention]:
    """Paragraph numbers written in running text (call on text without markers)."""
    mentions = []
    for m in _MENTION.finditer(text):
        numbers = m["zh"] or m["en"]
        cits: list[Citation] = []
        for n in _NUM_IN_LIST.finditer(numbers):
            if n["paragraph"]:
                cits.append(Citation(m["symbol"], int(n["paragraph"]), (n["item"] or "").lower() or None))
            elif n["item"] and cits:  # "第24(d)和(e)段": the item continues the previous number
                cits.append(Citation(m["symbol"], cits[-1].paragraph, n["item"].lower()))
        mentions.append(Mention(m.start(), m.end(), cits))
    return mentions


def _next_opening(text: str, pos: int) -> int:
    indexes = [i for i in (text.find(o, pos) for o in _OPEN_TO_CLOSE) if i >= 0]
    return min(indexes) if indexes else -1


def _parse_marker(text: str, start: int, default_symbol: str | None,
                  sources: list[str] | None, known_symbols: set[str]) -> Marker | None:
    opening = text[start]
    closing = _OPEN_TO_CLOSE[opening]
    parsed = _parse_references(text, start + 1, default_symbol)
    if opening in _PARENTHESES and not known_symbols:
        return None
    if parsed is None and sources and opening not in _PARENTHESES:
        parsed = _parse_source_numbers(text, start + 1, sources)
    if parsed is None:
        return None
    citations, end = parsed
    end = _skip_spaces(text, end)
    if end >= len(text) or text[end] != closing:
        return None
    # Parentheses are ordinary prose unless every citation names a known document.
    if opening in _PARENTHESES and not all(c.symbol in known_symbols for c in citations):
        return None
    return Marker(start, end + 1, citations)


def _parse_references(text: str, pos: int, default_symbol: str | None):
    citations: list[Citation] = []
    symbol = default_symbol
    while True:
        m = _REF.match(text, pos)
        if not m:
            return None
        if not (m["symbol"] or m["prefix"] or citations):
            return None  # a bare number like [1] is not a paragraph citation
        if m["symbol"]:
            symbol = m["symbol"]
        citations.append(Citation(symbol, int(m["paragraph"]), (m["item"] or "").lower() or None))
        pos = m.end()
        sep = _SEPARATOR.match(text, pos)
        if not sep or not _REF.match(text, sep.end()):
            return citations, pos
        pos = sep.end()


def _parse_source_numbers(text: str, pos: int, sources: list[str]):
    citations = []
    while True:
        m = _SOURCE_NUMBER.match(text, pos)
        if not m or not 1 <= int(m["n"]) <= len(sources):
            return None
        citations.append(Citation.from_id(sources[int(m["n"]) - 1]))
        pos = m.end()
        sep = _SEPARATOR.match(text, pos)
        if not sep or not _SOURCE_NUMBER.match(text, sep.end()):
            return citations, pos
        pos = sep.end()


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos
