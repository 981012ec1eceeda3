"""Clean text at the door: every loader's output passes through `clean_text` before anything
parses, embeds, stores or prints it.

- Line breaks of every kind become "\\n": CR LF, CR, vertical tab (what Word's manual line break
  becomes in exported text), form feed (a PDF page break), NEL, U+2028/U+2029.
- Invisible characters are removed: control characters other than newline and tab, format
  characters (zero-width space/joiners, soft hyphen, byte-order marks, bidi embeddings,
  overrides and isolates, tags), private-use code points (glyph codes of PDF fonts; the answer
  verifier also uses them as placeholders), surrogates and noncharacters. They are invisible to
  the reader, so a stored unit that keeps them quotes differently from what the reader sees,
  hides text from search and citation checks ("第9\\u200b9段") and breaks .docx export (XML
  forbids most control characters).
- Unicode NFC, so the same text typed two ways is one string.

`not_text_reason` tells decoded bytes that are not text (binary data under a .txt name, a PDF
text layer without Unicode mapping) from text: too many control, replacement or private-use
characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# A text with a larger share of these is not text (binary data decoded by a permissive codec
# such as GB18030 is about 10 % control characters; real reports have none).
MAX_SUSPECT_SHARE = 0.01

_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs"})
_KEPT_CONTROLS = frozenset("\n\t")
_SUSPECT_CATEGORIES = frozenset({"Cc", "Co", "Cs"})
_WHITESPACE_CONTROLS = frozenset("\t\n\x0b\x0c\r")
_REPLACEMENT = "\ufffd"
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Code points above U+2FFFF are scanned only where Unicode puts invisible ones (the scan of the
# first three planes takes ~40 ms, once): tags in plane 14, private use in planes 15 and 16.
_SCANNED_LIMIT = 0x30000
_HIGH_PRIVATE_USE_RANGES = ((0xF0000, 0x10FFFF),)
_HIGH_INVISIBLE_RANGES = ((0xE0001, 0xE0001), (0xE0020, 0xE007F), *_HIGH_PRIVATE_USE_RANGES)


def clean_text(text: str) -> str:
    """`text` with unified line breaks, without invisible characters, in NFC (see module doc)."""
    text = _LINE_BREAKS.sub("\n", text)
    for pattern in _patterns(text, _INVISIBLE):
        text = pattern.sub("", text)
    return unicodedata.normalize("NFC", text)


def invisible_characters(text: str) -> list[str]:
    """The characters `clean_text` would remove from `text` (for tests and diagnostics)."""
    text = _LINE_BREAKS.sub("\n", text)
    return [char for pattern in _patterns(text, _INVISIBLE) for char in pattern.findall(text)]


def not_text_reason(text: str) -> str | None:
    """Why decoded `text` is not text, or None when it is.

    Suspect characters are control characters other than the whitespace ones (tab, line feed,
    vertical tab, form feed, carriage return), replacement characters (undecodable bytes),
    private-use code points, surrogates and noncharacters.
    """
    if not text:
        return None
    suspect = sum(1 for pattern in _patterns(text, _SUSPECT) for _ in pattern.finditer(text))
    if suspect > len(text) * MAX_SUSPECT_SHARE:
        return (f"{suspect:,} of its {len(text):,} characters are control, replacement or "
                "private-use characters")
    return None


_INVISIBLE, _SUSPECT = 0, 1


def _patterns(text: str, which: int) -> list[re.Pattern[str]]:
    """The patterns to apply to `text`: a class of BMP characters (regex compiles it to a bitmap,
    fast) and, only when `text` has characters beyond the BMP, a class of those (slow)."""
    bmp, astral = _character_classes()[which]
    return [bmp, astral] if _ASTRAL.search(text) else [bmp]


@cache
def _character_classes() -> tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]:
    """(BMP class, astral class) for invisible and for suspect characters, from one scan."""
    invisible, suspect = [], [ord(_REPLACEMENT)]
    for code in range(_SCANNED_LIMIT):
        char = chr(code)
        category = unicodedata.category(char)
        noncharacter = _is_noncharacter(code)
        if noncharacter or (category in _INVISIBLE_CATEGORIES and char not in _KEPT_CONTROLS):
            invisible.append(code)
        if noncharacter or (category in _SUSPECT_CATEGORIES and char not in _WHITESPACE_CONTROLS):
            suspect.append(code)
    high_nonchars = [(plane + 0xFFFE, plane + 0xFFFF) for plane in range(_SCANNED_LIMIT, 0x110000, 0x10000)]
    return (_split_class(_ranges(invisible) + list(_HIGH_INVISIBLE_RANGES) + high_nonchars),
            _split_class(_ranges(sorted(suspect)) + list(_HIGH_PRIVATE_USE_RANGES) + high_nonchars))


def _split_class(ranges: list[tuple[int, int]]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    bmp = [(lo, min(hi, 0xFFFF)) for lo, hi in ranges if lo <= 0xFFFF]
    astral = [(max(lo, 0x10000), hi) for lo, hi in ranges if hi > 0xFFFF]
    return _compile_class(bmp), _compile_class(astral)


def _compile_class(ranges: list[tuple[int, int]]) -> re.Pattern[str]:
    escape = "\\U{:08x}".format
    return re.compile("[" + "".join(escape(lo) if lo == hi else f"{escape(lo)}-{escape(hi)}"
                                    for lo, hi in ranges) + "]")


def _is_noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _ranges(codes: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges
