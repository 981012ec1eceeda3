"""Traceability: which paragraphs of an adopted declaration took up which regional recommendations.

Forward, every recommendation unit of the selected reports is matched against the numbered and
preambular paragraphs of the declaration (today the Kyoto Declaration, annex of A/RES/76/181) and
gets its best paragraphs with a score, a short reason and a verdict: *taken up*, *partly* or
*not found*. Backward, every declaration paragraph lists the recommendations that fed it. The
same scoring gives "agreed language" for any new text (a draft point, a 15th-Congress
recommendation): the closest declaration paragraphs, flagged *new* when nothing is close.

The recommendations are Chinese, the declaration English, so each side is also given a *bridge*
text in the other language: its rendering (vectorstore/renderings.py; official or machine) when
one exists, else a gloss made of the official terms (vectorstore/terms.py) and the domain glossary
terms (vectorstore/glossary.py) it contains. With a bridge on both sides, every comparison can be
made within one language, in both directions. The score components (COMPONENTS; "_en" compares
in the declaration's language, "_zh" in the other one, names from the English Kyoto Declaration):

  cross         cosine, source in its own language vs paragraph original (across languages);
  bridge_en/zh  cosine of the whole texts compared in one language; bridge_both: both bridges;
  clauses_en/zh the best cosine between the source and any clause of the paragraph (or the whole
                paragraph): a long paragraph that takes a recommendation up in one clause still
                scores high;
  words_en/zh   TF-IDF cosine of the search tokens (vectorstore/bm25.tokenize: English stems,
                jieba words, stopwords out), IDF over the declaration's paragraphs;
  terms         IDF-weighted overlap of shared official and glossary terms (across languages).

The multilingual embedder is the store's, behind its cache. The score is a weighted sum of the
components, each standardised (mean, standard deviation measured on the calibration half);
weights, standardisation and verdict thresholds are calibrated on labelled pairs by
eval/trace_eval.py and stored in assistant/data/trace_calibration.json (never set by eye).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from vectorstore.bm25 import tokenize
from vectorstore.embeddings import unit_vectors
from vectorstore.errors import UnknownDocumentError, UserError
from vectorstore.filters import Filters
from vectorstore.glossary import GLOSSARY_PATH, matched_terms
from vectorstore.language import detect_language
from vectorstore.references import reference_label
from vectorstore.terms import load_terms
from vectorstore.units import DocumentInfo, Unit
from vectorstore.wording import other_language, reader_language, say

CALIBRATION_PATH = Path(__file__).resolve().parent / "data" / "trace_calibration.json"
TAKEN_UP, PARTLY, NOT_FOUND = "taken up", "partly", "not found"
VERDICTS = (TAKEN_UP, PARTLY, NOT_FOUND)
VERDICT_LABELS = {
    "en": {TAKEN_UP: "taken up", PARTLY: "partly", NOT_FOUND: "not found"},
    "zh": {TAKEN_UP: "已采纳", PARTLY: "部分采纳", NOT_FOUND: "未见对应"},
}
NEW_LABEL = {"en": "new", "zh": "新内容"}
# Score components (see the module docstring): cosines between a source side and a declaration
# side, best-clause cosines, token overlap and shared terms.
COMPONENTS = ("cross", "bridge_en", "bridge_zh", "bridge_both", "clauses_en", "clauses_zh",
              "words_en", "words_zh", "terms")
MAX_REASON_TERMS = 4


def verdict_label(verdict: str, lang: str) -> str:
    return VERDICT_LABELS[reader_language(lang)][verdict]


# ---- calibration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceCalibration:
    """Weights of the score components, their standardisation and the two verdict thresholds
    (from eval/trace_eval.py)."""

    weights: dict
    taken_up: float  # best score >= this: taken up
    partly: float  # best score >= this (and < taken_up): partly; below: not found
    about: str = ""
    # component -> (mean, standard deviation) over calibration pairs; a component missing here is
    # used as it is (mean 0, deviation 1)
    normalization: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | str = CALIBRATION_PATH) -> TraceCalibration:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            normalization = {k: (float(v[0]), float(v[1])) for k, v in data.get("normalization", {}).items()
                             if k in COMPONENTS}
            calibration = cls(weights={k: float(data["weights"].get(k, 0.0)) for k in COMPONENTS},
                              taken_up=float(data["taken_up"]), partly=float(data["partly"]),
                              about=str(data.get("about", "")), normalization=normalization)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise UserError(f"Cannot read the traceability calibration {path}: {exc}") from exc
        if calibration.partly > calibration.taken_up:
            raise UserError(f"Invalid traceability calibration {path}: partly > taken_up.")
        if any(std <= 0 for _, std in calibration.normalization.values()):
            raise UserError(f"Invalid traceability calibration {path}: a standard deviation <= 0.")
        return calibration

    def save(self, path: Path | str = CALIBRATION_PATH, extra: dict | None = None) -> None:
        data = {"about": self.about, "weights": self.weights,
                "normalization": {k: [round(m, 6), round(s, 6)] for k, (m, s) in self.normalization.items()},
                "taken_up": self.taken_up, "partly": self.partly, **(extra or {})}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def verdict(self, score: float | None) -> str:
        if score is None or score < self.partly:
            return NOT_FOUND
        return TAKEN_UP if score >= self.taken_up else PARTLY

    def standardised(self, component: str, values: np.ndarray) -> np.ndarray:
        mean, std = self.normalization.get(component, (0.0, 1.0))
        return (values - mean) / std

    def combine(self, components: dict[str, np.ndarray]) -> np.ndarray:
        """Weighted sum of the standardised components (those with a weight)."""
        used = [c for c in COMPONENTS if self.weights.get(c, 0.0)]
        if not used:
            raise UserError("The traceability calibration gives no component a weight.")
        return sum(self.weights[c] * self.standardised(c, components[c]) for c in used)


def normalization_of(components: dict[str, np.ndarray], rows) -> dict[str, tuple[float, float]]:
    """(mean, standard deviation) of each component over the given source rows x all paragraphs."""
    rows = list(rows)
    out = {}
    for name in COMPONENTS:
        values = components[name][rows]
        std = float(values.std())
        out[name] = (float(values.mean()), std if std > 0 else 1.0)
    return out


# ---- terms and glosses --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _glossary_lines() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(first English form, Chinese terms) per glossary line: the readable side of each entry."""
    lines = []
    for line in GLOSSARY_PATH.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and line.count("\t") == 1:
            english, chinese = line.split("\t")
            terms = tuple("".join(t.split()) for t in chinese.split("|") if t.strip())
            if terms:
                lines.append((english.split("|")[0].strip(), terms))
    return tuple(lines)


@lru_cache(maxsize=1)
def _chinese_index() -> tuple[re.Pattern, dict[str, tuple[str, str]]]:
    """A longest-first pattern of the glossary's Chinese terms, and term -> (concept, English)."""
    concepts: dict[str, tuple[str, str]] = {}
    for english, terms in _glossary_lines():
        for term in terms:
            concepts.setdefault(term, (terms[0], english))  # concept = the line's first Chinese term
    forms = sorted(concepts, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, forms))), concepts


@dataclass(frozen=True)
class Concept:
    """A term shared across languages: key for matching, and how to show it in each language."""

    key: str
    en: str
    zh: str


def concepts_in(text: str, language: str) -> dict[str, Concept]:
    """Official terms and glossary terms of `text` (in `language`), keyed across languages."""
    found: dict[str, Concept] = {}
    table = load_terms()
    compact = "".join(text.split()) if language == "zh" else text
    for match in table.find(compact, language):
        term = match.term
        found.setdefault("T:" + term.official("en"), Concept("T:" + term.official("en"),
                                                             term.official("en"), term.official("zh")))
    if language == "zh":
        pattern, index = _chinese_index()
        for m in pattern.finditer(compact):
            concept, english = index[m.group()]
            found.setdefault("G:" + concept, Concept("G:" + concept, english, concept))
    else:
        _, index = _chinese_index()
        for words, chinese in matched_terms(text):
            concept = index.get(chinese[0], (chinese[0], words))[0]
            found.setdefault("G:" + concept, Concept("G:" + concept, words, concept))
    return found


def distinct_forms(concepts, language: str) -> list[str]:
    """The concepts' forms in `language`, once each (an official term and its glossary entry, or
    "stakeholder" and "stakeholders", are shown once)."""
    seen, forms = set(), []
    for concept in concepts:
        form = concept.zh if language == "zh" else concept.en
        key = re.sub(r"[\s\-]+", "", form.lower()).rstrip("s")
        if key not in seen:
            seen.add(key)
            forms.append(form)
    return forms


def gloss(concepts: dict[str, Concept], language: str) -> str:
    """The terms of a text listed in `language`: a bridge when there is no rendering."""
    return say(language, zh="、", en=", ").join(distinct_forms(concepts.values(), language))


# ---- embedding ----------------------------------------------------------------------------------

def embed(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """Unit-length query-mode vectors (symmetric comparison)."""
    return unit_vectors(embeddings, texts, "query")


# ---- clauses and words --------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.;:。；：])\s*")
_AFTER_COMMA = re.compile(r"(?<=[,，、])\s*")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
CLAUSE_LONGEST, CLAUSE_SHORTEST = 40, 12  # in words; 1.6 Chinese characters count as one word


def _words(text: str) -> float:
    return len(_CJK_CHAR.findall(text)) / 1.6 + len(_LATIN_WORD.findall(text))


def _join(left: str, right: str) -> str:
    return left + right if not left or _CJK_CHAR.search(right[:1] or " ") else f"{left} {right}"


def clauses(text: str) -> list[str]:
    """The clauses of a paragraph, in order: its sentences (split after . ; : and their Chinese
    forms); a sentence longer than CLAUSE_LONGEST words split after its commas into runs of at
    least CLAUSE_SHORTEST words (a short tail joins the run before it). Nothing is lost:
    joined, the clauses give the text back (up to the spaces)."""
    out: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        if not sentence:
            continue
        pieces = [sentence] if _words(sentence) <= CLAUSE_LONGEST else \
            [p.strip() for p in _AFTER_COMMA.split(sentence) if p.strip()]
        run = ""
        for piece in pieces:
            run = _join(run, piece)
            if _words(run) >= CLAUSE_SHORTEST:
                out.append(run)
                run = ""
        if run:
            if out:
                out[-1] = _join(out[-1], run)
            else:
                out.append(run)
    return out or [text]


class WordVectors:
    """TF-IDF vectors (sublinear term frequency, unit length) of search tokens; IDF from a
    reference collection (the declaration's paragraphs in one language)."""

    def __init__(self, collection: list[str]):
        self.bags = [Counter(tokenize(t)) for t in collection]
        document_frequency = Counter(w for bag in self.bags for w in bag)
        n = len(self.bags)
        self._idf = {w: math.log((n + 1) / (df + 0.5)) for w, df in document_frequency.items()}
        self._unseen_idf = math.log((n + 1) / 0.5)
        self.vocabulary = {w: i for i, w in enumerate(sorted(document_frequency))}
        self.matrix = self.vectors_of_bags(self.bags)

    def vectors_of_bags(self, bags: list[Counter]) -> np.ndarray:
        """Rows over the collection's vocabulary; a source's words outside it still count in its
        norm (unmatched content lowers the cosine)."""
        out = np.zeros((len(bags), len(self.vocabulary)))
        for i, bag in enumerate(bags):
            weights = {w: (1 + math.log(f)) * self._idf.get(w, self._unseen_idf) for w, f in bag.items()}
            norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
            for w, v in weights.items():
                if w in self.vocabulary:
                    out[i, self.vocabulary[w]] = v / norm
        return out

    def cosines(self, texts: list[str]) -> np.ndarray:
        """texts x collection."""
        return self.vectors_of_bags([Counter(tokenize(t)) for t in texts]) @ self.matrix.T


class ClauseVectors:
    """Embedded clauses of each paragraph (with the whole paragraph when it has several)."""

    def __init__(self, embeddings: Embeddings, texts: list[str]):
        chunks, owners = [], []
        for j, text in enumerate(texts):
            parts = clauses(text)
            for part in [*parts, text] if len(parts) > 1 else parts:
                chunks.append(part)
                owners.append(j)
        self.vectors = embed(embeddings, chunks)
        self.owners = np.asarray(owners)
        self.count = len(texts)

    def best(self, source_vectors: np.ndarray) -> np.ndarray:
        """sources x paragraphs: the best cosine over each paragraph's clauses."""
        sims = source_vectors @ self.vectors.T
        out = np.full((len(source_vectors), self.count), -1.0)
        for j in range(self.count):
            out[:, j] = sims[:, self.owners == j].max(axis=1)
        return out


# ---- sides --------------------------------------------------------------------------------------


@dataclass
class Side:
    """A text to compare, in its own language, with its bridge into the other language."""

    text: str
    language: str  # "zh" | "en"
    bridge: str  # the text in the other language: rendering or term gloss
    bridge_source: str  # "official", "machine" (renderings) or "terms" (gloss)
    concepts: dict[str, Concept]
    unit: Unit | None = None  # None for free text (a draft point)
    rendering: object | None = None  # the Rendering shown beside the original, if any

    def text_in(self, language: str) -> str:
        return self.text if language == self.language else self.bridge


def make_side(text: str, language: str, unit: Unit | None = None, rendering=None) -> Side:
    concepts = concepts_in(text, language)
    other = other_language(language)
    if rendering is not None and rendering.language == other and rendering.text.strip():
        return Side(text, language, rendering.text, rendering.source, concepts, unit, rendering)
    return Side(text, language, gloss(concepts, other), "terms", concepts, unit, None)


# ---- matching -----------------------------------------------------------------------------------


@dataclass
class TraceMatch:
    unit: Unit  # the declaration paragraph
    score: float
    verdict: str
    shared_terms: list[Concept]
    shared_themes: list[str] = field(default_factory=list)  # theme ids (assistant/data/themes.json)
    components: dict = field(default_factory=dict)
    side: Side | None = None  # the paragraph with its bridge (rendering or key terms)

    def reason(self, lang: str = "en", theme_labels: dict | None = None) -> str:
        terms = distinct_forms(self.shared_terms, lang)[:MAX_REASON_TERMS]
        themes = [(theme_labels or {}).get(t, t) for t in self.shared_themes]
        parts = []
        if lang == "zh":
            parts.append("共同术语：" + "、".join(terms) if terms else "无共同术语")
            if themes:
                parts.append("共同主题：" + "、".join(themes))
            return f"得分 {self.score:.3f}；" + "；".join(parts)
        parts.append("shared terms: " + ", ".join(terms) if terms else "no shared terms")
        if themes:
            parts.append("shared themes: " + ", ".join(themes))
        return f"score {self.score:.3f}; " + "; ".join(parts)


@dataclass
class TraceRow:
    """One source (a recommendation or a draft point) and its closest declaration paragraphs."""

    source: Side
    matches: list[TraceMatch]  # best first

    @property
    def verdict(self) -> str:
        return self.matches[0].verdict if self.matches else NOT_FOUND

    @property
    def is_new(self) -> bool:
        return self.verdict == NOT_FOUND

    @property
    def unit(self) -> Unit | None:
        return self.source.unit


class Tracer:
    """Scores sources against the paragraphs of one declaration."""

    def __init__(self, embeddings: Embeddings, targets: list[Unit],
                 calibration: TraceCalibration | None = None, renderings: dict | None = None,
                 themes: dict[str, list[str]] | None = None):
        if not targets:
            raise UserError("The declaration has no paragraphs to trace against.")
        self.embeddings = embeddings
        self.calibration = calibration or TraceCalibration.load()
        self.renderings = renderings or {}
        self.themes = themes or {}  # unit id -> assigned theme ids (sources and targets)
        self.targets = [make_side(u.text, _language(u), u, self.renderings.get(u.id)) for u in targets]
        self._target_vectors = {
            "original": embed(embeddings, [t.text for t in self.targets]),
            "bridge": embed(embeddings, [t.bridge for t in self.targets]),
        }
        self._target_clauses = {"original": ClauseVectors(embeddings, [t.text for t in self.targets]),
                                "bridge": ClauseVectors(embeddings, [t.bridge for t in self.targets])}
        self._target_words = {"original": WordVectors([t.text for t in self.targets]),
                               "bridge": WordVectors([t.bridge for t in self.targets])}
        document_frequency = Counter(k for t in self.targets for k in t.concepts)
        n = len(self.targets)
        self._idf = {k: math.log((n + 1) / (df + 0.5)) for k, df in document_frequency.items()}
        self._unseen_idf = math.log((n + 1) / 0.5)

    def side_for(self, unit: Unit) -> Side:
        return make_side(unit.text, _language(unit), unit, self.renderings.get(unit.id))

    def components(self, sources: list[Side]) -> dict[str, np.ndarray]:
        """Every score component, sources x targets."""
        if not sources:
            return {c: np.zeros((0, len(self.targets))) for c in COMPONENTS}
        target_language = self.targets[0].language
        other = "zh" if target_language == "en" else "en"
        # Each source seen in the declaration's language and in the other one (original or bridge).
        text_in_target = [s.text_in(target_language) for s in sources]
        text_in_other = [s.text_in(other) for s in sources]
        in_target = embed(self.embeddings, text_in_target)
        in_other = embed(self.embeddings, text_in_other)
        original, bridge = self._target_vectors["original"], self._target_vectors["bridge"]
        return {
            "cross": in_other @ original.T,  # e.g. Chinese recommendation vs English paragraph
            "bridge_en": in_target @ original.T,  # its English bridge vs the English paragraph
            "bridge_zh": in_other @ bridge.T,  # the recommendation vs the paragraph's Chinese bridge
            "bridge_both": in_target @ bridge.T,
            "clauses_en": self._target_clauses["original"].best(in_target),
            "clauses_zh": self._target_clauses["bridge"].best(in_other),
            "words_en": self._target_words["original"].cosines(text_in_target),
            "words_zh": self._target_words["bridge"].cosines(text_in_other),
            "terms": np.array([[self._overlap(s, t) for t in self.targets] for s in sources]),
        }

    def _overlap(self, source: Side, target: Side) -> float:
        shared = source.concepts.keys() & target.concepts.keys()
        if not shared:
            return 0.0
        weight = sum(self._idf[k] for k in shared)
        source_norm = sum(self._idf.get(k, self._unseen_idf) for k in source.concepts)
        target_norm = sum(self._idf[k] for k in target.concepts)
        return weight / math.sqrt(source_norm * target_norm)

    def trace(self, sources: list[Side], k: int = 3) -> list[TraceRow]:
        components = self.components(sources)
        scores = self.calibration.combine(components)
        rows = []
        for i, source in enumerate(sources):
            order = np.argsort(-scores[i], kind="stable")[:k]
            rows.append(TraceRow(source, [self._match(source, int(j), float(scores[i, j]),
                                                      {c: round(float(components[c][i, j]), 4)
                                                       for c in COMPONENTS})
                                          for j in order]))
        return rows

    def _match(self, source: Side, j: int, score: float, components: dict) -> TraceMatch:
        target = self.targets[j]
        shared = [target.concepts[k] for k in target.concepts if k in source.concepts]
        shared.sort(key=lambda c: -self._idf.get(c.key, 0.0))  # the most telling terms first
        source_themes = self.themes.get(source.unit.id, []) if source.unit else []
        shared_themes = [t for t in self.themes.get(target.unit.id, []) if t in source_themes]
        return TraceMatch(target.unit, round(score, 4), self.calibration.verdict(score), shared,
                          shared_themes, components, target)


def _language(unit: Unit) -> str:
    return "en" if unit.language == "en" else "zh"


# ---- reports ------------------------------------------------------------------------------------


@dataclass
class TraceReport:
    declaration: DocumentInfo
    documents: list[DocumentInfo]  # the traced reports
    rows: list[TraceRow]  # forward: one per recommendation unit, in document order
    targets: list[Unit]  # the declaration's paragraphs, in reading order
    calibration: TraceCalibration
    theme_labels: dict = field(default_factory=dict)  # theme id -> {"en": ..., "zh": ...}
    themes: dict = field(default_factory=dict)  # unit id -> theme ids
    pending_renderings: int = 0  # recommendations matched through their terms (no rendering yet)

    def notices(self, lang: str = "en") -> list[str]:
        if not self.pending_renderings:
            return []
        if lang == "zh":
            return [f"{len(self.rows)} 条建议中有 {self.pending_renderings} 条尚无译文，"
                    "按其中的官方术语和词汇表术语匹配。"]
        return [f"{self.pending_renderings} of {len(self.rows)} recommendations have no rendering yet: "
                "they are matched through their official and glossary terms."]

    def backward(self) -> dict[str, list[tuple[TraceRow, TraceMatch]]]:
        """Declaration paragraph id -> the recommendations that fed it (among their best matches
        with a verdict other than not found), best score first; every paragraph is a key."""
        fed: dict[str, list[tuple[TraceRow, TraceMatch]]] = {u.id: [] for u in self.targets}
        for row in self.rows:
            for match in row.matches:
                if match.verdict != NOT_FOUND:
                    fed[match.unit.id].append((row, match))
        for entries in fed.values():
            entries.sort(key=lambda pair: -pair[1].score)
        return fed

    def novel(self) -> list[TraceRow]:
        return [row for row in self.rows if row.is_new]

    def verdict_counts(self) -> dict[str, int]:
        counts = Counter(row.verdict for row in self.rows)
        return {v: counts.get(v, 0) for v in VERDICTS}

    def theme_label(self, theme_id: str, lang: str) -> str:
        return self.theme_labels.get(theme_id, {}).get(reader_language(lang), theme_id)

    def with_theme(self, theme_ids) -> TraceReport:
        """The same report restricted to recommendations under any of `theme_ids` (matrix taxonomy)."""
        wanted = set(theme_ids or ())
        if not wanted:
            return self
        unknown = wanted - set(self.theme_labels)
        if unknown:
            raise UserError(f"Unknown theme(s) {', '.join(sorted(unknown))}. "
                            f"Themes: {', '.join(self.theme_labels)}.")
        rows = [r for r in self.rows if r.unit and wanted & set(self.themes.get(r.unit.id, ()))]
        pending = sum(1 for r in rows if r.source.rendering is None)
        return TraceReport(self.declaration, self.documents, rows, self.targets, self.calibration,
                           self.theme_labels, self.themes, pending)

    def to_json(self, lang: str = "en") -> dict:
        backward = self.backward()
        return {
            "declaration": {"symbol": self.declaration.symbol, "name": self.declaration.declaration},
            "documents": [d.symbol for d in self.documents],
            "thresholds": {"taken_up": self.calibration.taken_up, "partly": self.calibration.partly},
            "verdicts": self.verdict_counts(),
            "recommendations": [row_json(r, lang, self) for r in self.rows],
            "declaration_paragraphs": [
                {"id": u.id, "citation": u.citation(lang),
                 "fed_by": [{"id": row.unit.id, "citation": row.unit.citation(lang), "score": m.score,
                             "verdict": m.verdict} for row, m in backward[u.id]]}
                for u in self.targets
            ],
            "notices": self.notices(lang),
        }


KEY_TERMS_LABEL = {"en": "key terms (not a translation)", "zh": "关键术语（非译文）"}


def reader_text(side: Side, lang: str) -> tuple[str, str]:
    """(text for a reader of `lang`, what it is): "original", a rendering's label (machine
    translations say so), or the key-terms label when no rendering exists yet."""
    lang = reader_language(lang)
    if side.language == lang:
        return side.text, "original"
    if side.rendering is not None:
        rendering = side.rendering
        return side.bridge, rendering.cautioned_label(side.unit, lang) if side.unit else rendering.label(lang)
    return side.bridge, KEY_TERMS_LABEL[lang]


def _reader_json(side: Side | None, lang: str) -> dict | None:
    if side is None or side.language == reader_language(lang):
        return None
    text, kind = reader_text(side, lang)
    return {"text": text, "kind": kind, "machine": side.rendering is not None
            and side.rendering.source == "machine"}


def row_json(row: TraceRow, lang: str, report: TraceReport | None = None) -> dict:
    source = row.source
    labels = {t: report.theme_label(t, lang) for t in report.theme_labels} if report else {}
    out = {
        "id": source.unit.id if source.unit else None,
        "citation": source.unit.citation(lang) if source.unit else None,
        "text": source.text,
        "language": source.language,
        "rendering": rendering_json(source),
        "for_reader": _reader_json(source, lang),
        "themes": report.themes.get(source.unit.id, []) if report and source.unit else [],
        "verdict": row.verdict,
        "new": row.is_new,
        "matches": [],
    }
    for m in row.matches:
        out["matches"].append({
            "id": m.unit.id, "citation": m.unit.citation(lang), "score": m.score, "verdict": m.verdict,
            "reason": m.reason(lang, labels),
            "shared_terms": [{"en": c.en, "zh": c.zh} for c in m.shared_terms],
            "shared_themes": m.shared_themes, "text": m.unit.text, "for_reader": _reader_json(m.side, lang),
        })
    return out


def rendering_json(side: Side) -> dict | None:
    if side.rendering is None:
        return None
    return {"language": side.rendering.language, "text": side.rendering.text, "source": side.rendering.source,
            "model": getattr(side.rendering, "model", "")}


# ---- building from a store ----------------------------------------------------------------------


def declaration_documents(documents: list[DocumentInfo]) -> list[DocumentInfo]:
    """Stored documents that carry an adopted declaration: named by a declaration, not a regional report."""
    return [d for d in documents if d.declaration and not d.region]


def resolve_declaration(documents: list[DocumentInfo], symbol: str | None = None) -> DocumentInfo:
    candidates = declaration_documents(documents)
    if symbol:
        for d in documents:
            if d.symbol == symbol:
                return d
        raise UnknownDocumentError(f"Unknown declaration document {symbol}. Stored: "
                                   f"{', '.join(d.symbol for d in documents) or 'none'}.")
    if not candidates:
        raise UserError("No adopted declaration is stored (e.g. A/RES/76/181, the Kyoto Declaration): "
                        "ingest it first.")
    return max(candidates, key=lambda d: (d.congress or 0, d.symbol))


def declaration_units(units: list[Unit]) -> list[Unit]:
    """The declaration's paragraphs: the annex when the document has one (a resolution's
    annexed declaration), else the whole document."""
    annexed = [u for u in units if u.part == "annex"]
    chosen = annexed or [u for u in units if not u.part]
    with_items = {(u.part, u.paragraph) for u in chosen if u.item}
    return [u for u in chosen if u.item or (u.part, u.paragraph) not in with_items or u.preamble]


def recommendation_units(units: list[Unit]) -> list[Unit]:
    from assistant.matrix import matrix_units  # the matrix's rule: sub-items instead of their chapeau

    return matrix_units(units)


def _theme_data(embeddings: Embeddings, units: list[Unit]):
    from assistant.matrix import ThemeAssigner

    assigner = ThemeAssigner(embeddings)
    assignments = assigner.assign(units)
    themes = {uid: [t for t in a.theme_ids if t != "other"] for uid, a in assignments.items()}
    labels = {t.id: {"en": t.label_en, "zh": t.label_zh} for t in assigner.taxonomy.themes}
    return themes, labels


def make_tracer(store, declaration: str | None = None, settings=None, sources: list[Unit] = (),
                with_themes: bool = True) -> tuple[Tracer, DocumentInfo, list[Unit], dict, dict]:
    """A Tracer over the stored declaration, with renderings and themes of it and of `sources`."""
    from vectorstore.renderings import renderings_for

    documents = store.documents()
    target_doc = resolve_declaration(documents, declaration)
    targets = declaration_units(store.units(Filters(symbols=(target_doc.symbol,))))
    renderings = renderings_for([*targets, *sources], settings or store.settings)
    themes, labels = _theme_data(store.embeddings, [*targets, *sources]) if with_themes else ({}, {})
    tracer = Tracer(store.embeddings, targets, renderings=renderings, themes=themes)
    return tracer, target_doc, targets, themes, labels


def trace_from_store(store, symbols=(), declaration: str | None = None, k: int = 3, settings=None,
                     with_themes: bool = True) -> TraceReport:
    """Trace the recommendations of the selected reports (default: those of the declaration's
    congress) into the declaration."""
    documents = store.documents()
    target_doc = resolve_declaration(documents, declaration)
    known = {d.symbol: d for d in documents}
    unknown = [s for s in symbols if s not in known]
    if unknown:
        raise UnknownDocumentError(f"Unknown document symbol(s) {', '.join(unknown)}. "
                                   f"Stored: {', '.join(sorted(known)) or 'none'}.")
    if symbols:
        chosen = [known[s] for s in symbols]
    else:
        chosen = [d for d in documents if d.region and d.congress == target_doc.congress]
    if not chosen:
        raise UserError(f"No stored regional report of the congress that adopted {target_doc.symbol}; "
                        "name one with --from SYMBOL.")
    units = store.units(Filters(symbols=tuple(d.symbol for d in chosen), kinds=("recommendation",)))
    sources = recommendation_units(units)
    if not sources:
        raise UserError(f"No recommendation paragraphs in {', '.join(d.symbol for d in chosen)}.")
    tracer, target_doc, targets, themes, labels = make_tracer(store, target_doc.symbol, settings, sources,
                                                              with_themes)
    rows = tracer.trace([tracer.side_for(u) for u in sources], k=k)
    pending = sum(1 for u in sources if u.id not in tracer.renderings)
    return TraceReport(target_doc, chosen, rows, targets, tracer.calibration, labels, themes,
                       pending_renderings=pending)


@dataclass
class AgreedLanguage:
    """The closest declaration paragraphs for one piece of new text."""

    text: str
    row: TraceRow
    declaration: DocumentInfo

    @property
    def is_new(self) -> bool:
        return self.row.is_new

    @property
    def matches(self) -> list[TraceMatch]:
        return self.row.matches

    def suggestion(self, lang: str = "en") -> str | None:
        """'agreed language: Kyoto Declaration, para. 63' (None when the point is new).

        The declaration's own name and numbering when it has a name; otherwise, and for a
        preambular paragraph, the paragraph's full citation (`A/RES/76/181, annex, para. 5`)."""
        close = [m for m in self.matches if m.verdict != NOT_FOUND]
        if not close:
            return None
        unit = close[0].unit
        name = self.declaration.declaration
        label = say(lang, zh="商定措辞：", en="agreed language: ")
        if unit.preamble or not name:
            return label + unit.citation(lang)
        if lang == "zh":
            # the Chinese name of the part quoted ("京都宣言" names the annex of A/RES/76/181)
            names = [a["name"] if isinstance(a, dict) else a for a in unit.aliases
                     if not isinstance(a, dict) or a.get("part", "") == unit.part]
            name = "《" + next((a for a in names if detect_language(a) == "zh"), name).strip("《》") + "》"
        # the declaration's own numbering: "para. 63 (b)" / "第63(b)段"
        number = reference_label(unit.key._replace(symbol="", part=""), lang)
        return f"{label}{name}{say(lang, zh='', en=', ')}{number}"


_tracers: dict[tuple, Tracer] = {}
_tracers_lock = threading.Lock()


def agreed_language(text: str, k: int = 3, settings=None, store=None,
                    declaration: str | None = None) -> AgreedLanguage:
    """The closest paragraphs of the declaration for a draft point, flagged new when none is close.

    For the answers chain (draft mode): `agreed_language(bullet).suggestion(lang)` gives
    "agreed language: Kyoto Declaration, para. 63" or None.
    """
    text = (text or "").strip()
    if not text:
        raise UserError("Give the text of a draft point to look for agreed language.")
    if store is None:
        from vectorstore.settings import Settings
        from vectorstore.store import UnitStore

        store = UnitStore(settings or Settings.from_env())
    key = (id(store), store.revision(), declaration)
    with _tracers_lock:
        tracer = _tracers.get(key)
    if tracer is None:
        tracer = make_tracer(store, declaration, settings, with_themes=False)[0]
        with _tracers_lock:
            _tracers.clear()  # one declaration per process at a time
            _tracers[key] = tracer
    target_doc = resolve_declaration(store.documents(), declaration)
    side = make_side(text, detect_language(text))
    return AgreedLanguage(text, tracer.trace([side], k=k)[0], target_doc)


def agreed_language_for_units(store, symbol: str, k: int = 3, settings=None,
                              declaration: str | None = None) -> TraceReport:
    """Agreed language for every recommendation of one report (e.g. a 15th-Congress report traced
    against the Kyoto Declaration); `report.novel()` lists those with no counterpart."""
    return trace_from_store(store, symbols=[symbol], declaration=declaration, k=k, settings=settings)
