"""Find the units that answer a question: exact paragraph lookup first, then hybrid search.

1. Lookup: paragraph references in the question (`拉美报告第24(d)段`, `para. 37 (o)`,
   `Kyoto Declaration, para. 36`) are resolved from metadata, never by similarity; a missing
   paragraph or document gives a notice instead.
2. Hybrid: dense search (Chroma) and BM25 each return their top `CANDIDATES`, fused with weighted
   reciprocal rank fusion. Dense search ranks each document language on its own (one ranking
   per language in the fusion): the small multilingual embedder gives same-language pairs higher
   cosines than any cross-language pair, so one cosine-sorted list buried the English paragraphs
   under Chinese ones for a Chinese question, and the reverse (equal fused scores: the larger
   cosine relative to its own language's candidates first). BM25 only scores units in the
   question's script (see vectorstore.bm25); so the question's terms are also looked up in the
   domain glossary (vectorstore.glossary) in the other language: an English question's Chinese
   terms score Chinese units (and are appended to the text dense search embeds for Chinese
   units), a Chinese question's English terms score English units.
   The units' renderings in the other language (vectorstore.renderings) are searched too, for the
   documents in the other language than the question's: the dense ranking of those documents
   fuses the question's cosine to their originals and to their renderings (equal weight), and a
   BM25 ranking over the renderings shares one keyword ranking's weight with the glossary's. A
   unit without a rendering (an upload still being rendered) only lacks that evidence.
3. Which documents a question is about comes from the catalog (vectorstore.query_scope): a
   question naming documents (symbol, alias, title) searches only those; a congress, region,
   year or city ranks the documents with that metadata higher (`MENTION_BOOST`) and never
   excludes the others. The naming words are left out of similarity search. A comparison
   weighs the keyword rankings more, and puts the best hits of each document it is about first,
   alternating, so that every side is present; a side's first places alternate between rank
   fusion's best and the keyword rankings' own best (where the dense query, mostly the
   comparison's frame once the sides' names are out, pulls fusion to a general paragraph). Lead-in
   paragraphs ("与会者未经谈判提出了下列建议：") are never similarity hits: their items are.
4. Every hit keeps the cosine similarity dense search computed for it (`Hit.dense_score`), so
   callers need no second dense search to judge relevance.

The LangChain retriever over this searcher is `vectorstore.langchain_retriever.UnitRetriever`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Container
from dataclasses import dataclass, field, replace
from itertools import zip_longest

import numpy as np

from vectorstore.bm25 import BM25Index, index_path, load_or_build, tokenize
from vectorstore.errors import UserError
from vectorstore.filters import Filters
from vectorstore.glossary import english_terms, translate_query
from vectorstore.language import detect_language
from vectorstore.query_scope import DocumentFacts, resolve_scope
from vectorstore.query_text import clean_query, has_content_besides_references, similarity_text
from vectorstore.references import (
    MAX_PARAGRAPH,
    MAX_RANGE,
    Reference,
    find_references,
    reference_label,
    references_in,
)
from vectorstore.settings import Settings
from vectorstore.units import Unit, UnitKey, part_label
from vectorstore.wording import congress_name, declaration_name, describe_document, region_name, say

MODES = ("hybrid", "dense", "bm25")
MAX_K = 200
CANDIDATES = 50  # per ranker, before fusion
RRF_K = 60
# A further sub-item of a paragraph already ranked scores half: recall counts paragraphs, and a
# reader (or the model) gains less from 24(e) after 24(d) than from another paragraph. Dev half,
# mixed store (eval/README.md, fourth round): hybrid unchanged at every value 0-0.9, BM25-only
# zh->zh 0.810 -> 0.838 and en->zh 0.940 -> 0.954, dense-only en->zh 0.896 -> 0.924.
SIBLING_DISCOUNT = 0.5
# The units' renderings in the other language (vectorstore/renderings.py) join the rankings of the
# documents in the other language than the question's (chosen on dev, eval/README.md third round):
# - dense: the question's cosine to their renderings (a same-language pair) and to their originals
#   (a cross-language pair) are fused into that language's one dense ranking, with equal weight;
# - BM25: the question's words score their renderings; that ranking and the glossary's (below)
#   share the weight of one keyword ranking.
# The two cosines of one unit are combined by their z-scores among each list's candidates (their
# mean), not by their ranks: on dev, dense en->zh 0.887 -> 0.936 and hybrid all 0.927 -> 0.932
# against rank fusion, which threw away how much nearer one unit is than the next (fourteenth round).
# A unit without a rendering (an upload not yet rendered) lacks that evidence: its dense score is
# its original's z-score alone, and the renderings' keyword ranking cannot rank it.
# USE_GLOSSARY: the domain glossary's terms in the other language (BM25, and the text embedded
# for Chinese documents under an English question).
RENDERINGS_CHANNEL = True
USE_GLOSSARY = True
RENDERINGS_RECHECK_SECONDS = 60  # background translation adds renderings without a store change
RENDERING_CHUNK = 64  # renderings embedded per call (each call's vectors are cached at once)
# fused score factor for documents whose congress/region/year/city the question mentions: the
# lowest value of the dev plateau (1.5-3 score alike; eval/README.md). It tells apart documents
# whose metadata differs (the 14th and the 15th Congress's reports); on its own it would also bury
# a document that has no such metadata, which is what the next two constants prevent.
MENTION_BOOST = 1.5
# The boost must not bury a document that merely lacks the metadata mentioned (QueryScope.unknown):
# rank fusion's scores lie close together, so 1.5 times lifts a boosted document's 30th unit above
# any other document's first. Such a document's best unit, when it was among the first
# LEADER_WINDOW places before the boost, is passed by at most MENTION_OVERTAKE boosted units (set by
# reasoning, not tuned: the built-in documents all carry their metadata, so the evaluation set
# cannot measure it; an audit of resolutions ingested without a catalog is in eval/README.md).
LEADER_WINDOW = 5
MENTION_OVERTAKE = 1
# BM25 rankings' weight relative to each dense ranking in the fusion, times the user's
# ASSISTANT_BM25_WEIGHT: BM25 decides ties among dense candidates more than it overrules them
# (tuned on dev with dense ranked per document language, eval/README.md)
KEYWORD_WEIGHT = 0.3
# A question setting documents side by side is long and names several themes at once, and one
# embedding of it matches general paragraphs: on dev compare questions BM25 0.838, dense 0.694
# (test 0.801 / 0.676). There the keyword rankings weigh this much instead (dev plateau 2-5 for
# the compare questions; 2 keeps the most elsewhere, eval/README.md seventh round).
COMPARISON_KEYWORD_WEIGHT = 2.0
# In a comparison each side's best SIDE_LEAD hits alternate first; the further places go by fused
# rank, whichever side they come from (a report often has three matching sub-items where the
# declaration has one paragraph). Dev: 1 and 2 alike, 2 one paragraph better. A side's leads
# alternate between fusion's order and the keyword rankings' (eval/README.md, nineteenth round:
# dev zh->zh+en 0.711 -> 0.733, every other slice unchanged; with 3 leads 0.715, en->zh+en lower).
SIDE_LEAD = 2
# Rank fusion chooses the first SCORE_ORDERED_TOP places; the channels' own scores order them:
# the weighted sum of each ranking's z-scores among its candidates, the keyword rankings weighing
# SCORE_KEYWORD_SCALE times KEYWORD_WEIGHT (0.5 of a dense ranking) in every question, comparisons
# included. A peaked BM25 score (the one paragraph with the question's rare term) then leads a unit
# that is merely near the top of several rankings. Dev (eval/README.md, fourteenth round): recall@1
# 0.540 -> 0.594, MRR 0.843 -> 0.874, recall@5 0.932 -> 0.933; keyword scale 1 / 5/3 / 10/3:
# recall@1 0.555 / 0.596 / 0.592; the first 3 / 5 / 10 places: 0.589 / 0.596 / 0.602, but 10 lost
# recall@5 in comparisons (0.931 -> 0.847 en->zh+en) (the last two lines with a comparison's
# keyword weight in the order too). The 1.5B model's answers on dev: precision 0.732 -> 0.739.
SCORE_ORDERED_TOP = 5
SCORE_KEYWORD_SCALE = 5 / 3
DERIVED_FROM = 4  # letters of a stored word that a derived one begins with (stores_word)


@dataclass
class Hit:
    unit: Unit
    score: float
    via: str  # "lookup", "hybrid", "dense" or "bm25"
    dense_score: float | None = None  # cosine similarity to the query, when dense search ranked it
    rank_before_boost: int | None = None  # place in the similarity ranking before MENTION_BOOST

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
    # cosine similarity of every unit dense search scored (unit id -> score), best first, and
    # the text it embedded: the question without document names; for the documents in another
    # language than the question, plus glossary terms (`dense_queries`: document language -> text)
    dense_scores: dict[str, float] = field(default_factory=dict)
    dense_query: str = ""
    dense_queries: dict[str, str] = field(default_factory=dict)
    # the question asks something beyond the paragraphs it references ("第24段说了什么" does not)
    asks_more: bool = True


# A paragraph is found by (symbol, part, preamble, number); the body's part is "".
_ParagraphKey = tuple[str, str, bool, int]


def _paragraph_key(u: Unit) -> _ParagraphKey:
    return u.symbol, u.part, u.preamble, u.paragraph


class _Snapshot:
    """The store's units, documents and BM25 index at one revision (rebuilt when it changes)."""

    def __init__(self, revision: str, units: list[Unit], bm25: BM25Index, infos: list | None = None):
        self.revision = revision
        self.units = units
        self.by_id = {u.id: u for u in units}
        self.bm25 = bm25
        self.paragraphs: dict[_ParagraphKey, list[Unit]] = {}
        for u in units:
            self.paragraphs.setdefault(_paragraph_key(u), []).append(u)
        self.documents: dict[str, Unit] = {}  # symbol -> first unit (carries document metadata)
        for u in units:
            self.documents.setdefault(u.symbol, u)
        self.languages: dict[str, tuple[str, ...]] = {}  # document language -> symbols
        for symbol, first in sorted(self.documents.items()):
            self.languages[first.language] = (*self.languages.get(first.language, ()), symbol)
        # catalog metadata of each document (the store's DocumentInfo also has congress_venue)
        known = {i.symbol: i for i in infos or () if i.symbol in self.documents}
        self.facts = [DocumentFacts.of(first, known.get(s)) for s, first in self.documents.items()]
        # for the reference grammar's alias lookup: the one that carries the aliases (and the
        # printed titles of the annexes)
        self.infos = {s: known[s] if s in known and (known[s].aliases or known[s].part_titles) else first
                      for s, first in self.documents.items()}
        # a paragraph with sub-items: its own unit is only the lead-in ("与会者未经谈判提出了下列建议："),
        # which matches every question about recommendations and says nothing; its items carry it
        with_items = {_paragraph_key(u) for u in units if u.item}
        self.lead_ins = {u.id for u in units if not u.item and _paragraph_key(u) in with_items}
        # the units' renderings and the indexes over them (built on demand, HybridSearcher._renderings)
        self.renderings: _Renderings | None = None
        self.renderings_count = -1
        self.renderings_checked = 0.0

    def mask(self, index: BM25Index, filters: Filters | None):
        """Which rows of `index` pass `filters` (None: all of them)."""
        if filters is None or filters.empty:
            return None
        return np.array([uid in self.by_id and filters.matches(self.by_id[uid]) for uid in index.ids])

    def paragraph_range(self, symbol: str, part: str = "", preamble: bool = False) -> tuple[int, int]:
        numbers = [p for s, pt, pre, p in self.paragraphs if s == symbol and pt == part and pre == preamble]
        return (min(numbers), max(numbers)) if numbers else (0, 0)


class _Renderings:
    """The renderings of a snapshot's units: a BM25 index over them, and their vectors.

    A sub-item's rendering is searched with its paragraph's rendered lead-in in front, as
    `Unit.embedding_text` puts the chapeau in front of the original. Lead-ins are never hits.
    The vectors are computed in a background thread on first use (about 400 renderings take a
    minute or two on 2 cores when the per-machine embedding cache does not have them yet); until
    they are ready, dense search simply lacks the renderings' evidence. `ready()` waits for them.
    """

    def __init__(self, snap: _Snapshot, found: dict):
        self.by_id = snap.by_id
        self.texts: dict[str, tuple[str, str]] = {}  # unit id -> (language, rendering with chapeau)
        for u in snap.units:
            if u.id not in found or u.id in snap.lead_ins:
                continue
            text = found[u.id].text
            lead_in = next((o for o in snap.paragraphs[_paragraph_key(u)] if o.item is None), None)
            if u.item and lead_in is not None and lead_in.id in found:
                text = f"{found[lead_in.id].text}\n{text}"
            self.texts[u.id] = (found[u.id].language, text)
        # rows keep the unit ids; each row has the rendering's language, so a question's words
        # score the renderings in its own language
        rows = [replace(snap.by_id[uid], text=text, language=language, section=[], chapeau="")
                for uid, (language, text) in self.texts.items()]
        self.index = BM25Index.build(rows, snap.revision)
        self._ids = list(self.texts)
        self._vectors: np.ndarray | None = None
        self._embedding: threading.Thread | None = None
        self._lock = threading.Lock()

    def ready(self, embeddings, wait: bool = False) -> bool:
        """Whether the vectors are there; starts computing them if not (and waits with `wait`)."""
        from vectorstore.embeddings import unit_vectors

        def embed():
            texts = [self.texts[uid][1] for uid in self._ids]
            # in chunks, so that the embedding cache keeps what a short-lived process computed
            chunks = [unit_vectors(embeddings, texts[i:i + RENDERING_CHUNK], "passage")
                      for i in range(0, len(texts), RENDERING_CHUNK)]
            self._vectors = np.vstack(chunks)

        with self._lock:
            if self._vectors is None and self._embedding is None and self._ids:
                self._embedding = threading.Thread(target=embed, name="rendering-vectors", daemon=True)
                self._embedding.start()
            embedding = self._embedding
        if wait and embedding is not None:
            embedding.join()
        return self._vectors is not None

    def dense(self, embeddings, text: str, language: str, n: int,
              filters: Filters | None) -> list[tuple[Unit, float]]:
        """The `n` units whose renderings in `language` are nearest to `text`, with the cosine
        (none while the vectors are being computed)."""
        from vectorstore.embeddings import unit_vectors

        if not self.ready(embeddings):
            return []
        cosines = self._vectors @ unit_vectors(embeddings, [text], "query")[0]
        found = [(self.by_id[uid], float(c)) for uid, c in zip(self._ids, cosines, strict=True)
                 if self.texts[uid][0] == language
                 and (filters is None or filters.empty or filters.matches(self.by_id[uid]))]
        return sorted(found, key=lambda pair: -pair[1])[:n]


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
                infos = self.store.documents() if hasattr(self.store, "documents") else None
                self._snapshot = _Snapshot(revision, units, bm25, infos)
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
            notices.append(say(language, en="The store is empty: add reports with `assistant ingest`.",
                                zh="库中没有文件：请用 `assistant ingest` 添加报告。"))
            return SearchResult(text, [], [], notices)

        groups = find_references(text, snap.infos)
        references = references_in(groups)
        unread = _unread_references(text, groups, language)
        notices += unread
        scope = resolve_scope(text, snap.facts, snap.infos)
        hits, lookup_notices = self._lookup(snap, references, filters, language, scope.boosted)
        notices += lookup_notices
        result = SearchResult(text, hits, references, notices)
        wanted = k - len(hits)
        if references or unread:
            # "第24段" alone: similarity search on it would only add noise
            result.asks_more = has_content_besides_references(text, snap.infos, scope.spans)
            wanted = max(wanted, k // 2) if result.asks_more else 0
        if wanted > 0:
            seen = {h.unit.id for h in hits}
            search_filters = filters
            targets = scope.named | scope.boosted if scope.named else scope.boosted
            if (filters is None or filters.empty) and scope.named and targets != set(snap.documents):
                # the question names documents: search only them (and those it points to by metadata)
                search_filters = Filters(symbols=tuple(sorted(targets)))
            compares = mentions_comparison(text)
            comparison = len(targets) > 1 or compares
            n = max(wanted + len(seen), CANDIDATES if comparison else 0)
            # a question setting documents side by side: their descriptions ("the European
            # meeting", "拉美会议报告") are not what it asks about; a question about one meeting
            # ("when was the European meeting held?") keeps them
            sides = len(scope.sides) > 1 or compares
            spans = scope.comparison_spans if sides else scope.spans
            searched = similarity_text(text, spans)
            boosted = set() if scope.named else scope.boosted
            ranked = self._similar(snap, searched, n, search_filters, mode, boosted=boosted, result=result,
                                   keyword_share=COMPARISON_KEYWORD_WEIGHT if comparison else KEYWORD_WEIGHT,
                                   unknown=scope.unknown)
            ranked = [h for h in ranked if h.unit.id not in seen]
            if comparison:  # a comparison needs every side
                keyword_ranked = []
                if mode == "hybrid":
                    keyword_ranked = self._similar(snap, searched, n, search_filters, "bm25", boosted=boosted,
                                                   unknown=scope.unknown)
                # the alternation may move an unknown document's leader down again
                ranked = _keep_unknown_leaders(_alternate_documents(ranked, targets, keyword_ranked),
                                               scope.unknown)
            hits += ranked[:wanted]
        for hit in hits:
            if hit.dense_score is None:
                hit.dense_score = result.dense_scores.get(hit.unit.id)
        return result

    def _similar(self, snap: _Snapshot, text: str, k: int, filters: Filters | None, mode: str,
                 boosted: set[str] = frozenset(), result: SearchResult | None = None,
                 keyword_share: float = KEYWORD_WEIGHT, unknown: set[str] = frozenset()) -> list[Hit]:
        """The best `k` units by dense, BM25, glossary and renderings rankings, fused.

        Every mode goes through the same fusion and boost, with its own rankings ("dense": one per
        document language; "bm25": words, glossary terms and renderings) or all of them
        ("hybrid"), so the modes compare fairly.
        """
        n = max(CANDIDATES, k)
        dense_rankings: list[list[tuple[Unit, float]]] = []
        keyword: list[tuple[Unit, float]] = []
        translated: list[tuple[Unit, float]] = []
        rendered: list[tuple[Unit, float]] = []
        cosines: dict[str, float] = {}  # unit id -> cosine of the question to its original
        # the glossary both ways: English words do not score Chinese units in BM25, nor Chinese
        # words English units; the glossary's terms in the other language do
        terms = ""
        question_language = detect_language(text)
        if USE_GLOSSARY and question_language == "en" and snap.bm25.chinese.any():
            terms = translate_query(text)
        elif USE_GLOSSARY and question_language == "zh" and not snap.bm25.chinese.all():
            terms = " ".join(english_terms(text))
        view = self._renderings(snap)
        if mode == "dense" or (mode == "hybrid" and self.settings.dense_weight > 0):
            queries: dict[str, str] = {}
            for language, symbols in snap.languages.items():
                scoped = filters
                if len(snap.languages) > 1:
                    scoped = _within(filters, symbols)
                    if scoped is None:  # the filters leave no document in this language
                        continue
                # the small embedder links an English question to Chinese text better with the
                # glossary's Chinese terms added; English terms added to a Chinese question did
                # not help on dev, and terms in the other language only pull a question's
                # embedding away from paragraphs in its own language
                cross = terms and question_language == "en" and language == "zh"
                queries[language] = f"{text} {terms}" if cross else text
                found = self.store.dense_search(queries[language], n, scoped)
                cosines.update((u.id, c) for u, c in found)
                if view is not None and language != question_language:
                    by_rendering = view.dense(self.store.embeddings, text, question_language, n, scoped)
                    found = _fuse_dense(found, by_rendering, n, view.texts)
                dense_rankings.append(found)
            if result is not None:
                result.dense_queries = queries
                result.dense_query = queries.get(question_language, text)
                result.dense_scores = dict(sorted(cosines.items(), key=lambda pair: -pair[1]))
        if mode == "bm25" or (mode == "hybrid" and self.settings.bm25_weight > 0):
            allowed = snap.mask(snap.bm25, filters)
            keyword = [(snap.by_id[uid], score) for uid, score in snap.bm25.search(text, n, allowed)
                       if uid in snap.by_id]
            if terms:
                translated = [(snap.by_id[uid], score) for uid, score in snap.bm25.search(terms, n, allowed)
                              if uid in snap.by_id]
            if view is not None:
                allowed = snap.mask(view.index, filters)
                rendered = [(snap.by_id[uid], score) for uid, score in view.index.search(text, n, allowed)
                            if uid in snap.by_id]
                if translated and rendered:
                    rendered = _with_unrendered(rendered, translated, view.texts)
        dense_weight, keyword_weight = 1.0, 1.0
        if mode == "hybrid":
            dense_weight = self.settings.dense_weight
            keyword_weight = self.settings.bm25_weight * keyword_share
        # the other language's documents get one keyword ranking's weight, shared by the glossary
        # and the renderings when both found something (on dev, each at full weight outvoted the
        # question's own language: en->en hybrid 0.909 -> 0.818)
        cross_language = [ranking for ranking in (translated, rendered) if ranking]
        cross_weight = keyword_weight / max(len(cross_language), 1)
        rankings = []
        # every language's dense ranking weighs the same: on dev, weighting the question's own
        # language down (0.5-0.85) or up (1.2) lost more on one slice than it won on another
        # (ranking, its weight in rank fusion, its weight in ordering the top, the places its
        # scores are standardised over: a BM25 ranking that matched few units has zeros after them)
        # the same order weights in every question: a comparison's heavier keyword weight
        # (keyword_share) decides which units take the first places, not their order
        order_keyword = SCORE_KEYWORD_SCALE * (KEYWORD_WEIGHT * self.settings.bm25_weight
                                               if mode == "hybrid" else 1.0)
        order_cross = order_keyword / max(len(cross_language), 1)
        channels = (*((found, dense_weight, dense_weight, 0) for found in dense_rankings),
                    (keyword, keyword_weight, order_keyword, n),
                    *((found, cross_weight, order_cross, n) for found in cross_language))
        by_score = []
        for ranking, weight, score_weight, places in channels:
            scored = [(u, s) for u, s in ranking if u.id not in snap.lead_ins]
            if scored:
                rankings.append(([u for u, _ in scored], weight))
                by_score.append((scored, score_weight, places))
        fused = reciprocal_rank_fusion(rankings)
        if len(dense_rankings) > 1:
            # units at the same rank of two languages' dense rankings tie: the one further above
            # its own language's candidates (z-score of the cosine) first, not a fixed language
            standing = _standing(dense_rankings)
            fused.sort(key=lambda pair: (-pair[1], -standing.get(pair[0].id, 0.0)))
        fused = _order_top_by_scores(fused, standardised_sum(by_score))
        before: dict[str, int] = {}
        if boosted:
            before = {u.id: i for i, (u, _) in enumerate(_spread_paragraphs(fused))}
            fused = sorted(((u, s * MENTION_BOOST if u.symbol in boosted else s) for u, s in fused),
                           key=lambda pair: -pair[1])
        fused = _spread_paragraphs(fused)
        hits = [Hit(u, s, mode, cosines.get(u.id), before.get(u.id)) for u, s in fused]
        return _keep_unknown_leaders(hits, unknown)[:k]

    def stores_word(self, word: str) -> bool:
        """Whether a stored unit, or a rendering of one, contains `word`: each of its search tokens,
        or a word of at least DERIVED_FROM letters it begins with ("Japanese" from "Japan",
        "Brazilian" from "Brazil"). A stopword is contained."""
        snap = self.snapshot()
        view = self._renderings(snap)
        vocabularies = [snap.bm25.vocab] + ([view.index.vocab] if view is not None else [])

        def stored(token: str) -> bool:
            shortest = min(DERIVED_FROM, len(token))
            return any(token[:end] in vocabulary for vocabulary in vocabularies
                       for end in range(len(token), shortest - 1, -1))

        return all(stored(token) for token in tokenize(word))

    def prepare_renderings(self) -> bool:
        """Wait until the renderings of the current store can be searched by dense search too
        (what an evaluation does before measuring). False when there are none or they are off."""
        view = self._renderings(self.snapshot())
        return view is not None and view.ready(self.store.embeddings, wait=True)

    def _renderings(self, snap: _Snapshot) -> _Renderings | None:
        """The renderings of the snapshot's units (re-read every RENDERINGS_RECHECK_SECONDS)."""
        if not RENDERINGS_CHANNEL:
            return None
        now = time.monotonic()
        if snap.renderings_count >= 0 and now - snap.renderings_checked < RENDERINGS_RECHECK_SECONDS:
            return snap.renderings
        from vectorstore.renderings import renderings_for

        found = renderings_for(snap.units, self.settings)
        snap.renderings_checked = now
        if len(found) != snap.renderings_count:
            snap.renderings = _Renderings(snap, found) if found else None
            snap.renderings_count = len(found)
        return snap.renderings

    # ------------------------------------------------------------ exact lookup

    def _lookup(self, snap: _Snapshot, references: list[Reference], filters: Filters | None,
                language: str, pointed: set[str] = frozenset()) -> tuple[list[Hit], list[str]]:
        """The units of each referenced paragraph, with notices for what is missing. A reference
        naming no document looks in the documents the question points to by a city, a year or
        "the two meetings" (`pointed`: "the San José meeting, para. 24"), else in all of them."""
        hits: list[Hit] = []
        notices: list[str] = []
        seen: set[str] = set()
        for ref in references:
            symbols, why_none = self._documents_for(snap, ref, filters, language)
            if not ref.names_document and any(s in pointed for s in symbols):
                symbols = [s for s in symbols if s in pointed]
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
                notices.append(say(
                    language,
                    en=f"No document in the store has {_label(ref, 'en')} (searched: {', '.join(symbols)}).",
                    zh=f"库中没有任何文件有{_label(ref, 'zh')}（已查：{'、'.join(symbols)}）。",
                ))
            elif len(found_in) == 1 and len(symbols) > 1:
                notices.append(say(
                    language,
                    en=f"Only {_describe(snap, found_in[0], 'en')} has {_label(ref, 'en')}.",
                    zh=f"只有{_describe(snap, found_in[0], 'zh')}有{_label(ref, 'zh')}。",
                ))
            elif len(found_in) > 1 and not ref.names_document:
                notices.append(say(
                    language,
                    en=f"{len(found_in)} documents have {_label(ref, 'en')}; all are shown: "
                    f"{'; '.join(_describe(snap, s, 'en') for s in found_in)}.",
                    zh=f"{_label(ref, 'zh')}见于 {len(found_in)} 份文件，均已列出："
                    f"{'；'.join(_describe(snap, s, 'zh') for s in found_in)}。",
                ))
        return hits, notices

    def _documents_for(self, snap: _Snapshot, ref: Reference, filters: Filters | None,
                       language: str) -> tuple[list[str], str]:
        """Symbols the reference may point to, or a notice saying why there are none."""
        stored = sorted(snap.documents)
        if ref.declaration:  # "Abu Dhabi Declaration, para. 5": not the reports that fed it
            name = declaration_name(ref.congress, snap.infos.values(), language)
            return [], say(
                language,
                en=f"{name[0].upper()}{name[1:]} is not in the store, so its {_label(ref, 'en')} cannot be "
                f"quoted (stored: {'; '.join(_describe(snap, s, 'en') for s in stored)}).",
                zh=f"{name}不在库中，无法引用其{_label(ref, 'zh')}"
                f"（库中文件：{'；'.join(_describe(snap, s, 'zh') for s in stored)}）。",
            )
        if ref.symbol:
            if ref.symbol not in snap.documents:
                return [], say(
                    language,
                    en=f"{ref.symbol} is not in the store, so its {_label(ref, 'en')} cannot be "
                    f"quoted (stored: {', '.join(stored)}).",
                    zh=f"{ref.symbol} 不在库中，无法引用其{_label(ref, 'zh')}"
                    f"（库中文件：{'、'.join(stored)}）。",
                )
            symbols = [ref.symbol]
        else:
            symbols = [s for s in stored
                       if (not ref.region or snap.documents[s].region == ref.region)
                       and (not ref.congress or snap.documents[s].congress == ref.congress)]
            if not symbols:
                return [], say(
                    language,
                    en=f"No report in the store is from {_en_document(ref)} (stored: "
                    f"{'; '.join(_describe(snap, s, 'en') for s in stored)}).",
                    zh=f"库中没有{_zh_document(ref)}的报告（库中文件："
                    f"{'；'.join(_describe(snap, s, 'zh') for s in stored)}）。",
                )
        if filters is not None and not filters.empty:
            kept = [s for s in symbols if _document_passes(snap.documents[s], filters)]
            if not kept:
                return [], say(
                    language,
                    en=f"{', '.join(_label(ref, 'en', s) for s in symbols)}: excluded by the filters.",
                    zh=f"{'、'.join(_label(ref, 'zh', s) for s in symbols)}被筛选条件排除。",
                )
            symbols = kept
        return symbols, ""

    def _units_of(self, snap: _Snapshot, symbol: str, ref: Reference, filters: Filters | None,
                  language: str) -> tuple[list[Unit], str]:
        """The paragraph's units (whole paragraph: itself and its items), or a 'no such paragraph' notice."""
        paragraph = snap.paragraphs.get(_reference_key(symbol, ref), [])
        if ref.item:
            units = [u for u in paragraph if u.item == ref.item]
        else:
            units = paragraph
        if not units:
            return [], self._missing(snap, symbol, ref, paragraph, language)
        if filters is not None and filters.kinds:
            kept = [u for u in units if u.kind in filters.kinds]
            if not kept:
                return [], say(
                    language,
                    en=f"{_label(ref, 'en', symbol)}: excluded by the kind filter "
                    f"({', '.join(filters.kinds)}).",
                    zh=f"{_label(ref, 'zh', symbol)}被类别筛选（{'、'.join(filters.kinds)}）排除。",
                )
            units = kept
        return units, ""

    @staticmethod
    def _missing(snap: _Snapshot, symbol: str, ref: Reference, paragraph: list[Unit],
                 language: str) -> str:
        """Why `ref` finds nothing in `symbol`, naming the paragraph as a citation writes it
        (`A/RES/76/181, annex, para. 98` / `第76/181号决议附件第98段`) and what does exist."""
        _, part, preamble, _ = _reference_key(symbol, ref)
        cite = {lang: _label(ref, lang, symbol) for lang in ("en", "zh")}
        if paragraph:  # the paragraph exists but not that sub-item
            items = [u.item for u in paragraph if u.item]
            if items:
                have_en = f"its sub-items are ({items[0]})–({items[-1]})"
                have_zh = f"该段分项为 ({items[0]})–({items[-1]})"
            else:
                have_en, have_zh = "the paragraph has no sub-items", "该段没有分项"
            return say(language, en=f"{cite['en']} does not exist: {have_en}.",
                       zh=f"{cite['zh']}不存在：{have_zh}。")
        first, last = snap.paragraph_range(symbol, part, preamble)
        part_zh = part_label(part, "zh")
        if not first:  # no such part (an annex), or no preamble in it
            if part and any(snap.paragraph_range(symbol, part, p)[0] for p in (False, True)):
                return say(language,
                           en=f"{cite['en']} does not exist: {part} of {symbol} has no preamble.",
                           zh=f"{cite['zh']}不存在：{symbol} 的{part_zh}没有序言部分。")
            what_en, what_zh = (part, part_zh) if part else ("preamble", "序言部分")
            return say(language, en=f"{cite['en']} does not exist: {symbol} has no {what_en}.",
                       zh=f"{cite['zh']}不存在：{symbol} 没有{what_zh}。")
        # where that numbering runs: the document, the preamble, the annex, the annex's preamble
        if part:  # "the annex", but "annex I"
            scope_en = ("the " if " " not in part else "") + part + ("'s preamble" if preamble else "")
        else:
            scope_en = "the preamble" if preamble else "the document"
        scope_zh = (part_zh + ("序言部分" if preamble else "")) or "该文件"
        # "A/RES/76/181, para. 36": the body has 1-13, the annex (the Kyoto Declaration) has a 36
        elsewhere = sorted({pt for s, pt, pre, p in snap.paragraphs
                            if s == symbol and not pre and pt != part and p == ref.paragraph})
        meant = {lang: "".join(say(lang, en=f" Did you mean {_label(replace(ref, part=pt), lang, symbol)}?",
                                   zh=f"是否指{_label(replace(ref, part=pt), lang, symbol)}？")
                               for pt in elsewhere if ref.item is None and not preamble)
                 for lang in ("en", "zh")}
        return say(language,
                   en=f"{cite['en']} does not exist: {scope_en} has paragraphs {first}–{last}.{meant['en']}",
                   zh=f"{cite['zh']}不存在：{scope_zh}的段落编号为 {first}–{last}。{meant['zh']}")


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


_COMPARISON = re.compile(
    r"\b(?:compare[ds]?|comparison|differ(?:ence|ent)?s?|each\s+(?:meeting|report)|both|two\s+(?:meetings|reports))\b"
    r"|比较|对比|分别|各自|两份|两次|异同|不同",
    re.IGNORECASE,
)


def mentions_comparison(text: str) -> bool:
    """Whether `text` speaks of comparing or of several documents ("both", "each meeting", 两次, 分别)."""
    return bool(_COMPARISON.search(text))


def _standardised(ranking: list[tuple[Unit, float]], places: int = 0) -> dict[str, float]:
    """unit id -> its score's z-score among the ranking's candidates, and among zero scores for
    the places up to `places` that no unit filled (a lone BM25 match then stands out, where
    among its own candidates alone it would score 0, and two would always score +1 and -1)."""
    scores = np.array([score for _, score in ranking], dtype=float)
    padded = np.concatenate([scores, np.zeros(max(places - len(scores), 0))])
    z = (scores - padded.mean()) / (float(padded.std()) or 1.0)
    return {u.id: float(value) for (u, _), value in zip(ranking, z, strict=True)}


def standardised_sum(rankings: list[tuple[list[tuple[Unit, float]], float, int]]) -> dict[str, float]:
    """unit id -> the weighted sum of its z-scores in the (ranking, weight, places) given; a ranking
    that lacks the unit counts its lowest z-score."""
    standardised = []  # (z-scores, weight, lowest z-score)
    for ranking, weight, places in rankings:
        if weight > 0 and ranking:
            z = _standardised(ranking, places)
            standardised.append((z, weight, min(z.values())))
    ids = {uid for z, _, _ in standardised for uid in z}
    return {uid: sum(weight * z.get(uid, floor) for z, weight, floor in standardised) for uid in ids}


def _order_top_by_scores(fused: list[tuple[Unit, float]],
                         scores: dict[str, float]) -> list[tuple[Unit, float]]:
    """The first SCORE_ORDERED_TOP units reordered by `scores`; the fused scores stay in their
    places, so they still decrease down the list."""
    top = fused[:SCORE_ORDERED_TOP]
    ordered = sorted(top, key=lambda pair: -scores.get(pair[0].id, 0.0))
    places = [score for _, score in top]
    return [(unit, score) for (unit, _), score in zip(ordered, places, strict=True)] + fused[len(top):]


def _alternate_documents(hits: list[Hit], targets: set[str] = frozenset(),
                         keyword_ranked: list[Hit] = ()) -> list[Hit]:
    """Each document's best `SIDE_LEAD` hits round-robin (best document first), then the other
    hits in their ranked order.

    With `keyword_ranked` (the keyword rankings' own fusion of the same search), a document's
    leads alternate between its best hits in `hits` and in `keyword_ranked` (only units `hits`
    has, which are placed as they are there): where the two disagree on a side's best paragraph,
    both lead it.

    With `targets` (the documents the comparison is about), only they lead; every other hit, of
    any document, follows in ranked order. (Placing all of the targets' hits before any other
    document's shut out a document the question points to only by metadata it lacks: "the
    Fourteenth Congress" targets the stored documents of that congress, and a resolution ingested
    without a congress number has the paragraph asked about.)
    """
    if len(targets) > 1:
        lead = _alternate_documents([h for h in hits if h.unit.symbol in targets], frozenset(),
                                    [h for h in keyword_ranked if h.unit.symbol in targets])
        lead = lead[:SIDE_LEAD * len({h.unit.symbol for h in lead})]
        chosen = {h.unit.id for h in lead}
        return lead + [h for h in hits if h.unit.id not in chosen]
    fused = {h.unit.id: h for h in hits}
    queues: dict[str, list[Hit]] = {}
    for symbol in dict.fromkeys(h.unit.symbol for h in hits):
        own = [h for h in hits if h.unit.symbol == symbol][:SIDE_LEAD]
        by_keywords = [fused[h.unit.id] for h in keyword_ranked
                       if h.unit.symbol == symbol and h.unit.id in fused][:SIDE_LEAD]
        turns = [h for pair in zip_longest(own, by_keywords) for h in pair if h is not None]
        queues[symbol] = list({h.unit.id: h for h in turns}.values())[:SIDE_LEAD]
    lead: list[Hit] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                lead.append(queue.pop(0))
    chosen = {h.unit.id for h in lead}
    return lead + [h for h in hits if h.unit.id not in chosen]


def _keep_unknown_leaders(hits: list[Hit], unknown: set[str]) -> list[Hit]:
    """`hits` with the best hit of each document in `unknown` (lacking the metadata the question
    mentions) no more than MENTION_OVERTAKE places below where it stood before the boost, when
    that was among the first LEADER_WINDOW."""
    if not unknown:
        return hits
    hits = list(hits)
    leaders = {}
    for hit in hits:
        if hit.unit.symbol in unknown and hit.rank_before_boost is not None:
            best = leaders.get(hit.unit.symbol)
            if best is None or hit.rank_before_boost < best.rank_before_boost:
                leaders[hit.unit.symbol] = hit
    for hit in sorted(leaders.values(), key=lambda h: h.rank_before_boost):
        limit = hit.rank_before_boost + MENTION_OVERTAKE
        if hit.rank_before_boost < LEADER_WINDOW and hits.index(hit) > limit:
            hits.remove(hit)
            hits.insert(limit, hit)
    return hits


def _spread_paragraphs(fused: list[tuple[Unit, float]]) -> list[tuple[Unit, float]]:
    """Each further unit of a paragraph already ranked (a sibling sub-item) scores SIBLING_DISCOUNT
    times its fused score, so that the first places hold more paragraphs."""
    if SIBLING_DISCOUNT >= 1.0:
        return fused
    seen: set[_ParagraphKey] = set()
    spread = []
    for unit, score in fused:
        key = _paragraph_key(unit)
        spread.append((unit, score * SIBLING_DISCOUNT if key in seen else score))
        seen.add(key)
    return sorted(spread, key=lambda pair: -pair[1])


def _fuse_dense(by_original: list[tuple[Unit, float]], by_rendering: list[tuple[Unit, float]],
                n: int, rendered: Container[str] = frozenset()) -> list[tuple[Unit, float]]:
    """One dense ranking of a language's documents from the question's cosines to their originals
    and to their renderings: the mean of the two z-scores (the first `n`, each with that mean).
    A unit with no rendering (not in `rendered`: an upload not yet rendered) has the z-score of
    its original's cosine alone; counted as the mean with a missing zero, it was halved and sank
    below every rendered unit of that language."""
    if not by_rendering:
        return by_original
    both = standardised_sum([(by_original, 0.5, 0), (by_rendering, 0.5, 0)])
    alone = standardised_sum([(by_original, 1.0, 0)])
    both = {uid: score if uid in rendered else alone.get(uid, score) for uid, score in both.items()}
    units = {u.id: u for u, _ in by_original + by_rendering}
    order = sorted(units, key=lambda uid: -both[uid])
    return [(units[uid], both[uid]) for uid in order[:n]]


def _with_unrendered(rendered: list[tuple[Unit, float]], translated: list[tuple[Unit, float]],
                     has_rendering: Container[str]) -> list[tuple[Unit, float]]:
    """The renderings' keyword ranking with each unit that has no rendering (an upload not yet
    rendered) at the rank the glossary's ranking gives it: no rendering cannot rank it, and
    without a stand-in it lost that channel to every rendered unit."""
    ranked = [(i, 0, u, s) for i, (u, s) in enumerate(rendered)]
    ranked += [(i, 1, u, s) for i, (u, s) in enumerate(translated) if u.id not in has_rendering]
    return [(u, s) for _, _, u, s in sorted(ranked, key=lambda row: row[:2])]


def _standing(rankings: list[list[tuple[Unit, float]]]) -> dict[str, float]:
    """unit id -> its dense score's z-score among the candidates of its own ranking."""
    standing: dict[str, float] = {}
    for found in rankings:
        if found:
            standing.update(_standardised(found))
    return standing


def _within(filters: Filters | None, symbols: tuple[str, ...]) -> Filters | None:
    """`filters` narrowed to `symbols` (None when no symbol is left to search)."""
    if filters is not None and filters.symbols:
        symbols = tuple(s for s in symbols if s in filters.symbols)
    return replace(filters or Filters(), symbols=symbols) if symbols else None


def _document_passes(first_unit: Unit, filters: Filters) -> bool:
    return ((not filters.symbols or first_unit.symbol in filters.symbols)
            and (not filters.congresses or first_unit.congress in filters.congresses)
            and (not filters.regions or first_unit.region in filters.regions))


def _reference_key(symbol: str, ref: Reference) -> _ParagraphKey:
    """The paragraph a reference points to in `symbol` (its part; preambular or numbered)."""
    return symbol, ref.part, ref.preamble, ref.paragraph


def _label(ref: Reference, language: str, symbol: str = "") -> str:
    """The referenced paragraph as a citation writes it (`para. 24 (d)`, `附件第36段`); with
    `symbol`, the whole citation (`A/RES/76/181, annex, para. 36`). Never the internal `annex:36`."""
    return reference_label(UnitKey(symbol, ref.paragraph, ref.item, ref.part, ref.preamble), language)


def _unread_references(text: str, groups, language: str) -> list[str]:
    """What a question asks that lookup does not read, said rather than dropped: a paragraph
    number of 0 or of 1000 or more, and a range of more than MAX_RANGE paragraphs (only its ends)."""
    notices = []
    for group in groups:
        unread = [r.paragraph for r in group.references if not 0 < r.paragraph <= MAX_PARAGRAPH]
        written = text[group.start:group.end]
        if unread:
            notices.append(say(language, en=f"“{written}”: no paragraph is numbered {max(unread)}.",
                               zh=f"“{written}”：没有编号为 {max(unread)} 的段落。"))
        else:
            notices += [say(language,
                            en=f"“{written}”: a range of more than {MAX_RANGE} paragraphs is not "
                            f"expanded; only paras. {first} and {last} are shown.",
                            zh=f"“{written}”：超过 {MAX_RANGE} 段的范围不予展开，只列出第{first}段和"
                            f"第{last}段。")
                        for first, last in group.long_ranges]
    return notices


def _en_document(ref: Reference) -> str:
    parts = [ref.region or "", f"the {congress_name(ref.congress, 'en')}" if ref.congress else ""]
    return " / ".join(p for p in parts if p)


def _zh_document(ref: Reference) -> str:
    parts = [region_name(ref.region or "", "zh"), congress_name(ref.congress, "zh") if ref.congress else ""]
    return "、".join(p for p in parts if p)


def _describe(snap: _Snapshot, symbol: str, language: str) -> str:
    u = snap.documents[symbol]
    return describe_document(symbol, u.region, u.congress, language)
