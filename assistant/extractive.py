"""Model-free answers: the retrieved units' most relevant sentences, quoted verbatim and cited.

Always available (no model, no network), and the fallback when a model backend fails. The
answer is in the reader's language: a unit in the other language is quoted from its rendering
(vectorstore/renderings.py: official, or an unofficial machine translation, which the answer
says), and its original stays one click away in the sources panel and the citation. A unit
whose rendering is still pending is quoted in its original language, and the answer says so:
"The Latin American and Caribbean report (A/CONF.241/RPM.2/2) recommends: “…” [marker]".
Lookup answers (a paragraph quoted in full with its metadata) are built here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.citations import marker
from assistant.verification import lexical_tokens
from vectorstore.renderings import Rendering, renderings_for
from vectorstore.terms import load_terms
from vectorstore.units import Unit, resolution_number
from vectorstore.wording import congress_name, reader_language, region_adjective, region_name, say

KIND_LABEL = {
    "zh": {"recommendation": "建议", "summary": "审议情况概要", "other": "其他", "preamble": "序言部分"},
    "en": {"recommendation": "recommendation", "summary": "summary of deliberations", "other": "other",
           "preamble": "preamble"},
}
_VERB = {
    "zh": {"recommendation": "建议", "summary": "指出", "other": "写道", "preamble": "写道"},
    "en": {"recommendation": "recommends", "summary": "notes", "other": "states", "preamble": "states"},
}
_SENTENCE_END = {"zh": r"(?<=[。；;！？])", "en": r"(?<=[.;])\s+"}
_TRAILING = "；;。.，,：: \n"


@dataclass(frozen=True)
class Reading:
    """What the reader is shown of a unit: its text or its rendering, and in which language."""

    text: str
    language: str
    rendering: Rendering | None = None  # set when `text` is a rendering


def readings(units: list[Unit], language: str,
             renderings: Mapping[str, Rendering] | None = None) -> dict[str, Reading]:
    """{unit id: Reading}: the rendering in the reader's language where the unit is in the other one.

    `renderings` defaults to the stored and shipped renderings (vectorstore.renderings).
    """
    foreign = [u for u in units if u.language != language]
    if renderings is None:
        renderings = renderings_for(foreign) if foreign else {}
    found = {}
    for unit in units:
        rendering = renderings.get(unit.id) if unit.language != language else None
        if rendering is not None and rendering.language == language:
            found[unit.id] = Reading(rendering.text, language, rendering)
        else:
            found[unit.id] = Reading(unit.text, unit.language)
    return found


def split_unit_sentences(text: str, language: str) -> list[str]:
    """Sentences of a unit's text (Chinese on 。；, English on . ;), trimmed of list dashes."""
    pattern = _SENTENCE_END[reader_language(language)]
    parts = [p.strip().lstrip("-–•· ").strip() for p in re.split(pattern, text)]
    return [p for p in parts if len(p.strip(_TRAILING)) >= 4]


def select_sentences(question: str, units: list[Unit], max_sentences: int = 4,
                     per_unit: int = 2, shown: Mapping[str, Reading] | None = None) -> list[tuple[Unit, str]]:
    """The sentences that best match the question, at most `per_unit` per unit, in unit order.

    `units` come best first from retrieval; when the question shares no words with the sources
    (another language) the retrieval order decides, first sentences first. `shown` gives the
    text to take sentences from (a rendering); by default the unit's own text.
    """
    question_tokens = lexical_tokens(question)
    scored = []
    for rank, unit in enumerate(units):
        reading = shown[unit.id] if shown else Reading(unit.text, unit.language)
        for position, sentence in enumerate(split_unit_sentences(reading.text, reading.language)):
            tokens = lexical_tokens(sentence)
            overlap = len(question_tokens & tokens) / len(question_tokens) if question_tokens else 0.0
            prior = 1.0 / (1 + rank) * 0.3 + 1.0 / (1 + position) * 0.05
            scored.append((overlap + prior, rank, position, unit, sentence))
    scored.sort(key=lambda s: -s[0])
    chosen, per = [], {}
    for _, rank, position, unit, sentence in scored:
        if per.get(unit.id, 0) >= per_unit:
            continue
        per[unit.id] = per.get(unit.id, 0) + 1
        chosen.append((rank, position, unit, sentence))
        if len(chosen) >= max_sentences:
            break
    chosen.sort(key=lambda c: (c[0], c[1]))
    return [(unit, sentence) for _, _, unit, sentence in chosen]


def document_name(unit: Unit, language: str) -> str:
    """What running text calls the unit's document, in the reader's language:
    - a regional meeting's report: "拉丁美洲和加勒比区域筹备会议报告（SYM）" / "The Latin American and
      Caribbean report (SYM)";
    - a declaration annexed to a resolution (a unit of the annex): "《京都宣言》（A/RES/76/181）" /
      "The Kyoto Declaration (A/RES/76/181)", its Chinese name from the official terms table;
    - a General Assembly resolution: "大会第76/181号决议" / "General Assembly resolution 76/181";
    - any other document: "文件 SYM" / "Document SYM".
    """
    if unit.region:
        if language == "zh":
            return f"{region_name(unit.region, 'zh')}区域筹备会议报告（{unit.symbol}）"
        return f"The {region_adjective(unit.region)} report ({unit.symbol})"
    if unit.part and unit.declaration:
        if language == "en":
            return f"The {unit.declaration} ({unit.symbol})"
        term = load_terms().lookup(unit.declaration, "en")
        if term is not None:
            return f"《{term.official('zh')}》（{unit.symbol}）"
    number = resolution_number(unit.symbol)
    if number:
        return say(language, zh=f"大会第{number}号决议", en=f"General Assembly resolution {number}")
    return say(language, zh=f"文件 {unit.symbol}", en=f"Document {unit.symbol}")


def quote_line(unit: Unit, sentence: str, language: str, framed: bool = True,
               reading: Reading | None = None) -> str:
    """One cited bullet: framing in the question's language, the quote verbatim. A quote from a
    machine rendering (`reading`) stating a figure its original does not carries a caution in its
    framing."""
    quote = sentence.strip().rstrip(_TRAILING)
    cite = marker([unit])
    rendering = reading.rendering if reading is not None else None
    caution = rendering.figures_caution(unit, quote, language) if rendering is not None else ""
    if not framed:
        lead = say(language, zh=f"（{caution}）：", en=f"({caution}): ") if caution else ""
        return say(language, zh=f"- {lead}“{quote}”{cite}", en=f"- {lead}“{quote}” {cite}")
    verb = _VERB[language][unit.kind if unit.kind in _VERB[language] else "other"]
    if caution:
        verb += say(language, zh=f"（{caution}）", en=f" ({caution})")
    if language == "zh":
        return f"- {document_name(unit, 'zh')}{verb}：“{quote}”{cite}"
    return f"- {document_name(unit, 'en')} {verb}: “{quote}” {cite}"


def _intro(units: list[Unit], language: str, zh_text: str, en_text: str,
           shown: Mapping[str, Reading] | None = None) -> str:
    """One framing line ending with a colon (framing states nothing that needs a citation).

    It says how the quotes relate to the originals: renderings (machine or official) or originals
    quoted in the other language where there is no rendering yet (being produced in the
    background after an upload, or `assistant translate` not run).
    """
    shown = shown or {}
    quoted = [shown.get(u.id, Reading(u.text, u.language)) for u in units]
    sources = {r.rendering.source for r in quoted if r.rendering}
    untranslated = any(r.language != language for r in quoted)
    notes = []
    if language == "zh":
        if "machine" in sources:
            notes.append("英文来源的引文为非官方机器翻译，原文见来源")
        if "official" in sources:
            notes.append("部分引文取自正式中文本")
        if untranslated:
            notes.append("部分来源尚无译文，引用原文")
        return zh_text.rstrip("：") + (f"（{'，'.join(notes)}）" if notes else "") + "："
    if "machine" in sources:
        notes.append("Chinese sources are quoted in an unofficial machine translation, "
                     "with the originals in the sources")
    if "official" in sources:
        notes.append("some quotes are from the official English version")
    if untranslated:
        notes.append("some sources are quoted in Chinese as they have no translation yet")
    # one clause ending with a colon: verification treats it as framing (a ';' would split it)
    return en_text + (f" ({', '.join(notes)})" if notes else "") + ":"


def ask_answer(question: str, units: list[Unit], language: str, max_sentences: int = 4,
               renderings: Mapping[str, Rendering] | None = None) -> str:
    shown = readings(units, language, renderings)
    chosen = select_sentences(question, units, max_sentences, shown=shown)
    intro = _intro(units, language, "以下是检索到的段落中与问题最相关的内容（原文摘录）：",
                   "The most relevant passages of the retrieved paragraphs", shown)
    return "\n".join([intro] + [quote_line(u, s, language, reading=shown[u.id]) for u, s in chosen])


def compare_answer(question: str, groups: list[tuple[str, list[Unit]]], language: str,
                   per_document: int = 3, renderings: Mapping[str, Rendering] | None = None) -> str:
    """`groups`: (symbol, its retrieved units) per document, in the order to present them."""
    all_units = [u for _, units in groups for u in units]
    shown = readings(all_units, language, renderings)
    reports = all(u.region for u in all_units)  # a declaration or resolution is not a "report"
    zh_kind, en_kind = ("报告", "report") if reports else ("文件", "document")
    lines = [_intro(all_units, language, f"各{zh_kind}的相关内容（原文摘录，按文件分组）：",
                    f"What each {en_kind} says, grouped by document", shown)]
    for symbol, units in groups:
        if units:
            lines.append("")
            lines.append(f"{document_name(units[0], language)}：" if language == "zh"
                         else f"{document_name(units[0], language)}:")
            lines += [quote_line(u, s, language, framed=False, reading=shown[u.id])
                      for u, s in select_sentences(question, units, per_document, per_unit=1, shown=shown)]
        else:
            lines.append("")
            # said as what it is (none of its closest paragraphs is an answer), not as a claim
            lines.append(f"{symbol}：检索到的段落均未涉及这一问题。" if language == "zh"
                         else f"{symbol}: the paragraphs retrieved from it do not address this.")
    return "\n".join(lines)


def draft_answer(question: str, units: list[Unit], language: str, max_bullets: int = 6,
                 renderings: Mapping[str, Rendering] | None = None) -> str:
    """Bullet points for a declaration input: recommendations first, each bullet cited."""
    ordered = [u for u in units if u.kind == "recommendation"] + \
              [u for u in units if u.kind != "recommendation"]
    shown = readings(units, language, renderings)
    chosen = select_sentences(question, ordered, max_bullets, per_unit=1, shown=shown)
    intro = _intro(units, language, "宣言草案要点（摘自报告的建议段落，原文照录）：",
                   "Points for a declaration input, taken from the reports' recommendations", shown)
    return "\n".join([intro] + [quote_line(u, s, language, reading=shown[u.id]) for u, s in chosen])


def lookup_answer(units: list[Unit], language: str,
                  renderings: Mapping[str, Rendering] | None = None) -> str:
    """Each unit quoted in full under a line of its metadata: verbatim, or its labelled rendering
    when it is in the other language (the original is in the sources)."""
    shown = readings(units, language, renderings)
    blocks = []
    for unit in units:
        reading = shown[unit.id]
        head = metadata_line(unit, language)
        if reading.rendering is not None:
            label = reading.rendering.cautioned_label(unit, language)
            head = head[:-1] + (f"（{label}，原文见来源）：" if language == "zh"
                                else f" ({label}; the original is in the sources):")
        blocks.append(head + "\n" + f"“{reading.text.strip()}”" + marker([unit]))
    return "\n\n".join(blocks)


def metadata_line(unit: Unit, language: str) -> str:
    kind = KIND_LABEL[language].get(unit.kind, unit.kind)
    # headings are printed in the document's language: shown in the sources, not to another reader
    section = " > ".join(unit.section) if unit.language == language else ""
    if language == "zh":
        parts = [unit.citation("zh"), region_name(unit.region, "zh") + "区域筹备会议"
                 if unit.region else "", congress_name(unit.congress, "zh") if unit.congress else "",
                 f"类别：{kind}", f"章节：{section}" if section else ""]
        return "；".join(p for p in parts if p) + "："
    parts = [unit.citation("en"),
             f"{unit.region} regional preparatory meeting" if unit.region else "",
             congress_name(unit.congress, "en") if unit.congress else "",
             f"kind: {kind}", f"section: {section}" if section else ""]
    return "; ".join(p for p in parts if p) + ":"
