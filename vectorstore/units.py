"""The citable unit: one numbered paragraph or one lettered sub-item of a UN report.

Everything downstream (store, retrieval, answers, UI, evaluation) speaks in units, so this
module is the shared contract. A unit's `id` is stable across re-ingestion:
`A/CONF.241/RPM.2/2#24` for a paragraph, `A/CONF.241/RPM.2/2#24(d)` for its sub-item (d).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

KINDS = ("summary", "recommendation", "other")

# Chroma metadata values must be str/int/float/bool; these keys hold lists as JSON strings.
_JSON_KEYS = ("section", "dates")
_UNIT_ID = re.compile(r"^(?P<symbol>.+)#(?P<paragraph>\d+)(?:\((?P<item>[a-z]{1,2})\))?$")


def unit_id(symbol: str, paragraph: int, item: str | None = None) -> str:
    """The stable id of a paragraph (`SYM#24`) or a sub-item (`SYM#24(d)`)."""
    return f"{symbol}#{paragraph}" + (f"({item})" if item else "")


def split_unit_id(uid: str) -> tuple[str, int, str | None]:
    """Inverse of `unit_id`: `'A/CONF.241/RPM.2/2#24(d)'` -> `('A/CONF.241/RPM.2/2', 24, 'd')`."""
    m = _UNIT_ID.match(uid)
    if not m:
        raise ValueError(f"not a unit id: {uid!r}")
    return m["symbol"], int(m["paragraph"]), m["item"]


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

    @property
    def id(self) -> str:
        return unit_id(self.symbol, self.paragraph, self.item)

    @property
    def ref(self) -> str:
        """Short reference within the document: `24` or `24(d)`."""
        return f"{self.paragraph}" + (f"({self.item})" if self.item else "")

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
        return self
