"""Citation markers: parse them from model output, write them, render them for readers.

The canonical marker in model output and in `Answer.text` is `[A/CONF.241/RPM.2/2 ¶24(d)]`:
the symbol, `¶` and the unit's `ref` (`[A/RES/76/181 ¶annex:36]`, `[SYM ¶pp3]`); several
citations share one marker: `[A/CONF.241/RPM.2/2 ¶24(d); A/CONF.234/RPM.5/1 ¶43(e)]`.
Parsing reads the inside of a bracket with the one reference grammar
(`vectorstore.references`), so it tolerates what small models write instead: full-width
brackets, `¶ 24 (d)`, `para. 24(d)`, `第24(d)段`, unit ids (`SYM#24(d)`), a missing symbol
(filled from `default_symbol` when only one document is in context), source numbers (`[1]`,
`[来源2]`) when the numbered source list is given, and the rendered forms `（SYM，第24(d)段）` /
`(SYM, para. 24 (d))` / `(A/RES/76/181, annex, para. 36)` / `（第76/181号决议附件第36段）` when
`known_symbols` is given and SYM is one of them (reports themselves cite other documents in
parentheses, e.g. `（E/CN.15/2007/6，第 23 段）`, and those quotes must stay as they are).

Readers see `units.citation_label`: `（A/CONF.241/RPM.2/2，第24(d)段）` (zh) or
`(A/CONF.241/RPM.2/2, para. 24 (d))` (en).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vectorstore.references import (
    SYMBOL_PATTERN,
    Reference,
    UnitAddress,
    document_mentions,
    find_references,
    normalise,
    reference_label,
)
from vectorstore.units import Unit, split_unit_id

__all__ = ["SYMBOL_PATTERN", "Citation", "Marker", "Mention", "find_markers", "find_mentions", "marker",
           "render", "render_citations", "replace_markers", "strip_markers"]

_SEPARATOR = re.compile(r"\s*(?:[;；,，、]|\band\b|和|及)\s*", re.IGNORECASE)
# what may stand between the citations inside a marker (read as the grammar reads it: invisible
# characters dropped, full-width punctuation as ASCII)
_FILLER = re.compile(r"(?:[\s;,、:]|\band\b|和|及)*", re.IGNORECASE)
_SOURCE_NUMBER = re.compile(r"\s*(?:来源|资料|sources?|src|s)?\s*#?\s*(?P<n>\d{1,2})\s*", re.IGNORECASE)
_OPEN_TO_CLOSE = {"[": "]", "【": "】", "［": "］", "〔": "〕", "(": ")", "（": "）"}
_PARENTHESES = ("(", "（")
_MAX_MARKER = 300  # characters inside one marker; keeps scanning linear on text full of brackets


@dataclass(frozen=True)
class Citation(UnitAddress):
    """A cited paragraph, sub-item or preambular paragraph; `symbol` is None when the model left it out."""

    symbol: str | None
    paragraph: int
    item: str | None = None
    part: str = ""  # "" (body), "annex", "annex II", ...
    preamble: bool = False

    @classmethod
    def of(cls, unit: Unit) -> Citation:
        return cls(unit.symbol, unit.paragraph, unit.item, unit.part, unit.preamble)

    @classmethod
    def from_id(cls, uid: str) -> Citation:
        return cls(*split_unit_id(uid))

    @classmethod
    def from_reference(cls, ref: Reference, symbol: str | None = None) -> Citation:
        return cls(ref.symbol or symbol, ref.paragraph, ref.item, ref.part, ref.preamble)

    def with_symbol(self, symbol: str) -> Citation:
        return Citation(symbol, self.paragraph, self.item, self.part, self.preamble)

    def label(self, language: str = "en") -> str:
        """The citation as the UN writes it, for messages a reader sees: `A/CONF.241/RPM.2/2,
        para. 24 (d)`, `A/RES/76/181, annex, para. 36` / `第76/181号决议附件第36段`."""
        return reference_label(self.key, language)


@dataclass
class Marker:
    """A citation marker found in a text: its span and what it cites."""

    start: int
    end: int
    citations: list[Citation]


@dataclass
class Mention:
    """A paragraph reference written outside any marker ("第120段", "paragraph 120", "24(a)-(c)")."""

    start: int
    end: int
    citations: list[Citation]
    references: tuple[Reference, ...] = ()  # as the grammar read them (with region / congress)


def marker(cited: Iterable[Unit | Citation | str]) -> str:
    """The canonical marker for units, citations or unit ids: `[SYM ¶24(d); SYM ¶annex:36]`."""
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
    found: list[Marker] = []
    for start, close in sorted(_bracket_pairs(text).items()):
        if found and start < found[-1].end:
            continue  # inside a marker already found
        parsed = _parse_marker(text, start, close, default_symbol, sources, known_symbols)
        if parsed:
            found.append(parsed)
    return found


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
    """`（SYM，第24(d)段；第76/181号决议附件第36段）` /
    `(SYM, para. 24 (d); A/RES/76/181, annex, para. 36)`."""
    cits = [Citation.of(c) if isinstance(c, Unit) else c for c in citations]
    if language == "zh":
        return f"（{'；'.join(reference_label(c.key, 'zh').replace(', ', '，') for c in cits)}）"
    return f"({'; '.join(reference_label(c.key, 'en') for c in cits)})"


def find_mentions(text: str, documents: Mapping | Iterable[str] | None = None) -> list[Mention]:
    """Paragraph references written in running text (call on text without markers).

    Read by the one grammar: "第24至26段" is 24, 25 and 26, "第24段(d)项" is 24(d), "第九九段" is
    99; `documents` (see `vectorstore.references.find_references`) lets aliases name documents.
    """
    return [Mention(g.start, g.end, [Citation.from_reference(r) for r in g.references], g.references)
            for g in find_references(text, documents)]


def _bracket_pairs(text: str) -> dict[int, int]:
    """Opening bracket index -> index of its closing bracket, on one line and at most
    `_MAX_MARKER` characters apart (one pass with a stack per kind, so any text stays linear)."""
    kind = {o: ("(" if o in _PARENTHESES else o) for o in _OPEN_TO_CLOSE}
    closing_kind = {_OPEN_TO_CLOSE[o]: k for o, k in kind.items()}
    stacks: dict[str, list[int]] = {k: [] for k in set(kind.values())}
    pairs = {}
    for i, ch in enumerate(text):
        if ch in kind:
            stacks[kind[ch]].append(i)
        elif ch in closing_kind:
            stack = stacks[closing_kind[ch]]
            if stack:
                start = stack.pop()
                if i - start <= _MAX_MARKER:
                    pairs[start] = i
        elif ch == "\n":
            for stack in stacks.values():
                stack.clear()
    return pairs


def _parse_marker(text: str, start: int, close: int, default_symbol: str | None,
                  sources: list[str] | None, known_symbols: set[str]) -> Marker | None:
    opening = text[start]
    if opening in _PARENTHESES and not known_symbols:
        return None
    inside = text[start + 1:close]
    citations = _parse_inside(inside, default_symbol, known_symbols)
    if citations is None and sources and opening not in _PARENTHESES:
        citations = _parse_source_numbers(inside, sources)
    if not citations:
        return None
    # Parentheses are ordinary prose unless every citation names a known document.
    if opening in _PARENTHESES and not all(c.symbol in known_symbols for c in citations):
        return None
    return Marker(start, close + 1, citations)


def _parse_inside(inside: str, default_symbol: str | None, known_symbols: set[str]) -> list[Citation] | None:
    """The citations inside a marker, or None unless the whole inside is citations."""
    documents = known_symbols or None
    groups = find_references(inside, documents, in_marker=True)
    if not groups:
        return None
    spans = [(r.span[0], r.span[1]) for g in groups for r in g.references[:1]]
    spans += [(m.start, m.end) for m in document_mentions(inside, documents) if m.kind == "symbol"]
    rest, pos = [], 0
    for a, b in sorted(spans):
        rest.append(inside[pos:a])
        pos = max(pos, b)
    rest.append(inside[pos:])
    if not _FILLER.fullmatch(normalise("".join(rest))):
        return None  # prose around a reference: "(see para. 24 above)"
    return [Citation.from_reference(r, default_symbol) for g in groups for r in g.references]


def _parse_source_numbers(inside: str, sources: list[str]) -> list[Citation] | None:
    citations = []
    for piece in _SEPARATOR.split(inside):
        m = _SOURCE_NUMBER.fullmatch(piece)
        if not m or not 1 <= int(m["n"]) <= len(sources):
            return None
        citations.append(Citation.from_id(sources[int(m["n"]) - 1]))
    return citations
