"""Answer modes as objects, in one registry that feeds the chain, the prompts, the CLI and the UI.

A mode carries everything that differs between "ask", "lookup", "compare" and "draft": its
bilingual labels (the UI's mode choices) and CLI summary, its task prompt, how it retrieves, its
extractive (model-free) form, whether it needs a model, whether it checks relevance, how many
statements a model answer may have and the framing its statements use (draft points read as
declaration language).

Adding a mode: write its retrieval (a function `(Retrieval, question, filters, language) ->
Context`) and its extractive form, then `register(Mode(...))` at the bottom of this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from assistant import extractive
from assistant.relevance import is_relevant
from vectorstore.filters import Filters
from vectorstore.query_scope import resolve_scope, speaks_of_the_meetings
from vectorstore.registry import Registry
from vectorstore.retrieval import Hit, HybridSearcher
from vectorstore.units import Unit

SEARCH_K = 8
MAX_SOURCES = 6  # units in a model prompt
# How far below the closest source's cosine a prompt source may be (Context.prompt_units). Set on
# the dev half from the prompt sources' own precision and recall (eval/README.md, eighth round).
PROMPT_SIMILARITY_MARGIN = 0.015


@dataclass
class Context:
    """What retrieval found for one question."""

    hits: list[Hit]  # shown as sources (retrieval order)
    units: list[Unit]  # given to the generator, best first
    citable: list[Unit]  # units an answer may cite (units + previous turn's sources)
    notices: list[str] = field(default_factory=list)
    relevant: bool = True
    groups: list[tuple[str, list[Unit]]] = field(default_factory=list)  # compare: per document
    # unit id -> rendering in the reader's language, from the chain's own data directory (quotes
    # and the sources panel show a unit in the other language through it)
    renderings: dict = field(default_factory=dict)

    def prompt_units(self, limit: int) -> list[Unit]:
        """The first `limit` units, less those whose cosine to the question trails the closest of
        them by more than PROMPT_SIMILARITY_MARGIN. A 1.5B model restates every source it is given,
        answering or not, so a source far from the question costs a wrong citation more often than
        it adds a right one. The first unit, and units no similarity search scored (looked-up
        paragraphs, a previous answer's sources), always stay."""
        units = self.units[:limit]
        cosine = {h.unit.id: h.dense_score for h in self.hits if h.dense_score is not None}
        scored = [cosine[u.id] for u in units if u.id in cosine]
        if not scored:
            return units
        floor = max(scored) - PROMPT_SIMILARITY_MARGIN
        return [u for i, u in enumerate(units) if i == 0 or cosine.get(u.id, floor) >= floor]

    def narrowed(self, ids: set[str]) -> Context:
        """The same context with only the units in `ids` to answer from; a compare group without
        any of them keeps its units (each document still shows its evidence)."""
        groups = [(symbol, [u for u in units if u.id in ids] or units) for symbol, units in self.groups]
        return replace(self, units=[u for u in self.units if u.id in ids], groups=groups)


@dataclass
class Retrieval:
    """What a mode's retrieval may use: the searcher and the relevance check."""

    searcher: HybridSearcher
    rendering: Callable[[Unit, str], str | None] | None = None  # a unit's text in the other language

    def search(self, question: str, filters: Filters, k: int = SEARCH_K):
        return self.searcher.search(question, k, filters)

    def relevant(self, question: str, filters: Filters, hits: list[Hit], units: list[Unit]) -> bool:
        return is_relevant(self.searcher.store, question, filters, hits, units, self.rendering)


@dataclass(frozen=True)
class Mode:
    name: str
    labels: dict[str, str]  # {"zh": ..., "en": ...}, joined into the UI's label ("问答 / Ask")
    task: dict[str, str]  # the task prompt, per answer language
    retrieve: Callable[[Retrieval, str, Filters, str], Context]
    extractive: Callable[[str, Context, str], str]  # model-free answer (question, context, language)
    needs_model: bool = True  # False: always answered extractively (lookup)
    checks_relevance: bool = True  # refuse when the best paragraphs do not answer the question
    max_statements: int = 4
    # Units shown to the model (per document in a per_document mode): fewer, better sources keep a
    # 2-core CPU fast, and a small model restates every source it is given.
    prompt_sources: int = 4
    lead: bool = True  # a model answer may open with a one-sentence lead citing several sources
    framing: dict[str, str] = field(default_factory=dict)  # each statement starts with this
    named_congress_only: bool = False  # a congress named in the question restricts the documents
    per_document: bool = False  # one generation per document group (compare)
    # When nothing the model said survives and its statements cite or restate no source, the
    # fallback quotes only the sources the model was shown, not every retrieved one. On dev this
    # raised compare and draft precision; in ask mode it cost recall (its prompt is already cut by
    # similarity), so ask keeps all.
    fallback_quotes_shown: bool = False
    # Each point offers the closest paragraph of the adopted declaration as agreed language
    # (assistant.trace.agreed_language), when one is close enough.
    offers_agreed_language: bool = False
    summary: str = ""  # what the mode does, in a few words (`assistant ask --mode` help)

    def label(self, language: str) -> str:
        return self.labels[language]


MODES: Registry[Mode] = Registry("mode")


def register(mode: Mode) -> Mode:
    return MODES.register(mode.name, mode)


def get_mode(name: str) -> Mode:
    return MODES.get(name)


def mode_names() -> tuple[str, ...]:
    return MODES.names()


# -- retrieval strategies -------------------------------------------------------------------------

def retrieve_ask(retrieval: Retrieval, question: str, filters: Filters, language: str) -> Context:
    result = retrieval.search(question, filters)
    hits = result.hits
    if result.references and result.asks_more:
        hits = _items_closest_first(hits)
    units = [h.unit for h in hits]
    return Context(hits=hits, units=units[:MAX_SOURCES], citable=units, notices=list(result.notices))


def _items_closest_first(hits: list[Hit]) -> list[Hit]:
    """A question about a paragraph that asks more than its text ("其中讲法律援助的是哪一项？",
    "which of paragraph 76's items concerns children?"): the paragraph's sub-items nearest the
    question first (dense cosine), not in reading order, so that a prompt of a few sources holds
    the item asked about. Whole paragraphs and similarity hits keep their places."""
    items = [h for h in hits if h.via == "lookup" and h.unit.item is not None]
    if len(items) < 2:
        return hits
    closest = iter(sorted(items, key=lambda h: -(h.dense_score if h.dense_score is not None else -1.0)))
    return [next(closest) if h.via == "lookup" and h.unit.item is not None else h for h in hits]


def retrieve_lookup(retrieval: Retrieval, question: str, filters: Filters, language: str) -> Context:
    result = retrieval.search(question, filters)
    hits = [h for h in result.hits if h.via == "lookup"]
    units = [h.unit for h in hits]
    return Context(hits=hits, units=units, citable=units, notices=list(result.notices))


def retrieve_draft(retrieval: Retrieval, question: str, filters: Filters, language: str) -> Context:
    """Recommendation paragraphs first, then other paragraphs to fill the list."""
    recommendations = retrieval.search(question, replace(filters, kinds=("recommendation",)))
    hits = list(recommendations.hits[:MAX_SOURCES])
    if len(hits) < MAX_SOURCES:
        seen = {h.unit.id for h in hits}
        others = retrieval.search(question, filters).hits
        hits += [h for h in others if h.unit.id not in seen][:MAX_SOURCES - len(hits)]
    units = [h.unit for h in hits]
    return Context(hits=hits, units=units, citable=units, notices=list(recommendations.notices))


def retrieve_compare(retrieval: Retrieval, question: str, filters: Filters, language: str) -> Context:
    """One search per document (filtered to its symbol), grouped by document."""
    store = retrieval.searcher.store
    symbols = list(filters.symbols) or _compared_documents(
        question, [d.symbol for d in store.documents() if _document_passes(d, filters)], retrieval.searcher)
    per_document = max(2, MAX_SOURCES // max(1, len(symbols)))
    hits, groups, notices = [], [], []
    for symbol in symbols:
        only_this = replace(filters, symbols=(symbol,))
        result = retrieval.search(question, only_this, per_document)
        units = [h.unit for h in result.hits]
        groups.append((symbol, units if retrieval.relevant(question, only_this, result.hits, units) else []))
        hits += result.hits
        notices += [n for n in result.notices if n not in notices]
    units = [u for _, group in groups for u in group]
    return Context(hits=hits, units=units, citable=units, notices=notices, relevant=bool(units),
                   groups=groups)


def _compared_documents(question: str, symbols: list[str], searcher: HybridSearcher) -> list[str]:
    """The documents a comparison is about when no filter says: those the question sets side by
    side (named, or given by region: "拉美报告和京都宣言"), the meeting reports when it speaks of
    "the two meetings" (两份报告) and the store holds at least two, else every one.

    A resolution is not one of "the meetings": comparing what the two meetings said must not add
    a third group for it (the catalog's venue and dates tell a meeting report)."""
    snapshot = searcher.snapshot()
    sides = [s for s in symbols if s in resolve_scope(question, snapshot.facts, snapshot.infos).sides]
    if len(sides) >= 2:
        return sides
    if not speaks_of_the_meetings(question):
        return symbols
    meetings = [f.symbol for f in snapshot.facts if f.meeting and f.symbol in symbols]
    return meetings if len(meetings) >= 2 else symbols


def _document_passes(doc, filters: Filters) -> bool:
    return ((not filters.congresses or doc.congress in filters.congresses)
            and (not filters.regions or doc.region in filters.regions))


# -- the modes ------------------------------------------------------------------------------------

register(Mode(
    name="ask", labels={"zh": "问答", "en": "Ask"},
    task={"zh": "用1至4条陈述回答问题；每条陈述转述一个来源中回答问题的内容。只转述直接回答问题的来源，"
                "通常一条就够。",
          "en": "Answer the question in 1 to 4 statements; each statement restates what one source "
                "says that answers the question. Restate only sources that answer it directly; one is "
                "often enough."},
    retrieve=retrieve_ask,
    extractive=lambda question, context, language: extractive.ask_answer(question, context.units, language,
                                                                         renderings=context.renderings),
))
register(Mode(
    name="lookup", labels={"zh": "查段落", "en": "Look up paragraph"}, summary="quote a paragraph",
    task={"zh": "逐字引用所问的段落。", "en": "Quote the requested paragraph verbatim."},
    retrieve=retrieve_lookup,
    extractive=lambda question, context, language: extractive.lookup_answer(context.units, language,
                                                                            renderings=context.renderings),
    needs_model=False, checks_relevance=False, lead=False,
))
register(Mode(
    name="compare", labels={"zh": "比较", "en": "Compare"}, summary="by document",
    task={"zh": "用1至3条陈述说明这份报告对该主题说了什么；每条陈述转述一个来源。",
          "en": "In 1 to 3 statements, say what this report says on the theme; each statement "
                "restates one source."},
    retrieve=retrieve_compare,
    extractive=lambda question, context, language: extractive.compare_answer(question, context.groups,
                                                                             language,
                                                                             renderings=context.renderings),
    checks_relevance=False, max_statements=3, prompt_sources=1, lead=False, per_document=True,
    fallback_quotes_shown=True,
))
register(Mode(
    name="draft", labels={"zh": "起草", "en": "Draft"}, summary="declaration bullet points",
    task={"zh": "为宣言草案写1至5条要点。每条以“我们承诺”开头，用宣言的语言，"
                "转述一个来源（优先建议类段落）。只转述直接论及该主题的来源。",
          "en": "Write 1 to 5 points for a declaration. Each starts with \"We commit to\", is written "
                "in the language of a declaration and restates one source (prefer recommendations). "
                "Restate only sources that treat the theme directly."},
    retrieve=retrieve_draft,
    extractive=lambda question, context, language: extractive.draft_answer(question, context.units, language,
                                                                           renderings=context.renderings),
    max_statements=5, prompt_sources=5, lead=False, framing={"zh": "我们承诺", "en": "We commit to"},
    named_congress_only=True, offers_agreed_language=True, fallback_quotes_shown=True,
))
