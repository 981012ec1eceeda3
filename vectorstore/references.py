"""Find paragraph references in a question: `拉美报告第24(d)段`, `para. 37 (o)`, `[SYM ¶24(d)]`.

A reference names a paragraph (and optionally a sub-item) and, when the text says so, the
document: a symbol (`A/CONF.241/RPM.2/2`), a region (`拉美报告`, `the European report`) or a
congress (`第十五届`, `Kyoto`). Retrieval resolves references exactly from metadata, so this
parser must not invent them: years, resolution numbers (`第 73/184 号决议`) and article numbers
are not references. A reference to another document (`E/CN.15/2007/6，第 23 段`) keeps that
symbol so lookup can say the document is not in the store.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

REGIONS = (
    "Europe",
    "Latin America and the Caribbean",
    "Asia and the Pacific",
    "Western Asia",
    "Africa",
)

MAX_RANGE = 30  # "第24至26段" expands to 24, 25, 26; longer ranges are not expanded


@dataclass(frozen=True)
class Reference:
    paragraph: int
    item: str | None = None  # "d" for 24(d)
    symbol: str | None = None
    region: str | None = None  # canonical name, one of REGIONS
    congress: int | None = None
    span: tuple[int, int] = (0, 0)  # where the paragraph reference is in the parsed text
    text: str = ""  # the matched text, e.g. "第24(d)段"

    @property
    def ref(self) -> str:
        """`24` or `24(d)`, as in `Unit.ref`."""
        return f"{self.paragraph}" + (f"({self.item})" if self.item else "")

    @property
    def names_document(self) -> bool:
        return bool(self.symbol or self.region or self.congress)


@dataclass(frozen=True)
class DocumentMention:
    """A phrase naming a document: its symbol, its region or its congress (also by venue)."""

    kind: str  # "symbol", "region" or "congress"
    value: str | int
    start: int
    end: int


_Qualifier = DocumentMention


# ---------------------------------------------------------------- numbers

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_NUM = "[零〇一二两三四五六七八九十百]+"


def chinese_number(text: str) -> int | None:
    """`二十四` -> 24, `一百零五` -> 105; None if `text` is not a Chinese numeral below 1000."""
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in "十百":
            unit = 10 if ch == "十" else 100
            total += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + (digit or 0) if text else None


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else chinese_number(text)


_ORDINALS = {
    "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
}
_VENUES = {"kyoto": 14, "京都": 14, "abu dhabi": 15, "阿布扎比": 15, "doha": 13, "多哈": 13,
           "salvador": 12, "萨尔瓦多": 12}
_CONGRESS_RANGE = range(10, 31)  # plausible congress numbers; excludes e.g. "委员会第三十三届会议"

# ---------------------------------------------------------------- document qualifiers

_SYMBOL = re.compile(r"(?<![A-Za-z0-9/])[A-Za-z]{1,2}(?:/[A-Za-z0-9][A-Za-z0-9.\-]*)+")

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
    rf"|(?P<venue>\bKyoto\b|\bAbu\s+Dhabi\b|\bDoha\b|\bSalvador\b|京都|阿布扎比|多哈)",
    re.IGNORECASE,
)


def _qualifiers(text: str) -> list[_Qualifier]:
    found = []
    for m in _SYMBOL.finditer(text):
        symbol = m.group().rstrip(".-").upper()
        if any(c.isdigit() for c in symbol):  # "A/CONF.241/..." yes, "and/or" no
            found.append(_Qualifier("symbol", symbol, m.start(), m.start() + len(symbol)))
    for m in _REGION.finditer(text):
        index = int(m.lastgroup[1:])
        found.append(_Qualifier("region", _REGION_WORDS[index][1], m.start(), m.end()))
    for m in _CONGRESS.finditer(text):
        if m["zh"]:
            number = _number(m["zh"])
        elif m["num"]:
            number = int(m["num"])
        elif m["ord"]:
            number = _ORDINALS[m["ord"].lower()]
        else:
            number = _VENUES[re.sub(r"\s+", " ", m["venue"].lower())]
        if number in _CONGRESS_RANGE:
            found.append(_Qualifier("congress", number, m.start(), m.end()))
    # a region word inside a symbol is not a region ("A/CONF.../LAC"); drop overlapping ones
    symbols = [q for q in found if q.kind == "symbol"]
    return sorted(
        (q for q in found if q.kind == "symbol"
         or not any(s.start <= q.start < s.end for s in symbols)),
        key=lambda q: q.start,
    )


# ---------------------------------------------------------------- paragraph references

_NUM = rf"(?:\d{{1,3}}(?!\d)|{_CN_NUM})"
_ITEM = r"\(\s*(?P<{name}>[a-zA-Z]{{1,2}})\s*\)"
_SEP = r"\s*(?:、|,|，|和|及|与|以及|或|至|到|-|–|—|~|and|or|to|through)\s*"
_NUM_ITEM = rf"{_NUM}\s*(?:\(\s*[a-zA-Z]{{1,2}}\s*\))?"
_LONE_ITEM = r"\(\s*[a-zA-Z]{1,2}\s*\)"  # "(e)" in "24(d) and (e)"

# Chinese: 第24段, 第24(d)段, 第 23 段, 第24、37段, 第24至26段, 第66段(k)项, 第66段（k）分段, 第24段(d)
_ZH = re.compile(
    rf"第\s*(?P<list>{_NUM_ITEM}(?:{_SEP}(?:第?\s*{_NUM_ITEM}|{_LONE_ITEM}))*)\s*段落?"
    rf"(?:\s*第?\s*(?:{_ITEM.format(name='after')}|(?P<bare>[a-z]{{1,2}})(?=\s*(?:项|分段|小段)))"
    rf"\s*(?:项|分段|小段)?)?",
    re.IGNORECASE,
)
# English: para. 37 (o), paragraph 16, paras. 24 and 37, ¶ 24(d), ¶¶ 24-26, subparagraph (d) of paragraph 24
_EN = re.compile(
    rf"(?:\b(?:sub-?)?paragraph\s*{_ITEM.format(name='sub')}\s*of\s*)?"
    rf"(?:\bparagraphs?\b\.?|\bparas?\b\.?|¶¶?|§)\s*"
    rf"(?P<list>\d{{1,3}}(?!\d)\s*(?:\(\s*[a-zA-Z]{{1,2}}\s*\))?"
    rf"(?:{_SEP}(?:(?:(?:paras?\.?|paragraphs?|¶)\s*)?\d{{1,3}}(?!\d)\s*(?:\(\s*[a-zA-Z]{{1,2}}\s*\))?"
    rf"|{_LONE_ITEM}))*)"
    rf"(?:\s*,?\s*(?:sub-?paragraph|item)\s*{_ITEM.format(name='after')})?",
    re.IGNORECASE,
)
# bare 24(d), accepted unless it reads as an article, rule or resolution: "article 2(a)", "5(a)条"
_BARE = re.compile(r"(?<![\w/.\-])(?P<num>\d{1,3})\s?\((?P<item>[a-z]{1,2})\)(?!\s*(?:条|款|号))")
_NOT_BEFORE_BARE = re.compile(
    r"(?:article|art\.|rule|resolution|decision|section|goal|target|sdg|chapter|annex|"
    r"条|决议|决定|规则|目标|附件)\s*$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(
    rf"(?P<num>{_NUM})?\s*(?:\(\s*(?P<item>[a-zA-Z]{{1,2}})\s*\))?(?P<sep>{_SEP})?", re.IGNORECASE
)
_RANGE_WORDS = {"至", "到", "-", "–", "—", "~", "to", "through"}


def _expand_list(listing: str) -> list[tuple[int, str | None]]:
    """`24、37` -> [(24, None), (37, None)]; `24至26` -> 24, 25, 26; `24(d)` -> [(24, 'd')]."""
    out: list[tuple[int, str | None]] = []
    range_start = number = item_start = None
    for m in _LIST_ITEM.finditer(listing):
        if not m.group().strip():
            continue
        if m["num"]:
            number = _number(m["num"])
        elif not m["item"]:
            continue  # a separator alone
        if not number:  # "(e)" with no paragraph before it, or "第0段"
            continue
        item = m["item"].lower() if m["item"] else None
        if range_start is not None and not item and 0 < number - range_start <= MAX_RANGE:
            out.extend((n, None) for n in range(range_start + 1, number + 1))
        elif item_start and item and len(item) == 1 and item_start < item and not m["num"]:
            # "24 (a)-(c)": the letters in between too
            out.extend((number, chr(c)) for c in range(ord(item_start) + 1, ord(item) + 1))
        else:
            out.append((number, item))
        is_range = (m["sep"] or "").strip().lower() in _RANGE_WORDS
        range_start = number if is_range and not item else None
        item_start = item if is_range and item and len(item) == 1 else None
    return out


def _normalise(text: str) -> str:
    """Full-width forms to ASCII, one character at a time so spans stay valid (`（d）` -> `(d)`)."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def _paragraph_matches(text: str) -> list[tuple[int, int, list[tuple[int, str | None]]]]:
    """(start, end, [(paragraph, item), ...]) for every paragraph reference, in text order."""
    found = []
    taken: list[tuple[int, int]] = []
    for pattern in (_ZH, _EN):
        for m in pattern.finditer(text):
            refs = _expand_list(m["list"])
            extra = m.groupdict().get("after") or m.groupdict().get("bare") or m.groupdict().get("sub")
            if extra and len(refs) == 1 and refs[0][1] is None:
                refs = [(refs[0][0], extra.lower())]
            if refs:
                found.append((m.start(), m.end(), refs))
                taken.append((m.start(), m.end()))
    for m in _BARE.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        if _NOT_BEFORE_BARE.search(text[: m.start()]):
            continue
        found.append((m.start(), m.end(), [(int(m["num"]), m["item"])]))
    return sorted(found)


# "para. 24 of the European report", "第24段（拉美报告）": qualifiers right after the reference
_BINDS_FORWARD = re.compile(r"^\s*(?:[,，(（:：]\s*)?(?:(?:of|in|from)\s+)?(?:the\s+)?$", re.IGNORECASE)
# what may stand between qualifiers naming one document: "第十四届预防犯罪大会欧洲区域筹备会议报告",
# "the European report of the Fourteenth Congress", "LAC (15th Congress)"
_CHAIN = re.compile(
    r"^[\s,，、的/()（）\-]*(?:联合国)?(?:预防犯罪(?:和刑事司法)?)?(?:大会)?(?:区域筹备会议|区域|报告|文件)*"
    r"(?:(?:regional\s+)?(?:preparatory\s+meeting\s+)?(?:reports?|meetings?|documents?))?"
    r"\s*(?:of|for|at|in|before)?\s*(?:the)?[\s,，、的()（）]*$",
    re.IGNORECASE,
)


def _chains(qualifiers: list[_Qualifier], text: str) -> list[list[_Qualifier]]:
    """Qualifiers grouped by the document they name together (adjacent mentions)."""
    groups: list[list[_Qualifier]] = []
    for q in qualifiers:
        if groups and _CHAIN.match(text[groups[-1][-1].end:q.start]):
            groups[-1].append(q)
        else:
            groups.append([q])
    return groups


def _bind(groups: list[list[_Qualifier]], text: str, start: int, end: int) -> dict:
    """The document qualifiers that apply to the reference at text[start:end]."""
    before = [g for g in groups if g[-1].end <= start]
    after = [g for g in groups if g[0].start >= end]
    if after and _BINDS_FORWARD.match(text[end:after[0][0].start]):
        chosen = after[0]  # "para. 24 of the LAC report"
    elif before:
        chosen = before[-1]  # "拉美报告第24段和第37段", "[SYM ¶24(d)]"
    elif after:
        chosen = after[0]  # "第24段 ... 在欧洲报告中"
    else:
        return {}
    bound: dict = {}
    for q in chosen:
        bound.setdefault(q.kind, q.value)
    return bound


def parse_references(text: str) -> list[Reference]:
    """Every paragraph reference in `text`, in order, with the document it names (if any)."""
    if not text:
        return []
    norm = _normalise(text)
    matches = _paragraph_matches(norm)
    # a qualifier overlapping a paragraph reference ("para." read as a symbol) is not one
    qualifiers = [q for q in _qualifiers(norm)
                  if not any(s < q.end and q.start < e for s, e, _ in matches)]
    groups = _chains(qualifiers, norm)
    refs = []
    for start, end, pairs in matches:
        doc = _bind(groups, norm, start, end)
        for paragraph, item in pairs:
            refs.append(Reference(
                paragraph=paragraph, item=item, symbol=doc.get("symbol"), region=doc.get("region"),
                congress=doc.get("congress"), span=(start, end), text=text[start:end],
            ))
    return _dedupe(refs)


def _dedupe(refs: list[Reference]) -> list[Reference]:
    seen, out = set(), []
    for r in refs:
        key = (r.paragraph, r.item, r.symbol, r.region, r.congress)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def document_mentions(text: str) -> list[DocumentMention]:
    """Every phrase in `text` naming a document by symbol, region or congress, in order."""
    return _qualifiers(_normalise(text))


def reference_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of paragraph references and document qualifiers (to see what else a query says)."""
    norm = _normalise(text)
    spans = [(s, e) for s, e, _ in _paragraph_matches(norm)]
    spans += [(q.start, q.end) for q in _qualifiers(norm)]
    return sorted(spans)
