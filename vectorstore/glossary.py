"""English -> Chinese crime-prevention terms, so keyword search can help English questions on Chinese text.

Dense search carries English questions to Chinese paragraphs, but a small multilingual embedder
misses many paraphrases. The UN's Chinese terminology for this field is stable (网络犯罪,
资产追回, 恢复性司法...), so the English terms of a question are looked up in a domain glossary
(vectorstore/data/terms_en_zh.tsv: general UN crime-prevention vocabulary, not tied to particular
paragraphs) and the Chinese terms the reports print are searched with BM25 (classic dictionary-
based cross-language retrieval).

Matching works on word stems: both the glossary and the question are lowercased, split into
words (hyphens and apostrophes separate words) and lightly stemmed, so "victims", "trafficked"
and "cyber-crimes" match the entries "victim", "trafficking" and "cybercrime" / "cyber crime".
The longest phrase wins at each position ("trafficking in persons" before "trafficking").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

GLOSSARY_PATH = Path(__file__).resolve().parent / "data" / "terms_en_zh.tsv"

_WORDS = re.compile(r"[a-z0-9]+(?:[./][a-z0-9]+)*")  # "12/4", "a.i." stay one word
_LATIN = re.compile(r"[A-Za-z]")


def stem(word: str) -> str:
    """A light suffix stripper: plural, -ing, -ed and a final -e, applied alike to glossary and query."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is", "as")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) >= 6:  # "smuggle" ~ "smuggling"; "theme" is not "them"
        word = word[:-1]
    return word


def _words(text: str) -> list[str]:
    """Lowercase words; "San José" and "Türkiye" are also typed without accents."""
    return _WORDS.findall(text.lower().replace("é", "e").replace("ü", "u"))


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in _words(phrase))


class GlossaryError(ValueError):
    """The glossary file is malformed (a programming error in the shipped data, not a user mistake)."""


@lru_cache(maxsize=1)
def load_glossary(path: Path = GLOSSARY_PATH) -> tuple[dict[tuple[str, ...], tuple[str, ...]], int]:
    """{stemmed English phrase: Chinese terms} and the longest phrase length, read once."""
    entries: dict[tuple[str, ...], list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) != 2:
            raise GlossaryError(f"{path.name} line {number}: expected 'english<TAB>chinese'")
        # Chinese has no word spaces ("2030 年" in a PDF is an artefact): terms are space-separated
        chinese = ["".join(t.split()) for t in columns[1].split("|") if t.strip()]
        variants = [v.strip() for v in columns[0].split("|") if v.strip()]
        if not chinese or not variants:
            raise GlossaryError(f"{path.name} line {number}: empty English or Chinese side")
        for variant in variants:
            key = _key(variant)
            if not key:
                raise GlossaryError(f"{path.name} line {number}: {variant!r} has no words")
            terms = entries.setdefault(key, [])  # a variant listed twice pools its terms
            terms += [t for t in chinese if t not in terms]
    glossary = {k: tuple(v) for k, v in entries.items()}
    return glossary, max(len(k) for k in glossary)


def matched_terms(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(English words matched, their Chinese terms) in question order, longest phrase first."""
    glossary, longest = load_glossary()
    words = _words(text)
    stems = [stem(w) for w in words]
    found = []
    i = 0
    while i < len(stems):
        for n in range(min(longest, len(stems) - i), 0, -1):
            terms = glossary.get(tuple(stems[i:i + n]))
            if terms:
                found.append((" ".join(words[i:i + n]), terms))
                i += n
                break
        else:
            i += 1
    return found


def chinese_terms(text: str) -> list[str]:
    """The Chinese terms for the English terms in `text`, in question order, without duplicates."""
    terms: list[str] = []
    for _, chinese in matched_terms(text):
        terms += [t for t in chinese if t not in terms]
    return terms


def translate_query(text: str) -> str:
    """The Chinese glossary terms for an English (Latin-script) query, space-separated; "" if none.

    Text without Latin letters (a Chinese question) is returned as "": it needs no translation.
    """
    if not isinstance(text, str) or not _LATIN.search(text):
        return ""
    return " ".join(chinese_terms(text))


@lru_cache(maxsize=1)
def _reverse_glossary(path: Path = GLOSSARY_PATH) -> tuple[tuple[str, str], ...]:
    """(Chinese term, its English phrase) pairs, longest Chinese term first (one English phrase
    per term: the first variant of the first entry that lists it)."""
    pairs: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, chinese = line.split("\t")
        first = english.split("|")[0].strip()
        for term in ("".join(t.split()) for t in chinese.split("|")):
            if len(term) >= 2:
                pairs.setdefault(term, first)
    return tuple(sorted(pairs.items(), key=lambda pair: -len(pair[0])))


def english_terms(text: str) -> list[str]:
    """The English phrases for the glossary's Chinese terms found in `text` (longest match first,
    non-overlapping), in text order: the same dictionary read the other way, so that a Chinese
    question reaches English paragraphs through BM25."""
    if not isinstance(text, str):
        return []
    taken = [False] * len(text)
    found: list[tuple[int, str]] = []
    for term, english in _reverse_glossary():
        start = text.find(term)
        while start >= 0:
            if not any(taken[start:start + len(term)]):
                taken[start:start + len(term)] = [True] * len(term)
                found.append((start, english))
            start = text.find(term, start + 1)
    phrases: list[str] = []
    for _, english in sorted(found):
        if english not in phrases:
            phrases.append(english)
    return phrases
