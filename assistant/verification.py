"""Check every citation of a generated answer against the retrieved units, in code.

The model's output is never trusted. Sentence by sentence:

- a citation of a retrieved unit is kept;
- a citation of a paragraph when only its sub-items were retrieved (or of a sub-item when only
  its paragraph was retrieved) is normalised to what was retrieved;
- any other citation is re-attributed to the retrieved unit that best supports the sentence
  when that support reaches `repair_threshold`, otherwise removed;
- a factual sentence left without a citation gets the best-supporting retrieved unit when the
  support is strong (`attach_threshold`, stricter than repair because nothing in the model's
  output pointed there), otherwise it is flagged in the text;
- paragraph references written in running text ("第120段", "paragraph 120", "第24至26段",
  "24(a)-(z)", "A/CONF.241/RPM.2/2#99", "Kyoto Declaration, para. 36") are read by the one
  grammar (`vectorstore.references`: ranges expanded, Chinese numerals, zero-width and
  full-width characters read through) and kept only when every paragraph they name was
  retrieved or they are part of a verbatim quote of one; others are replaced by a notice, so
  no answer shows a paragraph number that is not in the store;
- a source number the prompt did not give ("[7]") is removed.

Support is lexical overlap (Chinese character bigrams, English words): the share of the
sentence's tokens found in the unit. When the sentence and the sources are in different
languages (English answer over Chinese reports) lexical overlap is meaningless, so an
`embeddings` object (LangChain `Embeddings`, the multilingual e5 of the store) scores support.
Every change is reported in `corrections`, in the answer's language.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

from assistant.citations import Citation, Mention, find_markers, find_mentions, marker
from assistant.language import detect_language
from vectorstore.text_cleaning import clean_text
from vectorstore.units import Unit

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_WORD = re.compile(r"[A-Za-z]{2,}|\d+")
_EN_STOPWORDS = frozenset(
    "the of and to in a an for on with by as at is are was were be been that this these those it "
    "its from or which who also their other such including not have has had should would could "
    "can may will all any more most well into through between among about per".split()
)
_ZH_STOP_BIGRAMS = frozenset({"的是", "在这", "这方", "方面", "以及", "并且", "其他", "包括", "有关", "关于"})

MAX_ROUNDS = 8  # re-reading the whole answer for references that removals revealed (see below)
LEXICAL_REPAIR = 0.35  # share of the sentence's tokens found in the unit
LEXICAL_ATTACH = 0.6
# multilingual-e5-small cosine similarity, measured on the built-in corpus: English paraphrases
# of five Chinese paragraphs score 0.832-0.854 against their paragraph, while the 10th-best
# paragraph scores 0.80-0.82 and the median one 0.77-0.80. Cross-language support is therefore
# coarse: repair needs 0.83, attaching a citation to an uncited sentence needs 0.84.
EMBEDDING_REPAIR = 0.83
EMBEDDING_ATTACH = 0.84

# placeholders for markers while splitting sentences: one private-use char each (clean_text
# removes private-use characters from the answer first, so none can be forged)
_MARK = 0xE000
_MARKS = re.compile("[\ue000-\uefff]")
_TERMINATORS = "。！？!?；;"
_CLOSERS = "”’」』\"')）"
_ABBREVIATIONS = ("para", "paras", "e.g", "i.e", "No", "Mr", "Ms", "Dr", "etc", "vs")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)、]|[（(]?[a-z][)）])\s*")
_NON_CLAIM = re.compile(
    r"没有(?:找到|提及|涉及|包含|相关)|未(?:提及|涉及|找到)|不包含|无法回答|以下|如下"
    r"|not (?:contain|mention|address|found)|no (?:information|relevant)|cannot answer|as follows|below",
    re.IGNORECASE,
)

# a source number no marker resolved: "[7]", "【来源3】", "[2, 9]"
_SOURCE_NUMBER = re.compile(
    r"[\[【［〔]\s*(?:来源|资料|sources?|src)?\s*#?\s*\d{1,3}(?:\s*[,，、;；]\s*\d{1,3})*\s*[\]】］〕]",
    re.IGNORECASE,
)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)

FLAG = {"zh": "（未找到支持此句的段落）", "en": " (no supporting paragraph found)"}
REMOVED_NUMBER = {"zh": "（段落编号已删除）", "en": "(paragraph number removed)"}
# what verification writes into an answer: nothing may be inserted inside one, and they are no claim
_NOTICE = re.compile("|".join(re.escape(n.strip()) for n in (*FLAG.values(), *REMOVED_NUMBER.values())))


def lexical_tokens(text: str) -> set[str]:
    """Chinese character bigrams plus lower-case English words and numbers."""
    tokens = set()
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            tokens.add(run)
        tokens.update(run[i:i + 2] for i in range(len(run) - 1))
    tokens -= _ZH_STOP_BIGRAMS
    tokens.update(w.lower() for w in _WORD.findall(text) if w.lower() not in _EN_STOPWORDS)
    return tokens


def lexical_support(sentence: str, text: str) -> float:
    """Share of the sentence's tokens that occur in `text` (0..1)."""
    mine = lexical_tokens(sentence)
    return len(mine & lexical_tokens(text)) / len(mine) if mine else 0.0


@dataclass
class Verification:
    text: str
    cited: list[Unit]
    corrections: list[str] = field(default_factory=list)


class SupportScorer:
    """How well each retrieved unit supports a sentence, with the thresholds that go with it."""

    def __init__(self, embeddings=None):
        self.embeddings = embeddings
        self._unit_vectors: dict[str, list[float]] = {}

    def score(self, sentence: str, units: list[Unit]) -> tuple[list[float], float, float]:
        """(scores, repair threshold, attach threshold) for `sentence` against `units`."""
        cross_language = any(detect_language(sentence, default=u.language) != u.language for u in units)
        if cross_language and self.embeddings is not None:
            return self._embedding_scores(sentence, units), EMBEDDING_REPAIR, EMBEDDING_ATTACH
        return [lexical_support(sentence, u.text) for u in units], LEXICAL_REPAIR, LEXICAL_ATTACH

    def _embedding_scores(self, sentence: str, units: list[Unit]) -> list[float]:
        missing = [u for u in units if u.id not in self._unit_vectors]
        if missing:
            vectors = self.embeddings.embed_documents([u.text for u in missing])
            self._unit_vectors.update({u.id: v for u, v in zip(missing, vectors, strict=True)})
        query = self.embeddings.embed_query(sentence)
        return [_cosine(query, self._unit_vectors[u.id]) for u in units]


def verify_answer(text: str, retrieved: list[Unit], language: str, *,
                  sources: list[str] | None = None, known_ids: set[str] | None = None,
                  scorer: SupportScorer | None = None) -> Verification:
    """Verify `text` (model output with markers) against `retrieved`; see the module docstring.

    `sources` are the unit ids in the order the prompt numbered them (resolves `[2]`);
    `known_ids` (all unit ids in the store) only sharpens the wording of corrections.
    """
    return _Verifier(retrieved, language, sources, known_ids, scorer or SupportScorer()).run(text)


class _Verifier:
    def __init__(self, retrieved, language, sources, known_ids, scorer):
        self.units = list({u.id: u for u in retrieved}.values())
        self.by_id = {u.id: u for u in self.units}
        self.language = language
        self.sources = sources
        self.known_ids = known_ids
        self.scorer = scorer
        symbols = {u.symbol for u in self.units}
        self.default_symbol = next(iter(symbols)) if len(symbols) == 1 else None
        self.symbols = symbols
        # what running text may name: retrieved documents (with their aliases) and stored symbols
        stored = {uid.split("#", 1)[0] for uid in known_ids or ()}
        self.documents = {**dict.fromkeys(stored, {}), **{u.symbol: u for u in self.units}}
        self.corrections: list[str] = []
        self.cited: dict[str, Unit] = {}

    def run(self, text: str) -> Verification:
        text = self._without_markup(clean_text(text))  # "第9\u200b9段" is 第99段
        markers = find_markers(text, self.default_symbol, self.sources, self.symbols)
        # Replace markers by one placeholder character each so sentences split cleanly.
        chunks, pos = [], 0
        for i, m in enumerate(markers):
            chunks += [self._without_source_numbers(text[pos:m.start]), chr(_MARK + i)]
            pos = m.end
        chunks.append(self._without_source_numbers(text[pos:]))
        flat = "".join(chunks)
        out = [self._sentence(s, markers) for s in split_sentences(flat)]
        text = self._without_unverified_numbers("".join(out))
        return Verification(text, list(self.cited.values()), _unique(self.corrections))

    def _without_unverified_numbers(self, text: str) -> str:
        """The answer as a reader reads it, with every paragraph reference it still shows outside
        the verified markers checked again, until none is left that was not retrieved.

        Sentence by sentence is not enough: removing "para. 99" from "para. 99A/CONF…#99" reveals
        the unit id glued to it, a sentence split can cut "paragraph.\n99" in two, and tidying
        spaces can join pieces. Each round replaces references (each has a number) by notices
        (which have none), so the loop ends; one round is usually all it takes. Text built so
        that each removal reveals one more reference would take a round per reference: after
        `MAX_ROUNDS` the answer ends at the first reference still unverified (bounded work).
        """
        for round_ in itertools.count(1):
            text = _tidy(text)
            masked = self._masked_markers(text)
            unverified = [m for m in self._all_mentions(masked) if not self._verified(masked, m)]
            if not unverified:
                return text
            if round_ > MAX_ROUNDS:
                self._note("truncated", text[unverified[0].start:unverified[0].end])
                unverified = [Mention(unverified[0].start, len(text), [])]
            for mention in reversed(unverified):
                if mention.citations:
                    self._note("mention", text[mention.start:mention.end])
                text = text[:mention.start] + REMOVED_NUMBER[self.language] + text[mention.end:]

    def _masked_markers(self, text: str) -> str:
        """`text` with each verified marker replaced by placeholders of the same length."""
        out, pos = [], 0
        for m in find_markers(text):
            if all(c.unit_id in self.by_id for c in m.citations):
                out += [text[pos:m.start], chr(_MARK) * (m.end - m.start)]
                pos = m.end
        out.append(text[pos:])
        return "".join(out)

    def _without_markup(self, text: str) -> str:
        """Answers are plain text: HTML tags (e.g. asked for by a document) are removed."""
        cleaned = _HTML_TAG.sub("", text)
        if cleaned != text:
            self.corrections.append("已删除回答中的 HTML 标记" if self.language == "zh"
                                    else "removed HTML markup from the answer")
        return cleaned

    def _without_source_numbers(self, text: str) -> str:
        """Source numbers left after marker parsing name no source given to the model."""
        def drop(m: re.Match) -> str:
            self._note("source", m.group())
            return ""
        return _SOURCE_NUMBER.sub(drop, text)

    # -- one sentence -------------------------------------------------------------------------
    def _sentence(self, sentence: str, markers) -> str:
        claimed = [c for ch in sentence if _is_mark(ch) for c in markers[ord(ch) - _MARK].citations]
        sentence, mentioned = self._mentions(sentence)
        body = _without_marks(sentence)
        words = _NOTICE.sub(" ", body)  # what the sentence says, without verification's notices
        cited: list[Unit] = []
        for unit in [self._check(c, words) for c in claimed] + mentioned:
            if unit and unit not in cited:
                cited.append(unit)
        claim = _is_claim(words)
        if not cited and claim:
            cited = self._attach(words)
        for unit in cited:
            self.cited.setdefault(unit.id, unit)
        new_marker = marker(cited) or (FLAG[self.language] if claim else "")
        first = next((i for i, ch in enumerate(sentence) if _is_mark(ch)), None)
        if first is None:
            return _insert_before_end(body, new_marker) if new_marker else body
        # The verified marker goes where the model put its first marker.
        return _without_marks(sentence[:first]) + new_marker + _without_marks(sentence[first:])

    def _check(self, citation: Citation, sentence: str) -> Unit | None:
        """The retrieved unit a citation stands for after verification, or None (removed)."""
        if citation.unit_id in self.by_id:
            return self.by_id[citation.unit_id]
        candidates = self._same_paragraph(citation)
        if candidates:
            best = self._best(sentence, candidates)[0]
            if best.ref != citation.ref:
                self._note("normalised", citation, best)
            return best
        best, score, repair, _ = self._best_with_thresholds(sentence, self.units)
        if best is not None and score >= repair:
            self._note("repaired", citation, best)
            return best
        self._note("removed", citation)
        return None

    def _same_paragraph(self, citation: Citation) -> list[Unit]:
        """Retrieved units of the cited paragraph: its sub-items, or the paragraph of a sub-item.

        With no symbol (several documents in context), units of that paragraph in any document.
        """
        same = [u for u in self.units if _same_place(u, citation)
                and (citation.symbol is None or u.symbol == citation.symbol)]
        exact = [u for u in same if u.item == citation.item]
        if citation.symbol is None and len({u.symbol for u in same}) > 1 and not citation.item:
            return same  # which document is meant: the supporting unit decides
        if exact:
            return exact
        if citation.item:
            return [u for u in same if u.item is None]
        return same

    def _mentions(self, sentence: str) -> tuple[str, list[Unit]]:
        """Check paragraph numbers written in running text; returns the new sentence and units."""
        units: list[Unit] = []
        out, pos = [], 0
        for mention in self._all_mentions(sentence):
            resolved = [self._resolve_mention(c) for c in mention.citations]
            if all(ok for ok, _ in resolved):
                units += [u for _, exact in resolved for u in exact]
                continue
            if self._quoted_and_real(sentence, mention):
                continue  # verbatim source text naming a paragraph that exists (or another document)
            out += [sentence[pos:mention.start], REMOVED_NUMBER[self.language]]
            pos = mention.end
            self._note("mention", sentence[mention.start:mention.end])
        out.append(sentence[pos:])
        return "".join(out), units

    def _verified(self, text: str, mention: Mention) -> bool:
        """Does every paragraph the mention names exist among the retrieved units (or is it a quote)?"""
        return all(ok for ok, _ in map(self._resolve_mention, mention.citations)) or \
            self._quoted_and_real(text, mention)

    def _all_mentions(self, sentence: str) -> list[Mention]:
        """Paragraph references in running text, read by the one grammar; a region or congress
        ("拉美报告第24段") names the retrieved document of that region or congress.

        A marker placeholder is a private-use character, which the grammar reads through as
        invisible; here it stands for a bracketed marker, so the grammar sees a bracket.
        """
        mentions = find_mentions(_MARKS.sub("[", sentence), self.documents)
        for mention in mentions:
            mention.citations = [Citation.from_reference(r, self._symbol_of(r.region, r.congress))
                                 for r in mention.references]
        return mentions

    def _symbol_of(self, region: str | None, congress: int | None) -> str | None:
        if not (region or congress):
            return None
        symbols = {u.symbol for u in self.units if (not region or u.region == region)
                   and (not congress or u.congress == congress)}
        return symbols.pop() if len(symbols) == 1 else None

    def _resolve_mention(self, citation: Citation) -> tuple[bool, list[Unit]]:
        """(whether a retrieved unit has this number, the retrieved unit it names exactly).

        "第24段" is true when only sub-items of 24 were retrieved, but cites none of them.
        """
        symbol = citation.symbol or self.default_symbol
        hits = [u for u in self.units if _same_place(u, citation)
                and (symbol is None or u.symbol == symbol)
                and (citation.item is None or u.item == citation.item)]
        if symbol is None and len({u.symbol for u in hits}) > 1:
            return False, []  # ambiguous between documents
        return bool(hits), [u for u in hits if u.item == citation.item]

    def _quoted_and_real(self, sentence: str, mention) -> bool:
        """Is the mention part of a verbatim quote, naming another document or a stored paragraph?

        Reports cite other documents ("（E/CN.15/2007/6，第 23 段）"): such quotes stay as they are.
        A number without a symbol is read in the quoted unit's document and must exist in the store.
        """
        unit = self._quoting_unit(sentence, mention.start, mention.end)
        if unit is None:
            return False
        known = self.known_ids if self.known_ids is not None else set(self.by_id)
        for citation in mention.citations:
            if citation.symbol and citation.symbol not in self.symbols and \
                    not any(uid.startswith(citation.symbol + "#") for uid in known):
                continue  # another document, not in the store: a reference, not a citation
            if citation.with_symbol(citation.symbol or unit.symbol).unit_id not in known:
                return False
        return True

    def _quoting_unit(self, sentence: str, start: int, end: int) -> Unit | None:
        """The retrieved unit whose text contains the mention with 6 characters of context."""
        for before, after in ((6, 0), (0, 6)):
            window = re.sub(r"\s+", "", _without_marks(sentence[max(0, start - before):end + after]))
            for unit in self.units:
                if window in re.sub(r"\s+", "", unit.text):
                    return unit
        return None

    def _attach(self, body: str) -> list[Unit]:
        best, score, _, attach = self._best_with_thresholds(body, self.units)
        if best is not None and score >= attach:
            self._note("added", best, snippet=body)
            return [best]
        self._note("flagged", snippet=body)
        return []

    def _best(self, sentence: str, units: list[Unit]) -> tuple[Unit | None, float]:
        best, score, _, _ = self._best_with_thresholds(sentence, units)
        return best, score

    def _best_with_thresholds(self, sentence: str, units: list[Unit]):
        if not units:
            return None, 0.0, 1.0, 1.0
        scores, repair, attach = self.scorer.score(sentence, units)
        i = max(range(len(units)), key=scores.__getitem__)
        return units[i], scores[i], repair, attach

    # -- corrections ------------------------------------------------------------------------
    def _note(self, kind: str, old=None, new: Unit | None = None, snippet: str = "") -> None:
        zh = self.language == "zh"
        old_label = old.label(self.language) if isinstance(old, Citation) else old
        new_label = Citation.of(new).label(self.language) if new else ""
        why = self._why_missing(old) if isinstance(old, Citation) else ""
        snippet = _shorten(snippet)
        if kind == "removed":
            msg = f"已删除对 {old_label} 的引用（{why}）" if zh else \
                f"removed citation to {old_label} ({why})"
        elif kind == "repaired":
            msg = f"已将对 {old_label} 的引用改为 {new_label}（{why}；{new_label} 最能支持该句）" if zh \
                else f"re-attributed citation {old_label} to {new_label} ({why}; " \
                     f"{new_label} best supports the sentence)"
        elif kind == "normalised":
            msg = f"已将引用 {old_label} 规范为检索到的 {new_label}" if zh else \
                f"normalised citation {old_label} to the retrieved {new_label}"
        elif kind == "added":
            new_label = Citation.of(old).label(self.language)
            msg = f"为无引文的句子补充了引用 {new_label}：“{snippet}”" if zh else \
                f"added citation {new_label} to an uncited sentence: “{snippet}”"
        elif kind == "flagged":
            msg = f"没有检索到的段落支持此句，已标注：“{snippet}”" if zh else \
                f"no retrieved paragraph supports this sentence (flagged): “{snippet}”"
        elif kind == "source":
            msg = f"已删除无对应来源的来源编号“{old}”" if zh else \
                f"removed the source number “{old}” (no such source was given)"
        elif kind == "truncated":
            msg = f"回答在无法核实的段落编号“{old}”处截断" if zh else \
                f"cut the answer at the paragraph number “{old}”, which could not be verified"
        else:  # a paragraph number in running text
            msg = f"已删除正文中的段落编号“{old_label}”（不在检索到的段落中）" if zh else \
                f"removed the paragraph number “{old_label}” from the text (not in the retrieved paragraphs)"
        self.corrections.append(msg)

    def _why_missing(self, citation: Citation) -> str:
        zh = self.language == "zh"
        uid = citation.unit_id
        if self.known_ids is not None and uid and uid not in self.known_ids:
            return "文件库中没有该段落" if zh else "no such paragraph in the store"
        return "不在检索到的段落中" if zh else "not in the retrieved paragraphs"


def _same_place(unit: Unit, citation: Citation) -> bool:
    """Same paragraph number in the same part (body, annex, ...), both preambular or neither."""
    return (unit.paragraph, unit.part, unit.preamble) == \
        (citation.paragraph, citation.part, citation.preamble)


def split_sentences(text: str) -> list[str]:
    """Split into sentences, keeping every character (joined, they give `text` back).

    A sentence keeps the closing quotes, spaces and marker placeholders that follow its
    terminator, so `…合作。[marker]` cites the sentence it follows.
    """
    sentences, start, i, n = [], 0, 0, len(text)
    while i < n:
        ch = text[i]
        end = None
        if ch == "\n":
            end = i + 1
        elif ch in _TERMINATORS or ch == "." and _ends_english_sentence(text, i):
            end = i + 1
            while end < n and (text[end] in _CLOSERS or _is_mark(text[end])
                               or text[end] in " \t" and _mark_follows(text, end)):
                end += 1
            if end < n and text[end] == "\n":
                end += 1  # the line break ends this sentence too
        if end is None:
            i += 1
            continue
        sentences.append(text[start:end])
        start = i = end
    if start < n:
        sentences.append(text[start:])
    return sentences


def _ends_english_sentence(text: str, i: int) -> bool:
    if i + 1 < len(text) and not (text[i + 1].isspace() or _is_mark(text[i + 1])):
        return False  # A/CONF.241, 3.5, e.g.
    before = text[max(0, i - 5):i]
    return not any(before.endswith(a) for a in _ABBREVIATIONS)


def _mark_follows(text: str, i: int) -> bool:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i < len(text) and _is_mark(text[i])


def _without_marks(text: str) -> str:
    return "".join(ch for ch in text if not _is_mark(ch))


def _is_mark(ch: str) -> bool:
    return _MARK <= ord(ch) < _MARK + 0x1000


def _is_claim(body: str) -> bool:
    """A sentence that states something about the reports and therefore needs a citation."""
    core = _BULLET.sub("", body).strip()
    if not core or core.startswith("#") or core.rstrip().endswith((":", "：")):
        return False
    if _NON_CLAIM.search(core):
        return False
    chinese = len(re.findall(r"[\u4e00-\u9fff]", core))
    return chinese >= 8 or len(re.findall(r"[A-Za-z]+", core)) >= 6


def _insert_before_end(sentence: str, addition: str) -> str:
    """Put `addition` before the sentence's final punctuation and trailing whitespace (never
    inside a notice ending the sentence: its closing bracket is not the sentence's)."""
    m = re.search(r"[。！？!?；;.]?[”’」』\"')）]*\s*$", sentence)
    cut = m.start() if m else len(sentence)
    cut = max([cut] + [n.end() for n in _NOTICE.finditer(sentence) if n.start() < cut < n.end()])
    head = sentence[:cut]
    if addition.startswith("[") and head and head[-1].isascii() and not head[-1].isspace():
        addition = " " + addition
    return head + addition + sentence[cut:]


def _tidy(text: str) -> str:
    text = re.sub(r"(?<![ \t])[ \t]+(?=[。，；：！？.,;:!?])", "", text)  # from a run's start only: linear
    return re.sub(r"[ \t]{2,}", " ", text)


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _cosine(a, b) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
