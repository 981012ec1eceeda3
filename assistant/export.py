"""Export one answer with its citations: Markdown text and a Word (.docx) file.

Both exports give the answer (citations in the reader's convention, e.g. 第24(d)段 / para. 24 (d)),
then a numbered "Sources / 来源" list with, for each cited paragraph, its symbol, paragraph,
section and the verbatim text, followed by its rendering in the other language labelled
"unofficial machine translation" (model, date) or "official", so a delegate can check every
citation without the app and read it in either language.
Functions of an `assistant.chain.Answer`; the renderings default to the stored and shipped ones.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from assistant.citations import render_citations
from vectorstore.errors import UserError
from vectorstore.renderings import Rendering, renderings_for
from vectorstore.units import Unit

SOURCES_HEADING = "来源 / Sources"
NOTES_HEADING = "核查说明 / Verification notes"
KIND_LABELS = {"summary": "审议情况概要 / Summary", "recommendation": "建议 / Recommendation",
               "other": "其他 / Other"}


def source_reference(unit: Unit, language: str) -> str:
    """`A/CONF.241/RPM.2/2，第24(d)段` (zh) or `A/CONF.241/RPM.2/2, para. 24 (d)` (en)."""
    return render_citations([unit], language)[1:-1]  # the reader's convention, without brackets


def source_details(unit: Unit) -> str:
    """Section path, kind, region and congress of a unit, on one line."""
    parts = []
    if unit.section:
        parts.append(" > ".join(unit.section))
    parts.append(KIND_LABELS.get(unit.kind, unit.kind))
    if unit.region:
        parts.append(unit.region)
    if unit.congress:
        parts.append(f"第{unit.congress}届大会 / Congress {unit.congress}")
    return " · ".join(parts)


def rendering_caption(rendering: Rendering, language: str, unit: Unit) -> str:
    """'unofficial machine translation (qwen2.5-coder-1.5b (...), 2026-12-01)' in the reader's
    language, with any figure the rendering states and its original (`unit`) does not."""
    label = rendering.cautioned_label(unit, language)
    details = ", ".join(p for p in (rendering.model, rendering.date) if p)
    return f"{label}（{details}）" if language == "zh" and details else \
        (f"{label} ({details})" if details else label)


def _renderings(answer, renderings) -> dict[str, Rendering]:
    if renderings is not None:
        return renderings
    return getattr(answer, "renderings", None) or renderings_for(answer.citations)


def _notes(answer) -> list[str]:
    return [*answer.notices, *answer.corrections]


def answer_to_markdown(answer, question: str | None = None,
                       renderings: dict[str, Rendering] | None = None) -> str:
    """The answer and its numbered source list (originals and labelled renderings) as Markdown."""
    question = question or answer.standalone_question
    renderings = _renderings(answer, renderings)
    lines = ["# 回答 / Answer", ""]
    if question:
        lines += [f"**问题 / Question:** {question}", ""]
    lines += [answer.rendered.strip(), ""]
    lines += [f"## {SOURCES_HEADING}", ""]
    if not answer.citations:
        lines += ["（无引用 / no citations）", ""]
    for number, unit in enumerate(answer.citations, start=1):
        lines.append(f"{number}. **{source_reference(unit, answer.language)}** — {source_details(unit)}")
        lines.append("")
        lines += [f"   > {line}" if line.strip() else "   >" for line in unit.text.splitlines()]
        lines.append("")
        rendering = renderings.get(unit.id)
        if rendering is not None:
            lines += [f"   *{rendering_caption(rendering, answer.language, unit)}:*", ""]
            lines += [f"   > {line}" if line.strip() else "   >" for line in rendering.text.splitlines()]
            lines.append("")
    notes = _notes(answer)
    if notes:
        lines += [f"## {NOTES_HEADING}", ""] + [f"- {note}" for note in notes] + [""]
    lines.append(f"_引擎 / Backend: {answer.backend} · 模式 / Mode: {answer.mode}_")
    return "\n".join(lines) + "\n"


def answer_to_docx(answer, path: str | Path, question: str | None = None,
                   renderings: dict[str, Rendering] | None = None) -> Path:
    """Write the answer and its numbered source list (originals, labelled renderings) to .docx."""
    path = Path(path)
    question = question or answer.standalone_question
    renderings = _renderings(answer, renderings)
    doc = Document()
    _use_chinese_capable_font(doc)
    doc.add_heading("回答 / Answer", level=1)
    if question:
        p = doc.add_paragraph()
        p.add_run("问题 / Question: ").bold = True
        p.add_run(question)
    for block in answer.rendered.strip().split("\n"):
        if block.strip():
            doc.add_paragraph(block.strip())

    doc.add_heading(SOURCES_HEADING, level=2)
    if not answer.citations:
        doc.add_paragraph("（无引用 / no citations）")
    for number, unit in enumerate(answer.citations, start=1):
        p = doc.add_paragraph()
        p.add_run(f"[{number}] {source_reference(unit, answer.language)}").bold = True
        p.add_run(f" — {source_details(unit)}")
        doc.add_paragraph(unit.text, style="Quote")
        rendering = renderings.get(unit.id)
        if rendering is not None:
            caption = rendering_caption(rendering, answer.language, unit)
            doc.add_paragraph().add_run(caption + ":").italic = True
            doc.add_paragraph(rendering.text, style="Quote")

    notes = _notes(answer)
    if notes:
        doc.add_heading(NOTES_HEADING, level=2)
        for note in notes:
            doc.add_paragraph(note, style="List Bullet")
    doc.add_paragraph(f"引擎 / Backend: {answer.backend} · 模式 / Mode: {answer.mode}").runs[0].italic = True
    doc.save(path)
    return path


def _use_chinese_capable_font(doc) -> None:
    """Word falls back to a font without CJK glyphs unless the East Asian font is set."""
    style = doc.styles["Normal"]
    style.font.size = Pt(11)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), "SimSun")


def save_docx_with_tables(document, tables, path: str | Path) -> Path:
    """Set the tables' text to 9 pt (wide tables stay readable) and save, or say why it cannot be written."""
    for table in tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(9)
    path = Path(path)
    try:
        document.save(str(path))
    except OSError as exc:
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    return path
