"""Which stored documents a question is about, read from the catalog metadata, not from code.

Two kinds of evidence, treated differently:

- A question that *names* a document (its symbol, one of its catalog `aliases` such as "Kyoto
  Declaration" / "京都宣言", or its title; read by the reference grammar) is about that document:
  retrieval searches only the named documents (and those the question also points to by
  metadata: "the European meeting and the Kyoto Declaration"). Words inside a name are not
  metadata ("Kyoto" in "Kyoto Declaration").
- A congress ("Fourteenth Congress", "第十四届", "Kyoto" as a congress venue), a region ("the
  European meeting", "拉美"), a year ("2019") or a city (a document's `venue` or `congress_venue`,
  in either language when the official terms table names the place: "维也纳" for Vienna)
  ranks the documents whose metadata matches higher. It never excludes a document that lacks
  that metadata: a resolution ingested without a congress number must still be found. Such a
  document is `unknown` to the mention: the congress and city words then stay in the searched
  text (they may be what the question asks of it; a year never does), and retrieval keeps its
  best paragraph near the place it had before the boost. A congress that no stored document
  belongs to ("the Doha Declaration", "第十三届大会" beside documents of the Fourteenth) points at
  no document: it is what the question asks about, and stays in the searched text.
- "The two meetings", "each meeting", "两次会议", "两份报告" speak of meeting reports: the
  documents whose catalog entry says where and when a meeting was held (`venue` and `dates`)
  rank higher (and a comparison alternates between them), as for any other metadata.

The spans of these mentions are returned so that similarity search can leave out the words that
name a document: they say nothing about what the question asks of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from vectorstore.references import document_mentions
from vectorstore.terms import terms_if_readable

# a document described by its region or congress: "European [regional] [preparatory] meeting(s)",
# "report of the ... meeting", "拉美和加勒比[区域][筹备]会议[的]报告"
_NOUN_AFTER = re.compile(
    r"(?:['’]s)?(?:\s+(?:regional|preparatory|meetings?['’]?s?|reports?)\b)+"
    r"|(?:区域|筹备|会议|的报告|报告)+",
    re.IGNORECASE,
)
_NOUN_BEFORE = re.compile(r"\b(?:the\s+)?(?:reports?|meetings?)\s+of\s+(?:the\s+)?$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# a city that begins a name ("the Vienna Practical Guidelines", "the San José Principles") says
# nothing about where a meeting was held; "the Vienna Regional Preparatory Meeting" does
_NAMED_AFTER_A_CITY = re.compile(
    r"\s+(?!(?:Regional|Preparatory|Meeting|Meetings|Report|Reports|Congress|Conference)\b)[A-Z][a-z]")
# meetings (or their reports) in the plural or one by one: general words, not document names
_MEETINGS = re.compile(
    r"\b(?:(?:the\s+)?(?:two|both|each|all)\s+(?:(?:regional\s+)?(?:preparatory\s+)?meetings?|reports?)"
    r"|the\s+(?:regional\s+)?(?:preparatory\s+)?meetings)\b"
    r"|(?:两|各|这两)(?:次|个|份)(?:区域)?(?:筹备)?(?:会议|报告)",
    re.IGNORECASE,
)


def speaks_of_the_meetings(text: str) -> bool:
    """Whether `text` speaks of the meetings or their reports as a set ("the two meetings", "each
    report", 两次会议, 两份报告)."""
    return bool(_MEETINGS.search(text))


@dataclass(frozen=True)
class DocumentFacts:
    """What the catalog says about one stored document (the fields mentions are matched against)."""

    symbol: str
    region: str = ""
    congress: int | None = None
    cities: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    meeting: bool = False  # the catalog says where and when a meeting was held (a meeting report)

    @classmethod
    def of(cls, unit, info=None) -> DocumentFacts:
        """From a document's first Unit and, when the store has it, its DocumentInfo (which also
        carries `congress_venue`); whichever has a field filled in gives it."""
        def pick(name):
            return getattr(info, name, None) or getattr(unit, name, None)

        cities = tuple(name for c in (pick("venue"), pick("congress_venue")) if c for name in city_names(c))
        years = tuple(sorted({d[:4] for d in pick("dates") or () if d}))
        meeting = bool(pick("venue") and pick("dates"))
        return cls(unit.symbol, pick("region") or "", pick("congress") or None, cities, years, meeting)


def city_names(city: str) -> tuple[str, ...]:
    """`city` and its names in the official terms table, in both languages ("San José", "San
    Jose", "圣何塞"); `city` alone when the table has no such place."""
    table = terms_if_readable()
    term = table and (table.lookup(city, "en") or table.lookup(city, "zh"))
    if not term or term.kind != "place":
        return (city,)
    return tuple(dict.fromkeys((city, *term.en, *term.zh)))


@dataclass
class QueryScope:
    named: set[str] = field(default_factory=set)  # documents the question names: search only these
    boosted: set[str] = field(default_factory=set)  # documents whose metadata the question mentions
    named_spans: list[tuple[int, int]] = field(default_factory=list)  # where documents are named
    metadata_spans: list[tuple[int, int]] = field(default_factory=list)  # congress, region, year, city
    # the rest of a document's description next to a region or congress ("the European *meeting*",
    # "拉美*会议报告*"): the sides of a comparison, not what it asks about
    noun_spans: list[tuple[int, int]] = field(default_factory=list)
    regional: set[str] = field(default_factory=set)  # documents of the regions the question mentions
    # documents that lack the kind of metadata the question mentions (no congress number, no
    # dates, no city: an upload ingested without a catalog), so the mention says nothing about them
    unknown: set[str] = field(default_factory=set)

    @property
    def spans(self) -> list[tuple[int, int]]:
        return sorted(self.named_spans + self.metadata_spans)

    @property
    def sides(self) -> set[str]:
        """The documents the question points at one by one: by name or by region."""
        return self.named | self.regional

    @property
    def comparison_spans(self) -> list[tuple[int, int]]:
        """The spans a comparison's similarity search leaves out: its sides' whole descriptions."""
        return sorted(self.spans + self.noun_spans)


def _fold(text: str) -> str:
    """Lowercase without accents ("San José" ~ "san jose"), one character per character."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)[:1] or ch
        out.append(base.lower() if len(base.lower()) == 1 else ch)
    return "".join(out)


def _find(name: str, folded_text: str) -> list[tuple[int, int]]:
    """Where `name` occurs in the (folded) text; Latin names only as whole words."""
    needle = _fold(name.strip())
    if len(needle) < 2:
        return []
    if needle.isascii():
        pattern = re.compile(rf"(?<![a-z0-9]){re.escape(needle)}(?![a-z0-9])")
    else:
        pattern = re.compile(re.escape(needle))
    return [(m.start(), m.end()) for m in pattern.finditer(folded_text)]


def resolve_scope(text: str, documents: list[DocumentFacts], catalog: Mapping | None = None) -> QueryScope:
    """The documents `text` names, those it points to by metadata, and the spans that say so.

    `catalog` (symbol -> DocumentInfo-like metadata) lets the reference grammar read catalog
    aliases and titles as names (vectorstore.references.document_mentions).
    """
    scope = QueryScope()
    stored = {d.symbol for d in documents}
    regions, congresses = set(), set()
    pointers: list[tuple[int, int]] = []  # congress and city mentions
    stored_congresses = {d.congress for d in documents if d.congress}
    for m in document_mentions(text, documents=catalog):
        if m.kind == "symbol":
            if m.value in stored:
                scope.named.add(m.value)
            scope.named_spans.append((m.start, m.end))
            continue
        if m.kind in ("congress", "declaration"):  # a declaration not stored: its congress's documents
            congresses.add(m.value)
            if m.value not in stored_congresses:
                # no stored document belongs to that congress ("the Doha Declaration", "第十三届大会"
                # beside the Kyoto Declaration): the words point at no document, so they are what
                # the question asks about and stay in the searched text
                continue
            pointers.append((m.start, m.end))
            if m.kind == "congress":
                scope.noun_spans += _document_nouns(text, m.start, m.end)
        elif m.kind == "region":
            regions.add(m.value)
            scope.metadata_spans.append((m.start, m.end))
            scope.noun_spans += _document_nouns(text, m.start, m.end)
        else:
            scope.metadata_spans.append((m.start, m.end))

    def inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
        return any(s <= start and end <= e for s, e in spans)

    def inside_a_name(start: int, end: int) -> bool:  # a city in a document's title
        return inside(start, end, scope.named_spans)

    # "2030" in "2030 Agenda" / "2030年议程" is not a year (the terms table is read only when needed)
    found = list(_YEAR.finditer(text))
    names = scope.named_spans + (_instrument_spans(text) if found else [])
    years = set()
    for m in found:
        if not inside(m.start(), m.end(), names):
            years.add(m.group())
            # always left out of the searched text: kept, a year an off-domain question shares with
            # one paragraph ("the 2025 league in Nairobi") lifted its cosine past the relevance gate
            scope.metadata_spans.append((m.start(), m.end()))
    meetings = [(m.start(), m.end()) for m in _MEETINGS.finditer(text)]
    scope.metadata_spans += meetings
    folded = _fold(text)
    cities = {doc.symbol: [span for city in doc.cities for span in _find(city, folded)
                           if not inside_a_name(*span) and not _NAMED_AFTER_A_CITY.match(text, span[1])]
              for doc in documents}
    city_mentioned = any(cities.values())
    for doc in documents:
        pointers += cities[doc.symbol]
        if doc.region in regions:
            scope.regional.add(doc.symbol)
        if (doc.region in regions or (doc.congress and doc.congress in congresses)
                or years & set(doc.years) or cities[doc.symbol] or (meetings and doc.meeting)):
            scope.boosted.add(doc.symbol)
        elif ((congresses and doc.congress is None) or (years and not doc.years)
              or (city_mentioned and not doc.cities)):
            scope.unknown.add(doc.symbol)
    if not scope.unknown:
        # a congress or city that some document lacks may be what the question asks of that
        # document ("Decides that the Fifteenth Congress shall be held in Abu Dhabi"): then the
        # words stay in the searched text
        scope.metadata_spans += pointers
    return scope


def _instrument_spans(text: str) -> list[tuple[int, int]]:
    """Where the official terms table finds an instrument's name in `text`, in either language
    (a year in a name such as "2030 Agenda" names the instrument, not a date)."""
    table = terms_if_readable()
    if table is None:
        return []
    return [(m.start, m.end) for language in ("en", "zh") for m in table.find(text, language)
            if m.term.kind == "instrument"]


def _document_nouns(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of the document nouns right after and right before a region or congress mention."""
    spans = []
    after = _NOUN_AFTER.match(text, end)
    if after and after.end() > end:
        spans.append((end, after.end()))
    before = _NOUN_BEFORE.search(text[:start])
    if before:
        spans.append((before.start(), start))
    return spans


def strip_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the given character spans blanked out and whitespace collapsed."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return re.sub(r"\s+", " ", "".join(chars)).strip()
