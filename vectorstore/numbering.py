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
- text that belongs to no paragraph (after a heading): refused;
- provisions headed "Rule 1", "Article 2", "第3条" ... (rules, conventions): refused. Their
  own numbers are not paragraph numbers, and read as paragraphs they would be cited wrongly
  (the numbered paragraphs inside rule 2 became "para. 1" and "para. 2", rule 3 merged into them);
- provisions numbered decimally, "1.1", "1.2", "2.1" ... (the Tokyo and Beijing Rules): refused.
  A decimal number is no paragraph number, so rules 1.1 and 1.2 merged into the text of the
  heading "1. Fundamental aims" and were cited as "annex, para. 1".

Sub-items are checked the same way: a lettered line after a finished item that repeats a letter
("(b)" twice) is refused; one that skips letters ("(e)" after "(c)") is refused, or with
`accept_warnings` stored under its printed letter and reported.
"""

from __future__ import annotations

import re

from vectorstore.errors import DocumentParseError
from vectorstore.paragraph_assembly import Anomaly, Assembler, ItemAnomaly, Line

# A line that is only a provision's heading: "Rule 12", "Article 5", "Principle 3", "第5条", "规则12".
_PROVISION_HEADING = re.compile(
    r"^(?:(?:Rule|Article|Principle|Guideline|Standard)\s+\d{1,3}|第\s*[0-9一二三四五六七八九十百]+\s*条"
    r"(?:规则)?|规则\s*\d{1,3})\s*[.．]?$", re.IGNORECASE)

# A line that begins a decimally numbered provision: "1.1 The present Rules ...", "2.3 本规则 ...";
# not "1.5 million victims ..." (a wrapped line of a sentence), which goes on in lower case.
_DECIMAL_PROVISION = re.compile(r"^(\d{1,3})[.．](\d{1,2})\s+(?=[A-Z\u3400-\u9fff])")

ACCEPT_FLAG = "--accept-numbering-warnings"


def check_part(assembler: Assembler, part_name: str, source_name: str, accept_warnings: bool,
               warnings: list[str]) -> str:
    """"ok", or what was accepted; DocumentParseError naming the line otherwise.

    A restart reaches this check only if it was not accepted (an accepted restart is split off
    as a new part before, by the parser).
    """
    where = f"{part_name}: " if part_name else ""
    accepted = []
    for anomaly in assembler.anomalies:
        message = describe(anomaly, assembler)
        if anomaly.kind == "duplicate" or not accept_warnings:
            raise DocumentParseError(f"{source_name}: {where}{message}")
        warnings.append(f"{where}{message}")
        accepted.append(f"{anomaly.kind} at line {anomaly.lineno}")
    for anomaly in assembler.item_anomalies:
        message = describe_item(anomaly)
        if anomaly.kind == "duplicate" or not accept_warnings:
            raise DocumentParseError(f"{source_name}: {where}{message}")
        warnings.append(f"{where}{message}")
        accepted.append(f"sub-item gap at line {anomaly.lineno}")
    if assembler.stray:
        raise DocumentParseError(
            f"{source_name}: {where}some text is not inside any numbered paragraph: "
            f"“{assembler.stray[0]:.60}”. Check that paragraph's number (every paragraph must be "
            "numbered 1, 2, 3 ...)."
        )
    return "ok" if not accepted else "accepted: " + ", ".join(accepted)


def check_provisions(lines: list[Line], part_name: str, source_name: str) -> None:
    """DocumentParseError when a part's provisions are headed by their own numbers ("Rule 1",
    "Rule 2" on lines of their own; two such headings are the evidence, one may be a wrapped
    cross-reference), or numbered decimally ("1.1", "1.2": two consecutive numbers under the
    same whole number are the evidence)."""
    where = f"{part_name}: " if part_name else ""
    headings = [line for line in lines if _PROVISION_HEADING.match(line.text.strip())]
    if len(headings) >= 2:
        raise DocumentParseError(
            f"{source_name}: {where}its provisions are numbered by their own headings ({_lines(headings)}, "
            "...), as in rules or conventions. Such numbering is not supported yet: read as paragraphs, "
            "the provisions would be cited by numbers the document does not give them. Nothing was stored."
        )
    decimal = _decimally_numbered(lines)
    if len(decimal) >= 2:
        (whole, first), (_, second) = decimal[0][0], decimal[1][0]
        raise DocumentParseError(
            f"{source_name}: {where}its provisions are numbered decimally "
            f"({_lines([line for _, line in decimal])}, ...), as in the Tokyo or Beijing Rules. Such "
            f"numbering is not supported yet: read as paragraphs, {whole}.{first} and {whole}.{second} would "
            f"merge into one paragraph {whole} and be cited by a number the document does not give them. "
            "Nothing was stored."
        )


def _decimally_numbered(lines: list[Line]) -> list[tuple[tuple[int, int], Line]]:
    """((n, k), line) for the lines numbered "n.k" whose number has a neighbour "n.k-1" or "n.k+1"."""
    numbered = [((int(m[1]), int(m[2])), line) for line in lines
                if (m := _DECIMAL_PROVISION.match(line.text.strip()))]
    numbers = {number for number, _ in numbered}
    return [((whole, sub), line) for (whole, sub), line in numbered
            if (whole, sub - 1) in numbers or (whole, sub + 1) in numbers]


def _lines(lines: list[Line]) -> str:
    """“Rule 1” on line 24, “Rule 2” on line 29: the first two, as the error names them."""
    return ", ".join(f"“{line.text.strip()[:40]}” on line {line.lineno}" for line in lines[:2])


def describe(anomaly: Anomaly, assembler: Assembler) -> str:
    line = f"line {anomaly.lineno} (“{anomaly.text[:50]}”)"
    if anomaly.kind == "gap":
        missing = f"{anomaly.after + 1}" if anomaly.number == anomaly.after + 2 else \
            f"{anomaly.after + 1}-{anomaly.number - 1}"
        return (f"paragraph numbering breaks after paragraph {anomaly.after}: paragraph {missing} was "
                f"not found but {line} is numbered {anomaly.number}. Check the text near paragraph "
                f"{anomaly.after + 1} (a lost number merges a paragraph into the one before); if the "
                f"document really skips that number, ingest with {ACCEPT_FLAG}.")
    if anomaly.kind == "duplicate":
        first = next((p.lineno for p in assembler.paragraphs if p.number == anomaly.number), None)
        other = f" (also on line {first})" if first else ""
        return (f"paragraph {anomaly.number} appears twice{other}: {line}. Fix the number in the "
                "file; which of the two is right cannot be told from the text.")
    return (f"the paragraph numbering restarts at 1 after paragraph {anomaly.after} on {line} without "
            "an annex heading (“Annex”, “Annex II”, “附件”, “Appendix” on a line of its own). Add the "
            f"heading, or ingest with {ACCEPT_FLAG} to store what follows as a separate part.")


def describe_item(anomaly: ItemAnomaly) -> str:
    line = f"line {anomaly.lineno} (“{anomaly.text[:50]}”)"
    if anomaly.kind == "duplicate":
        return (f"paragraph {anomaly.paragraph} has sub-item ({anomaly.letter}) twice: {line}. Fix the "
                "letter in the file; which of the two is right cannot be told from the text.")
    return (f"sub-item ({anomaly.expected}) of paragraph {anomaly.paragraph} was not found but {line} is "
            f"lettered ({anomaly.letter}). Check the text near ({anomaly.expected}) (a lost letter merges "
            "an item into the one before); if the document really skips that letter, ingest with "
            f"{ACCEPT_FLAG}.")
