"""The numbering check of one part: refuse rather than guess, never merge silently.

After a part is assembled, its paragraph numbers must run 1, 2, 3 ... A numbered line that is
neither the next paragraph, nor a numbered heading, nor a list inside a paragraph introduced by
a lead-in ("... as follows:" then 1.-7.) is an anomaly:

- a gap (paragraph n+2 after n): refused, or with `accept_warnings` stored under its printed
  number and reported;
- a duplicate (a second "2." after 2): refused, naming both lines; which one is right cannot be
  known from the text;
- a restart (a "1." after paragraph n, without an "Annex" heading): refused, or with
  `accept_warnings` stored as a new part ("part 2") and reported;
- text that belongs to no paragraph (after a heading): refused.
"""

from __future__ import annotations

from vectorstore.errors import DocumentParseError
from vectorstore.paragraph_assembly import Assembler

ACCEPT_FLAG = "--accept-numbering-warnings"


def check_part(assembler: Assembler, label: str, source_name: str, accept_warnings: bool,
               warnings: list[str]) -> str:
    """"ok" or a short description of what was accepted; DocumentParseError otherwise."""
    where = f"{label}: " if label else ""
    last = assembler.paragraphs[-1].number
    skipped = assembler.skipped_numbers
    if any(skipped[i:i + 2] == [last + 2, last + 3] for i in range(len(skipped))):
        raise DocumentParseError(
            f"{source_name}: {where}paragraph numbering breaks after paragraph {last}: paragraph "
            f"{last + 1} was not found but later lines are numbered {last + 2}, {last + 3}. Check the "
            f"text near paragraph {last + 1}."
        )
    if assembler.stray:
        raise DocumentParseError(
            f"{source_name}: {where}some text is not inside any numbered paragraph: "
            f"“{assembler.stray[0]:.60}”. Check that paragraph's number (every paragraph must be "
            "numbered 1, 2, 3 ...)."
        )
    return "ok"
