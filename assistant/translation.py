"""Machine renderings: translate one unit at a time with the local model, official terms as hints.

Asked to translate one paragraph, the local 1.5B model does well except for UN terminology
("gunship trafficking" for 枪支贩运, "White Russia" for 白俄罗斯). So each unit is translated on
its own with:

- its section heading and (for a sub-item) its chapeau as context, not to be translated;
- the official counterparts of the terms it contains (vectorstore/terms.py): listed as hints and
  already put in place in the text the model sees ("加强负责打击 trafficking in firearms 机构的能力"),
  which a 1.5B model carries through far more reliably than a glossary line.

Every rendering is checked: an English rendering must contain no CJK character and a Chinese
rendering must be Chinese (else one retry with the problem spelled out); CJK left in an English
rendering after that is repaired (terms from the table, other fragments translated alone), and so
are English words left inside a Chinese rendering ("使其更加有效、 accountable、透明": the text the
model sees mixes languages where official terms were put in place, and it sometimes copies the
words around them). Official
terms missing from a rendering are reported by `assistant translate --check`. The result is cached
per machine by (model fingerprint, text hash) and stored as a `machine` rendering in the data
directory.

`translate_in_background` renders a newly ingested document in a thread; `pending_symbols()`
tells answers that renderings are still being produced.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path

from vectorstore.figures import added_figures, lost_figures
from vectorstore.filters import Filters
from vectorstore.renderings import (
    CJK,
    LATIN_WORDS,
    Rendering,
    RenderingStore,
    TranslationCache,
    cjk_share,
    english_enumerators,
    starts_with_lead_in,
    target_language,
    text_hash,
)
from vectorstore.settings import Settings
from vectorstore.terms import TermTable, load_terms
from vectorstore.units import Unit
from vectorstore.wording import say

PROMPT_VERSION = "2"  # part of the cache fingerprint: a new prompt renders anew
_LANGUAGE = {"zh": "Chinese", "en": "English"}
_TEXT_MARK = {"English": "Text to translate into English:", "Chinese": "Text to translate into Chinese:"}
_FENCE = re.compile(r"^```[a-z]*\n?|\n?```$")
_LEAD = re.compile(r"^(?:english translation|translation|译文|中文译文|English|Chinese)\s*[:：]\s*", re.I)
_QUOTE_PAIRS = {('"', '"'), ("“", "”"), ("'", "'"), ("「", "」"), ("『", "』")}
_EMPTY = "The translation was empty."
_NO_CJK = "Write English only: no Chinese characters at all."
_IN_CHINESE = "Write the translation in Chinese."
_CUT_SHORT = "Translate the whole text, not the lead-in given as context."
_TOO_SHORT = "Translate the whole text: the previous translation left most of it out."
_UNUSABLE = (_EMPTY, _NO_CJK, _IN_CHINESE, _CUT_SHORT, _TOO_SHORT)
_FIGURES = "Write every figure (numbers, dates, ordinals) exactly as the text has it; the text has no "
# Rendering length / source length, median over the built-in corpus's renderings (2026-12-02):
# zh -> en 3.7, en -> zh 0.23. Under a third of it, most of the text was left out (the shortest
# complete renderings stand at 0.35 and 0.6 of the median; cut ones at 0.13).
_TYPICAL_LENGTH_RATIO = {"zh": 3.7, "en": 0.23}
_MIN_CHECKED_LENGTH = 40  # shorter sources (names, headings) vary too much in length to judge
_CJK_RUN = re.compile(rf"(?:{CJK.pattern})+(?:[\s\d]*(?:{CJK.pattern})+)*")
_SPACE_BETWEEN_CJK = re.compile(rf"(?<={CJK.pattern})[ \t]+(?={CJK.pattern})")


class _Grammar:
    """A fixed GBNF grammar in the shape the llama.cpp backend takes (`spec.grammar()`)."""

    def __init__(self, gbnf: str):
        self.gbnf = gbnf

    def grammar(self) -> str:
        return self.gbnf


_NO_LOWERCASE_LATIN = _Grammar("root ::= [^a-z]+")


@dataclass
class TranslationStats:
    """What one run did; `units_per_second` counts only units the model translated."""

    translated: int = 0
    cached: int = 0
    retried: int = 0
    repaired: int = 0
    improved: int = 0  # renderings replaced by a retry with fewer faults (UnitTranslator.improve)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def units_per_second(self) -> float:
        return self.translated / self.seconds if self.seconds else 0.0


class UnitTranslator:
    """Translates units with a local llama.cpp model (the configured one), cached per machine."""

    def __init__(self, settings: Settings, terms: TermTable | None = None, backend=None):
        from assistant.backends import LlamaCppBackend
        from assistant.model_artifacts import MODELS

        self.settings = settings
        self.terms = terms or load_terms()
        self.backend = backend or LlamaCppBackend(settings)
        spec = MODELS.get(settings.model)
        if spec:
            self.model_name = f"{spec.name} ({spec.description})"
            identity = f"{spec.name}-{spec.sha256[:12]}"
        else:  # a .gguf path: its name and size identify it well enough for a cache
            path = Path(settings.model)
            self.model_name = path.name
            identity = f"{path.stem}-{path.stat().st_size if path.exists() else 0}"
        self.fingerprint = f"translate-{identity}-p{PROMPT_VERSION}"
        self.cache = TranslationCache(settings.cache_dir, self.fingerprint)
        self.stats = TranslationStats()

    # -------------------------------------------------------------- one unit
    def _from_cache(self, unit: Unit) -> tuple[str, str] | None:
        """(text, date) of a usable cached rendering (cleaned by today's rules), else None."""
        cached = self.cache.get(unit.language, unit.text)
        if not cached:
            return None
        # cached before a cleaning rule existed
        target = target_language(unit.language)
        text = tidy_rendering(clean_output(cached[0]), unit.text, unit.chapeau, target)
        if self._unusable(unit.text, unit.language, text):
            return None
        return text, cached[1]

    def cached(self, unit: Unit) -> bool:
        """Whether this model has rendered the unit's text usably on this machine before."""
        return self._from_cache(unit) is not None

    def translate(self, unit: Unit) -> Rendering:
        """The machine rendering of `unit` (from the cache when this model has rendered the text)."""
        cached = self._from_cache(unit)
        if cached:
            self.stats.cached += 1
            text, when = cached
            repaired = self._repair(text, target_language(unit.language))
            if repaired != text:  # rendered before the repair existed: repair once, keep it
                text = repaired
                self.cache.put(unit.language, unit.text, text, when)
        else:
            started = time.monotonic()
            text = self.render_text(unit.text, unit.language, _context_heading(unit), unit.chapeau)
            when = _date.today().isoformat()
            self.cache.put(unit.language, unit.text, text, when)
            self.stats.translated += 1
            self.stats.seconds += time.monotonic() - started
        return Rendering(unit.id, target_language(unit.language), text, "machine", self.model_name, when,
                         text_hash(unit.text))

    def render_text(self, text: str, source_language: str, heading: str = "", chapeau: str = "") -> str:
        """Translate with the official terms already in place, check, retry if the rendering is
        unusable (empty, wrong language, most of it left out), retry once for faults a reader
        would not notice (a missing official term, a lost figure), then repair stray fragments.
        """
        target = target_language(source_language)
        hints = self.terms.hints(text, source_language)
        prepared = self.terms.substitute(text, source_language)
        context = f"{heading} {chapeau}"
        rendering = self._ask(prepared, source_language, heading, chapeau, hints)
        unusable = [p for p in self.problems(text, source_language, rendering) if p in _UNUSABLE]
        if unusable:
            self.stats.retried += 1
            retry = self._ask(prepared, source_language, heading, chapeau, hints, unusable)
            rendering = self._better(text, source_language, rendering, retry, context)
        for size in (120, 60):
            if not self._unusable(text, source_language, rendering):
                break
            # Still echoed or rendered the context: clause by clause, without the context, in
            # smaller pieces the second time.
            joined = self._by_clauses(text, source_language, size=size)
            rendering = self._better(text, source_language, rendering, joined, context)
        if target == "zh" and self._unusable(text, source_language, rendering):
            # Last resort for a text the model keeps echoing in English: lower-case Latin letters
            # are excluded from the output by grammar (acronyms, symbols and numbers stay possible).
            self.stats.retried += 1
            forced = self._ask(prepared, source_language, heading, chapeau, hints, spec=_NO_LOWERCASE_LATIN)
            rendering = self._better(text, source_language, rendering, forced, context)
        return self._repair(self._retry_faults(text, source_language, heading, chapeau, rendering), target)

    def improve(self, unit: Unit, rendering: Rendering) -> Rendering:
        """`rendering` after one retry of its faults (missing official terms, lost figures, most of
        the text left out), unless this machine has retried them for this text before."""
        if rendering.source != "machine" or self.cache.retried(unit.language, unit.text):
            return rendering
        context = render_context(unit)
        if not self.problems(unit.text, unit.language, rendering.text, context):
            return rendering
        started = time.monotonic()
        target = target_language(unit.language)
        text = rendering.text
        if self._unusable(unit.text, unit.language, text):
            text = self.render_text(unit.text, unit.language, _context_heading(unit), unit.chapeau)
        else:
            text = self._repair(self._retry_faults(unit.text, unit.language, _context_heading(unit),
                                                   unit.chapeau, text), target)
        # the repair of stray fragments comes after the retry was judged, and can itself change a
        # figure ("Fourteenth" left in a Chinese rendering repaired as "四第13天"): judged again
        text = self._better(unit.text, unit.language, rendering.text, text, context)
        self.stats.seconds += time.monotonic() - started
        self.cache.mark_retried(unit.language, unit.text)
        if text == rendering.text:
            return rendering
        self.stats.improved += 1
        when = _date.today().isoformat()
        self.cache.put(unit.language, unit.text, text, when)
        return Rendering(unit.id, target, text, "machine", self.model_name, when, text_hash(unit.text))

    def _retry_faults(self, text: str, source_language: str, heading: str, chapeau: str,
                      rendering: str) -> str:
        """One retry naming the faults of a usable rendering; the retry is kept if it has fewer."""
        context = f"{heading} {chapeau}"
        faults = self.problems(text, source_language, rendering, context)
        if not faults:
            return rendering
        self.stats.retried += 1
        retry = self._ask(self.terms.substitute(text, source_language), source_language, heading, chapeau,
                          self.terms.hints(text, source_language), faults)
        self.cache.mark_retried(source_language, text)
        rendering = self._better(text, source_language, rendering, retry, context)
        if any(p.startswith(_FIGURES) for p in self.problems(text, source_language, rendering, context)):
            # A figure the model keeps changing in the whole paragraph, it often gets right clause by clause.
            rendering = self._better(text, source_language, rendering,
                                     self._by_clauses(text, source_language, heading, chapeau), context)
        return rendering

    def _by_clauses(self, text: str, source_language: str, heading: str = "", chapeau: str = "",
                    size: int = 120) -> str:
        """The text rendered clause by clause (pieces of about `size` characters), joined."""
        self.stats.retried += 1
        pieces = [self._ask(self.terms.substitute(clause, source_language), source_language, heading, chapeau,
                            self.terms.hints(clause, source_language)) for clause in _clauses(text, size)]
        joiner = "" if target_language(source_language) == "zh" else " "
        return joiner.join(p.strip() for p in pieces if p.strip())

    def _unusable(self, source: str, source_language: str, rendering: str) -> bool:
        return any(p in _UNUSABLE for p in self.problems(source, source_language, rendering))

    def _better(self, source: str, source_language: str, current: str, candidate: str,
                context: str = "") -> str:
        """`candidate` if it is usable where `current` is not, or has fewer problems, or as many
        but states no figure its source does not where `current` does; else `current`. (Ranking a
        wrong figure above everything chose a rendering of the heading alone over one wrong figure:
        a Chinese rendering of a declaration's title for its first preambular paragraph.)"""
        def rank(rendering: str) -> tuple[bool, int, bool]:
            problems = self.problems(source, source_language, rendering, context)
            return (any(p in _UNUSABLE for p in problems), len(problems),
                    any(p.startswith(_FIGURES) for p in problems))
        return candidate if rank(candidate) < rank(current) else current

    def _repair(self, rendering: str, target: str) -> str:
        """Fragments left in the source language, replaced (see the module docstring)."""
        if target == "en" and CJK.search(rendering):
            self.stats.repaired += 1
            return self._repair_cjk(rendering)
        if target == "zh" and LATIN_WORDS.search(rendering):
            self.stats.repaired += 1
            rendering = self._repair_latin(rendering)
        return _SPACE_BETWEEN_CJK.sub("", rendering) if target == "zh" else rendering

    def problems(self, source: str, source_language: str, rendering: str, context: str = "") -> list[str]:
        """What is wrong with a rendering, phrased as instructions for a retry. `context`: the
        heading and chapeau given with the text (a figure of theirs is not a new one)."""
        target = target_language(source_language)
        found = []
        if not rendering.strip():
            found.append(_EMPTY)
        if target == "en" and CJK.search(rendering):
            found.append(_NO_CJK)
        if target == "zh" and cjk_share(rendering) < 0.5:
            found.append(_IN_CHINESE)
        if rendering.rstrip().endswith((":", "：")) and not source.rstrip().endswith((":", "：")):
            found.append(_CUT_SHORT)  # it rendered the chapeau given as context, not the text
        if (rendering.strip() and len(source) >= _MIN_CHECKED_LENGTH
                and len(rendering) < len(source) * _TYPICAL_LENGTH_RATIO[source_language] / 3):
            found.append(_TOO_SHORT)
        lost = lost_figures(source, rendering)
        if lost:
            found.append("Keep every figure of the text: " + ", ".join(lost) + ".")
        added = added_figures(rendering, source, context)
        if added:
            found.append(_FIGURES + ", ".join(added) + ".")
        missing = dict.fromkeys(m.term for m in self.terms.missing(source, source_language, rendering))
        for term in missing:
            found.append(f"Use the official term “{term.official(target)}” for "
                         f"“{term.official(source_language)}”.")
        return found

    # -------------------------------------------------------------- the model
    def _ask(self, text, source_language, heading, chapeau, hints, problems=(), spec=None) -> str:
        messages = build_messages(text, source_language, heading, chapeau, hints, problems)
        budget = 96 + (2 * len(text) if source_language == "zh" else len(text))
        chunks = self.backend.stream(messages, max_tokens=min(1536, budget), spec=spec)
        return tidy_rendering(clean_output("".join(chunks)), text, chapeau, target_language(source_language))

    def _repair_cjk(self, rendering: str) -> str:
        """Replace each CJK fragment by its official term, else by the model's translation of it alone."""
        def replace(match: re.Match) -> str:
            fragment = match.group()
            term = self.terms.lookup(fragment, "zh")
            if term is not None:
                return term.official("en")
            alone = self._ask(fragment, "zh", "", "", self.terms.hints(fragment, "zh"))
            return " " + CJK.sub("", alone).strip() + " "
        repaired = _CJK_RUN.sub(replace, rendering)
        return re.sub(r"[ \t]{2,}", " ", CJK.sub("", repaired)).strip()

    def _repair_latin(self, rendering: str) -> str:
        """Replace each run of English words by its official term, else by the model's Chinese for
        it alone (kept as it was when the model gives no Chinese)."""
        def replace(match: re.Match) -> str:
            fragment = match.group().strip(" ,")
            term = self.terms.lookup(fragment, "en")
            if term is not None:
                return term.official("zh")
            alone = self._ask(fragment, "en", "", "", self.terms.hints(fragment, "en"),
                              spec=_NO_LOWERCASE_LATIN).strip().rstrip("。.")
            usable = cjk_share(alone) >= 0.5 and "\n" not in alone and len(alone) <= 4 * len(fragment)
            return alone if alone and usable else fragment
        return LATIN_WORDS.sub(replace, rendering).strip()


def _clauses(text: str, size: int = 120) -> list[str]:
    """`text` cut after punctuation into pieces of about `size` characters (whole clauses)."""
    pieces, current = [], ""
    for clause in re.split(r"(?<=[，,；;。.])\s*", text):
        if current and len(current) + len(clause) > size:
            pieces.append(current)
            current = ""
        joiner = " " if current and not CJK.search(clause[:1]) else ""
        current += joiner + clause
    return pieces + [current] if current else pieces


def render_context(unit: Unit) -> str:
    """The heading and chapeau given with a unit's text, where a rendering may take a figure from."""
    return f"{_context_heading(unit)} {unit.chapeau}"


def _context_heading(unit: Unit) -> str:
    """The most specific informative heading (procedural labels such as 审议结果 say little), cut
    short: every prompt token costs time on 2 CPU cores."""
    informative = [h for h in unit.section if len(h) > 8]
    heading = (informative or unit.section or [""])[-1]
    limit = 60 if unit.language == "zh" else 160
    return heading if len(heading) <= limit else heading[:limit] + "…"


def build_messages(text: str, source_language: str, heading: str = "", chapeau: str = "",
                   hints: Iterable[tuple[str, str]] = (), problems: Iterable[str] = ()) -> list[dict]:
    """The chat messages asking for one unit's translation.

    The system message is the same for every unit of a direction, so llama.cpp reuses its evaluated
    prefix; what varies (terms, context, text) comes after it, the text last.
    """
    source, target = _LANGUAGE[source_language], _LANGUAGE[target_language(source_language)]
    system = (f"You are a translator at the United Nations. Translate paragraphs of UN documents from "
              f"{source} into {target} in the style of official UN {target} documents. Translate the "
              f"whole text faithfully, sentence by sentence, adding nothing. Keep names of persons, "
              f"document symbols, numbers and the list letters (a), (b) as they are. Use the official "
              f"terms you are given. Reply with the {target} translation of the text only.")
    lines = []
    hints = list(hints)
    if hints:
        lines.append(f"Official {target} terms: " + "; ".join(f"{o} = {t}" for o, t in hints))
    if heading:
        lines.append(f"Section heading (context only, do not translate): {heading}")
    if chapeau:
        lines.append(f"The text continues this lead-in (context only, do not translate): {chapeau}")
    problems = list(problems)
    if problems:
        lines.append("A previous translation had these problems: " + " ".join(problems))
    lines.append(f"{_TEXT_MARK[target]}\n{text}")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(lines)}]


def clean_output(text: str) -> str:
    """Strip code fences, an echo of the prompt, a 'Translation:' lead and surrounding quotes."""
    for mark in _TEXT_MARK.values():  # a small model sometimes repeats the prompt first
        if mark in text:
            text = text.rsplit(mark, 1)[1]
    text = _FENCE.sub("", text.strip()).strip()
    text = _LEAD.sub("", text).strip()
    quoted = len(text) > 1 and (text[0], text[-1]) in _QUOTE_PAIRS
    if quoted and not any(q in text[1:-1] for q in text[0] + text[-1]):  # “A” and “B” stays
        text = text[1:-1].strip()
    return text


def tidy_rendering(rendering: str, source: str, chapeau: str, target: str) -> str:
    """The fixes a rendering gets without the model: no lead-in its source does not have
    (`drop_lead_in`); in English, the source's enumerators ㈠ ㈡ ... as (i), (ii) ..."""
    rendering = drop_lead_in(rendering, source, chapeau)
    return english_enumerators(rendering) if target == "en" else rendering


def drop_lead_in(rendering: str, source: str, chapeau: str = "") -> str:
    """The rendering without a first line that is a lead-in its source does not have (the chapeau
    given as context, rendered too, or "Here is the translation:"; see `starts_with_lead_in`)."""
    if starts_with_lead_in(rendering, source, chapeau):
        return rendering.strip().split("\n", 1)[1].strip()
    return rendering.strip()


# ------------------------------------------------------------------ many units

def translate_units(settings: Settings, units: list[Unit], store: RenderingStore | None = None,
                    translator: UnitTranslator | None = None,
                    on_unit: Callable[[Unit, Rendering], None] | None = None,
                    cached_only: bool = False) -> TranslationStats:
    """Render `units` one at a time, storing each as soon as it is done (an interrupted run resumes).

    Units this machine's cache already holds come first (they need no model); `cached_only` stops
    there.
    """
    store = store or RenderingStore(settings)
    translator = translator or UnitTranslator(settings)
    cached = [u for u in units if translator.cached(u)]
    units = cached if cached_only else cached + [u for u in units if u not in cached]
    for unit in units:
        try:
            rendering = translator.translate(unit)
        except Exception as error:  # one unit the model cannot render must not stop the others
            from vectorstore.errors import UserError

            if not isinstance(error, UserError) or translator.stats.translated + translator.stats.cached == 0:
                raise
            translator.stats.failures.append(f"{unit.id}: {error}")
            continue
        store.put([rendering])
        if on_unit:
            on_unit(unit, rendering)
    return translator.stats


# ------------------------------------------------------------------ background rendering

_PENDING: set[str] = set()
_PENDING_LOCK = threading.Lock()


def pending_symbols() -> set[str]:
    """Documents whose renderings a background thread of this process is still producing."""
    with _PENDING_LOCK:
        return set(_PENDING)


def render_after_ingest(settings: Settings, store, reports) -> list[str]:
    """Start rendering the documents just ingested (background thread); the symbols started.

    A document stored as the official version of another one has nothing to render.
    """
    units = [u for report in reports if not report.official
             for u in store.units(Filters(symbols=(report.symbol,)))]
    thread = translate_in_background(settings, units) if units else None
    return sorted({u.symbol for u in units}) if thread is not None else []


def pending_notice(units: Iterable[Unit], language: str) -> str | None:
    """"Renderings of SYM are still being produced" when a unit shown to a reader of `language`
    is in another language and its document is being rendered; None otherwise."""
    pending = pending_symbols()
    symbols = sorted({u.symbol for u in units if u.symbol in pending and u.language != language})
    if not symbols:
        return None
    names = ", ".join(symbols)
    return say(language, zh=f"{names} 的译文尚在后台生成中；暂时显示原文。",
               en=f"Renderings of {names} are still being produced in the background; the originals "
                  "are shown meanwhile.")


def translate_in_background(settings: Settings, units: list[Unit],
                            store: RenderingStore | None = None) -> threading.Thread | None:
    """Render the units still missing a rendering in a daemon thread; None when nothing is missing.

    Call after an ingest. Answers work meanwhile (they show originals where a rendering is missing);
    `pending_symbols()` names the documents in progress so the UI can say renderings are pending.
    """
    store = store or RenderingStore(settings)
    missing = store.missing(units)
    if not missing:
        return None
    symbols = {u.symbol for u in missing}
    with _PENDING_LOCK:
        _PENDING.update(symbols)

    def run():
        try:
            translate_units(settings, missing, store)
        except Exception as error:  # a background thread has nobody to raise to: log and stop
            import logging

            logging.getLogger(__name__).warning("Background translation stopped: %s", error)
        finally:
            with _PENDING_LOCK:
                _PENDING.difference_update(symbols)

    thread = threading.Thread(target=run, name="renderings-" + ",".join(sorted(symbols)), daemon=True)
    thread.start()
    return thread
