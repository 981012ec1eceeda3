"""The answer chain: condense follow-up -> retrieve -> generate attributed statements -> check -> Answer.

- Condense: a follow-up ("那拉美报告呢？", "And the Latin American report?") becomes a standalone
  question by deterministic rules first (the previous question with its document or paragraph
  reference swapped); the model condense prompt is used only for a follow-up the rules cannot
  resolve and only with a model backend. A question that points back ("他主持了哪几场会议？",
  "Which sessions did she preside over?") is a follow-up too: the model rewrites it (only a
  question is taken as the rewrite), and without one it is searched with the previous question.
- Retrieve: the mode's retrieval (assistant.modes). A question naming a report ("the European
  report") searches only that report; in draft mode a congress named in the question ("Kyoto",
  "第十五届") restricts the documents to that congress. The previous turn's sources stay
  available to a follow-up. When retrieval finds nothing relevant, the answer says so and lists
  the closest paragraphs instead of guessing. What retrieval found is streamed at once
  (`Sources`), before any answer text.
- Generate: the model writes statements, each bound to the number of the source it restates
  (assistant.statements: a grammar or JSON schema constrains the numbers to the sources in the
  prompt, and English answers to non-CJK text). Each statement is checked against its own
  source (assistant.support) as soon as it is complete; a supported one is streamed at once,
  an unsupported one, or a further one far off the question (`_off_question`), is dropped from
  the answer and listed in `Answer.dropped` and `corrections`. Degenerate output (a repeated
  pattern) stops generation with a notice.
- Fallback: if the backend is unreachable, fails before any statement, or no statement
  survives, the mode's extractive answer is given instead, with a notice saying why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import ClassVar

from assistant import prompts
from assistant.citations import find_markers, marker, render
from assistant.extractive import document_name, readings
from assistant.language import detect_language
from assistant.modes import MAX_SOURCES, Context, Mode, Retrieval, get_mode, mode_names
from assistant.relevance import question_words, share_of_question
from assistant.statements import (
    RepetitionGuard,
    Statement,
    StatementParser,
    has_cjk,
    low_diversity,
    repeated_statement,
)
from assistant.support import SupportChecker, without_framing
from assistant.translation import pending_notice
from assistant.verification import SupportScorer, verify_answer
from vectorstore.embeddings import calibration_for, unit_vectors
from vectorstore.errors import UserError
from vectorstore.filters import Filters
from vectorstore.query_text import simplified
from vectorstore.references import document_mentions, find_references, parse_references, reference_label
from vectorstore.renderings import RenderingStore, renderings_for
from vectorstore.retrieval import Hit, HybridSearcher
from vectorstore.settings import Settings
from vectorstore.terms import terms_if_readable
from vectorstore.units import Unit
from vectorstore.wording import congress_name, declaration_name, describe_document, region_name, say

MODES = mode_names()
MAX_QUESTION_CHARS = 2000
MAX_TOKENS = 400
# A statement after the first with less of the question's content words than this is off the
# question: on the dev half's 1.5B answers, every further statement under 0.3 was off it, and
# 0.15-0.25 dropped the same ones (eval/README.md, twenty-third round); 0.2 is the middle.
OFF_QUESTION_SHARE = 0.2

_FOLLOW_UP_ZH = re.compile(r"^(?:那么|那|还有|另外|同样|而)|呢[？?]?\s*$")
_FOLLOW_UP_EN = re.compile(r"^(?:and what about|and how about|what about|how about|and|same for|also|then)\b",
                           re.IGNORECASE)
_FOLLOW_UP_FILLER = re.compile(r"^(?:那么|那|还有|另外|同样|而)|呢|报告|吗|[？?！!。.,，\s]+$|^\s+"
                               r"|\b(?:the|report|reports|one|meeting)\b", re.IGNORECASE)
_QUOTE = re.compile(r"“(.+)”")  # the verbatim quote of an extractive bullet
_PRONOUN = re.compile(r"这|那|它|其|他们|为什么|\b(?:this|that|it|they|those|these|why)\b", re.IGNORECASE)
# A question in a conversation that points back ("他主持了哪几场会议？", "其中讲法律援助的是哪一项？",
# "Which sessions did she preside over?", "Did they go further on that?") is a follow-up too. Not
# 其他 (other), 应该 (should), nor "that" inside a sentence ("said that ...").
_ANAPHOR_ZH = re.compile(r"他们|她们|(?<!其)他|她|它|其中|这个|这些|这项|这一|这方面|(?<!应)该"
                         r"|上述|相应|类似|同样")
_ANAPHOR_EN = re.compile(r"\b(?:he|she|it|they|them|their|those|these|such|the same)\b"
                         r"|\b(?:this|that)\s*[?.!]?\s*$|\bthis\s+(?:issue|topic|question|point|matter)\b",
                         re.IGNORECASE)


@dataclass
class Answer:
    text: str  # verified answer with [SYMBOL ¶24(d)] markers
    rendered: str  # markers rendered in the reader's convention
    language: str  # "zh" | "en" (the question's language)
    backend: str  # "llamacpp", "openai" or "extractive"
    mode: str  # "ask" | "lookup" | "compare" | "draft"
    citations: list[Unit]  # cited units, all verified to be retrieved and in the store
    corrections: list[str]  # what verification removed, repaired or flagged
    retrieved: list[Hit]  # what retrieval returned
    standalone_question: str  # after condensing a follow-up
    notices: list[str] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)  # a model answer's kept statements
    dropped: list[Statement] = field(default_factory=list)  # statements the checks removed (with why)
    # unit id -> rendering in the reader's language of the units shown (sources panel, exports)
    renderings: dict = field(default_factory=dict)


@dataclass
class Sources:
    """What retrieval found for a question, streamed before any answer text so that the sources
    panel fills while the model writes. Read like an Answer that cites nothing yet."""

    language: str
    retrieved: list[Hit]
    notices: list[str]
    renderings: dict  # unit id -> rendering in the reader's language, as in Answer
    citations: ClassVar[tuple[Unit, ...]] = ()  # none yet
    answering: ClassVar[bool] = True  # the answer is still being written


class Heading(str):
    """A document's or theme's heading in a streamed answer (compare, draft): shown like any text,
    but not a statement, so the time to the first statement does not count it."""


def is_statement_text(item) -> bool:
    """Whether a streamed item is answer text: not the Sources, the Answer, a Heading or blank
    (what the answer evaluation and the bench time the first statement by)."""
    return isinstance(item, str) and not isinstance(item, Heading) and bool(item.strip())


@dataclass
class Turn:
    """One question on its way through the chain."""

    question: str
    history: list[dict]
    mode: Mode
    filters: Filters
    language: str
    standalone: str = ""
    context: Context | None = None
    notices: list[str] = field(default_factory=list)


@dataclass
class _Generated:
    """What the model path produced for one turn."""

    kept: list[Statement] = field(default_factory=list)
    dropped: list[Statement] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)  # answer text pieces (headings, statements)
    degenerate: bool = False
    declined: list[bool] = field(default_factory=list)  # per generation: the model wrote an empty list
    shown: list[Unit] = field(default_factory=list)  # every source a prompt gave the model
    closeness: list[float] = field(default_factory=list)  # kept statements' cosines to the question
    question_vector: object = None  # the question's embedding, computed at the first statement
    question_words: set[str] | None = None  # the question's content words, at the second statement


class AnswerChain:
    def __init__(self, settings: Settings, searcher: HybridSearcher | None = None, *,
                 max_tokens: int = MAX_TOKENS, max_sources: int = MAX_SOURCES, backend=None):
        """`backend`: a ChatBackend to use instead of the one `settings.backend` names."""
        if searcher is None:
            from vectorstore.store import UnitStore

            searcher = HybridSearcher(UnitStore(settings), settings)
        self.settings = settings
        self.searcher = searcher
        self.max_tokens = max_tokens
        self.max_sources = max(1, min(max_sources, MAX_SOURCES))  # units in a model prompt
        self._backend = backend
        self._backend_error = ""
        self._backend_made = backend is not None
        embeddings = getattr(searcher.store, "embeddings", None)
        self._terms = terms_if_readable()
        self._rendering = _load_rendering(settings)
        self.retrieval = Retrieval(searcher, self._rendering)
        self._support = SupportChecker(embeddings, rendering=self._rendering, terms=self._terms,
                                       stored_word=searcher.stores_word)
        self._embeddings = embeddings
        calibration = calibration_for(embeddings) if embeddings is not None else None
        self._statement_margin = calibration.statement_margin if calibration else None
        self._scorer = SupportScorer(embeddings)  # verification of extractive answers

    # -- public API -------------------------------------------------------------------------
    def invoke(self, question: str, history=(), mode: str = "ask", filters: Filters | None = None) -> Answer:
        answer = None
        for item in self.stream(question, history, mode, filters):
            if isinstance(item, Answer):
                answer = item
        return answer

    def stream(self, question: str, history=(), mode: str = "ask",
               filters: Filters | None = None) -> Iterator[Sources | str | Answer]:
        """The Sources retrieval found, then verified text as it is ready (one chunk per kept
        statement), then the final Answer."""
        turn = Turn(_check_question(question), list(history or ()), get_mode(mode), filters or Filters(),
                    detect_language(question))
        turn.standalone = self._condense(turn)
        turn.context = self._retrieve(turn)
        turn.notices = list(turn.context.notices)
        yield Sources(turn.language, turn.context.hits, list(turn.notices), turn.context.renderings)
        if not turn.mode.needs_model or not turn.context.relevant:
            text = self._without_model(turn)
            yield render(text, turn.language)
            cited = list(turn.context.units) if turn.context.relevant else []
            yield self._answer(turn, text, "extractive", [], cited)
            return
        backend = self._model_backend(turn.notices, turn.language)
        generated = None
        if backend is not None:
            generated = yield from self._generate(turn, backend)
        if generated is not None and generated.declined and all(generated.declined) and not generated.dropped:
            # The model says the sources do not answer: the plain "not in the documents" answer.
            turn.notices.append(say(turn.language, zh="模型认为检索到的段落不能回答这个问题。",
                                     en="The model found no answer to this question in the retrieved "
                                     "paragraphs."))
            turn.context.relevant = False
            text = self._without_model(turn)
            yield render(text, turn.language)
            yield self._answer(turn, text, backend.name, [], [], generated)
            return
        if generated is not None and generated.kept:
            text = "".join(generated.parts).strip()
            cited = list({u.id: u for s in generated.kept for u in s.units}.values())
            yield self._answer(turn, text, backend.name, _drop_notes(generated.dropped, turn.language), cited,
                               generated)
            return
        context = turn.context
        if generated is not None:  # the model answered, but nothing it said survived the checks
            sources = self._fallback_sources(turn, generated)
            if sources:
                context = context.narrowed(sources)
                shown = say(turn.language,
                            zh="下面改为引用这些陈述所引用或转述的段落原文，以及最相关的段落。",
                            en="the passages they cite or restate, and the closest one, are quoted instead.")
            elif turn.mode.fallback_quotes_shown and generated.shown:
                context = context.narrowed({u.id for u in generated.shown})
                shown = say(turn.language, zh="下面改为引用提供给模型的段落原文。",
                            en="the passages the model was given are quoted instead.")
            else:
                shown = say(turn.language, zh="下面改为列出相关段落。",
                            en="the relevant passages are shown instead.")
            turn.notices.append(say(turn.language, zh="模型的陈述都未能得到其引用来源的支持；",
                                    en="None of the model's statements was supported by the source it "
                                    "cited; ") + shown)
        text = turn.mode.extractive(turn.standalone, context, turn.language)
        verified = self._verify(turn, text)
        text = self._quotes_with_agreed_language(turn, verified.text)
        yield render(text, turn.language)  # built in code: the preview is already final
        dropped = _drop_notes(generated.dropped, turn.language) if generated else []
        corrections = verified.corrections + dropped
        yield self._answer(turn, text, "extractive", corrections, verified.cited, generated)

    # -- generate ---------------------------------------------------------------------------
    def _generate(self, turn: Turn, backend):
        """Stream kept statements as rendered text; returns _Generated, or None to fall back."""
        generated = _Generated()
        groups = self._generation_groups(turn)
        try:
            for heading, units in groups:
                if heading:
                    generated.parts.append(heading)
                    yield Heading(render(heading, turn.language))
                if not units:
                    continue
                before = len(generated.kept)
                for piece in self._generate_group(turn, backend, units, generated):
                    generated.parts.append(piece)
                    yield render(piece, turn.language)
                if heading and len(generated.kept) == before:  # say so rather than leave a bare heading
                    piece = (say(turn.language, zh="- （检索到的段落没有谈到这个主题。）\n",
                                  en="- (the retrieved paragraphs do not address this theme)\n")
                             if generated.declined[-1] else
                             say(turn.language, zh="- （模型对这份文件的陈述都未能由其来源核实。）\n",
                                  en="- (none of the model's statements on this document was supported "
                                  "by its source)\n"))
                    generated.parts.append(piece)
                    yield piece
                if generated.degenerate:
                    break
        except Exception as error:  # any backend failure falls back (or keeps what was verified)
            turn.notices.append(_fallback_notice(turn.language, backend.name, error))
            if not generated.kept:
                return None
        if generated.degenerate:
            turn.notices.append(say(
                turn.language, zh="模型输出出现重复，已停止生成；只保留了此前核实的陈述。",
                en="The model's output became repetitive and was stopped; only the statements verified "
                   "before that are kept."))
        return generated

    def _generation_groups(self, turn: Turn) -> list[tuple[str, list[Unit]]]:
        """(heading, prompt units) per generation: one per document for compare, else one."""
        context = turn.context
        if not turn.mode.per_document:
            return [("", context.prompt_units(min(self.max_sources, turn.mode.prompt_sources)))]
        groups = []
        for symbol, units in context.groups:
            units = units[:turn.mode.prompt_sources]
            if units:
                name = document_name(units[0], turn.language)
                groups.append((say(turn.language, zh=f"\n{name}：\n", en=f"\n{name}:\n"), units))
            else:
                groups.append((say(turn.language, zh=f"\n{symbol}：未检索到与该主题相关的段落。\n",
                                    en=f"\n{symbol}: no paragraph on this theme was retrieved.\n"), []))
        return groups

    def _generate_group(self, turn: Turn, backend, units: list[Unit], generated: _Generated) -> Iterator[str]:
        """Generate over `units` and yield each kept statement's text as soon as it is checked."""
        mode, language = turn.mode, turn.language
        seen = {u.id for u in generated.shown}
        generated.shown.extend(u for u in units if u.id not in seen)
        spec = prompts.output_spec(mode, len(units), language)
        document = document_name(units[0], language) if mode.per_document and units else ""
        messages = prompts.answer_messages(mode, turn.standalone, units, language, rendering=self._rendering,
                                           terms=self._prompt_terms(units, language), document=document)
        parser, guard = StatementParser(spec), RepetitionGuard()
        chunks = backend.stream(messages, max_tokens=self.max_tokens, spec=spec)
        try:
            for chunk in chunks:
                for statement in parser.feed(chunk):
                    if self._keep(turn, statement, units, generated):
                        yield _statement_text(statement, mode, language, self._agreed(turn, statement))
                if guard.degenerate(parser.text):
                    generated.degenerate = True
                    break
                if parser.closed:
                    # the answer is complete; a model may go on past its end (the 1.5B under the
                    # grammar emits <|im_start|> until max_tokens: up to 25 s of nothing)
                    break
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # stops generation when the guard fired or the reader went away
        for statement in parser.finish():
            if self._keep(turn, statement, units, generated):
                yield _statement_text(statement, mode, language, self._agreed(turn, statement))
        generated.declined.append(parser.declined)

    def _keep(self, turn: Turn, statement: Statement, units: list[Unit], generated: _Generated) -> bool:
        """Bind the statement to its sources and check it; record it as kept or dropped."""
        statement.units = [units[n - 1] for n in statement.sources]
        if len(statement.units) == 1:
            statement.text = prompts.without_origin_label(statement.text, statement.units[0], turn.language)
        reason = self._rejection(turn, statement, generated.kept)
        if reason is None:
            framing = _framing(turn)
            verdict = self._support.check(statement, [h.unit for h in turn.context.hits] or units, framing)
            statement.support = verdict.reason
            reason = None if verdict.supported else say(turn.language, zh=f"来源不支持（{verdict.reason}）",
                                                         en=f"not supported by its source ({verdict.reason})")
        if reason is None:
            reason = self._off_question(turn, statement, generated)
        statement.supported = reason is None
        if reason is None:
            generated.kept.append(statement)
        else:
            statement.support = reason
            generated.dropped.append(statement)
        return reason is None

    def _off_question(self, turn: Turn, statement: Statement, generated: _Generated) -> str | None:
        """Why a supported statement is off the question. The 1.5B model restates each source it
        is given, answering or not. The first kept statement always stays; after it, a statement
        - with less than OFF_QUESTION_SHARE of the question's content words (beside question
          words and the documents' names), or
        - whose cosine to the question trails the closest statement kept before it by more than
          the embedder's `statement_margin`
        is off. A comparison's statements on each document are not compared with each other."""
        if turn.mode.per_document:
            return None
        if generated.kept:
            if generated.question_words is None:
                generated.question_words = question_words(turn.standalone, generated.shown)
            share = share_of_question(generated.question_words, statement.text)
            if share < OFF_QUESTION_SHARE:
                return say(turn.language, zh=f"偏离问题（只含问题实词的 {share:.0%}）",
                           en=f"off the question (has {share:.0%} of the question's content words)")
        return self._closeness(turn, statement, generated)

    def _closeness(self, turn: Turn, statement: Statement, generated: _Generated) -> str | None:
        """The cosine half of `_off_question`; records a kept statement's cosine."""
        if self._statement_margin is None:
            return None
        if generated.question_vector is None:
            generated.question_vector = unit_vectors(self._embeddings, [turn.standalone], "query")[0]
        text = unit_vectors(self._embeddings, [statement.text], "passage")[0]
        cosine = float(generated.question_vector @ text)
        best = max(generated.closeness, default=None)
        if best is not None and cosine < best - self._statement_margin:
            return say(turn.language, zh=f"偏离问题（相似度 {cosine:.3f}，此前最接近的陈述 {best:.3f}）",
                       en=f"off the question (cosine {cosine:.3f}, closest statement before {best:.3f})")
        generated.closeness.append(cosine)
        return None

    def _fallback_sources(self, turn: Turn, generated: _Generated) -> set[str]:
        """Ids of the prompt sources to quote when no statement survived: those the dropped
        statements cite or restate, and the first (closest) one; empty when they cite and restate none.

        The model's choice of source is evidence even when its statement fails the check: on the
        dev half, the fallback's quotes of every prompt source were gold paragraphs 0.35 (zh) and
        0.42 (en) of the time, against 0.86 / 0.83 for kept statements' citations. Quoting these
        instead raised the 1.5B model's citation precision (zh 0.733 -> 0.811, en 0.766 -> 0.825)
        for at most 0.02 recall (zh 0.739 -> 0.732, en 0.752 -> 0.732; eval/README.md, seventeenth
        round).
        """
        shown = {u.id for u in generated.shown}
        chosen = {u.id for s in generated.dropped for u in s.units if u.id in shown}
        chosen |= self._restated_sources(turn, generated)
        return chosen | {generated.shown[0].id} if chosen else set()

    def _restated_sources(self, turn: Turn, generated: _Generated) -> set[str]:
        """Ids of the prompt sources that some dropped statement restates (supported by it alone).

        A 1.5B model often copies one source and binds the copy to another; such a statement is
        rightly dropped, yet it shows which of the sources answers. The fallback quotes those
        sources, verbatim, rather than every retrieved one.
        """
        framing = _framing(turn)
        retrieved = [h.unit for h in turn.context.hits] or generated.shown
        found = set()
        for statement in generated.dropped:
            for unit in generated.shown:
                if unit.id in found:
                    continue
                probe = Statement(statement.text, [1], units=[unit])
                if self._support.check(probe, retrieved, framing).supported:
                    found.add(unit.id)
        return found

    def _agreed(self, turn: Turn, statement: Statement) -> str:
        """'agreed language: Kyoto Declaration, para. 63' for a kept point of a mode that offers it."""
        if not turn.mode.offers_agreed_language:
            return ""
        framing = _framing(turn)
        return self._agreed_language(without_framing(statement.text, framing), turn.language,
                                     {u.id for u in statement.units})

    def _quotes_with_agreed_language(self, turn: Turn, text: str) -> str:
        """An extractive answer's bullets ("- … “quote” [marker]"), each followed by its agreed
        language, in a mode that offers it."""
        if not turn.mode.offers_agreed_language:
            return text
        lines = []
        for line in text.splitlines():
            lines.append(line)
            quote = _QUOTE.search(line) if line.startswith("- ") else None
            if quote:
                sources = {c.unit_id for m in find_markers(line) for c in m.citations}
                agreed = self._agreed_language(quote[1], turn.language, sources)
                if agreed:
                    lines.append(_agreed_line(agreed, turn.language).rstrip("\n"))
        return "\n".join(lines)

    def _agreed_language(self, text: str, language: str, sources: set[str]) -> str:
        """The closest adopted declaration paragraph for `text`, unless it is one of `sources`, or none
        is close (or no declaration is stored)."""
        from assistant.trace import agreed_language

        try:
            found = agreed_language(text, settings=self.settings, store=self.searcher.store)
        except UserError:  # no adopted declaration in the store
            return ""
        suggestion = found.suggestion(language)
        if not suggestion or found.matches[0].unit.id in sources:
            return ""
        return suggestion

    def _rejection(self, turn: Turn, statement: Statement, kept: list[Statement]) -> str | None:
        """Why a statement cannot be shown regardless of support (None: it may be)."""
        zh = turn.language == "zh"
        if repeated_statement(statement, kept):
            return "重复了前面的陈述" if zh else "repeats an earlier statement"
        if low_diversity(statement.text):
            return "输出退化（重复的符号）" if zh else "degenerate output"
        if turn.language == "en" and has_cjk(statement.text):
            return "英文回答中含有中文字符" if zh else "contains Chinese characters in an English answer"
        if detect_language(statement.text, default=turn.language) != turn.language:
            return "不是提问的语言" if zh else "not in the language of the question"
        invented = self._invented_paragraphs(statement.text, turn.context.citable, turn.language,
                                             self.searcher.snapshot().infos)
        if invented:
            return (f"提到不在来源中的段落 {invented}" if zh
                    else f"names a paragraph that is not among the sources ({invented})")
        return None

    @staticmethod
    def _invented_paragraphs(text: str, citable: list[Unit], language: str, documents=None) -> str:
        """Paragraphs written in the statement that name no citable unit (as citations write them).
        What a reference states must match: number and item, and its document, part and preamble
        when it names them ("A/RES/76/181, para. 36" is the resolution's own paragraph 36)."""
        bad = [r.label(language) for r in parse_references(text, documents=documents)
               if not any(_names(r, u) for u in citable)]
        return ", ".join(bad)

    def _prompt_terms(self, units: list[Unit], language: str) -> list[tuple[str, str]]:
        """(term as in a source, official term in the answer language) for sources in the other language."""
        if self._terms is None:
            return []
        pairs = []
        for unit in units:
            if unit.language != language:
                pairs += self._terms.hints(unit.text, unit.language)
        return pairs

    # -- condense ---------------------------------------------------------------------------
    def _condense(self, turn: Turn) -> str:
        """The standalone question: each user turn is resolved against the one before it."""
        previous = ""
        for past in turn.history:
            if past.get("role") == "user" and str(past.get("content", "")).strip():
                previous = self._resolve_follow_up(str(past["content"]).strip(), previous, turn, False)
        return self._resolve_follow_up(turn.question, previous, turn, True)

    def _resolve_follow_up(self, question: str, previous: str, turn: Turn, use_model: bool) -> str:
        """Rules: swap the report ("那拉美报告呢？"), swap the topic ("那环境犯罪呢？"), or repeat
        the previous question ("还有呢？"). The model only resolves pronouns ("为什么这样建议？")."""
        if not previous or not _is_follow_up(question):
            return question
        catalog = self.searcher.snapshot().infos
        other_item = _other_item(question, previous, catalog)
        if other_item:  # "拉美报告第24(d)段" then "(e)呢？": 24 (e)
            return other_item
        new_docs = _document_mentions(question, catalog)
        old_docs = _document_mentions(previous, catalog)
        if new_docs:
            new_label = question[new_docs[0][0]:new_docs[0][1]]
            if old_docs:  # swap the document reference: 欧洲报告 -> 拉美报告
                start, end, _ = old_docs[0]
                return previous[:start] + new_label + previous[end:]
            return f"{new_label}报告：{previous}" if detect_language(previous) == "zh" else \
                f"{previous} (in the {new_label} report)"
        topic = _follow_up_content(question)
        if not topic:
            return previous  # "还有呢？" / "And?": more on the same question
        points_back = _points_back(question)
        if (points_back or _PRONOUN.search(topic)) and use_model:
            condensed = self._model_condense(question, turn)
            if condensed:
                return condensed
        if points_back:  # without a model: what it points back to is in the previous question
            return f"{previous} {question}"
        old_label = previous[old_docs[0][0]:old_docs[0][1]] if old_docs else ""
        return f"{old_label} {topic}".strip()

    def _model_condense(self, question: str, turn: Turn) -> str:
        backend = self._model_backend([], turn.language)
        if backend is None:
            return ""
        try:
            messages = prompts.condense_messages(question, turn.history, turn.language)
            text = "".join(backend.stream(messages, max_tokens=80)).strip()
        except Exception:  # condensing is best effort; the rules' answer stands
            return ""
        first_line = text.splitlines()[0].strip() if text else ""
        # a small model sometimes answers instead of rewriting ("建议采取…[…¶30]。"): only a question counts
        if not first_line.endswith(("?", "？")) or "[" in first_line:
            return ""
        return first_line if 2 <= len(first_line) <= MAX_QUESTION_CHARS else ""

    # -- retrieve ---------------------------------------------------------------------------
    def _retrieve(self, turn: Turn) -> Context:
        question, mode, language = turn.standalone, turn.mode, turn.language
        # the searcher leaves the named documents' names out of similarity search itself
        filters, notices, named_missing = self._document_filters(question, turn.filters, turn)
        context = mode.retrieve(self.retrieval, question, filters, language)
        context.notices[:0] = notices
        if mode.name != "lookup":
            self._add_previous_sources(context, turn.history, filters)
        if mode.checks_relevance:
            # Another region's paragraphs do not answer a question about a report we lack.
            context.relevant = not named_missing and self.retrieval.relevant(question, filters, context.hits,
                                                                             context.units)
        pending = pending_notice(context.units, language)
        if pending:
            context.notices.append(pending)
        if not context.relevant:
            context.notices.append(say(language, zh="文件中没有找到这个问题的答案；下面列出最接近的段落。",
                                        en="The documents do not contain the answer; the closest "
                                        "paragraphs are listed below."))
        context.renderings = self._reader_renderings(context, language)
        return context

    def _reader_renderings(self, context: Context, language: str) -> dict:
        """The renderings, in the reader's language, of every unit the answer may show, from this
        chain's data directory (a `--data-dir` store has its own)."""
        units = {u.id: u for u in [*(h.unit for h in context.hits), *context.citable,
                                   *(u for _, group in context.groups for u in group)]}
        foreign = [u for u in units.values() if u.language != language]
        if not foreign:
            return {}
        try:
            return renderings_for(foreign, self.settings)
        except Exception:  # renderings are an aid: answers work without them
            return {}

    def _document_filters(self, question: str, filters: Filters,
                          turn: Turn) -> tuple[Filters, list[str], bool]:
        """A question naming reports ("the European report", a symbol) searches only those; in a
        mode that asks for it, a named congress ("Kyoto", "第十五届") restricts to that congress.

        Returns (filters, notices, whether something named is missing from the store).
        """
        language = turn.language
        documents = self.searcher.store.documents()
        if not documents:
            return filters, [], False
        # with the catalog, an alias or title ("Kyoto Declaration", "京都宣言") names its document;
        # not in a draft, where the declaration named is the one being drafted (its congress)
        catalog = None if turn.mode.named_congress_only else self.searcher.snapshot().infos
        mentions = document_mentions(question, documents=catalog)
        if turn.mode.named_congress_only and not filters.congresses:
            congresses = tuple(dict.fromkeys(m.value for m in mentions
                                             if m.kind in ("congress", "declaration")))
            if congresses:
                filters = replace(filters, congresses=congresses)
                if not any(d.congress in congresses for d in documents):
                    names = "、".join(str(c) for c in congresses)
                    missing = say(language, zh=f"库中没有第{names}届大会的文件。",
                                  en=f"No document of Congress {names} is in the store.")
                    return filters, [missing], True
        absent = [] if turn.mode.named_congress_only else \
            self._absent_declarations(question, mentions, catalog, language)
        if filters.symbols or filters.regions:
            return filters, absent, False
        named = [(m.start, m.end, m.value) for m in mentions if m.kind in ("region", "symbol")]
        if not named:
            return filters, absent, False
        symbols = []
        # a congress written out ("Fourteenth Congress", "第十四届"), not a city ("Kyoto Protocol")
        congresses = {m.value for m in mentions
                      if m.kind == "congress" and re.search(r"\d|届|congress", question[m.start:m.end], re.I)}
        for _, _, value in named:
            matching = [d.symbol for d in documents if value in (d.symbol, d.region)]
            if congresses and value not in {d.symbol for d in documents}:
                matching, notice = _region_of_congress(value, congresses, documents, language)
                if notice:
                    return filters, [notice], True
            if not matching:
                stored = "; ".join(describe_document(d.symbol, d.region, d.congress, language)
                                   for d in documents)
                notice = say(language, zh=f"库中没有“{value}”的报告（库中文件：{stored}）。",
                              en=f"No report for “{value}” is in the store (stored: {stored}).")
                return filters, [notice], True
            symbols += [s for s in matching if s not in symbols]
        return replace(filters, symbols=tuple(symbols)), absent, False

    def _absent_declarations(self, question: str, mentions, catalog, language: str) -> list[str]:
        """A notice for each declaration the question names that no stored document holds ("the
        Abu Dhabi Declaration"): the stored documents answer (its congress's rank higher). A
        lookup of one of its paragraphs says so itself."""
        looked_up = {r.congress for r in parse_references(question, catalog) if r.declaration}
        notices = []
        for congress in dict.fromkeys(m.value for m in mentions
                                      if m.kind == "declaration" and m.value not in looked_up):
            name = declaration_name(congress, self.searcher.snapshot().infos.values(), language)
            notices.append(say(language, zh=f"{name}不在库中；以下依据库中文件作答。",
                               en=f"{name[0].upper()}{name[1:]} is not in the store; the answer draws on "
                               "the stored documents."))
        return notices

    def _add_previous_sources(self, context: Context, history: list[dict], filters: Filters) -> None:
        """The previous turn's sources stay available to a follow-up (prompt and citations)."""
        ids = []
        for turn in reversed(history[-2:]):
            if turn.get("sources"):
                ids = [str(i) for i in turn["sources"]]
                break
        if not ids:
            return
        have = {u.id for u in context.citable}
        previous = [u for u in self.searcher.store.get(ids) if u.id not in have and filters.matches(u)]
        context.citable += previous
        room = MAX_SOURCES - len(context.units)
        keep = max(room, min(2, len(previous)))
        if keep > 0 and previous:
            context.units = context.units[:MAX_SOURCES - min(keep, len(previous))] + previous[:keep]
            context.hits += [Hit(u, 0.0, "history") for u in previous[:keep]]

    # -- model backend ----------------------------------------------------------------------
    def prepare(self, mode: str = "ask", languages: tuple[str, ...] = ("zh", "en")) -> None:
        """Load a local model and evaluate `mode`'s system messages ahead of the first question
        (what the app does at start; a one-shot CLI answer does not need it)."""
        backend = self._model_backend([], "en")
        warm = getattr(backend, "warm", None)
        if warm is not None:
            warm([prompts.system_prompt(get_mode(mode), language) for language in languages])

    def backend_problem(self) -> str:
        """Why the configured model backend cannot be made ("" when it can or none is configured):
        an answer would quietly fall back to quoting, which an evaluation must not measure."""
        self._model_backend([], "en")
        if self._backend is None:
            return self._backend_error
        load = getattr(self._backend, "load", None)  # a local model loads on first use
        try:
            if load is not None:
                load()
        except Exception as error:  # e.g. an unknown model name or a missing file
            return str(error)
        return ""

    def _model_backend(self, notices: list[str], language: str):
        """The configured model backend, or None (extractive, or it cannot be created)."""
        if not self._backend_made:
            self._backend_made = True
            if self.settings.backend != "extractive":
                from assistant.backends import make_backend

                try:
                    self._backend = make_backend(self.settings)
                except Exception as error:  # a misconfigured backend must not stop answers
                    self._backend_error = str(error)
        if self._backend is None and self._backend_error:
            notices.append(_fallback_notice(language, self.settings.backend, self._backend_error))
        return self._backend

    # -- model-free answers -----------------------------------------------------------------
    def _without_model(self, turn: Turn) -> str:
        """Lookup quotes, or the plain 'not in the documents' answer with the closest paragraphs."""
        context, language = turn.context, turn.language
        if turn.mode.name == "lookup" and context.units:
            return turn.mode.extractive(turn.standalone, context, language)
        if turn.mode.name == "lookup":
            head = say(language, zh="没有找到所指的段落。", en="The referenced paragraph was not found.")
            if not context.notices:
                head += say(language, zh="请写明段落编号，例如“拉美报告第24(d)段”。",
                             en=" Give a paragraph number, e.g. “para. 37 (o) of the Latin American report”.")
            return "\n".join([head] + context.notices)
        lines = [say(language, zh="文件中没有这个问题的答案。最接近的段落如下（仅供参考，并不回答该问题）：",
                      en="The documents do not contain the answer to this question. The closest "
                      "paragraphs are (for reference only; they do not answer it):")]
        shown = readings(context.units[:3], language, context.renderings)
        for unit in context.units[:3]:
            reading = shown[unit.id]
            snippet = " ".join(reading.text.split())[:80]
            label = unit.citation(language)
            if reading.rendering is not None:  # a unit in the other language: its labelled rendering
                label += say(language, zh=f"（{reading.rendering.label(language)}）",
                             en=f" ({reading.rendering.label(language)})")
            lines.append(say(language, zh=f"- {label}：“{snippet}…”", en=f"- {label}: “{snippet}…”"))
        return "\n".join(lines)

    def _verify(self, turn: Turn, text: str):
        context = turn.context
        return verify_answer(text, context.citable, turn.language,
                             sources=[u.id for u in context.units[:self.max_sources]],
                             known_ids=set(self.searcher.snapshot().by_id), scorer=self._scorer)

    def _answer(self, turn: Turn, text: str, backend: str, corrections: list[str], cited: list[Unit],
                generated: _Generated | None = None) -> Answer:
        return Answer(text=text, rendered=render(text, turn.language), language=turn.language,
                      backend=backend, mode=turn.mode.name, citations=cited if turn.context.relevant else [],
                      corrections=_unique(corrections), retrieved=turn.context.hits,
                      standalone_question=turn.standalone, notices=_unique(turn.notices),
                      statements=list(generated.kept) if generated else [],
                      dropped=list(generated.dropped) if generated else [],
                      renderings=turn.context.renderings)


def _names(ref, unit: Unit) -> bool:
    """Does a reference written in a statement name `unit` (or its paragraph)? A bare "para. 36"
    names any unit numbered 36; a named document, part or preamble must be the unit's."""
    if ref.paragraph != unit.paragraph or (ref.item is not None and ref.item != unit.item):
        return False
    if ref.preamble and not unit.preamble:
        return False
    if ref.symbol and ref.symbol != unit.symbol or ref.region and ref.region != unit.region:
        return False
    if ref.congress and ref.congress != unit.congress:
        return False
    # a named document or part fixes the part: the symbol alone means the body
    return ref.part == unit.part if (ref.part or ref.symbol) else True


def _statement_text(statement: Statement, mode: Mode, language: str, agreed: str = "") -> str:
    """One kept statement as answer text with its marker: a bullet in per-document and draft
    answers (with its agreed language, if any, on a line of its own), running text otherwise."""
    body = _with_marker(statement.text, marker(statement.units), language)
    if mode.per_document or mode.framing:
        return f"- {body}\n" + (_agreed_line(agreed, language) if agreed else "")
    if statement.lead:
        return body + "\n"
    return body + (say(language, zh="", en=" "))


def _framing(turn: Turn) -> tuple[str, ...]:
    """The opening words every statement of the mode carries ("We commit to"), if any."""
    return tuple(p for p in (turn.mode.framing.get(turn.language),) if p)


def _agreed_line(agreed: str, language: str) -> str:
    return say(language, zh=f"  （{agreed}）\n", en=f"  ({agreed})\n")


def _with_marker(text: str, mark: str, language: str) -> str:
    """The marker before the sentence's final punctuation: `…合作[m]。`, `… cooperation [m].`"""
    m = re.search(r"[。！？!?；;.]?[”’」』\"')）]*\s*$", text)
    cut = m.start() if m else len(text)
    head, tail = text[:cut].rstrip(), text[cut:].strip()
    space = say(language, zh="", en=" ")
    return f"{head}{space}{mark}{tail or (say(language, zh='。', en='.'))}"


def _drop_notes(dropped: list[Statement], language: str) -> list[str]:
    notes = []
    for s in dropped:
        cited = "; ".join(u.citation(language) for u in s.units) or "-"
        snippet = s.text if len(s.text) <= 80 else s.text[:79] + "…"
        notes.append(f"已删除一条陈述（引用 {cited}；{s.support}）：“{snippet}”" if language == "zh" else
                     f"dropped a statement (cites {cited}; {s.support}): “{snippet}”")
    return notes


def _load_rendering(settings: Settings):
    """`(unit, language) -> rendering text or None` from the renderings store (shipped or stored)."""
    store = RenderingStore(settings)
    cache: dict[tuple[str, str], str] = {}  # only hits: a rendering may be added while we run

    def rendering(unit: Unit, language: str) -> str | None:
        if unit.language == language:
            return None
        key = (unit.id, unit.text)
        if key not in cache:
            try:
                found = store.get(unit)
            except Exception:  # renderings are an aid: answers work without them
                return None
            if found is None or found.language != language:
                return None
            cache[key] = found.text
        return cache[key]

    return rendering


def _check_question(question) -> str:
    if not isinstance(question, str) or not question.strip():
        raise UserError("empty question: type a question or a paragraph reference (第24段 / para. 24)")
    if len(question) > MAX_QUESTION_CHARS:
        raise UserError(f"the question is {len(question):,} characters long; the limit is "
                        f"{MAX_QUESTION_CHARS:,}. Shorten it or ask about one point at a time.")
    return simplified(question.strip())


def _is_follow_up(question: str) -> bool:
    """Explicit follow-ups ("那…呢？", "And …?", "What about …?") and questions pointing back
    (`_points_back`); other short new questions stand alone."""
    pattern = _FOLLOW_UP_ZH if detect_language(question) == "zh" else _FOLLOW_UP_EN
    return bool(pattern.search(question.strip())) or _points_back(question)


def _points_back(question: str) -> bool:
    """Whether the question refers to something said before ("他", "其中", "she", "those", "on that?")."""
    pattern = _ANAPHOR_ZH if detect_language(question) == "zh" else _ANAPHOR_EN
    return bool(pattern.search(question.strip()))


def _follow_up_content(question: str) -> str:
    """What a follow-up adds besides the follow-up words: "那环境犯罪呢？" -> "环境犯罪"."""
    text = _FOLLOW_UP_EN.sub("", question.strip())
    previous = None
    while previous != text:
        previous, text = text, _FOLLOW_UP_FILLER.sub("", text).strip()
    return text if len(re.sub(r"\W", "", text)) >= 2 else ""


def _region_of_congress(region: str, congresses: set[int], documents, language: str) -> tuple[list[str], str]:
    """The region's reports of the congresses the question names ("the 14th Congress's Western
    Asia report"), or, when the store has the region's report of another congress only, none
    and a notice saying so."""
    of_region = [d for d in documents if d.region == region]
    of_congress = [d.symbol for d in of_region if d.congress in congresses]
    if of_congress or not of_region:
        return of_congress or [d.symbol for d in of_region], ""
    stored = "; ".join(describe_document(d.symbol, d.region, d.congress, language) for d in of_region)
    zh_congresses = "、".join(congress_name(c, "zh") for c in sorted(congresses))
    en_congresses = " or ".join("the " + congress_name(c, "en") for c in sorted(congresses))
    return [], say(language,
                   zh=f"库中没有{zh_congresses}的“{region_name(region, 'zh')}”报告"
                   f"（库中该区域的报告：{stored}）。",
                   en=f"No {region} report of {en_congresses} is in the store (stored for that region: "
                   f"{stored}).")


_LONE_ITEM = re.compile(r"[（(]\s*([a-zA-Z]{1,2})\s*[)）]")


def _other_item(question: str, previous: str, catalog) -> str:
    """The previous question with its last paragraph reference moved to the sub-item the follow-up
    names alone ("(e)呢？", "And (f)?"), or "" when the follow-up is not that."""
    item = _LONE_ITEM.search(question)
    if not item or parse_references(question, catalog):
        return ""
    groups = find_references(previous, catalog)
    if not groups:
        return ""
    ref = groups[-1].references[-1]
    written_part = ref.part if re.search(r"annex|appendix|附件|附录", ref.text, re.IGNORECASE) else ""
    key = ref.key._replace(symbol="", part=written_part, item=item.group(1).lower())
    label = reference_label(key, detect_language(ref.text))
    start, end = ref.span
    return previous[:start] + label + previous[end:]


def _document_mentions(text: str, catalog=None) -> list[tuple[int, int, str]]:
    """(start, end, region or symbol) of each report named in `text`."""
    return [(m.start, m.end, m.value) for m in document_mentions(text, catalog)
            if m.kind in ("region", "symbol")]


def _fallback_notice(language: str, backend: str, error) -> str:
    return say(language,
                zh=f"模型后端 {backend} 不可用（{error}），本回答改用摘录方式（直接引用段落原文）生成。",
                en=f"The model backend {backend} is unavailable ({error}); this answer was built "
                "extractively (quoting the paragraphs) instead.")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
