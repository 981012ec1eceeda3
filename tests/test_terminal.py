"""What the CLI prints cannot drive the terminal (escape sequences, bidi overrides)."""

from __future__ import annotations

import io
import sys

from assistant.cli import main
from assistant.terminal import SafeTextStream, safe_stdout, terminal_safe

TITLE = "\x1b]0;owned\x07"  # OSC 0: set the terminal title
CLIPBOARD = "\x1b]52;c;ZXZpbA==\x07"  # OSC 52: write the clipboard
CLEAR = "\x1b[2J"


def test_control_characters_become_visible_and_bidi_controls_go():
    assert terminal_safe(f"a{TITLE}b{CLIPBOARD}{CLEAR}") == "a␛]0;owned␇b␛]52;c;ZXZpbA==␇␛[2J"
    assert terminal_safe("x\u202eevil\u202c\u2066y\u2069\u200f") == "xevily"
    assert terminal_safe("\x9b31m\x7f\x00") == "\ufffd31m␡␀"  # C1 CSI, DEL, NUL
    assert terminal_safe("line\r\nnext\rover") == "line\nnext␍over"


def test_text_people_read_is_unchanged():
    text = "第24(d)段：各国应加强合作。\n\tpara. 24 (d) — “quoted” é 😀 \u3000"
    assert terminal_safe(text) == text


def test_an_escape_sequence_split_across_writes_is_defused():
    target = io.StringIO()
    stream = SafeTextStream(target)
    for chunk in ("answer \x1b", "]0;ti", "tle\x07 done"):
        stream.write(chunk)
    stream.writelines(["\x1b[31m", "red"])
    assert target.getvalue() == "answer ␛]0;title␇ done␛[31mred"


def test_safe_stdout_wraps_and_restores(capsys):
    original = sys.stdout
    with safe_stdout():
        print(f"unit text {TITLE}")
    assert sys.stdout is original
    assert capsys.readouterr().out == "unit text ␛]0;owned␇\n"


def test_cli_errors_are_printed_safely(capsys, tmp_path):
    """A user error naming a hostile file name reaches stderr defused (no store, no model needed)."""
    missing = tmp_path / f"turns{TITLE}.json"
    code = main(["ask", "--data-dir", str(tmp_path / "data"), "--history", str(missing), "a question"])
    err = capsys.readouterr().err
    assert code == 2
    assert "turns␛]0;owned␇.json" in err and "\x1b" not in err and "\x07" not in err
