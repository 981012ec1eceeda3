"""The language of a question or answer: "zh" or "en".

A question is Chinese when Chinese characters outweigh Latin words. Document symbols
(`A/CONF.241/RPM.2/2`), citation markers and acronyms are ignored first, so
"A/CONF.241/RPM.2/2 第24段说了什么？" or "UNODC 的作用是什么？" are Chinese.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# UN document symbols, citation markers and all-capital acronyms say nothing about the language.
_IGNORED = re.compile(r"\[[^\]]*\]|[A-Z]+(?:/[A-Za-z0-9.\-]+)+|(?<![A-Za-z])[A-Z]{2,}(?![A-Za-z])")


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def detect_language(text: str, default: str = "en") -> str:
    """"zh" when Chinese characters outweigh Latin words (two characters ≈ one word)."""
    text = _IGNORED.sub(" ", text or "")
    chinese = cjk_count(text)
    latin_words = len(_LATIN_WORD.findall(text))
    if not chinese and not latin_words:
        return default
    return "zh" if chinese / 2 >= latin_words else "en"


_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|『[^』]*』|\"[^\"]*\"")
_ENGLISH_WORDS = frozenset("the and of to is are in for on with that this by it be as was were which "
                           "report reports recommended recommends".split())
_FRENCH_WORDS = frozenset("le la les des est et du une pour dans que qui sur au aux avec sont ce cette "
                          "il elle nous vous pas par rapport recommande".split())


def is_in_language(answer: str, language: str) -> bool:
    """Is `answer` written in `language`? Quotes are ignored (an English answer may quote Chinese).

    For English, more French than English function words means another language (documents
    may try to make the model answer in French).
    """
    text = _QUOTED.sub(" ", answer or "")
    if detect_language(text, default=language) != language:
        return False
    if language == "en":
        words = [w.lower() for w in _LATIN_WORD.findall(text)]
        return sum(w in _FRENCH_WORDS for w in words) <= sum(w in _ENGLISH_WORDS for w in words)
    return True
