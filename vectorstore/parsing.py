"""Turn the text of a UN report into citable units (numbered paragraphs and lettered sub-items).

Three steps, each a small function or class below:

1. `clean_lines`: line-level cleaning. Removes extraction artefacts (page headers and footers,
   runs of undocs.org links, the table of contents, Markdown link syntax and `- ` bullets) and
   stops at the annex (a list of documents, not citable paragraphs).
2. `_classify` and `_segments`: every line that *could* start something (a chapter, a lettered
   section, a numbered paragraph or heading, a sub-item, a subheading) is a candidate; the other
   lines continue the candidate before them.
3. `_Assembler`: walks the candidates in order, keeping the heading stack (the section path)
   and the paragraph numbering. A numbered line is a paragraph only if its number is the next
   one (1, 2, 3 ...); otherwise it is a numbered heading (heading-shaped: no closing punctuation)
   or a list inside the current paragraph (e.g. the agenda in paragraph 69), whose `(a)`-`(d)`
   then belong to that list and are not sub-items.

`kind` is decided last, from the headings above each paragraph (see `_kind`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vectorstore.errors import DocumentParseError
from vectorstore.units import DocumentInfo, Unit

# --- step 1: line cleaning ------------------------------------------------------------------

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # [text](#) -> text
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^(?:[-*•·]\s+)+")  # "- (a) ..." -> "(a) ..."
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_SPACES = re.compile(r"[ \t\u00a0]+")
_URL_LINE = re.compile(r"^(?:https?://\S+\s*)+$")
# Tokens that make up page headers and footers: the symbol, "7/15", the job number "V.19-02889",
# a language code "(C)", a barcode "*1902889*", a bare page number.
_ARTEFACT_TOKEN = re.compile(
    r"[A-Z]{1,5}(?:/[A-Za-z0-9.\-]+)+"  # A/CONF.234/RPM.5/1
    r"|\d{1,3}/\d{1,3}"  # 7/15
    r"|(?:[A-Z]{1,2}\.)?\d{2}-\d{5}(?:\s?\([A-Z]\))?"  # V.19-02889, GE.19-12345(E)
    r"|\([A-Z]\)"
    r"|\*\d{5,}\*"
    r"|\d{1,3}"
)
_TOC_TITLE = re.compile(r"^(?:目\s*录|contents)$", re.IGNORECASE)
_TOC_COLUMN = re.compile(r"^(?:页次|段次|page|pages|paragraphs|paragraphs\s+page)$", re.IGNORECASE)
_TOC_ENTRY = re.compile(r"[.·…]{2,}\s*\d+$|\s\d+$")  # a title followed by its page number
_TOC_PAGE = re.compile(r"(?:\s*[.·…]{2,})?[\s.·…]*\d*\s*$")  # leader dots and page number
_ANNEX = re.compile(r"^(?:附件[一二三四五六七八九十]*|annex(?:es)?(?:\s+[IVX]+)?)$", re.IGNORECASE)
_NUMBERED = re.compile(r"^(\d{1,3})[.．](?!\d)\s*(.*)$")


def clean_lines(text: str) -> list[str]:
    """Non-empty content lines of `text`, without extraction artefacts, up to the annex."""
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = []
    for raw in text.split("\n"):
        line = _clean_markup(raw)
        if line and not is_artefact_line(line):
            lines.append(line)
    lines = _drop_table_of_contents(lines)
    return _cut_at_annex(lines)


def _clean_markup(raw: str) -> str:
    line = _SPACES.sub(" ", raw).strip()
    line = _MD_HEADING.sub("", line)
    line = _BULLET.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    return _MD_BOLD.sub(r"\1", line).strip()


def is_artefact_line(line: str) -> bool:
    """A page header/footer (symbol, page and job numbers) or a line of links."""
    if _URL_LINE.match(line):
        return True
    return all(_ARTEFACT_TOKEN.fullmatch(token) for token in line.split(" "))


def _toc_key(line: str) -> str:
    """A TOC entry or heading without page number, leader dots and spaces, for comparison."""
    return re.sub(r"\s+", "", _TOC_PAGE.sub("", line))


def _drop_table_of_contents(lines: list[str]) -> list[str]:
    """Remove the lines from '目录'/'Contents' up to the heading that the first TOC entry names."""
    start = next((i for i, line in enumerate(lines) if _TOC_TITLE.match(line)), None)
    if start is None:
        return lines
    entries = [line for line in lines[start + 1:] if not _TOC_COLUMN.match(line)]
    if not entries:
        return lines[:start]
    first_key = _toc_key(entries[0])
    for end in range(start + 2, len(lines)):
        # The first real heading repeats the first entry, without a page number.
        if _toc_key(lines[end]) == first_key and not _TOC_ENTRY.search(lines[end]):
            return lines[:start] + lines[end:]
    # No repeated heading found: drop only the lines that look like entries.
    return lines[:start] + [line for line in lines[start + 1:] if not _TOC_ENTRY.search(line)]


def is_annex_heading(line: str) -> bool:
    return bool(_ANNEX.match(line.strip()))


def _cut_at_annex(lines: list[str]) -> list[str]:
    """Annexes (lists of documents) follow the last paragraph and hold nothing citable."""
    seen_paragraph = False
    for i, line in enumerate(lines):
        if _NUMBERED.match(line):
            seen_paragraph = True
        elif seen_paragraph and _ANNEX.match(line):
            return lines[:i]
    return lines


# --- step 2: candidate lines ----------------------------------------------------------------

CHAPTER, SECTION, NUMBERED, ITEM, SUBHEADING, TEXT = (
    "chapter", "section", "numbered", "item", "subheading", "text")

_CHAPTER = re.compile(r"^(?:[一二三四五六七八九十]+|[IVX]{1,5})[.．、]\s*\S")
_SECTION = re.compile(r"^[A-Z][.．]\s+\S")
_ITEM = re.compile(r"^[(（]([a-z]{1,2})[)）]\s*")
_SUMMARY_TITLES = {
    "审议情况概要", "讨论情况概要", "审议概要",
    "summary of deliberations", "summary of the deliberations", "summary of discussions",
}
_RECOMMENDATION_TITLES = {
    "审议结果", "审议成果", "建议", "结论和建议", "结论与建议", "建议和结论", "结论",
    "recommendations", "conclusions and recommendations", "outcome of deliberations",
    "outcome of the deliberations", "conclusions",
}
_SENTENCE_END = tuple("。．.；;！!？?")
_CLOSING = tuple("。．.；;：:")  # a line ending so is not a heading
_HEADING_PUNCTUATION = re.compile(r"[。，、；：.,;:!?！？]")


@dataclass
class _Line:
    text: str
    kind: str
    number: int = 0  # NUMBERED
    letter: str = ""  # ITEM
    body: str = ""  # text after the marker


def _classify(lines: list[str]) -> list[_Line]:
    classified = [_classify_one(line) for line in lines]
    # Unnumbered subheadings such as 程序 / "Proceedings" are known only from their context.
    for i, line in enumerate(classified):
        if line.kind == TEXT and _looks_like_subheading(line.text):
            before = classified[i - 1] if i else None
            after = classified[i + 1] if i + 1 < len(classified) else None
            ends_block = before is None or before.kind == SUBHEADING or before.text.endswith(_SENTENCE_END)
            starts_block = after is not None and after.kind in (NUMBERED, CHAPTER, SECTION, SUBHEADING)
            if ends_block and starts_block:
                line.kind = SUBHEADING
    return classified


def _classify_one(line: str) -> _Line:
    if m := _NUMBERED.match(line):
        return _Line(line, NUMBERED, number=int(m[1]), body=m[2])
    if m := _ITEM.match(line):
        return _Line(line, ITEM, letter=m[1], body=line[m.end():])
    if _CHAPTER.match(line):
        return _Line(line, CHAPTER)
    if _SECTION.match(line):
        return _Line(line, SECTION)
    if _title_kind(line):
        return _Line(line, SUBHEADING)
    return _Line(line, TEXT)


def _looks_like_subheading(text: str) -> bool:
    limit = 60 if text.isascii() else 25
    return len(text) <= limit and not _HEADING_PUNCTUATION.search(text) and not text[0].islower()


def _title_kind(title: str) -> str | None:
    """"summary" / "recommendation" for a heading whose title (without its marker) says so."""
    bare = re.sub(r"^(?:[一二三四五六七八九十]+|[IVX]{1,5}|[A-Z]|\d{1,2})[.．、]\s*", "", title)
    bare = bare.strip().rstrip(":：").strip().lower()
    if bare in _SUMMARY_TITLES:
        return "summary"
    if bare in _RECOMMENDATION_TITLES:
        return "recommendation"
    return None


@dataclass
class _Segment:
    """A candidate line and the TEXT lines that continue it."""

    head: _Line
    lines: list[str] = field(default_factory=list)

    @property
    def full_text(self) -> str:
        text = self.head.text
        for line in self.lines:
            text = join_lines(text, line)
        return text


def _segments(lines: list[_Line]) -> list[_Segment]:
    segments: list[_Segment] = []
    for line in lines:
        if line.kind == TEXT and segments:
            segments[-1].lines.append(line.text)
        else:
            segments.append(_Segment(line))
    return segments


# --- joining hard line breaks ---------------------------------------------------------------

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


def join_lines(left: str, right: str) -> str:
    """Join a hard line break: list items keep their own line; within a sentence, a space only
    between Latin words (and between a Chinese character and a Latin word or number, as printed)."""
    if not left:
        return right
    if not right:
        return left
    if _LIST_START.match(right) or _LABEL.match(right):
        return f"{left}\n{right}"
    a, b = left[-1], right[0]
    if (_is_ideograph(a) and _is_latin(b)) or (_is_ideograph(b) and _is_latin(a)):
        separator = " "
    elif _is_wide(a) or _is_wide(b):
        separator = ""
    elif a in "/-" or (a == "." and b.isdigit()):  # a symbol or hyphenated word broken at the line end
        separator = ""
    else:
        separator = " "
    return left + separator + right


# --- step 3: assembly -----------------------------------------------------------------------

_LEVELS = {CHAPTER: 1, SECTION: 2, NUMBERED: 3, SUBHEADING: 4}


@dataclass
class _Heading:
    level: int
    title: str


@dataclass
class _Item:
    letter: str
    text: str


@dataclass
class _Paragraph:
    number: int
    text: str
    headings: list[_Heading]
    items: list[_Item] = field(default_factory=list)
    tail: str = ""  # text after the sub-items (closing words of the paragraph)
    has_inner_list: bool = False  # a numbered list inside the paragraph: its (a)... are not sub-items

    def append(self, text: str) -> None:
        if self.tail:
            self.tail = join_lines(self.tail, text)
        elif self.items:
            self.items[-1].text = join_lines(self.items[-1].text, text)
        else:
            self.text = join_lines(self.text, text)

    @property
    def current_text(self) -> str:
        return self.tail or (self.items[-1].text if self.items else self.text)

    @property
    def full_text(self) -> str:
        """The paragraph's own text: lead-in, and closing words after the sub-items if any."""
        return f"{self.text}\n{self.tail}" if self.tail else self.text


def _next_letter(letter: str) -> str:
    """a -> b ... z -> aa -> bb (the UN convention after z)."""
    if letter == "z":
        return "aa"
    if len(letter) == 2:
        return chr(ord(letter[0]) + 1) * 2
    return chr(ord(letter) + 1)


class _Assembler:
    """Walks the segments, keeping the heading stack and the paragraph numbering."""

    def __init__(self, segments: list[_Segment]):
        self.segments = segments
        # In text with hard line breaks, a line after the last sub-item may continue it; in
        # text with one line per paragraph (Word, Markdown), a new line after a finished sub-item
        # is the paragraph's closing text.
        numbered = [s for s in segments if s.head.kind == NUMBERED]
        self.one_line_per_paragraph = bool(numbered) and \
            sum(not s.lines for s in numbered) >= 0.8 * len(numbered)
        self.headings: list[_Heading] = []
        self.paragraphs: list[_Paragraph] = []
        self.open: _Paragraph | None = None  # the paragraph that continuation text goes to
        self.last_numbered_heading = 0
        self.skipped_numbers: list[int] = []  # numbered lines after the last paragraph (numbering check)
        self.stray: list[str] = []  # text after paragraph 1 that belongs to no paragraph

    def run(self) -> list[_Paragraph]:
        for i, segment in enumerate(self.segments):
            following = self.segments[i + 1] if i + 1 < len(self.segments) else None
            self._take(segment, following)
        return self.paragraphs

    @property
    def expected_number(self) -> int:
        return self.paragraphs[-1].number + 1 if self.paragraphs else 1

    def _take(self, segment: _Segment, following: _Segment | None) -> None:
        head = segment.head
        if head.kind == SUBHEADING:
            self._heading(_LEVELS[SUBHEADING], head.text)
            self._keep_stray(segment.lines)
        elif head.kind in (CHAPTER, SECTION):
            self._heading(_LEVELS[head.kind], self._heading_title(segment))
        elif head.kind == NUMBERED:
            self._numbered(segment, following)
        elif head.kind == ITEM:
            self._item(segment)
        # A leading TEXT segment is front matter (title, date, venue): not citable.

    def _heading_title(self, segment: _Segment) -> str:
        """A heading may wrap onto following lines, but sentences after it are not its title."""
        if any("。" in line or line.endswith(".") for line in segment.lines):
            self._keep_stray(segment.lines)
            return segment.head.text
        return segment.full_text

    def _keep_stray(self, texts: list[str]) -> None:
        if self.paragraphs:  # before paragraph 1 it is front matter (title, date, venue)
            self.stray.extend(texts)

    def _heading(self, level: int, title: str) -> None:
        self.headings = [h for h in self.headings if h.level < level] + [_Heading(level, title)]
        if level <= _LEVELS[SECTION]:
            self.last_numbered_heading = 0
        self.open = None

    def _numbered(self, segment: _Segment, following: _Segment | None) -> None:
        number = segment.head.number
        duplicate_next = following is not None and following.head.kind == NUMBERED \
            and following.head.number == number  # "1. Introduction" then "1. The General Assembly..."
        if number == self.expected_number and not duplicate_next:
            self._start_paragraph(segment)
        elif self._is_numbered_heading(segment):
            self.last_numbered_heading = number
            self._heading(_LEVELS[NUMBERED], self._heading_title(segment))
        elif self.open is not None:
            self.open.has_inner_list = True
            self.open.append(segment.full_text)
            self.skipped_numbers.append(number)
        else:
            self._keep_stray([segment.full_text])
            self.skipped_numbers.append(number)

    def _is_numbered_heading(self, segment: _Segment) -> bool:
        number = segment.head.number
        text = segment.full_text
        in_sequence = number in (1, self.last_numbered_heading + 1)
        after_lead_in = self.open is not None and self.open.current_text.endswith((":", "："))
        return in_sequence and not text.endswith(_CLOSING) and not after_lead_in

    def _start_paragraph(self, segment: _Segment) -> None:
        paragraph = _Paragraph(segment.head.number, segment.head.body, list(self.headings))
        for line in segment.lines:
            paragraph.append(line)
        self.paragraphs.append(paragraph)
        self.open = paragraph
        self.skipped_numbers = []

    def _item(self, segment: _Segment) -> None:
        paragraph = self.open
        if paragraph is None:
            self._keep_stray([segment.full_text])
            return
        expected = _next_letter(paragraph.items[-1].letter) if paragraph.items else "a"
        if paragraph.has_inner_list or segment.head.letter != expected:
            paragraph.append(segment.full_text)
            return
        item = _Item(segment.head.letter, segment.head.body)
        paragraph.items.append(item)
        for line in segment.lines:
            if self.one_line_per_paragraph and not paragraph.tail and item.text.endswith(("。", ".")):
                paragraph.tail = line
            else:
                paragraph.append(line)


# --- kinds and units ------------------------------------------------------------------------

_RECOMMENDATION_LEAD_IN = re.compile(r"(?:以下|下列)建议|following recommendations?", re.IGNORECASE)


def _kind(paragraph: _Paragraph, chapters_with_subheadings: set[str]) -> str:
    """summary / recommendation / other, from the headings above the paragraph.

    1. the innermost kind-bearing heading below the chapter (审议情况概要, 审议结果, ...) decides;
    2. a paragraph that introduces lettered items as recommendations ("会议确定了...以下建议：")
       is a recommendation wherever it stands (e.g. 57 under 其他事项);
    3. a chapter titled like 建议 / Recommendations makes its paragraphs recommendations only if
       it has no such subheadings (otherwise its untitled paragraphs are introductions, e.g. 7-9).
    """
    for heading in reversed(paragraph.headings):
        if heading.level > 1 and (kind := _title_kind(heading.title)):
            return kind
    if paragraph.items and _RECOMMENDATION_LEAD_IN.search(paragraph.text):
        return "recommendation"
    chapter = next((h.title for h in paragraph.headings if h.level == 1), None)
    if chapter and _title_kind(chapter) == "recommendation" and chapter not in chapters_with_subheadings:
        return "recommendation"
    return "other"


def _chapters_with_kind_subheadings(paragraphs: list[_Paragraph]) -> set[str]:
    chapters = set()
    for paragraph in paragraphs:
        chapter = next((h.title for h in paragraph.headings if h.level == 1), None)
        if chapter and any(h.level > 1 and _title_kind(h.title) for h in paragraph.headings):
            chapters.add(chapter)
    return chapters


def _check_numbering(assembler: _Assembler, source_name: str) -> None:
    """Refuse rather than guess: no paragraphs at all, a missing paragraph number (numbered
    lines n+2, n+3 after paragraph n), or text that belongs to no paragraph."""
    if not assembler.paragraphs:
        raise DocumentParseError(
            f"{source_name}: no numbered paragraphs found (expected lines starting '1.', '2.', ...). "
            "If the file is a Word document with automatic numbering, the numbers are not part of "
            "its text: save it as PDF or plain text first."
        )
    last = assembler.paragraphs[-1].number
    skipped = assembler.skipped_numbers
    if any(skipped[i:i + 2] == [last + 2, last + 3] for i in range(len(skipped))):
        raise DocumentParseError(
            f"{source_name}: paragraph numbering breaks after paragraph {last}: paragraph {last + 1} "
            f"was not found but later lines are numbered {last + 2}, {last + 3}. Check the text near "
            f"paragraph {last + 1}."
        )
    if assembler.stray:
        raise DocumentParseError(
            f"{source_name}: some text is not inside any numbered paragraph: “{assembler.stray[0]:.60}”. "
            "Check that paragraph's number (every paragraph must be numbered 1, 2, 3 ...)."
        )


def parse_report(text: str, doc: DocumentInfo, source_name: str) -> list[Unit]:
    """All paragraph and sub-item units of a report, in document order.

    Raises DocumentParseError (naming `source_name`) when the text cannot be parsed into
    consecutively numbered paragraphs (see `_check_numbering`).
    """
    assembler = _Assembler(_segments(_classify(clean_lines(text))))
    paragraphs = assembler.run()
    _check_numbering(assembler, source_name)
    chapters = _chapters_with_kind_subheadings(paragraphs)
    units = []
    for paragraph in paragraphs:
        kind = _kind(paragraph, chapters)
        section = [h.title for h in paragraph.headings]
        units.append(Unit(doc.symbol, paragraph.number, None, paragraph.full_text, kind, section)
                     .with_document(doc))
        for item in paragraph.items:
            units.append(Unit(doc.symbol, paragraph.number, item.letter, item.text, kind, list(section),
                              chapeau=paragraph.text).with_document(doc))
    return units
