"""Official UN terms and names in Chinese and English: the one table every rendering relies on.

A small model renders 白俄罗斯 as "White Russia" and 枪支贩运 as "gunship trafficking"; the UN's
own names and terms are fixed, so they are data (vectorstore/data/official_terms.tsv), not model
knowledge. The table serves three purposes:

- hints: the official counterparts of the terms a paragraph contains go into its translation prompt;
- checks: a rendering that lacks the official counterpart of a term in its source is reported
  (`assistant translate --check`) and retried;
- answer prompts may use the same hints.

Each entry has a kind (state, body, instrument, place, term) and one or more forms per language;
the first form is the official one, the others are accepted variants; a form marked "~" in the
file is accepted in renderings but too ambiguous to be searched for. Chinese matching ignores
spaces (PDF extraction puts them inside 2030 年) and middle-dot variants; English matching works on
words, ignoring case (except for acronyms), hyphens and a plural -s. The longest form wins at each
position, so 联合国打击跨国有组织犯罪公约 counts as one term, not also as 有组织犯罪.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from vectorstore.wording import other_language

TERMS_PATH = Path(__file__).resolve().parent / "data" / "official_terms.tsv"
KINDS = ("state", "body", "instrument", "place", "region", "term")
LANGUAGES = ("zh", "en")

_MIDDLE_DOTS = "·∙•・‧"
_WORD = re.compile(r"[A-Za-z0-9À-ÖØ-öø-ÿ]+")


class TermsFileError(ValueError):
    """The shipped terms table is malformed (a programming error in the data, not a user mistake)."""


@dataclass(frozen=True)
class Term:
    kind: str
    zh: tuple[str, ...]
    en: tuple[str, ...]
    render_only: frozenset[str] = frozenset()  # forms accepted in renderings, never searched for

    def forms(self, language: str) -> tuple[str, ...]:
        return self.zh if language == "zh" else self.en

    def official(self, language: str) -> str:
        """The form a rendering in `language` should use."""
        return self.forms(language)[0]


@dataclass(frozen=True)
class TermMatch:
    term: Term
    text: str   # the form as printed in the searched text
    start: int
    end: int


def _fold(word: str) -> str:
    """Case, accents and a plural -s do not distinguish English words; acronyms keep their case."""
    if len(word) > 1 and word.isupper():
        return word
    word = unicodedata.normalize("NFKD", word.lower())
    word = "".join(ch for ch in word if not unicodedata.combining(ch))
    word = word.replace("isation", "ization")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end) for every English word; hyphens and apostrophes separate words."""
    return [(_fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def _chinese_pattern(form: str) -> str:
    """Spaces may appear between any two characters; any middle dot stands for any other."""
    pieces = []
    for ch in form.replace(" ", ""):
        pieces.append(f"[{_MIDDLE_DOTS}]?" if ch in _MIDDLE_DOTS else re.escape(ch))
    return r"\s*".join(pieces)


class TermTable:
    """The loaded table: find terms in a text, give their official counterparts, check renderings."""

    def __init__(self, terms: list[Term]):
        self.terms = terms
        zh_forms = sorted({(form, term) for term in terms for form in term.zh
                           if form not in term.render_only},
                          key=lambda pair: -len(pair[0]))
        self._zh_terms = {form: term for form, term in reversed(zh_forms)}  # first entry wins
        self._zh_regex = re.compile("|".join(f"(?P<t{i}>{_chinese_pattern(form)})"
                                             for i, (form, _) in enumerate(zh_forms)))
        self._zh_order = [form for form, _ in zh_forms]
        self._en_terms: dict[tuple[str, ...], Term] = {}
        for term in terms:
            for form in term.en:
                if form in term.render_only:
                    continue
                self._en_terms.setdefault(tuple(w for w, _, _ in _words(form)), term)
        self._en_longest = max(len(key) for key in self._en_terms)

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, text: str, language: str) -> list[TermMatch]:
        """Every term occurrence in `text` (written in `language`), longest form first, in text order."""
        if language == "zh":
            found = []
            for m in self._zh_regex.finditer(text):
                form = self._zh_order[int(m.lastgroup[1:])]
                found.append(TermMatch(self._zh_terms[form], m.group(), m.start(), m.end()))
            return found
        words = _words(text)
        found, i = [], 0
        while i < len(words):
            for size in range(min(self._en_longest, len(words) - i), 0, -1):
                term = self._en_terms.get(tuple(w for w, _, _ in words[i:i + size]))
                if term is not None:
                    start, end = words[i][1], words[i + size - 1][2]
                    if text.count("(", start, end) > text.count(")", start, end) and text[end:end + 1] == ")":
                        end += 1  # "Iran (Islamic Republic of)" keeps its closing parenthesis
                    found.append(TermMatch(term, text[start:end], start, end))
                    i += size
                    break
            else:
                i += 1
        return found

    def hints(self, text: str, language: str) -> list[tuple[str, str]]:
        """(form in the text, official counterpart in the other language), once per term, text order."""
        seen, pairs = set(), []
        target = other_language(language)
        for match in self.find(text, language):
            if match.term not in seen:
                seen.add(match.term)
                pairs.append((match.text, match.term.official(target)))
        return pairs

    def substitute(self, text: str, language: str) -> str:
        """`text` with every term replaced by its official counterpart in the other language.

        Given to a small translation model, "加强负责打击 trafficking in firearms 机构的能力" keeps the
        official term far more reliably than a glossary line beside the text does.
        """
        target = other_language(language)
        out, pos = [], 0
        for match in self.find(text, language):
            out.append(text[pos:match.start])
            official = match.term.official(target)
            out.append(f" {official} " if target == "en" else official)
            pos = match.end
        out.append(text[pos:])
        joined = "".join(out)
        return re.sub(r"(?<=\S) {2,}(?=\S)", " ", joined) if target == "en" else joined

    def contains(self, term: Term, text: str, language: str) -> bool:
        """Whether any form of `term` appears in `text`, wherever it sits (inside a longer name too)."""
        if language == "zh":
            return any(re.search(_chinese_pattern(form), text) for form in term.zh)
        words = [w for w, _, _ in _words(text)]
        for form in term.en:
            key = [w for w, _, _ in _words(form)]
            if any(words[i:i + len(key)] == key for i in range(len(words) - len(key) + 1)):
                return True
        return False

    def missing(self, source: str, source_language: str, rendering: str) -> list[TermMatch]:
        """The term occurrences of `source` whose official counterpart is absent from `rendering`."""
        target = other_language(source_language)
        verdict: dict[Term, bool] = {}
        absent = []
        for match in self.find(source, source_language):
            if match.term not in verdict:
                verdict[match.term] = self.contains(match.term, rendering, target)
            if not verdict[match.term]:
                absent.append(match)
        return absent

    def lookup(self, form: str, language: str) -> Term | None:
        """The entry one of whose forms is exactly `form` (spaces and case as the matcher treats them)."""
        for match in self.find(form, language):
            if match.start == 0 and match.end == len(form.strip()):
                return match.term
        return None


def parse_terms(text: str, name: str = "official_terms.tsv") -> list[Term]:
    terms = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) != 3:
            raise TermsFileError(f"{name} line {number}: expected 'kind<TAB>chinese<TAB>english'")
        kind, zh, en = columns
        if kind not in KINDS:
            raise TermsFileError(f"{name} line {number}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
        zh_forms = tuple("".join(f.split()) for f in zh.split("|") if f.strip())
        en_forms = tuple(" ".join(f.split()) for f in en.split("|") if f.strip())
        if not zh_forms or not en_forms:
            raise TermsFileError(f"{name} line {number}: empty Chinese or English side")
        render_only = frozenset(f[1:] for f in zh_forms + en_forms if f.startswith("~"))
        terms.append(Term(kind, tuple(f.lstrip("~") for f in zh_forms),
                          tuple(f.lstrip("~") for f in en_forms), render_only))
    return terms


@lru_cache(maxsize=4)
def load_terms(path: Path = TERMS_PATH) -> TermTable:
    """The table, read once per process."""
    return TermTable(parse_terms(path.read_text(encoding="utf-8"), path.name))


def terms_if_readable() -> TermTable | None:
    """The table, or None when it cannot be read: for features that work without it (answers,
    the relevance check), where a broken table must not stop the product."""
    try:
        return load_terms()
    except (OSError, ValueError):
        return None
