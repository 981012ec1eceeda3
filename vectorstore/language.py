"""The language of a text: "zh" or "en", the one detector for questions, answers and documents.

A text is Chinese when Chinese characters outweigh Latin words (two characters ≈ one word).
Document symbols (`A/CONF.241/RPM.2/2`, the grammar's `SYMBOL_PATTERN`), citation markers and
all-capital acronyms are ignored first, so "A/CONF.241/RPM.2/2 第24段说了什么？" or
"UNODC 的作用是什么？" are Chinese. It lives in the vectorstore layer because the catalog
(documents) and retrieval (questions) need it; `assistant.language` re-exports it.
"""

from __future__ import annotations

import re

from vectorstore.references import SYMBOL_PATTERN

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# UN document symbols, citation markers (bounded, so a line of "[" stays linear) and all-capital
# acronyms say nothing about the language.
_IGNORED = re.compile(rf"\[[^\]\n]{{0,300}}\]|{SYMBOL_PATTERN}|(?<![A-Za-z])[A-Z]{{2,}}(?![A-Za-z])")


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def latin_words(text: str) -> list[str]:
    return _LATIN_WORD.findall(text)


def detect_language(text: str, default: str = "en") -> str:
    """"zh" when Chinese characters outweigh Latin words (two characters ≈ one word)."""
    text = _IGNORED.sub(" ", text or "")
    chinese = cjk_count(text)
    latin = len(latin_words(text))
    if not chinese and not latin:
        return default
    return "zh" if chinese / 2 >= latin else "en"
