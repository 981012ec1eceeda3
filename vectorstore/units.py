"""The citable unit: one numbered paragraph, lettered sub-item or preambular paragraph of a UN document.

Everything downstream (store, retrieval, answers, UI, evaluation) speaks in units, so this
module is the shared contract. A unit's `id` is stable across re-ingestion and is
`SYMBOL#REF`, where REF names the part, the paragraph and the sub-item:

| unit                                   | id                          | part      |
|----------------------------------------|-----------------------------|-----------|
| paragraph 24 of the body               | `A/CONF.241/RPM.2/2#24`     | `""`      |
| its sub-item (d)                       | `A/CONF.241/RPM.2/2#24(d)`  | `""`      |
| paragraph 36 of the (only) annex       | `A/RES/76/181#annex:36`     | `annex`   |
| sub-item (b) of para. 4 of annex II    | `A/RES/76/181#annex-ii:4(b)`| `annex II`|
| 3rd preambular paragraph of the body   | `A/RES/76/181#pp3`          | `""`      |
| 2nd preambular paragraph of the annex  | `A/RES/76/181#annex:pp2`    | `annex`   |

The body's ids are exactly those of the first version (no part prefix). A part is named as the
document prints it, normalised: `annex`, `annex I`, `annex II`, `appendix`, `appendix I`.
Preambular paragraphs are unnumbered in the document; their `paragraph` is their position
(1, 2, ...) within the part, and their kind is `preamble`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

KINDS = ("summary", "recommendation", "other", "preamble")

# Chroma metadata values must be str/int/float/bool; these keys hold lists as JSON strings.
_JSON_KEYS = ("section", "dates", "aliases")
_UNIT_ID = re.compile(
    r"^(?P<symbol>[^#]+)#(?:(?P<part>[a-z]+(?:-[ivxlc]+|-\d+)?):)?(?P<pp>pp)?(?P<paragraph>\d+)"
    r"(?:\((?P<item>[a-z]{1,2})\))?$"
)
_PART = re.compile(r"^(?P<word>[a-z]+)(?: (?P<number>[IVXLC]+|\d+))?$")


class UnitKey(NamedTuple):
    """The parts of a unit id. Unpacks like the first version's triple, then part and preamble."""

    symbol: str
    paragraph: int
    item: str | None = None
    part: str = ""
    preamble: bool = False

    @property
    def ref(self) -> str:
        return unit_ref(self.paragraph, self.item, self.part, self.preamble)

    @property
    def id(self) -> str:
        return f"{self.symbol}#{self.ref}"


def part_slug(part: str) -> str:
    """`annex` -> `annex`, `annex II` -> `annex-ii`, `` -> `` (ValueError for other shapes)."""
    if not part:
        return ""
    m = _PART.match(part)
    if not m:
        raise ValueError(f"not a part name: {part!r} (expected e.g. 'annex', 'annex II', 'appendix')")
    return m["word"] + (f"-{m['number'].lower()}" if m["number"] else "")


def part_name(slug: str) -> str:
    """Inverse of `part_slug`: `annex-ii` -> `annex II`."""
    word, _, number = slug.partition("-")
    return word + (f" {number.upper()}" if number else "")


def unit_ref(paragraph: int, item: str | None = None, part: str = "", preamble: bool = False) -> str:
    """What follows `#` in a unit id: `24`, `24(d)`, `annex:36`, `pp3`, `annex:pp2`."""
    slug = part_slug(part)
    return (f"{slug}:" if slug else "") + ("pp" if preamble else "") + f"{paragraph}" + (
        f"({item})" if item else "")


def unit_id(symbol: str, paragraph: int, item: str | None = None, part: str = "",
            preamble: bool = False) -> str:
    """The stable id of a unit: `SYM#24`, `SYM#24(d)`, `SYM#annex:36`, `SYM#pp3` (see the table above)."""
    return f"{symbol}#{unit_ref(paragraph, item, part, preamble)}"


def split_unit_id(uid: str) -> UnitKey:
    """Inverse of `unit_id`: `'A/RES/76/181#annex:36'` -> `UnitKey('A/RES/76/181', 36, None, 'annex', False)`.

    `symbol, paragraph, item = split_unit_id(uid)[:3]` reads a body id as the first version did.
    """
    m = _UNIT_ID.match(uid)
    if not m:
        raise ValueError(f"not a unit id: {uid!r}")
    return UnitKey(m["symbol"], int(m["paragraph"]), m["item"], part_name(m["part"] or ""), bool(m["pp"]))


_ZH_ORDINAL = "零一二三四五六七八九十"
_RESOLUTION = re.compile(r"^A/RES/(?P<number>\d+/\d+)$")


def resolution_number(symbol: str) -> str:
    """"76/181" for the General Assembly resolution symbol "A/RES/76/181", else ""."""
    m = _RESOLUTION.match(symbol)
    return m["number"] if m else ""


def citation_label(key: UnitKey, language: str) -> str:
    """The citation in the UN's own convention for the reader's language.

    en: `A/CONF.241/RPM.2/2, para. 24 (d)`, `A/RES/76/181, annex, para. 36`,
        `A/RES/76/181, preambular para. 3`;
    zh: `A/CONF.241/RPM.2/2, 第24(d)段`, `第76/181号决议附件第36段`, `第76/181号决议序言部分第3段`.
    """
    if language == "zh":
        resolution = resolution_number(key.symbol)
        document = f"第{resolution}号决议" if resolution else f"{key.symbol}, "
        part = part_label(key.part, "zh")
        number = f"第{key.paragraph}" + (f"({key.item})" if key.item else "") + "段"
        return document + part + ("序言部分" if key.preamble else "") + number
    pieces = [key.symbol]
    if key.part:
        pieces.append(key.part)
    number = f"{key.paragraph}" + (f" ({key.item})" if key.item else "")
    pieces.append(("preambular para. " if key.preamble else "para. ") + number)
    return ", ".join(pieces)


def part_label(part: str, language: str) -> str:
    """A part's name as a citation writes it: `annex II` (en), `附件二` (zh); "" for the body."""
    if language != "zh" or not part:
        return part
    word, _, number = part.partition(" ")
    return {"annex": "附件", "appendix": "附录"}.get(word, word) + _zh_part_number(number)


def _zh_part_number(number: str) -> str:
    """Roman `II` -> `二` (annex numbers are small)."""
    if not number:
        return ""
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for ch, nxt in zip(number, number[1:] + " ", strict=True):
        v = values.get(ch)
        if v is None:
            return number
        total += -v if values.get(nxt, 0) > v else v
    return _ZH_ORDINAL[total] if total <= 10 else str(total)


@dataclass
class DocumentInfo:
    """Metadata of one report, as in `catalog.json` (plus what was detected from the text)."""

    symbol: str
    language: str  # "zh" or "en"
    congress: int | None = None
    region: str = ""
    venue: str = ""
    dates: list[str] = field(default_factory=list)
    title_zh: str = ""
    title_en: str = ""
    congress_venue: str = ""
    declaration: str = ""
    file: str = ""
    # other names: "resolution 76/181", or {"name": "Kyoto Declaration", "part": "annex"} for a name
    # of one part (read by vectorstore.references.document_aliases)
    aliases: list[str | dict] = field(default_factory=list)
    # the printed title of each annex or appendix, read by the parser ("annex": "Kyoto Declaration
    # on Advancing Crime Prevention, ..."): which part holds a congress's declaration
    part_titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_catalog_entry(cls, entry: dict) -> DocumentInfo:
        known = {k: entry[k] for k in cls.__dataclass_fields__ if k in entry}
        return cls(**known)


@dataclass
class Unit:
    """One citable paragraph or sub-item, with its document's metadata."""

    symbol: str
    paragraph: int
    item: str | None  # "a", "b", ... or None for a whole paragraph
    text: str  # verbatim text as quoted to users (extraction artefacts removed)
    kind: str  # one of KINDS
    section: list[str] = field(default_factory=list)  # chapter / section / heading titles as printed
    chapeau: str = ""  # for a sub-item: its paragraph's lead-in text; "" for paragraphs
    language: str = "zh"
    congress: int | None = None
    region: str = ""
    venue: str = ""
    dates: list[str] = field(default_factory=list)
    title_zh: str = ""
    title_en: str = ""
    declaration: str = ""
    part: str = ""  # "" for the body; "annex", "annex II", "appendix", ... (see the module docstring)
    aliases: list[str | dict] = field(default_factory=list)  # the document's other names, from the catalog

    @property
    def preamble(self) -> bool:
        return self.kind == "preamble"

    @property
    def key(self) -> UnitKey:
        return UnitKey(self.symbol, self.paragraph, self.item, self.part, self.preamble)

    @property
    def id(self) -> str:
        return unit_id(self.symbol, self.paragraph, self.item, self.part, self.preamble)

    @property
    def ref(self) -> str:
        """Reference within the document, what follows `#` in the id: `24`, `24(d)`, `annex:36`."""
        return unit_ref(self.paragraph, self.item, self.part, self.preamble)

    def citation(self, language: str) -> str:
        """`A/RES/76/181, annex, para. 36` / `第76/181号决议附件第36段` (see `citation_label`)."""
        return citation_label(self.key, language)

    def address(self) -> dict:
        """Where the unit is, for JSON clients: the id, every field of it (a paragraph number
        alone would read annex para. 36 as the body's para. 36), and the citation in both
        conventions."""
        return {"id": self.id, "symbol": self.symbol, "part": self.part, "preamble": self.preamble,
                "paragraph": self.paragraph, "item": self.item,
                "citation_en": self.citation("en"), "citation_zh": self.citation("zh")}

    @property
    def embedding_text(self) -> str:
        """What is embedded and BM25-indexed: innermost heading, chapeau (for sub-items), text.

        The chapeau is context for search only; it never appears in quoted text.
        """
        parts = [self.section[-1]] if self.section else []
        if self.chapeau:
            parts.append(self.chapeau)
        parts.append(self.text)
        return "\n".join(parts)

    def to_metadata(self) -> dict:
        """Flat metadata for Chroma (no None values, lists as JSON strings)."""
        meta = {}
        for key, value in asdict(self).items():
            if key in _JSON_KEYS:
                value = json.dumps(value, ensure_ascii=False)
            elif value is None:
                value = "" if key == "item" else 0
            meta[key] = value
        meta["id"] = self.id
        return meta

    @classmethod
    def from_metadata(cls, meta: dict) -> Unit:
        """Inverse of `to_metadata`."""
        values = {k: meta[k] for k in cls.__dataclass_fields__ if k in meta}
        for key in _JSON_KEYS:
            if key in values and isinstance(values[key], str):
                values[key] = json.loads(values[key])
        values["item"] = values.get("item") or None
        values["congress"] = values.get("congress") or None
        return cls(**values)

    def with_document(self, doc: DocumentInfo) -> Unit:
        """Copy the document-level metadata of `doc` into this unit (returns self)."""
        self.symbol = doc.symbol
        self.language = doc.language
        self.congress = doc.congress
        self.region = doc.region
        self.venue = doc.venue
        self.dates = list(doc.dates)
        self.title_zh = doc.title_zh
        self.title_en = doc.title_en
        self.declaration = doc.declaration
        self.aliases = list(doc.aliases)
        return self
