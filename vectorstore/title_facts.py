"""Metadata read from a document's printed title, for files ingested without a catalog entry.

A meeting report's title says which region met, for which congress, where and when: "Report of
the African Regional Preparatory Meeting for the Fifteenth United Nations Congress on Crime
Prevention and Criminal Justice, held in Addis Ababa from 11 to 13 March 2025" /
"2025年2月4日至6日在圣何塞举行的第十五届……拉丁美洲和加勒比区域筹备会议的报告". Without these a
question can name the report only by its symbol: "the African meeting" would not find it, nor
would a comparison of regions. Region and congress are read with the reference grammar
(`document_mentions`), and kept only when the title names exactly one of each (a resolution on
"the Fourteenth Congress and preparations for the Fifteenth" gets no congress); the venue and
dates only from a "held in <city> from/on <dates>" phrase. Catalog entries and CLI flags win.
"""

from __future__ import annotations

import re

from vectorstore.references import document_mentions

_MONTHS = {name: number for number, name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"), start=1)}
_MONTH = "(?:" + "|".join(_MONTHS) + ")"
# "held in Addis Ababa from 11 to 13 March 2025", "held in San José, Costa Rica, from ...",
# "... from 30 January to 1 February 2025",
# "... from 28 December 2024 to 2 January 2025", "held in Bangkok on 5 March 2025"
_EN_HELD = re.compile(
    rf"\bheld (?:in|at) (?P<venue>[A-Z][^,()]*?)(?:, [A-Z][^,()]*?)?,? "
    rf"(?:from (?P<d1>\d{{1,2}})(?: (?P<m1>{_MONTH}))?(?: (?P<y1>\d{{4}}))?"
    rf" to (?P<d2>\d{{1,2}}) (?P<m2>{_MONTH}) (?P<y2>\d{{4}})"
    rf"|on (?P<d>\d{{1,2}}) (?P<m>{_MONTH}) (?P<y>\d{{4}}))")
# "2025年2月4日至6日在圣何塞举行", "2019年4月23日至25日在维也纳举行", "2025年1月30日至2月1日在……举行"
_ZH_HELD = re.compile(
    r"(?P<y1>\d{4})\s*年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*日"
    r"(?:\s*至\s*(?:(?P<y2>\d{4})\s*年\s*)?(?:(?P<m2>\d{1,2})\s*月\s*)?(?P<d2>\d{1,2})\s*日)?"
    r"\s*在(?P<venue>[\u4e00-\u9fff·]{2,12}?)举行")


_CONGRESS_WORD = re.compile(r"Congress|届|大会")


def facts_from_title(title: str) -> dict:
    """{"region", "congress", "venue", "dates"} as far as `title` states them unambiguously."""
    facts: dict = {}
    mentions = document_mentions(title)
    regions = {m.value for m in mentions if m.kind == "region"}
    # "the Fifteenth Congress", 第十五届: not a congress venue ("held in Doha" is no 13th Congress)
    congresses = {m.value for m in mentions
                  if m.kind == "congress" and _CONGRESS_WORD.search(title[m.start:m.end])}
    if len(regions) == 1:
        facts["region"] = regions.pop()
    if len(congresses) == 1:
        facts["congress"] = congresses.pop()
    held = _held(title)
    if held:
        facts["venue"], facts["dates"] = held
    return facts


def _held(title: str) -> tuple[str, list[str]] | None:
    """(venue, [first day, last day] as ISO dates) from the title's "held in ..." phrase."""
    m = _EN_HELD.search(title)
    if m:
        if m["d"]:
            day = _iso(m["y"], _MONTHS[m["m"]], m["d"])
            return m["venue"].strip(), [day]
        last_month, last_year = _MONTHS[m["m2"]], m["y2"]
        first = _iso(m["y1"] or last_year, _MONTHS[m["m1"]] if m["m1"] else last_month, m["d1"])
        return m["venue"].strip(), [first, _iso(last_year, last_month, m["d2"])]
    m = _ZH_HELD.search(title)
    if m:
        first = _iso(m["y1"], int(m["m1"]), m["d1"])
        if not m["d2"]:
            return m["venue"], [first]
        last = _iso(m["y2"] or m["y1"], int(m["m2"] or m["m1"]), m["d2"])
        return m["venue"], [first, last]
    return None


def _iso(year: str, month: int, day: str) -> str:
    return f"{int(year):04d}-{month:02d}-{int(day):02d}"
