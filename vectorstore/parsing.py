"""Turn the text of a UN document into citable units, part by part, and say what was left out.

`parse_document(text, doc, source_name)` returns a `ParsedDocument`: the units (numbered
paragraphs, lettered sub-items and preambular paragraphs of the body and of each annex or
appendix) and a summary per part, with everything that was not stored and why. The steps:

1. `page_furniture.remove_page_furniture`: running heads, footers and page-foot footnotes of PDF
   text leave the paragraph flow (a sentence split by a footnote block continues after it).
2. `_content_lines`: Markdown markup, link runs and the table of contents go; each line keeps its
   source line number and whether it starts a block (where blank lines separate paragraphs).
3. `_split_parts`: after the first numbered paragraph, a line "Annex", "Annex II", "附件一",
   "Appendix" ... starts a new part with its own numbering. A part without numbered paragraphs
   (a report's list of documents or participants) is not stored, and the summary says so.
4. `paragraph_assembly`: each part's paragraphs, sub-items, headings and preamble.
5. `numbering.check_part`: gaps, duplicates and restarts are refused (or, if the caller accepts
   numbering warnings, reported), never merged into another paragraph.

Every step is linear in the length of the text: no regular expression here can backtrack on a
long line, and hard line breaks are joined without re-copying (`line_joining.JoinedText`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vectorstore import numbering
from vectorstore.errors import DocumentParseError
from vectorstore.line_joining import join_lines
from vectorstore.page_furniture import (
    BLANK,
    PAGE,
    FlowLine,
    is_artefact_line,
    is_url_line,
    remove_page_furniture,
)
from vectorstore.paragraph_assembly import (
    NUMBERED_LINE,
    Assembler,
    Line,
    Segment,
    chapters_with_kind_subheadings,
    classify,
    paragraph_kind,
    segments,
)
from vectorstore.part_aliases import aliases_naming_parts
from vectorstore.units import DocumentInfo, Unit

__all__ = ["ParsedDocument", "PartSummary", "is_annex_heading", "is_artefact_line", "join_lines",
           "parse_document", "parse_report"]

# --- line cleaning --------------------------------------------------------------------------

_MD_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")  # [text](#) -> text (no nesting: linear)
_MD_BOLD = re.compile(r"\*\*([^*]+)\*\*")
# *Recalling* -> Recalling; not a barcode "*2326012*" (page furniture)
_MD_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(?!\d+\*)([^*]+?)(?<=\S)\*(?![\w*])")
_BULLET = re.compile(r"^(?:[-*•·]\s+)+")  # "- (a) ..." -> "(a) ..."
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_TOC_TITLE = re.compile(r"^(?:目\s*录|contents)$", re.IGNORECASE)
_TOC_COLUMN = re.compile(r"^(?:页次|段次|page|pages|paragraphs|paragraphs\s+page)$", re.IGNORECASE)
_LEADER = ".·…"
_DIGITS = "0123456789"
_PART_HEADING = re.compile(
    r"^(?:(?P<zh>附件|附录)(?P<zh_number>[一二三四五六七八九十]*)"
    r"|(?P<en>annex|appendix)(?:es|ices)?(?:\s+(?P<en_number>[IVXLC]+|\d{1,2}))?)$",
    re.IGNORECASE,
)
_ZH_ROMAN = {"一": "I", "二": "II", "三": "III", "四": "IV", "五": "V", "六": "VI", "七": "VII",
             "八": "VIII", "九": "IX", "十": "X"}
_SENTENCE_OR_CLAUSE_END = tuple(".;:,。；：，")
_ONE_LINE_SHARE = 0.8  # share of numbered lines ending a sentence in one-line-per-paragraph text
# Blank lines after (nearly) every line, most of them in mid-sentence, carry no structure (PDF text
# of a report); after nearly every line but at sentence ends, they separate one-line paragraphs.
_BLANK_AFTER_EVERY_LINE = 0.9
_MID_SENTENCE_SHARE = 0.5
_CLAUSE_OR_BRACKET_END = _SENTENCE_OR_CLAUSE_END + tuple(")）")


def _clean_markup(line: str) -> str:
    # The character tests skip the regular expressions on the (many) lines without markup.
    if line.startswith("#"):
        line = _MD_HEADING.sub("", line)
    if line[:1] in "-*•·":
        line = _BULLET.sub("", line)
    if "](" in line:
        line = _MD_LINK.sub(r"\1", line)
    if "**" in line:
        line = _MD_BOLD.sub(r"\1", line)
    if "*" in line:
        line = _MD_ITALIC.sub(r"\1", line)
    return line.strip()


def _toc_key(line: str) -> str:
    """A TOC entry or heading without page number, leader dots and spaces, for comparison."""
    key = line.rstrip().rstrip(_DIGITS).rstrip(" \t" + _LEADER)
    return "".join(key.split())


def _is_toc_entry(line: str) -> bool:
    """A title followed by its page number ("Introduction . . . 2", "导言\t2")."""
    stripped = line.rstrip()
    head = stripped.rstrip(_DIGITS)
    if head == stripped or not head:
        return False
    return head[-1].isspace() or head.rstrip().endswith(tuple(a + b for a in _LEADER for b in _LEADER))


def _drop_table_of_contents(lines: list[Line]) -> list[Line]:
    """Remove the lines from '目录'/'Contents' up to the heading that the first TOC entry names."""
    start = next((i for i, line in enumerate(lines) if _TOC_TITLE.match(line.text)), None)
    if start is None:
        return lines
    entries = [line for line in lines[start + 1:] if not _TOC_COLUMN.match(line.text)]
    if not entries:
        return lines[:start]
    first_key = _toc_key(entries[0].text)
    for end in range(start + 2, len(lines)):
        # The first real heading repeats the first entry, without a page number.
        if _toc_key(lines[end].text) == first_key and not _is_toc_entry(lines[end].text):
            return lines[:start] + lines[end:]
    # No repeated heading found: drop only the lines that look like entries.
    return lines[:start] + [line for line in lines[start + 1:] if not _is_toc_entry(line.text)]


def _content_lines(flow: list[FlowLine]) -> list[Line]:
    lines: list[Line] = []
    gap = ""
    for item in flow:
        gap = _stronger(gap, item.gap)
        text = _clean_markup(item.text)
        if not text or is_url_line(text):
            continue  # a link run inside a paragraph joins the text around it
        line = Line(text, item.lineno)
        line.block = not lines or _starts_block(gap, lines[-1].text, text)
        lines.append(line)
        gap = ""
    lines = _drop_table_of_contents(lines)
    _keep_blocks_only_if_meaningful(lines, flow)
    return lines


def _stronger(a: str, b: str) -> str:
    return PAGE if PAGE in (a, b) else (a or b)


def _starts_block(gap: str, before: str, text: str) -> bool:
    """A blank line starts a block; a page break only between a finished clause and a capital."""
    if gap == BLANK:
        return True
    return gap == PAGE and before.endswith(_SENTENCE_OR_CLAUSE_END) and text[:1].isupper()


def _keep_blocks_only_if_meaningful(lines: list[Line], flow: list[FlowLine]) -> None:
    """Blocks carry structure where blank lines separate paragraphs (but not where a blank line
    follows every printed line, mostly in mid-sentence, as in some PDF text), or, without such
    blank lines, where every line is a paragraph (Word, Markdown: nearly every numbered line ends
    its sentence)."""
    gaps = [before for before, item in zip(flow, flow[1:], strict=False) if item.gap == BLANK]
    mid_sentence = sum(not before.text.endswith(_CLAUSE_OR_BRACKET_END) for before in gaps)
    after_every_line = len(gaps) >= _BLANK_AFTER_EVERY_LINE * (len(flow) - 1) and \
        mid_sentence >= _MID_SENTENCE_SHARE * len(gaps)
    if gaps and not after_every_line:
        return  # blank lines separate paragraphs: `_starts_block` said it
    numbered = [m[2] for line in lines if (m := NUMBERED_LINE.match(line.text)) and m[2]]
    one_line_each = bool(numbered) and \
        sum(body.endswith(_SENTENCE_OR_CLAUSE_END) for body in numbered) >= _ONE_LINE_SHARE * len(numbered)
    for line in lines:
        line.block = one_line_each


# --- parts ----------------------------------------------------------------------------------

def is_annex_heading(line: str) -> bool:
    """"Annex", "Annex II", "Annexes", "附件", "附件一", "Appendix", "附录" alone on a line."""
    return bool(_PART_HEADING.match(line.strip()))


def part_name(heading: str) -> str:
    """The normalised part name of a heading line: "Annex II" / "附件二" -> "annex II"."""
    m = _PART_HEADING.match(heading.strip())
    if m["zh"]:
        word = "annex" if m["zh"] == "附件" else "appendix"
        number = _ZH_ROMAN.get(m["zh_number"], "") if m["zh_number"] else ""
    else:
        word = m["en"].lower()
        number = (m["en_number"] or "").upper()
    return f"{word} {number}".strip()


@dataclass
class _Part:
    name: str  # "" for the body
    heading_line: int  # source line of "Annex" (0 for the body)
    lines: list[Line]


def _split_parts(lines: list[Line], source_name: str) -> list[_Part]:
    parts = [_Part("", 0, [])]
    seen_paragraph = False
    for line in lines:
        if seen_paragraph and is_annex_heading(line.text):
            name = part_name(line.text)
            if any(p.name == name for p in parts):
                raise DocumentParseError(
                    f"{source_name}: line {line.lineno}: a second part named “{line.text}”; "
                    "each annex or appendix needs its own name (Annex I, Annex II, ...)")
            parts.append(_Part(name, line.lineno, []))
            continue
        seen_paragraph = seen_paragraph or bool(NUMBERED_LINE.match(line.text))
        parts[-1].lines.append(line)
    return parts


# --- the parsed document --------------------------------------------------------------------

@dataclass
class PartSummary:
    """What one part of a document holds (printed by `assistant ingest`)."""

    name: str  # "" for the body, "annex", "annex II", ...
    title: str = ""
    paragraphs: int = 0
    sub_items: int = 0
    preamble: int = 0
    numbering: str = "ok"  # "ok", or what the numbering check found
    aliases: list[str] = field(default_factory=list)  # catalog names of this part ("Kyoto Declaration")

    @property
    def label(self) -> str:
        return self.name or "body"

    def describe(self) -> str:
        title = f" “{self.title[:60]}{'…' if len(self.title) > 60 else ''}”" if self.title else ""
        named = "; named " + ", ".join(f"“{a}”" for a in self.aliases) if self.aliases else ""
        return (f"{self.label}{title}: {self.paragraphs} paragraphs, {self.sub_items} sub-items, "
                f"{self.preamble} preambular; numbering {self.numbering}{named}")


@dataclass
class ParsedDocument:
    units: list[Unit]
    parts: list[PartSummary]
    skipped: list[str] = field(default_factory=list)  # what was not stored, and why
    warnings: list[str] = field(default_factory=list)  # numbering warnings the caller accepted

    def describe(self) -> list[str]:
        """Lines for the ingest report: one per part, then what was left out."""
        lines = [part.describe() for part in self.parts]
        lines += [f"warning: {w}" for w in self.warnings]
        lines += [f"not stored: {s}" for s in self.skipped]
        return lines


def parse_document(text: str, doc: DocumentInfo, source_name: str,
                   accept_numbering_warnings: bool = False) -> ParsedDocument:
    """All units of a document, part by part, in document order, and what was left out.

    Raises DocumentParseError (naming `source_name` and the line) when the text has no numbered
    paragraphs, or its numbering has a gap, a duplicate or a restart without a part heading (a
    gap or restart is accepted, and reported, with `accept_numbering_warnings`).
    """
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    furniture = remove_page_furniture(text.split("\n"))
    lines = _content_lines(furniture.lines)
    blocks = any(line.block for line in lines)
    parsed = ParsedDocument([], [])
    queue = _split_parts(lines, source_name)
    unnamed = 1  # parts split off at an accepted restart: "part 2", "part 3", ...
    while queue:
        rest = _parse_part(queue.pop(0), blocks, doc, source_name, accept_numbering_warnings, parsed)
        if rest:
            unnamed += 1
            queue.insert(0, _Part(f"part {unnamed}", rest[0].lineno, rest))
    if not any(p.paragraphs for p in parsed.parts):
        raise DocumentParseError(
            f"{source_name}: no numbered paragraphs found (expected lines starting '1.', '2.', ...). "
            "If the file is a Word document with automatic numbering, the numbers are not part of "
            "its text: save it as PDF or plain text first."
        )
    _name_parts(doc, parsed)
    if furniture.footnotes:
        parsed.skipped.append(f"{len(furniture.footnotes)} page-foot footnotes (not paragraph text; "
                              f"{furniture.markers_removed} reference numbers removed from the text)")
    if furniture.running_head_lines:
        parsed.skipped.append(f"{furniture.running_head_lines} lines of page headers and footers")
    return parsed


def _name_parts(doc: DocumentInfo, parsed: ParsedDocument) -> None:
    """Record each annex's printed title in `doc.part_titles` (a declaration's holder is found by
    it: vectorstore.references), and let the catalog aliases that a part's title bears name that
    part (vectorstore.part_aliases): in `doc`, in every unit, and in the part's summary."""
    titles = {p.name: p.title for p in parsed.parts if p.name and p.title}
    doc.part_titles = titles
    aliases = aliases_naming_parts(doc.aliases, titles, doc.language)
    if aliases != doc.aliases:
        doc.aliases = aliases
        for unit in parsed.units:
            unit.aliases = list(aliases)
    for summary in parsed.parts:
        summary.aliases = [a["name"] for a in aliases
                           if isinstance(a, dict) and summary.name and a.get("part") == summary.name]


def _parse_part(part: _Part, blocks: bool, doc: DocumentInfo, source_name: str,
                accept_warnings: bool, parsed: ParsedDocument) -> list[Line] | None:
    """Add the part's units and summary to `parsed`; returns the lines after an accepted
    restart of the numbering (to be parsed as a part of their own), else None."""
    numbering.check_provisions(part.lines, part.name, source_name)
    assembler, title = _assemble(part, blocks)
    restart = next((a for a in assembler.anomalies if a.kind == "restart"), None)
    rest = None
    if restart and accept_warnings:
        cut = next(i for i, line in enumerate(part.lines) if line.lineno == restart.lineno)
        rest = part.lines[cut:]
        parsed.warnings.append(numbering.describe(restart, assembler) + " Stored as a separate part.")
        part = _Part(part.name, part.heading_line, part.lines[:cut])
        assembler, title = _assemble(part, blocks)
    _add_units(part, assembler, title, doc, source_name, accept_warnings, parsed)
    return rest


def _assemble(part: _Part, blocks: bool) -> tuple[Assembler, str]:
    segs = segments(classify(part.lines, blocks))
    title = ""
    if part.name and segs and segs[0].head.kind not in ("numbered", "item"):
        first = segs.pop(0)
        # A title may wrap, but sentences after it (no blank lines to tell) are not part of it.
        sentences = any(line.endswith((".", "。")) or "。" in line for line in first.lines)
        title = first.head.text if first.head.kind != "front" and sentences else first.full_text
        if title == first.head.text and first.lines:
            segs.insert(0, Segment(Line(first.lines[0], first.head.lineno), first.lines[1:]))
    assembler = Assembler(segs, title)
    assembler.run()
    return assembler, title


def _add_units(part: _Part, assembler: Assembler, title: str, doc: DocumentInfo, source_name: str,
               accept_warnings: bool, parsed: ParsedDocument) -> None:
    paragraphs = assembler.paragraphs
    if not paragraphs:
        if part.name:
            parsed.skipped.append(
                f"{part.name} (line {part.heading_line}{', “' + title[:50] + '”' if title else ''}): "
                f"{len(part.lines)} lines without numbered paragraphs (nothing citable)")
        return
    summary = PartSummary(part.name, title)
    summary.numbering = numbering.check_part(assembler, part.name, source_name, accept_warnings,
                                             parsed.warnings)
    chapters = chapters_with_kind_subheadings(paragraphs)
    section_above = [title] if title else []
    for number, (text, _lineno) in enumerate(assembler.preamble.paragraphs, start=1):
        parsed.units.append(Unit(doc.symbol, number, None, text, "preamble", list(section_above),
                                 chapeau=assembler.preamble.subject, part=part.name).with_document(doc))
    for paragraph in paragraphs:
        kind = paragraph_kind(paragraph, chapters)
        section = [h.title for h in paragraph.headings]
        parsed.units.append(Unit(doc.symbol, paragraph.number, None, paragraph.full_text, kind, section,
                                 part=part.name).with_document(doc))
        for item in paragraph.items:
            parsed.units.append(Unit(doc.symbol, paragraph.number, item.letter, str(item.text), kind,
                                     list(section), chapeau=str(paragraph.text), part=part.name)
                                .with_document(doc))
    summary.paragraphs = len(paragraphs)
    summary.sub_items = sum(len(p.items) for p in paragraphs)
    summary.preamble = len(assembler.preamble.paragraphs)
    parsed.parts.append(summary)
    front = assembler.front_matter + assembler.front_text
    if front:
        where = f"{part.name}: " if part.name else ""
        parsed.skipped.append(f"{where}{len(front)} block(s) of front matter before paragraph 1 (masthead, "
                              f"title, dates: neither numbered nor preambular): “{front[0][:50]}” ...")
    if assembler.closing:
        parsed.skipped.append(f"{part.name or 'body'}: closing lines after para. {paragraphs[-1].number}: "
                              + "; ".join(f"“{c[:60]}”" for c in assembler.closing))


def parse_report(text: str, doc: DocumentInfo, source_name: str,
                 accept_numbering_warnings: bool = False) -> list[Unit]:
    """The units of `parse_document` (the first version's entry point)."""
    return parse_document(text, doc, source_name, accept_numbering_warnings).units
