"""Attributed statements: the output format of a model answer, its constraints and its parser.

A model answer is a JSON object

    {"lead": {"sources": [1, 3], "text": "..."},          (optional, one sentence)
     "statements": [{"source": 2, "text": "..."}, ...]}

where every number is the position of a source in the prompt's numbered list. The citation of
a statement is the source it is bound to, never a similarity guess.

- `OutputSpec` describes one answer's constraints (how many sources, how many statements,
  the answer language) and gives them as a GBNF grammar (llama.cpp) and as a JSON schema
  (OpenAI-compatible `response_format`). English answers exclude CJK characters in both, and
  neither allows `\\u` escapes (which could smuggle them back).
- `StatementParser` reads the streamed JSON incrementally and hands out each statement as soon
  as its object is complete. When a server ignored the schema it also reads lines such as
  `[2] text` or `text [2]` (`parse_loose`).
- `RepetitionGuard` notices degenerate output ("- - - - …", one phrase over and over) so the
  chain can stop generation early and say so.
- `strip_special_tokens` removes chat-template tokens (`<|im_start|>`, …) from text that goes
  into a prompt: llama.cpp tokenizes prompts with special tokens enabled, so such a string in a
  document would otherwise become a real role switch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from vectorstore.units import Unit

# Chat-template control tokens of the model families we run (Qwen/ChatML, Llama, Mistral, Gemma).
_SPECIAL_TOKEN = re.compile(
    r"<\|[A-Za-z_][A-Za-z0-9_\-]*\|>|<\|(?:im_start|im_end|endoftext)|"
    r"</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>",
)
# CJK ideographs, kana, hangul, CJK punctuation and full-width forms: none belongs in English text.
CJK_RANGES = ((0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
              (0x20000, 0x2FA1F))
_CJK = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in CJK_RANGES) + "]")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")


def strip_special_tokens(text: str) -> str:
    """`text` without chat-template control tokens (see the module docstring)."""
    return _SPECIAL_TOKEN.sub(" ", text)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def clean_statement_text(text: str) -> str:
    """Plain text: no HTML tags, Markdown links/images reduced to their label, no special tokens."""
    text = strip_special_tokens(_HTML_TAG.sub("", text))
    text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
    return " ".join(text.split())


@dataclass
class Statement:
    """One sentence of an answer and the prompt sources it restates (1-based)."""

    text: str
    sources: list[int]
    lead: bool = False
    units: list[Unit] = field(default_factory=list)  # the bound sources, resolved by the chain
    supported: bool | None = None  # None: not checked
    support: str = ""  # how the support check decided ("lexical 0.62", "rendering 0.48", ...)


@dataclass(frozen=True)
class OutputSpec:
    """The constraints of one structured answer."""

    n_sources: int
    language: str  # "zh" | "en"
    max_statements: int = 5
    lead: bool = True
    max_lead_sources: int = 3
    prefix: str = ""  # every statement starts with this ("We commit to"), forced by the grammar

    @property
    def lead_in(self) -> str:
        """The forced start of every statement: "We commit to " / "我们承诺" (or "")."""
        return self.prefix + (" " if self.prefix and self.language == "en" else "")

    def grammar(self) -> str:
        """GBNF for llama.cpp: source numbers 1..n_sources, statement count, answer alphabet."""
        numbers = " | ".join(f'"{n}"' for n in range(1, max(1, self.n_sources) + 1))
        more = max(0, self.max_statements - 1)
        lead_rule = ('lead ::= "{\\"sources\\": [" source ("," " "? source)'
                     f'{{0,{self.max_lead_sources - 1}}} "], \\"text\\": " string "}}"')
        root = ('root ::= "{" ' + ('("\\"lead\\": " lead ", ")? ' if self.lead else "")
                + f'"\\"statements\\": [" (statement (", " statement){{0,{more}}})? "]}}"')
        excluded = "".join(f"\\U{a:08X}-\\U{b:08X}" for a, b in CJK_RANGES) if self.language == "en" else ""
        return "\n".join([
            root,
            lead_rule if self.lead else "",
            'statement ::= "{\\"source\\": " source ", \\"text\\": " '
            + ("prefixed" if self.prefix else "string") + ' "}"',
            f'prefixed ::= "\\"{_gbnf_literal(self.lead_in)}" char+ "\\""' if self.prefix else "",
            f"source ::= {numbers}",
            'string ::= "\\"" char+ "\\""',
            # No control characters, no \\u escapes; English: no CJK either.
            f'char ::= [^"\\\\\\x00-\\x1F\\x7F{excluded}] | "\\\\" ["\\\\/nt]',
        ]) + "\n"

    def json_schema(self) -> dict:
        """The same constraints as a JSON schema (for `response_format`)."""
        body = ".*"
        if self.language == "en":  # literal characters: every regex dialect reads them the same
            body = "[^" + "".join(f"{chr(a)}-{chr(b)}" for a, b in CJK_RANGES if b <= 0xFFFF) + "]*"
        text = {"type": "string", "minLength": 1, "pattern": f"^{body}$"}
        # The prefix is plain words ("We commit to"): no regex escaping needed.
        statement_text = {**text, "pattern": f"^{self.lead_in}{body}$"} if self.prefix else text
        source = {"type": "integer", "enum": list(range(1, max(1, self.n_sources) + 1))}
        statement = {"type": "object", "properties": {"source": source, "text": statement_text},
                     "required": ["source", "text"], "additionalProperties": False}
        properties = {"statements": {"type": "array", "items": statement, "minItems": 0,
                                     "maxItems": self.max_statements}}
        if self.lead:
            properties = {"lead": {"type": "object", "properties": {
                "sources": {"type": "array", "items": source, "minItems": 1,
                            "maxItems": self.max_lead_sources},
                "text": text}, "required": ["sources", "text"], "additionalProperties": False},
                **properties}
        return {"type": "object", "properties": properties, "required": ["statements"],
                "additionalProperties": False}


class StatementParser:
    """Incremental reader of the JSON answer: `feed(chunk)` returns the statements just completed."""

    def __init__(self, spec: OutputSpec):
        self.spec = spec
        self.text = ""
        self._decoder = json.JSONDecoder()
        self._lead_done = False
        self._array_at: int | None = None  # index just after the "[" of "statements"
        self._pos = 0  # next unread index inside the statements array
        self.count = 0
        self.seen = 0  # statement objects read, valid or not
        self.closed = False  # the statements array has been closed

    def feed(self, chunk: str) -> list[Statement]:
        self.text += chunk
        found = []
        if not self._lead_done:
            lead = self._lead()
            if lead is not None:
                self._lead_done = True
                if lead.text:
                    found.append(lead)
        if self._array_at is None:
            m = re.search(r'"statements"\s*:\s*\[', self.text)
            if not m:
                return found
            self._array_at = self._pos = m.end()
        while True:
            item = self._next_object()
            if item is None:
                return found
            statement = self._statement(item)
            if statement is not None:
                found.append(statement)

    def _lead(self) -> Statement | None:
        """The lead once its object is complete (an empty Statement if it is unusable), else None."""
        m = re.search(r'"lead"\s*:\s*', self.text)
        if not m:
            return None
        try:
            value, _ = self._decoder.raw_decode(self.text, m.end())
        except json.JSONDecodeError:
            return None
        value = value if isinstance(value, dict) else {}
        sources = [n for n in _ints(value.get("sources")) if 1 <= n <= self.spec.n_sources]
        text = clean_statement_text(str(value.get("text", "")))
        if not (sources and text):
            return Statement("", [], lead=True)
        return Statement(text, _unique(sources), lead=True)

    def _next_object(self) -> dict | None:
        i = self._pos
        while i < len(self.text) and self.text[i] in " \t\r\n,":
            i += 1
        if i < len(self.text) and self.text[i] == "]":
            self.closed = True
            return None
        if i >= len(self.text):
            return None
        try:
            value, end = self._decoder.raw_decode(self.text, i)
        except json.JSONDecodeError:
            return None  # incomplete: wait for more text
        self._pos = end
        self.seen += 1
        return value if isinstance(value, dict) else {}

    def _statement(self, item: dict) -> Statement | None:
        if self.count >= self.spec.max_statements:
            return None
        sources = [n for n in _ints(item.get("source")) if 1 <= n <= self.spec.n_sources]
        text = clean_statement_text(str(item.get("text", "")))
        if not sources or not text:
            return None
        self.count += 1
        return Statement(text, sources[:1])

    @property
    def declined(self) -> bool:
        """The model closed an empty list: it found nothing in the sources that answers."""
        return self.closed and self.seen == 0

    def finish(self) -> list[Statement]:
        """What the stream left: a lead written after the statements, or a non-JSON answer."""
        found = []
        if not self._lead_done:
            self._lead_done = True
            lead = self._lead()
            if lead is not None and lead.text:
                found.append(lead)
        if self._array_at is None and not found:
            found += parse_loose(self.text, self.spec)
        elif self._array_at is not None:
            cut = self._truncated()
            if cut is not None:
                found.append(cut)
        return found

    def _truncated(self) -> Statement | None:
        """The last statement when generation stopped inside it (token limit), cut after its last
        complete sentence; None if no complete sentence was written."""
        m = _PARTIAL.match(self.text, self._pos)
        if not m or self.count >= self.spec.max_statements:
            return None
        try:
            text = json.loads('"' + m["text"].rstrip("\\") + '"')
        except json.JSONDecodeError:
            return None
        end = max(text.rfind(t) for t in "。；;！？!?.")
        text = clean_statement_text(text[:end + 1]) if end > 0 else ""
        sources = [n for n in _ints(m["source"]) if 1 <= n <= self.spec.n_sources]
        if not text or not sources:
            return None
        self.count += 1
        return Statement(text, sources)


_PARTIAL = re.compile(r'[\s,]*\{\s*"source"\s*:\s*(?P<source>\d{1,2})\s*,\s*"text"\s*:\s*"'
                      r'(?P<text>(?:[^"\\]|\\.)*)$')

# "[2] text", "2. [2] text", "text [2]", "text [来源2]", "- text (source 2)"
_LOOSE_LEADING = re.compile(r"^\s*(?:[-*•]\s*)?(?:\d+[.)]\s*)?"
                            r"[\[【(（]\s*(?:来源|source\s*)?(?P<n>\d{1,2})\s*[\]】)）]\s*(?P<text>.+)$",
                            re.IGNORECASE)
_LOOSE_TRAILING = re.compile(r"^\s*(?:[-*•]\s*|\d+[.)]\s+)?(?P<text>.+?)\s*[\[【(（]\s*(?:来源|source\s*)?"
                             r"(?P<n>\d{1,2})\s*[\]】)）]\s*[。.]?\s*$", re.IGNORECASE)


def parse_loose(text: str, spec: OutputSpec) -> list[Statement]:
    """Statements from plain lines that cite a source number (a server that ignored the schema)."""
    found = []
    for line in text.splitlines():
        m = _LOOSE_LEADING.match(line) or _LOOSE_TRAILING.match(line)
        if not m:
            continue
        n, body = int(m["n"]), clean_statement_text(m["text"])
        if 1 <= n <= spec.n_sources and body and len(found) < spec.max_statements:
            found.append(Statement(body, [n]))
    return found


class RepetitionGuard:
    """Detects degenerate generation: a short pattern repeated over the tail of the output."""

    def __init__(self, window: int = 120, max_period: int = 24, min_repeats: int = 6):
        self.window = window
        self.max_period = max_period
        self.min_repeats = min_repeats

    def degenerate(self, text: str) -> bool:
        tail = text[-self.window:]
        if len(tail) < self.window:
            return False
        squeezed = re.sub(r"\s+", " ", tail)
        for period in range(1, self.max_period + 1):
            unit = squeezed[-period:]
            if unit.strip() and squeezed.endswith(unit * self.min_repeats) and \
                    len(unit * self.min_repeats) >= min(len(squeezed), 60):
                return True
        return False


def repeated_statement(statement: Statement, earlier: list[Statement]) -> bool:
    """The same sentence again (small models loop on their last statement)."""
    key = re.sub(r"\W+", "", statement.text.lower())
    return any(re.sub(r"\W+", "", s.text.lower()) == key for s in earlier)


def low_diversity(text: str) -> bool:
    """A statement made mostly of one repeated token ("- - - -", "the the the")."""
    tokens = re.findall(r"\w+|[^\w\s]", text)
    return len(tokens) >= 12 and len(set(tokens)) / len(tokens) < 0.25


def _gbnf_literal(text: str) -> str:
    """`text` inside a GBNF string literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _ints(value) -> list[int]:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            out.append(v)
        elif isinstance(v, str) and v.strip().isdigit():
            out.append(int(v.strip()))
    return out


def _unique(values: list[int]) -> list[int]:
    return list(dict.fromkeys(values))
