"""Is an answer written in the reader's language? (Detection itself: `vectorstore.language`.)

`detect_language` and `cjk_count` are re-exported from `vectorstore.language`, the one
detector for questions, answers and documents.
"""

from __future__ import annotations

import re

from vectorstore.language import cjk_count, detect_language, latin_words

__all__ = ["cjk_count", "detect_language", "is_in_language"]

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
        words = [w.lower() for w in latin_words(text)]
        return sum(w in _FRENCH_WORDS for w in words) <= sum(w in _ENGLISH_WORDS for w in words)
    return True
