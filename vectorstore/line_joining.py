"""Joining the hard line breaks of extracted text, as printed, in linear time.

`join_lines(left, right)` decides what goes between two lines (a space between Latin words, nothing
between Chinese characters, a line break before a list item). `JoinedText` applies the same rule
line after line without re-copying the text joined so far: a paragraph of a megabyte over ten
thousand lines costs one pass, not ten thousand copies.
"""

from __future__ import annotations

import re

_LIST_START = re.compile(r"^(?:\d{1,3}[.．](?!\d)|[(（][a-z]{1,2}[)）]|[㈠-㈩])")
# "主席： Alena Kupchyna（白俄罗斯）", "Chair: ..." lines of a list of officers.
_LABEL = re.compile(r"^(?:[\u4e00-\u9fff]{1,6}：\s*[A-Z]|(?:Vice-)?(?:Chair|President|Rapporteur)s?:)")


def _is_ideograph(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _is_wide(char: str) -> bool:
    """CJK characters and full-width punctuation: no spaces are needed around them."""
    return ord(char) >= 0x2E80


def separator(last_char: str, right: str) -> str:
    """What joins a line ending in `last_char` to the non-empty line `right`."""
    if _LIST_START.match(right) or _LABEL.match(right):
        return "\n"
    a, b = last_char, right[0]
    if (_is_ideograph(a) and _is_latin(b)) or (_is_ideograph(b) and _is_latin(a)):
        return " "
    if _is_wide(a) or _is_wide(b):
        return ""
    if a in "/-" or (a == "." and b.isdigit()):  # a symbol or hyphenated word broken at the line end
        return ""
    return " "


def join_lines(left: str, right: str) -> str:
    """Join a hard line break: list items keep their own line; within a sentence, a space only
    between Latin words (and between a Chinese character and a Latin word or number, as printed)."""
    if not left:
        return right
    if not right:
        return left
    return left + separator(left[-1], right) + right


class JoinedText:
    """Text built line by line with `join_lines`, in time linear in its length."""

    __slots__ = ("_pieces", "_last", "_value")

    def __init__(self, first: str = ""):
        self._pieces: list[str] = []
        self._last = ""  # the last non-empty piece (what `endswith` looks at)
        self._value: str | None = ""
        self.add(first)

    def add(self, line: str) -> None:
        if not line:
            return
        if self._last:
            self._pieces.append(separator(self._last[-1], line))
        self._pieces.append(line)
        self._last = line
        self._value = None

    def add_block(self, text: str) -> None:
        """Append text that starts on its own line (e.g. closing words after sub-items)."""
        if not text:
            return
        if self._last:
            self._pieces.append("\n")
        self._pieces.append(text)
        self._last = text
        self._value = None

    def endswith(self, suffixes: str | tuple[str, ...]) -> bool:
        """Like str.endswith for suffixes no longer than the last line added."""
        return self._last.endswith(suffixes)

    def __bool__(self) -> bool:
        return bool(self._last)

    def __str__(self) -> str:
        if self._value is None:
            self._value = "".join(self._pieces)
            self._pieces = [self._value] if self._value else []
        return self._value
