"""Find the units that answer a question: exact paragraph lookup first, then hybrid search.

1. Lookup: paragraph references in the question (`拉美报告第24(d)段`, `para. 37 (o)`) are resolved
   from metadata, never by similarity; a missing paragraph or document gives a notice instead.
2. Hybrid: dense search (Chroma) and BM25 each return their top `CANDIDATES`, fused with weighted
   reciprocal rank fusion. BM25 only scores units in the question's script (see vectorstore.bm25);
   for English questions over Chinese units, the question's English terms are mapped to the
   reports' Chinese terms (vectorstore.glossary): that BM25 ranking is fused too, and the terms
   are appended to the question that dense search embeds.
3. A question that names reports ("the European meeting", "拉美报告") searches only those, and the
   naming words are left out of similarity search (they would pull in the paragraphs about the
   meeting itself); a comparison alternates between the reports so that every side is present.
   Lead-in paragraphs ("与会者未经谈判提出了下列建议：") are never similarity hits: their items are.
4. Procedural paragraphs (kind "other": attendance, opening, officers, agenda) carry the section
   headings' topic words, so they are demoted unless the question asks about the meeting itself.

`UnitRetriever` wraps the searcher as a LangChain retriever for LCEL chains.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.config import Settings
from assistant.language import detect_language
from vectorstore.bm25 import BM25Index, index_path, load_or_build, tokenize
from vectorstore.errors import UserError
from vectorstore.filters import Filters
from vectorstore.glossary import translate_query
from vectorstore.references import Reference, document_mentions, parse_references, reference_spans
from vectorstore.units import Unit

MODES = ("hybrid", "dense", "bm25")
MAX_QUERY_CHARS = 2000  # longer questions are cut (with a notice): embedders see ~512 tokens anyway
MAX_K = 200
CANDIDATES = 50  # per ranker, before fusion
RRF_K = 60
GLOSSARY_WEIGHT = 1.5  # glossary-translated BM25 terms, relative to bm25_weight (tuned on eval/)
PROCEDURAL_WEIGHT = 0.5  # fused score factor for kind "other" units when the question is about substance


@dataclass
class Hit:
    unit: Unit
    score: float
    via: str  # "lookup", "hybrid", "dense" or "bm25"

    @property
    def chapeau(self) -> str:
        """The lead-in of the paragraph a sub-item belongs to ("" for whole paragraphs)."""
        return self.unit.chapeau


@dataclass
class SearchResult:
    query: str  # the query as searched (cleaned, possibly truncated)
    hits: list[Hit]  # best first: lookup hits, then similarity hits
    references: list[Reference] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def clean_query(query) -> tuple[str, list[str]]:
    """Control characters removed, whitespace collapsed, cut to MAX_QUERY_CHARS (with a notice)."""
    if not isinstance(query, str):
        raise UserError("empty question: the question must be text")
    chars = []
    for ch in query:
        category = unicodedata.category(ch)
        if category == "Cc" or category in ("Zl", "Zp"):
            chars.append(" ")  # newlines, tabs, NUL, escape sequences...
        elif category not in ("Cf", "Cs", "Co", "Cn"):  # zero-width, surrogates, private use
            chars.append(ch)
    text = re.sub(r"\s+", " ", "".join(chars)).strip()
    if not text:
        raise UserError("empty question: type a question or a paragraph reference (第24段 / para. 24)")
    notices = []
    if len(text) > MAX_QUERY_CHARS:
        cut = text[:MAX_QUERY_CHARS]
        boundary = max(cut.rfind(c) for c in " 。；;，,.!?！？")
        if boundary > MAX_QUERY_CHARS * 0.8:
            cut = cut[: boundary + 1]
        notices.append(_say(
            detect_language(cut),
            f"The question is {len(text):,} characters long; only its first {len(cut):,} were searched.",
            f"问题长度为 {len(text):,} 个字符，仅检索了前 {len(cut):,} 个字符。",
        ))
        text = cut.strip()
    return text, notices


def _say(language: str, en: str, zh: str) -> str:
    return zh if language == "zh" else en


class _Snapshot:
    """The store's units and BM25 index at one revision (rebuilt when the revision changes)."""

    def __init__(self, revision: str, units: list[Unit], bm25: BM25Index):
        self.revision = revision
        self.units = units
        self.by_id = {u.id: u for u in units}
        self.bm25 = bm25
        self.paragraphs: dict[tuple[str, int], list[Unit]] = {}
        for u in units:
            self.paragraphs.setdefault((u.symbol, u.paragraph), []).append(u)
        self.documents: dict[str, Unit] = {}  # symbol -> first unit (carries document metadata)
        for u in units:
            self.documents.setdefault(u.symbol, u)
        # a paragraph with sub-items: its own unit is only the lead-in ("与会者未经谈判提出了下列建议："),
        # which matches every question about recommendations and says nothing; its items carry it
        with_items = {(u.symbol, u.paragraph) for u in units if u.item}
        self.lead_ins = {u.id for u in units if not u.item and (u.symbol, u.paragraph) in with_items}
        # BM25 rows -> units, to mask by filters and map ids back cheaply
        self.bm25_units = [self.by_id.get(uid) for uid in bm25.ids]

    def paragraph_range(self, symbol: str) -> tuple[int, int]:
        numbers = [p for s, p in self.paragraphs if s == symbol]
        return min(numbers), max(numbers)


class HybridSearcher:
    def __init__(self, store, settings: Settings):
        self.store = store
        self.settings = settings
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ state

    def snapshot(self) -> _Snapshot:
        """Units and BM25 index for the store's current revision (cheap when nothing changed)."""
        revision = self.store.revision()
        with self._lock:
            if self._snapshot is None or self._snapshot.revision != revision:
                units = self.store.units()
                path = index_path(self.settings.data_dir, self.settings.collection)
                bm25 = load_or_build(path, revision, lambda: units)
                if sorted(bm25.ids) != sorted(u.id for u in units):  # saved by a stale writer
                    bm25 = BM25Index.build(units, revision)
                    bm25.save(path)
                self._snapshot = _Snapshot(revision, units, bm25)
            return self._snapshot

    # ------------------------------------------------------------ search

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               mode: str = "hybrid") -> SearchResult:
        """Lookup hits first (every unit of each referenced paragraph), then similarity hits.

        With lookup hits, similarity search fills the list up to `k`, and adds at least `k // 2`
        more hits when the question says more than the reference itself.
        """
        if mode not in MODES:
            raise UserError(f"unknown search mode {mode!r}: use one of {', '.join(MODES)}")
        if not isinstance(k, int) or k < 1:
            raise UserError(f"the number of results must be a positive whole number, not {k!r}")
        k = min(k, MAX_K)
        text, notices = clean_query(query)
        language = detect_language(text)
        snap = self.snapshot()
        if not snap.units:
            notices.append(_say(language, "The store is empty: add reports with `assistant ingest`.",
                                "库中没有文件：请用 `assistant ingest` 添加报告。"))
            return SearchResult(text, [], [], notices)

        references = parse_references(text)
        hits, lookup_notices = self._lookup(snap, references, filters, language)
        notices += lookup_notices
        wanted = k - len(hits)
        if references:
            # "第24段" alone: similarity search on it would only add noise
            wanted = max(wanted, k // 2) if _has_content_besides_references(text) else 0
        if wanted > 0:
            seen = {h.unit.id for h in hits}
            named = self._mentioned(snap, text)
            scope = filters
            if (filters is None or filters.empty) and named and named != set(snap.documents):
                # the question names reports: search only them
                scope = Filters(symbols=tuple(sorted(named)))
            comparison = len(named) > 1 or bool(_COMPARISON.search(text))
            n = max(wanted + len(seen), CANDIDATES if comparison else 0)
            ranked = self._similar(snap, similarity_text(text), n, scope, mode,
                                   about_meeting=bool(_ABOUT_MEETING.search(text)))
            ranked = [h for h in ranked if h.unit.id not in seen]
            if comparison:
                ranked = _alternate_documents(ranked)  # a comparison needs every side
            hits += ranked[:wanted]
        return SearchResult(text, hits, references, notices)

    def _similar(self, snap: _Snapshot, text: str, k: int, filters: Filters | None,
                 mode: str, about_meeting: bool = False) -> list[Hit]:
        """The best `k` units by dense, BM25 (and glossary BM25) rankings, fused for "hybrid"."""
        n = max(CANDIDATES, k)
        dense: list[tuple[Unit, float]] = []
        keyword: list[tuple[Unit, float]] = []
        translated: list[tuple[Unit, float]] = []
        # English words do not score Chinese units in BM25; their Chinese glossary terms do
        terms = translate_query(text) if snap.bm25.chinese.any() and detect_language(text) == "en" else ""
        if mode == "dense" or (mode == "hybrid" and self.settings.dense_weight > 0):
            # the small embedder links an English question to Chinese text better with the terms added
            dense = self.store.dense_search(f"{text} {terms}" if terms else text, n, filters)
        if mode == "bm25" or (mode == "hybrid" and self.settings.bm25_weight > 0):
            allowed = None
            if filters is not None and not filters.empty:
                allowed = np.array([u is not None and filters.matches(u) for u in snap.bm25_units])
            keyword = [(snap.by_id[uid], score) for uid, score in snap.bm25.search(text, n, allowed)
                       if uid in snap.by_id]
            if terms:
                translated = [(snap.by_id[uid], score) for uid, score in snap.bm25.search(terms, n, allowed)
                              if uid in snap.by_id]
        dense = [(u, s) for u, s in dense if u.id not in snap.lead_ins]
        keyword = [(u, s) for u, s in keyword if u.id not in snap.lead_ins]
        translated = [(u, s) for u, s in translated if u.id not in snap.lead_ins]
        if mode == "dense":
            return [Hit(u, s, "dense") for u, s in dense[:k]]
        if mode == "bm25":
            if translated:
                fused = reciprocal_rank_fusion([([u for u, _ in keyword], 1.0),
                                                ([u for u, _ in translated], 1.0)])
                return [Hit(u, s, "bm25") for u, s in fused[:k]]
            return [Hit(u, s, "bm25") for u, s in keyword[:k]]
        fused = reciprocal_rank_fusion(
            [([u for u, _ in dense], self.settings.dense_weight),
             ([u for u, _ in keyword], self.settings.bm25_weight),
             ([u for u, _ in translated], self.settings.bm25_weight * GLOSSARY_WEIGHT)]
        )
        if not about_meeting:
            fused = sorted(((u, s * PROCEDURAL_WEIGHT if u.kind == "other" else s) for u, s in fused),
                           key=lambda pair: -pair[1])
        return [Hit(u, s, "hybrid") for u, s in fused[:k]]

    @staticmethod
    def _mentioned(snap: _Snapshot, text: str) -> set[str]:
        """Stored documents the question names ("the European meeting", "拉美报告", "San José")."""
        symbols: set[str] = set()
        for m in document_mentions(text):
            for symbol, first in snap.documents.items():
                if (m.kind == "symbol" and m.value == symbol
                        or m.kind == "region" and m.value == first.region
                        or m.kind == "congress" and m.value == first.congress):
                    symbols.add(symbol)
        lowered = text.lower()
        for symbol, first in snap.documents.items():
            names = [first.venue, *_VENUE_ALIASES.get(first.venue, ())]
            if any(name and name.lower() in lowered for name in names):
                symbols.add(symbol)
        return symbols

    # ------------------------------------------------------------ exact lookup

    def _lookup(self, snap: _Snapshot, references: list[Reference], filters: Filters | None,
                language: str) -> tuple[list[Hit], list[str]]:
        hits: list[Hit] = []
        notices: list[str] = []
        seen: set[str] = set()
        for ref in references:
            symbols, why_none = self._documents_for(snap, ref, filters, language)
            if why_none:
                notices.append(why_none)
                continue
            found_in, found = [], []
            for symbol in symbols:
                units, missing = self._units_of(snap, symbol, ref, filters, language)
                if missing:
                    if ref.names_document or len(symbols) == 1:
                        notices.append(missing)
                    continue
                found_in.append(symbol)
                found += units
            # whole paragraphs of every matching report first, then their sub-items
            for u in sorted(found, key=lambda u: u.item is not None):
                if u.id not in seen:
                    seen.add(u.id)
                    hits.append(Hit(u, 1.0, "lookup"))
            if not found_in and len(symbols) > 1:
                notices.append(_say(
                    language,
                    f"No report in the store has paragraph {_en_ref(ref)} "
                    f"(searched: {', '.join(symbols)}).",
                    f"库中没有任何报告有第{ref.ref}段（已查：{'、'.join(symbols)}）。",
                ))
            elif len(found_in) == 1 and len(symbols) > 1:
                notices.append(_say(
                    language,
                    f"Paragraph {_en_ref(ref)} exists only in {_describe(snap, found_in[0], 'en')}.",
                    f"只有{_describe(snap, found_in[0], 'zh')}有第{ref.ref}段。",
                ))
            elif len(found_in) > 1 and not ref.names_document:
                notices.append(_say(
                    language,
                    f"Paragraph {_en_ref(ref)} exists in {len(found_in)} reports; all are shown: "
                    f"{'; '.join(_describe(snap, s, 'en') for s in found_in)}.",
                    f"第{ref.ref}段见于 {len(found_in)} 份报告，均已列出："
                    f"{'；'.join(_describe(snap, s, 'zh') for s in found_in)}。",
                ))
        return hits, notices

    def _documents_for(self, snap: _Snapshot, ref: Reference, filters: Filters | None,
                       language: str) -> tuple[list[str], str]:
        """Symbols the reference may point to, or a notice saying why there are none."""
        stored = sorted(snap.documents)
        if ref.symbol:
            if ref.symbol not in snap.documents:
                return [], _say(
                    language,
                    f"{ref.symbol} is not in the store, so its paragraph {_en_ref(ref)} cannot be "
                    f"quoted (stored: {', '.join(stored)}).",
                    f"{ref.symbol} 不在库中，无法引用其第{ref.ref}段（库中文件：{'、'.join(stored)}）。",
                )
            symbols = [ref.symbol]
        else:
            symbols = [s for s in stored
                       if (not ref.region or snap.documents[s].region == ref.region)
                       and (not ref.congress or snap.documents[s].congress == ref.congress)]
            if not symbols:
                return [], _say(
                    language,
                    f"No report in the store is from {_en_document(ref)} (stored: "
                    f"{'; '.join(_describe(snap, s, 'en') for s in stored)}).",
                    f"库中没有{_zh_document(ref)}的报告（库中文件："
                    f"{'；'.join(_describe(snap, s, 'zh') for s in stored)}）。",
                )
        if filters is not None and not filters.empty:
            kept = [s for s in symbols if _document_passes(snap.documents[s], filters)]
            if not kept:
                return [], _say(
                    language,
                    f"Paragraph {_en_ref(ref)} of {', '.join(symbols)} is excluded by the filters.",
                    f"{'、'.join(symbols)} 第{ref.ref}段被筛选条件排除。",
                )
            symbols = kept
        return symbols, ""

    def _units_of(self, snap: _Snapshot, symbol: str, ref: Reference, filters: Filters | None,
                  language: str) -> tuple[list[Unit], str]:
        """The paragraph's units (whole paragraph: itself and its items), or a 'no such paragraph' notice."""
        paragraph = snap.paragraphs.get((symbol, ref.paragraph), [])
        if ref.item:
            units = [u for u in paragraph if u.item == ref.item]
        else:
            units = paragraph
        if not units:
            return [], self._missing(snap, symbol, ref, paragraph, language)
        if filters is not None and filters.kinds:
            kept = [u for u in units if u.kind in filters.kinds]
            if not kept:
                return [], _say(
                    language,
                    f"{symbol} para. {_en_ref(ref)} is excluded by the kind filter "
                    f"({', '.join(filters.kinds)}).",
                    f"{symbol} 第{ref.ref}段被类别筛选（{'、'.join(filters.kinds)}）排除。",
                )
            units = kept
        return units, ""

    @staticmethod
    def _missing(snap: _Snapshot, symbol: str, ref: Reference, paragraph: list[Unit],
                 language: str) -> str:
        first, last = snap.paragraph_range(symbol)
        if paragraph:  # the paragraph exists but not that sub-item
            items = [u.item for u in paragraph if u.item]
            if items:
                have_en = f"its sub-items are ({items[0]})–({items[-1]})"
                have_zh = f"该段分项为 ({items[0]})–({items[-1]})"
            else:
                have_en, have_zh = "it has no sub-items", "该段没有分项"
            return _say(language,
                        f"{symbol} has no paragraph {_en_ref(ref)}: {have_en}.",
                        f"{symbol} 没有第{ref.ref}段：{have_zh}。")
        return _say(language,
                    f"{symbol} has no paragraph {ref.paragraph} (paragraphs {first}–{last}).",
                    f"{symbol} 没有第{ref.paragraph}段（段落编号为 {first}–{last}）。")


def reciprocal_rank_fusion(rankings: list[tuple[list[Unit], float]],
                           k: int = RRF_K) -> list[tuple[Unit, float]]:
    """Weighted RRF: score(u) = sum of weight / (k + rank) over the rankings u appears in (rank from 1)."""
    scores: dict[str, float] = {}
    units: dict[str, Unit] = {}
    for ranking, weight in rankings:
        if weight <= 0:
            continue
        for rank, unit in enumerate(ranking, start=1):
            scores[unit.id] = scores.get(unit.id, 0.0) + weight / (k + rank)
            units.setdefault(unit.id, unit)
    order = sorted(scores, key=lambda uid: -scores[uid])  # stable: ties keep first-ranking order
    return [(units[uid], scores[uid]) for uid in order]


# Chinese and ASCII spellings of meeting venues (Unit.venue holds the English name)
_VENUE_ALIASES = {"San José": ("San Jose", "圣何塞"), "Vienna": ("维也纳",), "Bangkok": ("曼谷",),
                  "Addis Ababa": ("亚的斯亚贝巴",), "Beirut": ("贝鲁特",)}
# Words that name the reports rather than what they say: they pull every question towards the
# paragraphs about the meeting itself (attendance, opening), so similarity search ignores them.
_GENERIC = re.compile(
    r"\b(?:regional\s+preparatory\s+meetings?|preparatory\s+meetings?|meetings?|reports?|participants?|"
    r"speakers?|delegates?|cycle|regional|compared?|each|two|both|says?|said|according\s+to|"
    r"draft(?:ing)?|bullet\s+points?|(?:declaration\s+)?(?:input|language|text|points?)\s+(?:on|about|for)|"
    r"paragraphs?\s+of|deal\s+with|drawing\s+on|based\s+on)\b"
    r"|区域筹备会议|筹备会议|会议|报告|与会者|发言者|区域|请根据|请依据|参考|起草|草拟|要点|分别|比较|两份|两次",
    re.IGNORECASE,
)


_COMPARISON = re.compile(
    r"\b(?:compare[ds]?|comparison|differ(?:ence|ent)?s?|each\s+(?:meeting|report)|both|two\s+(?:meetings|reports))\b"
    r"|比较|对比|分别|各自|两份|两次|异同|不同",
    re.IGNORECASE,
)


# Questions about the meeting itself (attendance, officers, opening, agenda, adoption, dates): the
# procedural paragraphs (kind "other") are what they ask for, so those keep their full score.
_ABOUT_MEETING = re.compile(
    r"\b(?:attend\w*|observers?|elect\w*|chair\w*|presid\w*|rapporteur|bureau|officers|open(?:ing|ed)|"
    r"clos(?:ing|ed)|agenda|adopt\w*|video|statements?|speakers?|secretar\w*|host\w*|venue|held|when|"
    r"dates?|which\s+day|sessions?|minute\s+of\s+silence|organi[sz]ation\s+of\s+work|delegat\w*)\b"
    r"|出席|观察员|选举|选出|主席|报告员|开幕|闭幕|议程|致辞|发言|秘书|东道国|举行|默哀|工作安排|代表|"
    r"通过.{0,6}报告|报告.{0,12}通过|第几场|哪一天|日期|地点|何时|时间",
    re.IGNORECASE,
)


def _alternate_documents(hits: list[Hit]) -> list[Hit]:
    """Round-robin over documents, keeping each document's own order (best document first)."""
    queues: dict[str, list[Hit]] = {}
    for h in hits:
        queues.setdefault(h.unit.symbol, []).append(h)
    out: list[Hit] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                out.append(queue.pop(0))
    return out


def similarity_text(text: str) -> str:
    """The question without the phrases naming documents (those become a filter, see `_scope`)."""
    chars = list(text)
    for m in document_mentions(text):
        chars[m.start:m.end] = " " * (m.end - m.start)
    stripped = re.sub(r"\s+", " ", _GENERIC.sub(" ", "".join(chars))).strip()
    return stripped if tokenize(stripped) else text


def _has_content_besides_references(text: str) -> bool:
    """Does the question ask something beyond "show me paragraph 24 of report X"?"""
    rest = list(text)
    for start, end in reference_spans(text):
        rest[start:end] = " " * (end - start)
    leftover = "".join(rest)
    filler = {"说", "内容", "全文", "原文", "show", "quote", "text", "full", "什么", "了", "看"}
    return len([t for t in tokenize(leftover) if t not in filler and not t.isdigit()]) >= 2


def _document_passes(first_unit: Unit, filters: Filters) -> bool:
    return ((not filters.symbols or first_unit.symbol in filters.symbols)
            and (not filters.congresses or first_unit.congress in filters.congresses)
            and (not filters.regions or first_unit.region in filters.regions))


def _en_ref(ref: Reference) -> str:
    return f"{ref.paragraph}" + (f" ({ref.item})" if ref.item else "")


def _en_document(ref: Reference) -> str:
    parts = [ref.region or "", f"the {_ordinal(ref.congress)} Congress" if ref.congress else ""]
    return " / ".join(p for p in parts if p)


def _zh_document(ref: Reference) -> str:
    parts = [_ZH_REGIONS.get(ref.region or "", ref.region or ""),
             f"第{ref.congress}届预防犯罪大会" if ref.congress else ""]
    return "、".join(p for p in parts if p)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_ZH_REGIONS = {
    "Europe": "欧洲", "Latin America and the Caribbean": "拉丁美洲和加勒比",
    "Asia and the Pacific": "亚洲及太平洋", "Western Asia": "西亚", "Africa": "非洲",
}


def _describe(snap: _Snapshot, symbol: str, language: str) -> str:
    u = snap.documents[symbol]
    if language == "zh":
        region = _ZH_REGIONS.get(u.region, u.region)
        congress = f"第{u.congress}届" if u.congress else ""
        return f"{symbol}（{region}{'，' + congress if congress else ''}）"
    congress = f", {_ordinal(u.congress)} Congress" if u.congress else ""
    return f"{symbol} ({u.region}{congress})"


# ---------------------------------------------------------------- LangChain


def hit_to_document(hit: Hit) -> Document:
    """page_content is the verbatim unit text; metadata is the unit's plus score and via."""
    metadata = {**hit.unit.to_metadata(), "score": hit.score, "via": hit.via}
    return Document(page_content=hit.unit.text, metadata=metadata, id=hit.unit.id)


class UnitRetriever(BaseRetriever):
    """LangChain retriever over a HybridSearcher (`retriever.invoke("第24段")` -> Documents)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: HybridSearcher
    k: int = 10
    filters: Filters | None = None
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.searcher.search(query, self.k, self.filters, self.mode)
        documents = [hit_to_document(h) for h in result.hits]
        for doc in documents:
            doc.metadata["notices"] = list(result.notices)
        return documents


