"""What the CLI prints cannot drive the terminal.

Document text, model output, file names and error messages reach stdout/stderr. An escape
sequence in any of them could retitle the terminal, write the clipboard (OSC 52), hide or
overwrite lines, or reorder text (bidi overrides). `terminal_safe` shows control characters as
visible Unicode control pictures (ESC -> "␛") and removes bidi controls; `safe_stdout()`
applies it to everything a command prints.
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager

# C0 controls except tab and newline, DEL, C1 controls; bidi embeddings, overrides, isolates, marks.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_PICTURES = 0x2400  # U+2400 ␀ ... U+241F; U+2421 ␡ for DEL


def terminal_safe(text: str) -> str:
    """`text` with control characters shown as symbols (␛, ␇, ␍ ...) and bidi controls removed."""
    return _CONTROL.sub(_picture, _BIDI.sub("", text.replace("\r\n", "\n")))


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(_CONTROL_PICTURES + code)
    return "\u2421" if code == 0x7F else "\ufffd"  # C1: no control picture exists


class SafeTextStream:
    """A text stream that passes everything written through `terminal_safe`.

    Control characters are replaced one by one, so an escape sequence split across two writes
    (streamed model output) is defused as well.
    """

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):  # flush, encoding, isatty, buffer, fileno ...
        return getattr(self._stream, name)


@contextmanager
def safe_stdout():
    """Within the block, everything printed to sys.stdout is terminal-safe."""
    original = sys.stdout
    sys.stdout = SafeTextStream(original)
    try:
        yield
    finally:
        sys.stdout = original
