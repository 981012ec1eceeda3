"""The one grammar for paragraph references and UN document symbols, in both languages.

Questions (retrieval), model output (citation markers and running text) and verification all
read references here, so "第24至26段" means 24, 25 and 26 everywhere. A reference names a
paragraph, optionally a sub-item, a part and the preamble, and, when the text says so, the
document:

| written                                             | reads as                              |
|-----------------------------------------------------|---------------------------------------|
| 第24段, 第二十四段, 第九九段, 第２４段, para99         | 24 / 24 / 99 / 24 / 99                |
| 第24(d)段, 第24段(d)项, para. 24 (d), 24(d), 24d, para 24 d, item (d) of paragraph 24 | 24(d) |
| 第24段(d)和(e)项, 第24段(d)至(f)项                    | 24(d), 24(e) / 24(d), 24(e), 24(f)    |
| 第24至26段, paras. 24-26; para. 24 (a)-(c)            | 24, 25, 26; 24(a), 24(b), 24(c)       |
| paragraph No. 99, ¶ 99, A/CONF.241/RPM.2/2#99         | 99 (the last one of that document)    |
| annex, para. 36; paragraph 36 of the annex; 附件第36段 | part "annex", 36                      |
| annex II, para. 4 (b); SYM#annex-ii:4(b)              | part "annex II", 4(b)                 |
| preambular paragraph 3; 3rd preambular paragraph; preamble, para. 3; PP3; 序言第3段 | preamble, 3 |
| 序言部分第3段; ¶pp3                                   | preamble, 3                           |
| OP 6 (operative paragraph 6, in capitals: "pp. 24" is pages) | 6                                     |

The document is a symbol (`A/CONF.241/RPM.2/2`), a region (`拉美报告`, `the European report`)
or a congress (`第十五届`, `Kyoto`). Given the stored documents (`documents=`), their catalog
aliases and titles name them too ("Kyoto Declaration", "京都宣言"), an alias may name a part
(the Kyoto Declaration is the annex of A/RES/76/181), and "resolution 76/181" /
"第76/181号决议" names A/RES/76/181 when that is stored.

This parser must not invent references: years, resolution numbers and article numbers are
not paragraphs. A reference to another document (`E/CN.15/2007/6，第 23 段`) keeps that symbol
so lookup can say the document is not in the store. Invisible characters (as
`vectorstore.text_cleaning` defines them) and full-width forms are read through; spans always
point into the text as given and never end in whitespace.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from vectorstore.terms import terms_if_readable
from vectorstore.text_cleaning import invisible_characters
from vectorstore.units import UnitKey, citation_label, part_name, unit_ref

REGIONS = (
    "Europe",
    "Latin America and the Caribbean",
    "Asia and the Pacific",
    "Western Asia",
    "Africa",
)

MAX_RANGE = 30  # "第24至26段" expands to 24, 25, 26; longer ranges are not expanded
# in a question, "para 1234" (or "para 0") is no paragraph; in an answer it is checked (and removed)
MAX_PARAGRAPH = 999

# ---------------------------------------------------------------- UN document symbols

# A/CONF.241/RPM.2/2, E/CN.15/2007/6, A/RES/76/181, CTOC/COP/2020/10, A/CONF.241/RPM.2/2/Add.1
SYMBOL_PATTERN = r"[A-Z]{1,5}(?:/[A-Z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?)+"
SYMBOL = re.compile(rf"(?<![A-Za-z0-9/.\-]){SYMBOL_PATTERN}")
_SYMBOL_ANY_CASE = re.compile(SYMBOL.pattern, re.IGNORECASE)  # users type a/conf.241/rpm.2/2


def is_symbol(text: str) -> bool:
    """Is `text` exactly one UN document symbol (with at least one digit, as all of them have)?"""
    return bool(SYMBOL.fullmatch(text)) and any(c.isdigit() for c in text)


class UnitAddress:
    """What a reference and a citation share: a unit's place (symbol, part, paragraph, sub-item)."""

    symbol: str | None
    paragraph: int
    item: str | None
    part: str
    preamble: bool

    @property
    def ref(self) -> str:
        """`24`, `24(d)`, `annex:36`, `pp3`: as in `Unit.ref`."""
        return unit_ref(self.paragraph, self.item, self.part, self.preamble)

    @property
    def key(self) -> UnitKey:
        return UnitKey(self.symbol or "", self.paragraph, self.item, self.part, self.preamble)

    @property
    def unit_id(self) -> str | None:
        """`SYM#annex:36` when the document is named by symbol, else None."""
        return self.key.id if self.symbol else None


@dataclass(frozen=True)
class Reference(UnitAddress):
    paragraph: int
    item: str | None = None  # "d" for 24(d)
    symbol: str | None = None
    region: str | None = None  # canonical name, one of REGIONS
    congress: int | None = None
    span: tuple[int, int] = (0, 0)  # where the paragraph reference is in the parsed text
    text: str = ""  # the matched text, e.g. "第24(d)段"
    part: str = ""  # "" (body), "annex", "annex II", "appendix"
    preamble: bool = False  # a preambular paragraph, numbered by position
    # the declaration of `congress` ("Abu Dhabi Declaration", "第十五届大会宣言"), which no stored
    # document holds (a stored one is named by its symbol and part instead)
    declaration: bool = False

    @property
    def names_document(self) -> bool:
        return bool(self.symbol or self.region or self.congress)

    def label(self, language: str) -> str:
        """`A/RES/76/181, annex, para. 36` / `第76/181号决议附件第36段`; `annex, para. 36` without symbol."""
        return reference_label(self.key, language)


def reference_label(key: UnitKey, language: str) -> str:
    """`units.citation_label`, also for a key without symbol (`para. 24 (d)`, `附件第36段`)."""
    if key.symbol:
        return citation_label(key, language)
    return citation_label(key, language).lstrip(", ")


@dataclass(frozen=True)
class ReferenceGroup:
    """One written reference ("第24至26段", "SYM#99") and what it expands to.

    `start` includes a document symbol written right before it ("E/CN.15/2007/6，第 23 段"), so
    removing the group removes the symbol too.
    """

    start: int
    end: int
    references: tuple[Reference, ...]
    # (first, last) of each range longer than MAX_RANGE: only its two ends are in `references`
    long_ranges: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class DocumentMention:
    """A phrase naming a document: its symbol (or catalog alias), its region or its congress, or
    a congress's declaration that no stored document holds."""

    kind: str  # "symbol", "region", "congress" or "declaration" (value: the congress)
    value: str | int
    start: int
    end: int
    part: str = ""  # an alias naming a part: "Kyoto Declaration" -> "annex"


_Qualifier = DocumentMention


# ---------------------------------------------------------------- text as the grammar reads it

# Invisible characters split "第9\u200b9段" into two numbers for a regex but not for a reader. What
# is invisible is `vectorstore.text_cleaning`'s one definition (the characters `clean_text`
# removes: format, bidi, zero-width, private use, controls other than line breaks), so the
# grammar reads text exactly as it would read that text once cleaned.
@lru_cache(maxsize=4096)
def is_invisible(char: str) -> bool:
    """Would `clean_text` remove `char`? (Line breaks of every kind are not invisible: whitespace.)"""
    return bool(invisible_characters(char))


class _Text:
    """The text with invisible characters dropped and full-width forms folded to ASCII
    (`２４` -> `24`, `（d）` -> `(d)`), with the map back to the original offsets."""

    def __init__(self, original: str):
        chars, where = [], []
        hidden = {ch for ch in set(original) if is_invisible(ch)}
        for i, ch in enumerate(original):
            if ch in hidden:
                continue
            code = ord(ch)
            if 0xFF01 <= code <= 0xFF5E:
                ch = chr(code - 0xFEE0)
            elif code == 0x3000:
                ch = " "
            chars.append(ch)
            where.append(i)
        where.append(len(original))
        self.original = original
        self.norm = "".join(chars)
        self._where = where

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of norm[start:end]."""
        if end <= start:
            return self._where[start], self._where[start]
        return self._where[start], self._where[end - 1] + 1


def normalise(text: str) -> str:
    """`text` as the grammar reads it: no invisible characters, full-width digits and brackets as ASCII."""
    return _Text(text).norm


# ---------------------------------------------------------------- numbers

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_TENS = {"廿": 20, "卅": 30, "卌": 40}
_CN_NUM = "[零〇一二两三四五六七八九十百千廿卅卌]+"


def chinese_number(text: str) -> int | None:
    """`二十四` -> 24, `一百零五` -> 105, `廿四` -> 24, `九九` -> 99 (digit by digit); None if no numeral."""
    if not text or len(text) > 8:
        return None
    if len(text) > 1 and all(ch in _CN_DIGITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))  # 九九, 一二〇
    total, digit = 0, None
    for ch in text:
        if ch in ("零", "〇"):
            continue  # a placeholder: 一百零五
        if ch in _CN_DIGITS:
            if digit is not None:
                return None  # 二三十 is no numeral
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        elif ch in _CN_TENS and digit is None:
            total += _CN_TENS[ch]
        else:
            return None
    return total + (digit or 0)


def chinese_numeral(number: int) -> str:
    """24 -> `二十四`, 10 -> `十`, 105 -> `一百零五`, 110 -> `一百一十` (0 < number < 10000)."""
    if not 0 < number < 10000:
        raise ValueError(f"no Chinese numeral for {number}")
    digits = "零一二三四五六七八九"
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = number // unit % 10
        if d:
            if zero:
                out += "零"
            out += ("" if d == 1 and unit == 10 and not out else digits[d]) + name
            zero = False
        elif out:
            zero = True
    return out


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else chinese_number(text)


_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20,
}
_VENUES = {"kyoto": 14, "京都": 14, "abu dhabi": 15, "阿布扎比": 15, "doha": 13, "多哈": 13,
           "salvador": 12, "萨尔瓦多": 12}
_CONGRESS_RANGE = range(10, 31)  # plausible congress numbers; excludes e.g. "委员会第三十三届会议"


def congress_venue(congress: int) -> str:
    """"Abu Dhabi" for 15, "Kyoto" for 14 ...: the congresses whose venue a question may name; ""."""
    return next((v.title() for v, n in _VENUES.items() if n == congress and v.isascii()), "")


def official_declaration_name(congress: int) -> str:
    """"Doha Declaration" for 13: the official name of "<venue> Declaration" in the terms table, or ""."""
    venue = congress_venue(congress)
    table = terms_if_readable() if venue else None
    term = table.lookup(f"{venue} Declaration", "en") if table is not None else None
    return term.official("en") if term else ""

_ROMAN_VALUES = (("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))


def _roman(number: int) -> str:
    out = ""
    for letters, value in _ROMAN_VALUES:
        while number >= value:
            out, number = out + letters, number - value
    return out


def _part(word: str | None, number: str | None) -> str:
    """`annex` + `2` / `II` / `二` -> `annex II`; `附件` -> `annex`; "" when no part was written."""
    if not word:
        return ""
    word = {"附件": "annex", "附录": "appendix"}.get(word, word.lower())
    if not number:
        return word
    if number.isascii() and number.isalpha():
        return f"{word} {number.upper()}"  # annex II
    value = _number(number)
    return f"{word} {_roman(value)}" if value else word  # annex 2, 附件二


# ---------------------------------------------------------------- document qualifiers

_REGION_WORDS = [
    # (pattern, canonical region); longer names first so "Western Asia" wins over "Asia"
    (r"拉丁美洲和加勒比|拉丁美洲及加勒比|拉美和加勒比|拉丁美洲|拉美|拉加|加勒比", REGIONS[1]),
    (r"\bLatin[\s-]+America(?:n)?(?:\s+and\s+(?:the\s+)?Caribbean)?|\bCaribbean\b", REGIONS[1]),
    (r"\bLAC\b|\bGRULAC\b", REGIONS[1]),
    (r"西亚|\bWestern\s+Asia(?:n)?\b|\bESCWA\b", REGIONS[3]),
    (r"亚洲及太平洋|亚洲和太平洋|亚太|\bAsia(?:[\s-]+and\s+the)?[\s-]+Pacific\b", REGIONS[2]),
    # not the European Union, a European arrest warrant, people of African descent
    (r"欧洲(?!联盟|逮捕|调查令)|\bEurope(?:ans?)?\b(?!\s+(?:Union|arrest|investigation))", REGIONS[0]),
    (r"非洲(?!裔)|\bAfrica(?:n)?\b(?!\s+descent)", REGIONS[4]),
]
_REGION = re.compile("|".join(f"(?P<r{i}>{p})" for i, (p, _) in enumerate(_REGION_WORDS)),
                     re.IGNORECASE)

_CONGRESS = re.compile(
    rf"第\s*(?P<zh>\d{{1,2}}|{_CN_NUM})\s*届"
    rf"|\b(?P<num>\d{{1,2}})(?:st|nd|rd|th)\s+(?:United\s+Nations\s+|UN\s+)?(?:Crime\s+)?Congress\b"
    rf"|\b(?P<ord>{'|'.join(_ORDINALS)})\s+(?:United\s+Nations\s+|UN\s+)?(?:Crime\s+)?Congress\b"
    rf"|(?P<venue>(?<![A-Za-z])(?:Kyoto|Abu\s+Dhabi|Doha|(?<!El )Salvador)(?![A-Za-z])|京都|阿布扎比|多哈)",
    re.IGNORECASE,
)
# General Assembly resolutions by number: they name A/RES/76/181 when that document is stored
_RESOLUTION = re.compile(
    r"(?:(?:General\s+Assembly|GA)\s+)?\b(?:resolution|res\.)\s*(?P<en>\d{1,3}/\d{1,4})(?![\d/])"
    r"|(?:大会)?第?\s*(?P<zh>\d{1,3}/\d{1,4})\s*号决议|(?:大会)?决议\s*(?P<zh_after>\d{1,3}/\d{1,4})(?![\d/])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Alias:
    """A name standing for a stored document, or for one part of it."""

    name: str
    symbol: str
    part: str = ""


def _field(info, key: str):
    return info.get(key) if isinstance(info, Mapping) else getattr(info, key, None)


def document_aliases(documents: Mapping | Iterable[str] | None) -> list[Alias]:
    """Every name of the given documents: catalog `aliases` and titles.

    An alias is a string (the whole document) or `{"name": "Kyoto Declaration", "part": "annex"}`
    (a part of it: the Kyoto Declaration is the annex of A/RES/76/181).
    """
    if not isinstance(documents, Mapping):
        return []
    found = []
    for symbol, info in documents.items():
        for alias in _field(info, "aliases") or ():
            if isinstance(alias, Mapping):
                if alias.get("name"):
                    found.append(Alias(alias["name"], symbol, alias.get("part") or ""))
            elif alias:
                found.append(Alias(str(alias), symbol))
        for key in ("title_en", "title_zh"):
            if _field(info, key):
                found.append(Alias(_field(info, key), symbol))
    return found


class _Documents:
    """The stored documents a text may name (empty when the caller gave none)."""

    def __init__(self, documents: Mapping | Iterable[str] | None):
        symbols = list(documents or ())
        self.given = documents is not None
        self.by_lower = {s.lower(): s for s in symbols}
        names: dict[str, set[tuple[str, str]]] = {}
        for alias in document_aliases(documents):
            key = " ".join(normalise(alias.name).split()).lower()
            if len(key) >= 2:
                names.setdefault(key, set()).add((alias.symbol, alias.part))
        # a name shared by two documents names neither
        self.aliases = {k: v.pop() for k, v in names.items() if len(v) == 1}
        self.declarations = _declaration_holders(documents)
        self.pattern = None
        if self.aliases:
            alternatives = "|".join(r"\s+".join(map(re.escape, name.split()))
                                    for name in sorted(self.aliases, key=len, reverse=True))
            self.pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.IGNORECASE)

    def symbol(self, written: str) -> str:
        """The stored spelling of a symbol, or the written one (upper-cased if typed in lower case)."""
        written = written.rstrip(".-")
        if written.lower() in self.by_lower:
            return self.by_lower[written.lower()]
        head = written.split("/", 1)[0]
        return written.upper() if head != head.upper() else written


def _declaration_holders(documents) -> dict[int, tuple[str, str]]:
    """Congress -> (symbol, part) of the stored text of its declaration.

    The catalog gives each congress's declaration its name (`declaration`: "Kyoto Declaration",
    on the reports that fed it too; else the terms table's official name: "Doha Declaration");
    the document with an alias of that name holds it (the Kyoto
    Declaration is the annex of A/RES/76/181), else the part whose printed title (`part_titles`,
    read by the parser: "Kyoto Declaration on Advancing Crime Prevention, ...") contains the name,
    else a document whose title contains it. So an uploaded resolution without a catalog entry
    still holds the declaration its annex prints.
    """
    if not isinstance(documents, Mapping):
        return {}
    names: dict[int, set[str]] = {}
    for info in documents.values():
        if _field(info, "congress") and _field(info, "declaration"):
            names.setdefault(_field(info, "congress"), set()).add(_field(info, "declaration").lower())
    # a congress no catalog names the declaration of (an uploaded resolution of the Thirteenth
    # Congress): its official name in the terms table
    for congress in {_field(info, "congress") for info in documents.values()} - set(names) - {None, 0}:
        if official := official_declaration_name(congress):
            names[congress] = {official.lower()}
    holders = {}
    aliases = document_aliases(documents)
    for congress, wanted in names.items():
        by_alias = [(a.symbol, a.part) for a in aliases if a.name.lower() in wanted]
        by_part = [(symbol, part) for symbol, info in documents.items()
                   for part, title in (_field(info, "part_titles") or {}).items()
                   if any(contains_words(title, name) for name in wanted)]
        by_title = [(symbol, "") for symbol, info in documents.items()
                    if any(name in (_field(info, "title_en") or "").lower() for name in wanted)]
        found = list(dict.fromkeys(by_alias or by_part or by_title))
        if len(found) == 1:
            holders[congress] = found[0]
    return holders


def contains_words(text: str, name: str) -> bool:
    """Whether `text` contains `name` as whole words, case and spacing aside."""
    words = name.split()
    if not words:
        return False
    pattern = r"\s+".join(map(re.escape, words))
    return re.search(rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])", text, re.IGNORECASE) is not None


# "Kyoto Declaration", "the Fourteenth Congress's declaration", "第十四届大会（通过的）宣言": a congress
# followed by the word declaration, or "the declaration adopted at/of the Fifteenth Congress"
_DECLARATION_AFTER = re.compile(
    r"(?:\s+(?:United\s+Nations\s+)?(?:Crime\s+)?Congress)?(?:['’]s)?\s*(?:declaration\b|decl\b\.?)"
    r"|(?:联合国)?(?:预防犯罪(?:和刑事司法)?)?(?:大会)?(?:上)?(?:通过的|的)?宣言",
    re.IGNORECASE,
)
_DECLARATION_BEFORE = re.compile(
    r"\bdeclaration\s+(?:(?:that\s+was\s+)?adopted\s+)?(?:of|at|by|in|from)\s+(?:the\s+)?$", re.IGNORECASE)


def _declaration(q: _Qualifier, norm: str, docs: _Documents) -> _Qualifier:
    """A congress mention that names the congress's declaration: the stored text of it (kind
    "symbol", with its part) or, when no stored document holds it, kind "declaration"."""
    after = _DECLARATION_AFTER.match(norm, q.end)
    before = _DECLARATION_BEFORE.search(norm, max(0, q.start - 40), q.start)
    if not after and not before:
        return q
    start, end = (before.start() if before else q.start), (after.end() if after else q.end)
    if q.value in docs.declarations:
        symbol, part = docs.declarations[q.value]
        return _Qualifier("symbol", symbol, start, end, part)
    return _Qualifier("declaration", q.value, start, end)


def _qualifiers(norm: str, docs: _Documents) -> list[_Qualifier]:
    """Document qualifiers in the normalised text, in order."""
    named: list[_Qualifier] = []  # aliases and resolution numbers of stored documents
    if docs.pattern:
        for m in docs.pattern.finditer(norm):
            symbol, part = docs.aliases[" ".join(m.group().split()).lower()]
            named.append(_Qualifier("symbol", symbol, m.start(), m.end(), part))
    if docs.given:
        for m in _RESOLUTION.finditer(norm):
            symbol = docs.by_lower.get(f"a/res/{m['en'] or m['zh'] or m['zh_after']}")
            if symbol and not any(q.start < m.end() and m.start() < q.end for q in named):
                named.append(_Qualifier("symbol", symbol, m.start(), m.end()))
    found = []
    for m in _SYMBOL_ANY_CASE.finditer(norm):
        if any(c.isdigit() for c in m.group()):  # "A/CONF.241/..." yes, "and/or" no
            found.append(_Qualifier("symbol", docs.symbol(m.group()), m.start(), m.end()))
    for m in _REGION.finditer(norm):
        index = int(m.lastgroup[1:])
        found.append(_Qualifier("region", _REGION_WORDS[index][1], m.start(), m.end()))
    for m in _CONGRESS.finditer(norm):
        if m["zh"]:
            number = _number(m["zh"])
        elif m["num"]:
            number = int(m["num"])
        elif m["ord"]:
            number = _ORDINALS[m["ord"].lower()]
        else:
            number = _VENUES[re.sub(r"\s+", " ", m["venue"].lower())]
        if number in _CONGRESS_RANGE:
            found.append(_declaration(_Qualifier("congress", number, m.start(), m.end()), norm, docs))
    # a region word inside a symbol is not a region ("A/CONF.../LAC"), "Kyoto" inside
    # "Kyoto Declaration" is that document, and "西亚" inside "马来西亚" or "Africa" inside "South
    # Africa" is a Member State: the longer name wins
    named_spans = sorted((q.start, q.end) for q in named)
    symbol_spans = sorted((q.start, q.end) for q in found if q.kind == "symbol")
    states = _state_spans(norm) if any(q.kind == "region" for q in found) else []
    kept = [q for q in found if not _overlaps_spans(named_spans, q.start, q.end)
            and (q.kind == "symbol" or not _overlaps_spans(symbol_spans, q.start, q.end))
            and (q.kind != "region" or not _overlaps_spans(states, q.start, q.end))]
    return sorted(named + kept, key=lambda q: q.start)


# ---------------------------------------------------------------- paragraph references

_D = r"\d{1,4}(?!\d)"
_NUM = rf"(?:{_D}|{_CN_NUM})"
_IT = r"\(\s*[a-zA-Z]{1,2}\s*\)"
_ITEM = r"\(\s*(?P<{name}>[a-zA-Z]{{1,2}})\s*\)"
_SEP = r"\s*(?:、|,|，|和|以及|及|与|或|至|到|-|–|—|~|\band\b|\bor\b|\bto\b|\bthrough\b)\s*"
_GLUED = r"(?<=\d)[a-zA-Z](?![A-Za-z0-9/.])"  # "24d", "第43e段": a sub-item letter without brackets
_NUM_ITEM = rf"{_NUM}(?:\s*{_IT}|{_GLUED})?"
_LONE_ITEM = rf"{_IT}"  # "(e)" in "24(d) and (e)"
_ROMAN = r"(?-i:[IVX]{1,4})"
_EN_LIST = (rf"{_D}(?:\s*{_IT}|{_GLUED})?(?:{_SEP}(?:(?:(?:paras?\.?|paragraphs?|¶)\s*)?\d{{1,3}}(?!\d)\s*"
            rf"(?:{_IT})?|{_LONE_ITEM}))*")
_EN_PART_AFTER = (rf"(?:\s*,?\s*(?:of|in)\s+(?:the\s+)?"
                  rf"(?:(?P<ofpart>annex|appendix)(?:\s+(?P<ofno>{_ROMAN}|\d{{1,2}}))?|(?P<ofpre>preamble))\b)?")

# Unit ids and the marker form: SYM#24(d), SYM#annex:36, ¶annex-ii:4(b), ¶pp3. The `#` makes a unit
# id explicit, so one glued to a number is read too ("para. 99A/CONF.241/RPM.2/2#99": two references)
_UNIT_REF = re.compile(
    rf"(?:(?<![A-Za-z/.\-])(?P<symbol>{SYMBOL_PATTERN})\s*#|¶\s*(?=[a-z]+(?:-(?:[ivxlc]+|\d+))?:|pp\d))"
    rf"(?:(?P<slug>[a-z]+(?:-(?:[ivxlc]+|\d+))?):)?(?P<pp>pp)?(?P<num>\d{{1,4}})(?!\d)"
    rf"(?:\((?P<item>[a-z]{{1,2}})\))?",
    re.IGNORECASE,
)
# Chinese: 第24段, 第24(d)段, 第24、37段, 第24至26段, 第66段(k)项, 附件第36段, 附件二第4(b)段, 序言部分第3段
_ZH = re.compile(
    rf"(?:(?P<part>附件|附录)\s*(?P<partno>[一二三四五六七八九十]{{1,3}}|{_ROMAN}|\d{{1,2}})?\s*(?:的\s*)?)?"
    rf"(?P<pre>序言(?:部分)?\s*(?:的\s*)?)?"
    rf"第\s*(?P<list>{_NUM_ITEM}(?:{_SEP}(?:第?\s*{_NUM_ITEM}|{_LONE_ITEM}))*)\s*段落?"
    rf"(?:\s*第?\s*(?:(?P<items>{_IT}(?:{_SEP}第?\s*{_IT})*)|(?P<bare>[a-z]{{1,2}})(?=\s*(?:项|分段|小段)))"
    rf"\s*(?:项|分段|小段)?)?",
    re.IGNORECASE,
)
# English: para. 37 (o), paragraph No. 16, para99, paras. 24 and 37, ¶¶ 24-26, annex II, para. 4 (b),
# preambular paragraph 3, subparagraph (d) of paragraph 24, paragraph 36 of the annex
_EN = re.compile(
    rf"(?:(?<![A-Za-z])(?P<part>annex|appendix)(?:\s+(?P<partno>{_ROMAN}|\d{{1,2}})\b)?(?:['’]s)?\s*,?\s*)?"
    rf"(?:(?<![A-Za-z])(?:(?:sub-?)?paragraph|item)\s*{_ITEM.format(name='sub')}\s*of\s*)?"
    rf"(?P<pre>(?<![A-Za-z])(?:preambular\s+|preamble\s*,?\s*))?"
    rf"(?:(?<![A-Za-z])(?:paragraphs?|paras?)(?![a-z])\.?|¶¶?|§)\s*(?:(?:No|number)\b\.?\s*|#\s*)?"
    rf"(?P<list>{_EN_LIST})"
    rf"(?:\s*,?\s*(?:sub-?paragraph|item)\s*{_ITEM.format(name='after')}"
    # "para 24 d of the LAC report": a lone letter, where what follows cannot continue a word
    rf"|\s(?P<letter>[a-z])(?=\s*(?:$|[.,;:)）?!，。；：]|(?:of|in|from|and|or)\b)))?"
    rf"{_EN_PART_AFTER}",
    re.IGNORECASE,
)
# the third preambular paragraph (of the annex)
_EN_ORDINAL_PP = re.compile(
    rf"(?<![A-Za-z0-9])(?P<ordinal>{'|'.join(_ORDINALS)}|\d{{1,2}}(?:st|nd|rd|th))\s+preambular\s+paragraph\b"
    rf"{_EN_PART_AFTER}",
    re.IGNORECASE,
)
# the shorthand of resolutions: PP2 (second preambular paragraph), OP 6 (operative paragraph 6);
# capitals only, as "pp. 24" is pages
_EN_SHORT = re.compile(r"(?<![A-Za-z])(?P<short>OP|PP)\.?\s?(?P<list>\d{1,3})(?!\d)")
# inside a citation marker only: [SYM 24], [SYM, 24(d), 25]
_SYMBOL_NUMBER = re.compile(
    rf"(?<![A-Za-z0-9/.\-])(?P<symbol>{SYMBOL_PATTERN})(?![A-Za-z0-9/])\s*[,:]?\s*(?P<list>{_EN_LIST})",
    re.IGNORECASE)
# bare 24(d), accepted unless it reads as an article, rule or resolution: "article 2(a)", "5(a)条"
_BARE = re.compile(
    rf"(?<![A-Za-z0-9/.\-])(?P<list>\d{{1,3}}\s?\([a-z]{{1,2}}\)(?:{_SEP}{_LONE_ITEM})*)(?!\s*(?:条|款|号))")
_NOT_BEFORE_BARE = re.compile(
    r"(?:article|art\.|rule|resolution|decision|section|goal|target|sdg|chapter|annex|"
    r"条|决议|决定|规则|目标|附件)\s*$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(
    rf"(?P<num>{_NUM})?(?:\s*\(\s*(?P<item>[a-zA-Z]{{1,2}})\s*\)|(?P<glued>{_GLUED}))?(?P<sep>{_SEP})?",
    re.IGNORECASE,
)
_RANGE_WORDS = {"至", "到", "-", "–", "—", "~", "to", "through"}


def _expand_list(listing: str,
                 long_ranges: list[tuple[int, int]] | None = None) -> list[tuple[int, str | None]]:
    """`24、37` -> 24, 37; `24至26` -> 24, 25, 26; `24(d)` -> 24(d); `24(a)-(c)` -> 24(a), (b), (c).

    A range of more than MAX_RANGE paragraphs keeps its two ends only; it is added to `long_ranges`."""
    out: list[tuple[int, str | None]] = []
    range_start = number = item_start = None
    for m in _LIST_ITEM.finditer(listing):
        if not m.group().strip():
            continue
        if m["num"]:
            number = _number(m["num"])
        elif not m["item"]:
            continue  # a separator alone
        if number is None:  # "(e)" with no paragraph before it
            continue
        letter = m["item"] or m["glued"]
        item = letter.lower() if letter else None
        if range_start is not None and not item and 0 < number - range_start <= MAX_RANGE:
            out.extend((n, None) for n in range(range_start + 1, number + 1))
        elif range_start is not None and not item and number - range_start > MAX_RANGE:
            out.append((number, None))
            if long_ranges is not None:
                long_ranges.append((range_start, number))
        elif item_start and item and len(item) == 1 and item_start < item and not m["num"]:
            # "24 (a)-(c)": the letters in between too (at most a..z)
            out.extend((number, chr(c)) for c in range(ord(item_start) + 1, ord(item) + 1))
        else:
            out.append((number, item))
        is_range = (m["sep"] or "").strip().lower() in _RANGE_WORDS
        range_start = number if is_range and not item else None
        item_start = item if is_range and item and len(item) == 1 else None
    return out


@dataclass
class _Match:
    start: int
    end: int
    pairs: list[tuple[int, str | None]]
    part: str = ""
    preamble: bool = False
    symbol: str | None = None  # written in the reference itself (SYM#24)
    long_ranges: list[tuple[int, int]] = field(default_factory=list)


def _paragraph_matches(norm: str, docs: _Documents, in_marker: bool = False) -> list[_Match]:
    """Every paragraph reference in the normalised text, in text order, none overlapping."""
    found: list[_Match] = []
    taken: list[tuple[int, int]] = []  # sorted, disjoint

    def free(start: int, end: int) -> bool:
        i = bisect_left(taken, (start, start))
        return not (i < len(taken) and taken[i][0] < end or i > 0 and taken[i - 1][1] > start)

    def add(match: _Match) -> None:
        while match.end > match.start and norm[match.end - 1].isspace():
            match.end -= 1  # "para. 99 " ends at 99: removing it must not take the space after it
        if match.pairs and free(match.start, match.end):
            found.append(match)
            taken.insert(bisect_left(taken, (match.start, match.end)), (match.start, match.end))

    for m in _UNIT_REF.finditer(norm):
        add(_Match(m.start(), m.end(), [(int(m["num"]), (m["item"] or "").lower() or None)],
                   part_name((m["slug"] or "").lower()), bool(m["pp"]),
                   docs.symbol(m["symbol"]) if m["symbol"] else None))
    patterns = (_ZH, _EN, _EN_ORDINAL_PP, _EN_SHORT) + ((_SYMBOL_NUMBER,) if in_marker else ())
    for pattern in patterns:
        for m in pattern.finditer(norm):
            groups = m.groupdict()
            long_ranges: list[tuple[int, int]] = []
            if "ordinal" in groups:
                ordinal = m["ordinal"].lower()
                pairs = [(_ORDINALS.get(ordinal) or int(ordinal[:-2]), None)]
            else:
                pairs = _expand_list(m["list"], long_ranges)
            extra = groups.get("after") or groups.get("bare") or groups.get("sub") or groups.get("letter")
            if len(pairs) == 1 and pairs[0][1] is None:
                if groups.get("items"):  # 第24段(d)和(e)项
                    pairs = _expand_list(f"{pairs[0][0]}{groups['items'].replace('第', '')}")
                elif extra:
                    pairs = [(pairs[0][0], extra.lower())]
            part = _part(groups.get("part"), groups.get("partno")) or \
                _part(groups.get("ofpart"), groups.get("ofno"))
            preamble = bool(groups.get("pre") or groups.get("ofpre") or groups.get("ordinal")
                            or groups.get("short") == "PP")
            symbol = docs.symbol(m["symbol"]) if groups.get("symbol") else None
            add(_Match(m.start(), m.end(), pairs, part, preamble, symbol, long_ranges))
    if not in_marker:
        for m in _BARE.finditer(norm):
            if not _NOT_BEFORE_BARE.search(norm[max(0, m.start() - 30): m.start()]):
                add(_Match(m.start(), m.end(), _expand_list(m["list"])))
    return sorted(found, key=lambda match: match.start)


# "para. 24 of the European report", "第24段（拉美报告）", "paragraph 36 of the annex to resolution 76/181"
_BINDS_FORWARD = re.compile(r"^\s*(?:[,，(（:：]\s*)?(?:(?:of|in|from|to)\s+)?(?:the\s+)?$", re.IGNORECASE)
# ... explicitly: "para. 24 of the LAC report", "第24段（拉美报告）", which win over a document before it
_OF_FORWARD = re.compile(r"^\s*(?:[,，]\s*)?(?:(?:of|in|from|to)\s+(?:the\s+)?|[(（]\s*(?:the\s+)?)$",
                         re.IGNORECASE)

# what may stand between qualifiers naming one document: "第十四届预防犯罪大会欧洲区域筹备会议报告",
# "the European report of the Fourteenth Congress", "LAC (15th Congress)"
_CHAIN = re.compile(
    r"^[\s,，、的/()（）\-]*(?:联合国)?(?:预防犯罪(?:和刑事司法)?)?(?:大会)?(?:区域筹备会议|区域|报告|文件)*"
    r"(?:(?:regional\s+)?(?:preparatory\s+meeting\s+)?(?:reports?|meetings?|documents?))?"
    r"\s*(?:of|for|at|in|before)?\s*(?:the)?[\s,，、的()（）]*$",
    re.IGNORECASE,
)
_ADJACENT = re.compile(r"^[\s,:]*$")  # "E/CN.15/2007/6，第 23 段": the symbol belongs to the reference


def _chains(qualifiers: list[_Qualifier], text: str) -> list[list[_Qualifier]]:
    """Qualifiers grouped by the document they name together (adjacent mentions)."""
    groups: list[list[_Qualifier]] = []
    for q in qualifiers:
        gap = text[groups[-1][-1].end:q.start] if groups else ""
        if groups and len(gap) < 200 and _CHAIN.match(gap):  # bounded: no backtracking on long gaps
            groups[-1].append(q)
        else:
            groups.append([q])
    return groups


def _bind(groups: list[list[_Qualifier]], starts: list[int], text: str, start: int, end: int,
          backward_only: bool = False) -> list[_Qualifier]:
    """The document qualifiers that apply to the reference at text[start:end] (`starts`: of the groups)."""
    i = bisect_left(starts, end)
    before = next((g for g in reversed(groups[max(0, i - 3):i]) if g[-1].end <= start), None)
    after = groups[i] if i < len(groups) else None
    if after and _OF_FORWARD.match(text[end:after[0].start]):
        return after  # "para. 24 of the LAC report"
    gap_before = text[before[-1].end:start] if before else ""
    if before and len(gap_before) < 60 and _CHAIN.match(gap_before):  # a document written right before
        return before  # "European report para. 10, Kyoto Declaration para. 5": each its own
    if after and _BINDS_FORWARD.match(text[end:after[0].start]):
        return after  # "para. 24, LAC report"
    if before:
        return before  # "拉美报告第24段和第37段", "[SYM ¶24(d)]"
    if after and not backward_only:
        return after  # "第24段 ... 在欧洲报告中"
    return []


def find_references(text: str, documents: Mapping | Iterable[str] | None = None, *,
                    in_marker: bool = False) -> list[ReferenceGroup]:
    """Every written paragraph reference in `text`, in order, each with what it expands to.

    `documents` (stored symbol -> DocumentInfo-like metadata with `aliases`, `title_en`,
    `title_zh`; or just the symbols) lets aliases and resolution numbers name documents.
    `in_marker` reads the inside of a citation marker: a number right after a symbol is a
    paragraph (`SYM 24`), and a symbol applies only to the references after it.
    Paragraph numbers up to 9999 are returned (an answer's "paragraph 1234" must be checked).
    """
    if not text:
        return []
    source = _Text(text)
    norm = source.norm
    docs = _Documents(documents)
    matches = _paragraph_matches(norm, docs, in_marker)
    # a qualifier overlapping a paragraph reference ("para." read as a symbol) is not one
    spans = [(m.start, m.end) for m in matches]
    qualifiers = [q for q in _qualifiers(norm, docs) if not _overlaps_spans(spans, q.start, q.end)]
    groups = _chains(qualifiers, norm)
    starts = [g[0].start for g in groups]
    found = []
    for match in matches:
        chosen = _bind(groups, starts, norm, match.start, match.end, backward_only=in_marker)
        bound: dict = {}
        for q in chosen:
            bound.setdefault(q.kind, q.value)
            if q.kind == "symbol" and q.part:
                bound.setdefault("part", q.part)
        symbol = match.symbol or bound.get("symbol")
        part = match.part or (bound.get("part", "") if not match.symbol else "")
        start, end = source.span(match.start, match.end)
        written = text[start:end]
        declaration = "declaration" in bound and not symbol
        refs = tuple(
            Reference(paragraph=paragraph, item=item, symbol=symbol, region=bound.get("region"),
                      congress=bound.get("declaration") if declaration else bound.get("congress"),
                      span=(start, end), text=written, part=part, preamble=match.preamble,
                      declaration=declaration)
            for paragraph, item in match.pairs
        )
        symbol_q = next((q for q in chosen if q.kind == "symbol" and q.value == symbol), None)
        if symbol_q and symbol_q.end <= match.start and _ADJACENT.match(norm[symbol_q.end:match.start]):
            start = source.span(symbol_q.start, symbol_q.end)[0]
        found.append(ReferenceGroup(start, end, refs, tuple(match.long_ranges)))
    return found


def _state_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` names a Member State, in either language (the official terms table)."""
    table = terms_if_readable()
    if table is None:
        return []
    return sorted({(m.start, m.end) for language in ("zh", "en") for m in table.find(text, language)
                   if m.term.kind == "state"})


def _overlaps_spans(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    i = bisect_left(spans, (start, start))
    return i < len(spans) and spans[i][0] < end or i > 0 and spans[i - 1][1] > start


def parse_references(text: str, documents: Mapping | Iterable[str] | None = None) -> list[Reference]:
    """Every paragraph reference in `text`, in order, with the document it names (if any).

    With `documents` (see `find_references`), "Kyoto Declaration, para. 36" is annex
    paragraph 36 of A/RES/76/181.
    """
    return references_in(find_references(text, documents))


def references_in(groups: list[ReferenceGroup]) -> list[Reference]:
    """The references of `find_references` groups, as `parse_references` returns them."""
    return _dedupe([r for group in groups for r in group.references if 0 < r.paragraph <= MAX_PARAGRAPH])


def _dedupe(refs: list[Reference]) -> list[Reference]:
    seen, out = set(), []
    for r in refs:
        key = (r.paragraph, r.item, r.part, r.preamble, r.symbol, r.region, r.congress, r.declaration)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def document_mentions(text: str, documents: Mapping | Iterable[str] | None = None) -> list[DocumentMention]:
    """Every phrase in `text` naming a document by symbol, region or congress, in order.

    With `documents` (see `find_references`), catalog aliases and titles name their document
    (kind "symbol"; `part` set when the alias names a part), and so does "resolution 76/181".
    """
    source = _Text(text or "")
    out = []
    for q in _qualifiers(source.norm, _Documents(documents)):
        start, end = source.span(q.start, q.end)
        out.append(DocumentMention(q.kind, q.value, start, end, q.part))
    return out


def reference_spans(text: str, documents: Mapping | Iterable[str] | None = None) -> list[tuple[int, int]]:
    """Character spans of paragraph references and document qualifiers (to see what else a query says)."""
    spans = [r.span for group in find_references(text, documents) for r in group.references[:1]]
    spans += [(m.start, m.end) for m in document_mentions(text, documents)]
    return sorted(spans)
