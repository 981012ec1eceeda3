"""One part of a document (the body, an annex) as numbered paragraphs, sub-items, headings and
preambular paragraphs.

Three steps:

1. `classify`: every line that *could* start something (a chapter, a lettered section, a numbered
   paragraph or heading, a sub-item, a subheading) is a candidate; the other lines continue the
   candidate before them. In text whose blank lines separate paragraphs (PDF text of a
   resolution, Word or Markdown with one line per paragraph), `_mark_blocks` also classifies the
   unnumbered blocks: front matter before the first number (the preamble is in it), thematic
   headings, lead-ins ending with ":" ("We therefore endeavour to take the following actions:")
   and closing lines after the last paragraph ("53rd plenary meeting").
2. `_segments`: a candidate line and the lines that continue it.
3. `Assembler`: walks the segments, keeping the heading stack (the section path) and the
   paragraph numbering. A numbered line is a paragraph only if its number is the next one
   (1, 2, 3 ...); otherwise it is a numbered heading (heading-shaped: no closing punctuation) or
   a list inside the current paragraph (e.g. an agenda "1.–7." in paragraph 69), whose `(a)`-`(d)`
   then belong to that list and are not sub-items. What fits nowhere is kept as an anomaly for
   the numbering check (`vectorstore.numbering`), never merged silently.

`kind` is decided last, from the headings above each paragraph (see `paragraph_kind`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vectorstore.line_joining import JoinedText

CHAPTER, SECTION, NUMBERED, ITEM, SUBHEADING, TEXT = (
    "chapter", "section", "numbered", "item", "subheading", "text")
# Unnumbered blocks, known only where blank lines separate paragraphs (see `_mark_blocks`).
FRONT, HEADING, LEAD_IN, CLOSING = "front", "heading", "lead-in", "closing"

NUMBERED_LINE = re.compile(r"^(\d{1,3})[.．](?!\d)\s*(.*)$")
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
_TITLE_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+|[IVX]{1,5}|[A-Z]|\d{1,2})[.．、]\s*")
_TITLE_MAX_CHARS = 60  # longer than any kind-bearing title ("conclusions and recommendations")
_SENTENCE_END = tuple("。．.；;！!？?")
_CLOSING = tuple("。．.；;：:")  # a line ending so is not a heading
_HEADING_PUNCTUATION = re.compile(r"[。，、；：.,;:!?！？]")
# Inside a heading-shaped block: no sentence break, colon or semicolon (commas are fine:
# "Addressing the causes, including the root causes, of crime").
_INSIDE_SENTENCE = re.compile(r"[。；;：:!?！？]|\.(?:\s|$)")
_PREAMBLE_END = tuple(",;，；")  # a preambular paragraph ends with a comma (or semicolon)
_LEAD_IN_END = (":", "：")
_HEADING_MAX_CHARS = {"latin": 200, "cjk": 60}
_SUBJECT_MAX_WORDS = 15  # "We, Heads of State and Government, Ministers and ... of Member States,"
_SUBJECT_MAX_CJK = 20  # "大会，"


@dataclass
class Line:
    text: str
    lineno: int = 0  # in the source text (1-based), for messages
    block: bool = False  # starts a block (the text's blank lines separate paragraphs)
    kind: str = TEXT
    number: int = 0  # NUMBERED
    letter: str = ""  # ITEM
    body: str = ""  # text after the marker


def classify(lines: list[Line], blocks: bool) -> list[Line]:
    for line in lines:
        _classify_one(line)
    # Unnumbered subheadings such as 程序 / "Proceedings" are known only from their context.
    for i, line in enumerate(lines):
        if line.kind == TEXT and _looks_like_subheading(line.text):
            before = lines[i - 1] if i else None
            after = lines[i + 1] if i + 1 < len(lines) else None
            ends_block = before is None or before.kind == SUBHEADING or before.text.endswith(_SENTENCE_END)
            starts_block = after is not None and after.kind in (NUMBERED, CHAPTER, SECTION, SUBHEADING)
            if ends_block and starts_block:
                line.kind = SUBHEADING
    if blocks:
        _mark_blocks(lines)
    return lines


def _classify_one(line: Line) -> None:
    text = line.text
    line.kind = TEXT
    if m := NUMBERED_LINE.match(text):
        line.kind, line.number, line.body = NUMBERED, int(m[1]), m[2]
    elif m := _ITEM.match(text):
        line.kind, line.letter, line.body = ITEM, m[1], text[m.end():]
    elif _CHAPTER.match(text):
        line.kind = CHAPTER
    elif _SECTION.match(text):
        line.kind = SECTION
    elif title_kind(text):
        line.kind = SUBHEADING


def _looks_like_subheading(text: str) -> bool:
    limit = 60 if text.isascii() else 25
    return len(text) <= limit and not _HEADING_PUNCTUATION.search(text) and not text[0].islower()


def title_kind(title: str) -> str | None:
    """"summary" / "recommendation" for a heading whose title (without its marker) says so."""
    if len(title) > _TITLE_MAX_CHARS:
        return None
    bare = _TITLE_MARKER.sub("", title)
    bare = bare.strip().rstrip(":：").strip().lower()
    if bare in _SUMMARY_TITLES:
        return "summary"
    if bare in _RECOMMENDATION_TITLES:
        return "recommendation"
    return None


# --- unnumbered blocks ----------------------------------------------------------------------

def _heading_shaped(text: str) -> bool:
    limit = _HEADING_MAX_CHARS["cjk" if _has_cjk(text) else "latin"]
    return (0 < len(text) <= limit and not text.endswith(_CLOSING + _PREAMBLE_END)
            and not text[0].islower() and not _INSIDE_SENTENCE.search(text))


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" for c in text)


def _lead_in_shaped(text: str) -> bool:
    return 0 < len(text) <= 2 * _HEADING_MAX_CHARS["latin"] and text.endswith(_LEAD_IN_END) \
        and not text[0].islower()


def _block_text(lines: list[Line], start: int, end: int) -> str:
    text = JoinedText()
    for line in lines[start:end]:
        text.add(line.text)
    return str(text)


def _mark_blocks(lines: list[Line]) -> None:
    """Classify unnumbered blocks (see the module docstring); other blocks continue the text
    before them, as any unmarked line does."""
    n = len(lines)
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if lines[i].kind == TEXT and lines[i].block:
            j = i + 1
            while j < n and lines[j].kind == TEXT and not lines[j].block:
                j += 1
            blocks.append((i, j))
            i = j
        else:
            i += 1
    first_numbered = next((k for k, line in enumerate(lines) if line.kind == NUMBERED), n)
    last_numbered = max((k for k, line in enumerate(lines) if line.kind in (NUMBERED, ITEM)), default=-1)
    # Backwards, so a heading knows whether the block after it is a heading too.
    shaped: dict[int, str] = {}
    for start, end in reversed(blocks):
        text = _block_text(lines, start, end)
        if start < first_numbered:
            lines[start].kind = FRONT
            continue
        after = lines[end] if end < n else None
        introduces = after is not None and (
            after.kind in (NUMBERED, CHAPTER, SECTION, SUBHEADING) or end in shaped)
        if introduces and _heading_shaped(text):
            shaped[start] = HEADING
        elif introduces and _lead_in_shaped(text) and not (after.kind == NUMBERED and after.number == 1):
            shaped[start] = LEAD_IN  # "1." after a lead-in starts a list inside the paragraph
        elif after is None and start > last_numbered and _heading_shaped(text):
            shaped[start] = CLOSING
    # Forwards: a heading or closing line only follows a finished sentence or another heading.
    heading_lines: set[int] = set()
    for start, end in blocks:
        kind = shaped.get(start)
        if kind is None:
            continue
        before = lines[start - 1] if start else None
        if before is None or start - 1 in heading_lines or before.kind in (SUBHEADING, CHAPTER, SECTION) \
                or before.text.endswith(_SENTENCE_END):
            lines[start].kind = kind
            heading_lines.update(range(start, end))


# --- segments -------------------------------------------------------------------------------

@dataclass
class Segment:
    """A candidate line and the TEXT lines that continue it."""

    head: Line
    lines: list[str] = field(default_factory=list)

    @property
    def full_text(self) -> str:
        text = JoinedText(self.head.text)
        for line in self.lines:
            text.add(line)
        return str(text)


def segments(lines: list[Line]) -> list[Segment]:
    result: list[Segment] = []
    for line in lines:
        if line.kind == TEXT and result:
            result[-1].lines.append(line.text)
        else:
            result.append(Segment(line))
    return result


# --- assembly -------------------------------------------------------------------------------

_LEVELS = {CHAPTER: 1, SECTION: 2, NUMBERED: 3, SUBHEADING: 4}
_UNNUMBERED_LEVEL = _LEVELS[SUBHEADING]  # unnumbered headings nest from here down
_PART_TITLE_LEVEL = 0  # the annex's title stays above every heading inside it
_MAX_UNNUMBERED_DEPTH = 6  # deeper "nesting" is no outline but a run of stray lines: keep the innermost


@dataclass
class Heading:
    level: int
    title: str


@dataclass
class Item:
    letter: str
    text: JoinedText
    lineno: int = 0


@dataclass
class Paragraph:
    number: int
    text: JoinedText
    headings: list[Heading]
    lineno: int = 0
    items: list[Item] = field(default_factory=list)
    tail: JoinedText | None = None  # text after the sub-items (closing words of the paragraph)
    has_inner_list: bool = False  # a numbered list inside the paragraph: its (a)... are not sub-items
    inner_list_last: int = 0  # the last number of that list

    def append(self, text: str) -> None:
        self.current_text.add(text)

    @property
    def current_text(self) -> JoinedText:
        return self.tail or (self.items[-1].text if self.items else self.text)

    @property
    def full_text(self) -> str:
        """The paragraph's own text: lead-in, and closing words after the sub-items if any."""
        return f"{self.text}\n{self.tail}" if self.tail else str(self.text)


@dataclass
class Preamble:
    """The unnumbered preambular paragraphs of a part and the subject line they follow."""

    subject: str = ""  # "The General Assembly," — context (chapeau), not a unit
    paragraphs: list[tuple[str, int]] = field(default_factory=list)  # (text, source line)


@dataclass
class Anomaly:
    """A numbered line that is not the next paragraph, a heading or a list inside a paragraph."""

    number: int
    lineno: int
    text: str
    after: int  # the last paragraph number before it (0: none yet)

    @property
    def kind(self) -> str:
        if self.number > self.after + 1:
            return "gap"
        return "restart" if self.number == 1 else "duplicate"


@dataclass
class ItemAnomaly:
    """A lettered line, after a finished sub-item, that is not the next letter: a second (b)
    ("duplicate"), or (e) after (c) ("gap"). Either would otherwise merge into the item before."""

    kind: str  # "duplicate" or "gap"
    paragraph: int
    letter: str
    expected: str
    lineno: int
    text: str


_ITEM_END = (";", "；", ".", "。", ":", "：")


def _next_letter(letter: str) -> str:
    """a -> b ... z -> aa -> bb (the UN convention after z)."""
    if letter == "z":
        return "aa"
    if len(letter) == 2:
        return chr(ord(letter[0]) + 1) * 2
    return chr(ord(letter) + 1)


class Assembler:
    """Walks the segments of one part, keeping the heading stack and the paragraph numbering."""

    def __init__(self, part_segments: list[Segment], title: str = ""):
        self.segments = part_segments
        # In text with hard line breaks, a line after the last sub-item may continue it; in
        # text with one line per paragraph (Word, Markdown), a new line after a finished sub-item
        # is the paragraph's closing text.
        numbered = [s for s in part_segments if s.head.kind == NUMBERED]
        self.one_line_per_paragraph = bool(numbered) and \
            sum(not s.lines for s in numbered) >= 0.8 * len(numbered)
        self.headings: list[Heading] = [Heading(_PART_TITLE_LEVEL, title)] if title else []
        self.paragraphs: list[Paragraph] = []
        self.open: Paragraph | None = None  # the paragraph that continuation text goes to
        self.last_numbered_heading = 0
        self.anomalies: list[Anomaly] = []
        self.item_anomalies: list[ItemAnomaly] = []
        self.stray: list[str] = []  # text after paragraph 1 that belongs to no paragraph
        self.front: list[Segment] = []  # unnumbered blocks before paragraph 1
        self.preamble = Preamble()
        self.front_matter: list[str] = []  # front blocks that are neither preamble nor lead-in
        self.front_text: list[str] = []  # text before paragraph 1 where no blocks are known
        self.closing: list[str] = []  # closing lines after the last paragraph (not citable)
        self._run: list[tuple[str, bool]] = []  # consecutive unnumbered headings (title, lead-in)
        self._run_base: list[str] = []  # the unnumbered heading titles before the run
        self._index = 0  # the segment being taken

    def run(self) -> list[Paragraph]:
        for i, segment in enumerate(self.segments):
            self._index = i
            following = self.segments[i + 1] if i + 1 < len(self.segments) else None
            self._take(segment, following)
        self._end_run()
        if not self.paragraphs:
            self.front_matter = [s.full_text for s in self.front]
        return self.paragraphs

    @property
    def expected_number(self) -> int:
        return self.paragraphs[-1].number + 1 if self.paragraphs else 1

    def _take(self, segment: Segment, following: Segment | None) -> None:
        head = segment.head
        if head.kind not in (SUBHEADING, HEADING, LEAD_IN):
            self._end_run()
        if head.kind == SUBHEADING:
            self._unnumbered_heading(head.text)
            self._keep_stray(segment.lines)
        elif head.kind in (HEADING, LEAD_IN):
            self._unnumbered_heading(segment.full_text, lead_in=head.kind == LEAD_IN)
        elif head.kind in (CHAPTER, SECTION):
            self._heading(_LEVELS[head.kind], self._heading_title(segment))
        elif head.kind == NUMBERED:
            self._numbered(segment, following)
        elif head.kind == ITEM:
            self._item(segment)
        elif head.kind == FRONT and not self.paragraphs:
            self.front.append(segment)
        elif head.kind == CLOSING:
            self.closing.append(segment.full_text)
            self.open = None
        elif head.kind == TEXT and not self.paragraphs:
            self.front_text.append(segment.full_text)  # masthead, title, date, venue: not citable

    def _heading_title(self, segment: Segment) -> str:
        """A heading may wrap onto following lines, but sentences after it are not its title."""
        if any("。" in line or line.endswith(".") for line in segment.lines):
            self._keep_stray(segment.lines)
            return segment.head.text
        return segment.full_text

    def _keep_stray(self, texts: list[str]) -> None:
        if self.paragraphs:  # before paragraph 1 it is front matter (title, date, venue)
            self.stray.extend(texts)

    def _heading(self, level: int, title: str) -> None:
        self.headings = [h for h in self.headings if h.level < level] + [Heading(level, title)]
        if level <= _LEVELS[SECTION]:
            self.last_numbered_heading = 0
        self.open = None

    def _unnumbered_heading(self, title: str, lead_in: bool = False) -> None:
        """Unnumbered headings nest by how many come together: a run of k headings replaces the
        k innermost ones ("Advancing crime prevention" + "Addressing the causes ..." opens a
        theme and its first topic; a single "Evidence-based crime prevention" then replaces the
        topic only). A lead-in ending with ":" opens a new group: it replaces them all.
        The stack is rebuilt once per run (`_end_run`), so a long run costs linear time."""
        if not self._run:
            self._run_base = [h.title for h in self.headings if h.level >= _UNNUMBERED_LEVEL]
            self.headings = [h for h in self.headings if h.level < _UNNUMBERED_LEVEL]
        self._run.append((title, lead_in))
        self.open = None

    def _end_run(self) -> None:
        if not self._run:
            return
        base = self._run_base
        kept = [] if self._run[0][1] else base[:max(0, len(base) - len(self._run))]
        titles = (kept + [t for t, _ in self._run])[-_MAX_UNNUMBERED_DEPTH:]
        self.headings += [Heading(_UNNUMBERED_LEVEL + i, t) for i, t in enumerate(titles)]
        self._run = []

    def _numbered(self, segment: Segment, following: Segment | None) -> None:
        number = segment.head.number
        duplicate_next = following is not None and following.head.kind == NUMBERED \
            and following.head.number == number  # "1. Introduction" then "1. The General Assembly..."
        if number == self.expected_number and not duplicate_next \
                and not self._inner_item_before_its_namesake(number):
            self._start_paragraph(segment)
        elif self._is_numbered_heading(segment):
            self.last_numbered_heading = number
            self._heading(_LEVELS[NUMBERED], self._heading_title(segment))
        elif self._continues_inner_list(number):
            self.open.has_inner_list = True
            self.open.inner_list_last = number
            self.open.append(segment.full_text)
        else:
            self._anomaly(segment)

    def _continues_inner_list(self, number: int) -> bool:
        """A list inside the open paragraph: it starts at 1 after a lead-in ("... as follows:") and
        counts on (1.-7. of an agenda, with its own (a)-(d) in between)."""
        if self.open is None:
            return False
        if self.open.has_inner_list and number == self.open.inner_list_last + 1:
            return True
        return number == 1 and self.open.current_text.endswith(_LEAD_IN_END)

    def _inner_item_before_its_namesake(self, number: int) -> bool:
        """Is this "4." the next item of the list inside the open paragraph, though 4 is also the
        next paragraph's number? It is when the list's further items (5., 6., ...) are followed by
        another "4.": an agenda "1.-5." inside paragraph 3 of a resolution, then paragraph 4. The
        reading without a duplicate number wins; with no second "4." the paragraph does."""
        opened = self.open
        if opened is None or not opened.has_inner_list or number != opened.inner_list_last + 1:
            return False
        next_item = number + 1
        for segment in self.segments[self._index + 1:]:
            if segment.head.kind != NUMBERED:
                continue
            if segment.head.number != next_item:
                return segment.head.number == number
            next_item += 1
        return False

    def _anomaly(self, segment: Segment) -> None:
        """A gap is stored under its printed number (the check refuses it unless the caller
        accepts numbering warnings); a duplicate or restart is kept aside, never merged."""
        head = segment.head
        after = self.paragraphs[-1].number if self.paragraphs else 0
        self.anomalies.append(Anomaly(head.number, head.lineno, segment.full_text, after))
        if head.number > self.expected_number:
            self._start_paragraph(segment)
        else:
            self.open = None

    def _is_numbered_heading(self, segment: Segment) -> bool:
        number = segment.head.number
        text = segment.full_text
        in_sequence = number in (1, self.last_numbered_heading + 1)
        after_lead_in = self.open is not None and self.open.current_text.endswith((":", "："))
        return in_sequence and not text.endswith(_CLOSING) and not after_lead_in

    def _start_paragraph(self, segment: Segment) -> None:
        if not self.paragraphs:
            self._close_front()
        paragraph = Paragraph(segment.head.number, JoinedText(segment.head.body), list(self.headings),
                              segment.head.lineno)
        for line in segment.lines:
            paragraph.append(line)
        self.paragraphs.append(paragraph)
        self.open = paragraph

    def _close_front(self) -> None:
        """Before paragraph 1: a last block ending with ":" is the lead-in of the numbered
        paragraphs ("Declare the following:"); the blocks ending with a comma before it are the
        preamble, after the subject line ("The General Assembly,"). The rest is front matter."""
        front = [(s.full_text, s.head.lineno) for s in self.front]
        lead_in = front.pop()[0] if front and front[-1][0].endswith(_LEAD_IN_END) else ""
        start = len(front)
        while start > 0 and front[start - 1][0].endswith(_PREAMBLE_END):
            start -= 1
        run = front[start:]
        self.front_matter = [text for text, _ in front[:start]]
        if run and _is_subject(run[0][0]):
            self.preamble.subject = run.pop(0)[0]
        self.preamble.paragraphs = run
        if lead_in:
            self._unnumbered_heading(lead_in, lead_in=True)
            self._end_run()

    def _item(self, segment: Segment) -> None:
        paragraph = self.open
        if paragraph is None:
            self._keep_stray([segment.full_text])
            return
        expected = _next_letter(paragraph.items[-1].letter) if paragraph.items else "a"
        letter = segment.head.letter
        if paragraph.has_inner_list or (letter != expected and not self._out_of_sequence(paragraph, segment,
                                                                                          expected)):
            paragraph.append(segment.full_text)
            return
        item = Item(segment.head.letter, JoinedText(segment.head.body), segment.head.lineno)
        paragraph.items.append(item)
        for line in segment.lines:
            if self.one_line_per_paragraph and not paragraph.tail and item.text.endswith(("。", ".")):
                paragraph.tail = JoinedText(line)
            else:
                paragraph.append(line)


    def _out_of_sequence(self, paragraph: Paragraph, segment: Segment, expected: str) -> bool:
        """Whether a lettered line that is not the next letter starts an item all the same: it
        follows a finished item and begins like one ("(e) Promote ...", not "(b) above"). A
        later letter is kept as its own item; a repeated one merges. Both are anomalies."""
        body = segment.head.body.lstrip()
        if not (paragraph.items and paragraph.current_text.endswith(_ITEM_END) and body
                and (body[0].isupper() or _has_cjk(body[0]))):
            return False
        letter = segment.head.letter
        used = {item.letter for item in paragraph.items}
        later = (len(letter), letter) > (len(expected), expected)
        if letter not in used and not later:
            return False
        kind = "duplicate" if letter in used else "gap"
        self.item_anomalies.append(ItemAnomaly(kind, paragraph.number, letter, expected,
                                               segment.head.lineno, segment.full_text))
        return kind == "gap"


def _is_subject(text: str) -> bool:
    """The acting body before the preamble: short, ends with a comma ("The General Assembly,")."""
    if not _has_cjk(text):
        return len(text.split()) <= _SUBJECT_MAX_WORDS
    return len(text) <= _SUBJECT_MAX_CJK


# --- kinds ----------------------------------------------------------------------------------

_RECOMMENDATION_LEAD_IN = re.compile(r"(?:以下|下列)建议|following recommendations?", re.IGNORECASE)
# a paragraph reporting what speakers said ("许多发言者强调…", "毒罪办的代表介绍了…", "One speaker
# suggested ...", "The representative of UNODC introduced ..."): a summary of the deliberations
_REPORTS_SPEAKERS = re.compile(
    r"^(?:许多|很多|一些|若干|几位|多位|一位|一名|有些|另有|其他)?(?:[^，。；]{0,15}的)?"
    r"(?:发言者|与会者|与会代表|代表|专家|观察员)"
    r"|^(?:(?:many|several|some|a\s+number\s+of|one|other|two|three|the)\s+)*"
    r"(?:speakers?|participants?|delegations?|representatives?|experts?|observers?)\b",
    re.IGNORECASE,
)


def paragraph_kind(paragraph: Paragraph, chapters_with_subheadings: set[str]) -> str:
    """summary / recommendation / other, from the headings above the paragraph.

    1. the innermost kind-bearing heading below the chapter (审议情况概要, 审议结果, ...) decides;
    2. a paragraph that introduces lettered items as recommendations ("会议确定了...以下建议：")
       is a recommendation wherever it stands (e.g. 57 under 其他事项);
    3. a chapter titled like 建议 / Recommendations makes its paragraphs recommendations only if
       it has no such subheadings (otherwise its untitled paragraphs are introductions, e.g. 7-9),
       and not those that report what speakers said ("许多发言者强调…": summaries);
    4. a chapter titled like Summary of deliberations / 审议情况概要 without such subheadings makes
       its paragraphs summaries (its sections are themes: "A. Strategies to prevent crime").
    """
    for heading in reversed(paragraph.headings):
        if heading.level > 1 and (kind := title_kind(heading.title)):
            return kind
    if paragraph.items and _RECOMMENDATION_LEAD_IN.search(str(paragraph.text)):
        return "recommendation"
    chapter = next((h.title for h in paragraph.headings if h.level == 1), None)
    if chapter and title_kind(chapter) == "recommendation" and chapter not in chapters_with_subheadings:
        return "summary" if _REPORTS_SPEAKERS.match(str(paragraph.text).lstrip()) else "recommendation"
    if chapter and title_kind(chapter) == "summary" and chapter not in chapters_with_subheadings:
        return "summary"  # "III. Summary of deliberations" with thematic sections "A. ...", "B. ..."
    return "other"


def chapters_with_kind_subheadings(paragraphs: list[Paragraph]) -> set[str]:
    chapters = set()
    for paragraph in paragraphs:
        chapter = next((h.title for h in paragraph.headings if h.level == 1), None)
        if chapter and any(h.level > 1 and title_kind(h.title) for h in paragraph.headings):
            chapters.add(chapter)
    return chapters
