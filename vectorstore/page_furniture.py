"""Page furniture of text extracted from a PDF: running heads, page footers and page-foot footnotes.

A PDF's text comes page by page: each page repeats a running head (the symbol, a short title,
the job number such as "21-19220", "page x/16"), and footnotes sit at the page foot after a line
of underscores, often in the middle of a sentence that continues on the next page. None of that
belongs in a paragraph. `remove_page_furniture` takes the document's lines and returns the
content lines only, each with its source line number and what separated it from the line before
(nothing, blank lines, or a page break), plus what was removed, so the parser can report it.

Footnote reference numbers glued to the text ("Criminal Justice1 and", "Rules),8 as") are
removed too, but only the numbers of footnotes printed at the foot of the same page, and only
their first occurrence in a marker position (see `_remove_markers`).

Every step is one pass over the lines (no regular expression can backtrack on a long line).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from vectorstore.references import SYMBOL_PATTERN, is_symbol

# Tokens that make up page headers and footers: the symbol, "7/15", the job number "V.19-02889",
# a language code "(C)", a barcode "*1902889*", a bare page number.
_ARTEFACT_TOKEN = re.compile(
    rf"{SYMBOL_PATTERN}"  # A/CONF.234/RPM.5/1
    r"|\d{1,3}/\d{1,3}"  # 7/15
    r"|(?:[A-Z]{1,2}\.)?\d{2}-\d{5}(?:\s?\([A-Z]\))?"  # V.19-02889, GE.19-12345(E)
    r"|\([A-Z]\)"
    r"|\*\d{5,}\*"
    r"|\d{1,3}|\d{6}"  # a page number; the print date after a job number ("130122")
)
_SPACES = re.compile(r"[ \t\u00a0]+")
_FOOTNOTE_RULE = re.compile(r"^_{5,}$")  # the line of underscores above the footnotes
_FOOTNOTE_START = re.compile(r"^(\d{1,3})\s+\S")  # "1  A/CONF.234/16."
_PARAGRAPH_START = re.compile(r"^\d{1,3}[.．](?:\s|$)")  # "32. Encourage ..." is never a footnote line
_MARKER_OR_ITEM = re.compile(r"^(?:\d{1,3}[.．]|[(（][a-z]{1,2}[)）])")
_RUNNING_HEAD_MIN_REPEATS = 2  # a running head repeats beside page breaks on 2+ (and most) pages
_RUNNING_HEAD_WINDOW = 4  # how many content lines around a page number/symbol line belong to its head
_SANDWICH_BEFORE = _SANDWICH_AFTER = 3  # title lines between the symbol and the job/page line
_OPENING_LINES = 20  # the masthead and title of the first page (a resolution's take 13 lines)
_DOT_LEADER = re.compile(r"(?:\. ?){3}|…|\.{3}")  # a table of contents' "II. Recommendations . . . 2"
_SENTENCE_END = (".", "。", ";", "；", ":", "：")
_URL_PREFIXES = ("http://", "https://")

BLANK, PAGE = "blank", "page"


def is_url_line(line: str) -> bool:
    """A line made only of links (the undocs.org link runs of converted PDFs)."""
    if "http" not in line:
        return False
    tokens = line.split()
    return bool(tokens) and all(t.startswith(_URL_PREFIXES) and len(t) > 8 for t in tokens)


def is_artefact_line(line: str) -> bool:
    """A page header/footer (symbol, page and job numbers only) or a line of links."""
    if is_url_line(line):
        return True
    tokens = line.split(" ")
    return bool(line) and all(_ARTEFACT_TOKEN.fullmatch(token) for token in tokens)


@dataclass
class FlowLine:
    """One content line: its text (spaces normalised), source line number, what came before it."""

    text: str
    lineno: int  # 1-based, in the text given to the parser
    gap: str = ""  # "" (the line before is adjacent), BLANK (blank lines) or PAGE (a page break)


@dataclass
class Furniture:
    """The content lines and what was taken out of the flow (for the ingest report)."""

    lines: list[FlowLine]
    footnotes: list[str] = field(default_factory=list)  # "1 A/CONF.234/16.", one per footnote
    running_head_lines: int = 0
    markers_removed: int = 0


def remove_page_furniture(raw_lines: list[str]) -> Furniture:
    lines = [(_SPACES.sub(" ", raw) if "  " in raw or "\t" in raw or "\xa0" in raw else raw).strip()
             for raw in raw_lines]
    furniture = _running_heads(lines)
    result = Furniture([], running_head_lines=len(furniture))
    page_start = 0  # index in result.lines where the current page's content starts
    gap = ""
    i = 0
    while i < len(lines):
        text = lines[i]
        if not text:
            gap = gap or BLANK
            i += 1
        elif i in furniture:
            gap = PAGE
            page_start = len(result.lines)
            i += 1
        elif _FOOTNOTE_RULE.match(text):
            end, notes = _footnote_block(lines, i + 1, furniture)
            result.footnotes.extend(notes)
            result.markers_removed += _remove_markers(result.lines[page_start:], notes)
            gap = PAGE
            page_start = len(result.lines)
            i = end
        else:
            result.lines.append(FlowLine(text, i + 1, gap if result.lines else ""))
            gap = ""
            i += 1
    return result


def _running_heads(lines: list[str]) -> set[int]:
    """Indices of header/footer lines: page-number/symbol lines, and the lines repeated beside
    them on several pages (a running title such as "Fourteenth United Nations Congress on")."""
    content = [i for i, text in enumerate(lines) if text]
    artefact = [k for k, i in enumerate(content) if is_artefact_line(lines[i])]
    near: set[int] = set()
    for k in artefact:
        lo, hi = max(0, k - _RUNNING_HEAD_WINDOW), min(len(content), k + _RUNNING_HEAD_WINDOW + 1)
        near.update(content[lo:hi])
    candidates = [i for i in near
                  if not _MARKER_OR_ITEM.match(lines[i]) and not _FOOTNOTE_RULE.match(lines[i])]
    repeats = Counter(lines[i] for i in candidates)
    # A running title stands beside most page breaks; a heading that happens to fall beside a
    # few of them ("Summary of deliberations" in every chapter) is text.
    page_breaks = sum(1 for a, b in zip([None, *artefact], artefact, strict=False)
                      if a is None or b - a > 2 * _RUNNING_HEAD_WINDOW)
    needed = max(_RUNNING_HEAD_MIN_REPEATS, (page_breaks + 1) // 2)
    heads = {i for i in candidates if repeats[lines[i]] >= needed}
    # A repeated line between two header/footer lines of one page break ("A/RES/78/224" / the
    # title / "23-26011" / "2/5") is part of that head even on fewer than half the pages: UN
    # resolutions print their running title on even pages only.
    marked = set(artefact)
    position = {i: k for k, i in enumerate(content)}
    heads |= {i for i in candidates if repeats[lines[i]] >= _RUNNING_HEAD_MIN_REPEATS
              and any(j in marked for j in range(position[i] - _SANDWICH_BEFORE, position[i]))
              and any(j in marked for j in range(position[i] + 1, position[i] + _SANDWICH_AFTER + 1))}
    # A line right under a page's symbol line that repeats part of the document's title (the
    # running head of a short document, printed once or twice: "A/CONF.241/RPM.1/1" / "Report
    # of the Western Asia Regional Preparatory Meeting") is furniture too. Only there: a chapter
    # heading at the top of a page repeats the table of contents, also on the first page.
    title_lines = [lines[i] for i in content[:_OPENING_LINES] if not _DOT_LEADER.search(lines[i])]
    under_symbol = {content[k + d] for k in artefact for d in (1, 2) if k + d < len(content)
                    and is_symbol(lines[content[k]])}
    heads |= {i for i in candidates if i in under_symbol and position[i] >= _OPENING_LINES
              and _title_sized(lines[i]) and not lines[i].endswith(_SENTENCE_END)
              and any(lines[i] in title for title in title_lines)}
    return heads | {content[k] for k in artefact}


def _title_sized(text: str) -> bool:
    """Long enough not to be a heading repeated by chance: 4 words, or 10 CJK characters."""
    return len(text.split()) >= 4 or sum("\u4e00" <= ch <= "\u9fff" for ch in text) >= 10


def _footnote_block(lines: list[str], start: int, furniture: set[int]) -> tuple[int, list[str]]:
    """The footnotes after a rule: up to the next page's head (or the end, or a numbered
    paragraph, which is never inside a footnote). Returns (index after the block, footnotes)."""
    notes: list[str] = []
    i = start
    while i < len(lines) and not _PARAGRAPH_START.match(lines[i]):
        text = lines[i]
        if i in furniture and not _FOOTNOTE_START.match(text):
            break  # the next page's head (a footnote "1 A/CONF.234/16." looks like a footer)
        if text:
            if _FOOTNOTE_START.match(text) or not notes:
                notes.append(text)
            else:
                notes[-1] += " " + text
        i += 1
    return i, notes


# Where a footnote reference number can stand: glued after a letter or punctuation, or after a
# comma, semicolon, colon or bracket and a space (not after "para." and a space: "para. 24" is a
# reference, not a marker); `_LOOSE_MARKER`: after a word and a space ("Development 4 and").
_MARKER_END = r"(?=[\s,;.:)，；。：）、]|$)"  # what may follow a marker, full-width punctuation included
_SURE_MARKER = re.compile(rf"(?:(?<=[^\W\d_])|(?<=[)\],;:.’”\"])|(?<=[),;:]) )(\d{{1,3}}){_MARKER_END}")
_AFTER_ALL = 1 << 62  # sorts after any end offset: bisect past every place at the cursor
_LOOSE_MARKER = re.compile(rf"(?<=[^\W\d_]) (\d{{1,3}}){_MARKER_END}")


def _remove_markers(page: list[FlowLine], notes: list[str]) -> int:
    """Remove the reference numbers of this page's footnotes from its text; returns how many.

    Each footnote's marker is the first sure place for its number (see `_SURE_MARKER`) after the
    previous footnote's marker (footnotes are numbered in reading order); failing that, a loose
    place if it is the only one left on the page. One pass finds all candidate places, so the
    cost is linear in the page, whatever the number of footnotes.
    """
    sure, loose = _candidates(page, _SURE_MARKER), _candidates(page, _LOOSE_MARKER)
    cuts: list[tuple[int, int, int]] = []  # (line index, start, end)
    cursor = (-1, -1)  # (line index, start) of the previous marker
    for note in notes:
        m = _FOOTNOTE_START.match(note)
        if not m:
            continue
        places = sure.get(m[1], [])
        k = bisect_right(places, cursor + (_AFTER_ALL,))
        found = places[k] if k < len(places) else None
        if found is None:
            rest = loose.get(m[1], [])
            k = bisect_right(rest, cursor + (_AFTER_ALL,))
            found = rest[k] if len(rest) - k == 1 else None
        if found is not None:
            cuts.append(found)
            cursor = found[:2]
    for index, start, end in sorted(cuts, reverse=True):
        text = page[index].text
        page[index].text = (text[:start] + text[end:]).strip()
    return len(cuts)


def _candidates(page: list[FlowLine], pattern: re.Pattern) -> dict[str, list[tuple[int, int, int]]]:
    """number -> places (line index, start, end) in page order, the space before it included."""
    places: dict[str, list[tuple[int, int, int]]] = {}
    for index, line in enumerate(page):
        for m in pattern.finditer(line.text):
            start = m.start() - 1 if m.start() and line.text[m.start() - 1] == " " else m.start()
            places.setdefault(m[1], []).append((index, start, m.end()))
    return places
