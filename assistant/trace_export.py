"""Traceability reports as Markdown, CSV and .docx, in the reader's language (zh or en).

Both directions: each recommendation with its closest declaration paragraphs (verdict, score,
reason), then each declaration paragraph with the recommendations that fed it. `novel=True`
writes only the recommendations with no counterpart (the novelty list). A text in the other
language is always accompanied by its rendering, labelled as machine translation when it is one,
or, when no rendering exists yet, by its key terms in the reader's language, labelled as such.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from assistant.trace import NEW_LABEL, TraceMatch, TraceReport, reader_text, row_json, verdict_label
from vectorstore.errors import UserError
from vectorstore.wording import reader_language

FORMATS = ("md", "csv", "docx")

TEXTS = {
    "en": {
        "title": "Traceability: {documents} → {declaration}",
        "novel_title": "Recommendations with no counterpart in the {declaration}: {documents}",
        "forward": "Recommendations → declaration paragraphs",
        "backward": "Declaration paragraphs → recommendations that fed them",
        "verdicts": "Verdicts: {taken} taken up, {partly} partly, {none} not found "
                    "({total} recommendations).",
        "thresholds": "Verdict of the best match: taken up from score {taken_up}, partly from {partly} "
                      "(calibrated on labelled pairs, eval/trace_eval.py).",
        "closest": "closest",
        "no_feed": "no recommendation traced here",
        "recommendation": "Recommendation",
        "paragraph": "Declaration paragraph",
        "verdict": "Verdict",
        "matches": "Closest paragraphs",
        "fed_by": "Fed by",
        "none_new": "Every recommendation has a counterpart.",
    },
    "zh": {
        "title": "追溯：{documents} → {declaration}",
        "novel_title": "{declaration}中无对应内容的建议：{documents}",
        "forward": "建议 → 宣言段落",
        "backward": "宣言段落 → 其来源建议",
        "verdicts": "结论：已采纳 {taken} 条，部分采纳 {partly} 条，未见对应 {none} 条"
                    "（共 {total} 条建议）。",
        "thresholds": "按最佳匹配得分判定：≥ {taken_up} 为已采纳，≥ {partly} 为部分采纳（阈值由标注样本校准，"
                      "见 eval/trace_eval.py）。",
        "closest": "最接近",
        "no_feed": "无追溯到此段的建议",
        "recommendation": "建议",
        "paragraph": "宣言段落",
        "verdict": "结论",
        "matches": "最接近的段落",
        "fed_by": "来源建议",
        "none_new": "每条建议都有对应段落。",
    },
}
CSV_COLUMNS = ["direction", "source_id", "source_citation", "source_verdict", "new", "rank", "target_id",
               "target_citation", "score", "verdict", "reason", "source_text", "reader_text",
               "reader_text_kind"]


def _t(lang: str) -> dict:
    return TEXTS[reader_language(lang)]


def declaration_name(report: TraceReport, lang: str) -> str:
    name = report.declaration.declaration or report.declaration.symbol
    if lang == "zh":
        zh = next((a for a in report.declaration.aliases if isinstance(a, str) and "宣言" in a), None)
        return f"《{zh}》" if zh else name
    return name


def title(report: TraceReport, lang: str, novel: bool = False) -> str:
    documents = ", ".join(d.symbol for d in report.documents)
    return _t(lang)["novel_title" if novel else "title"].format(
        documents=documents, declaration=declaration_name(report, lang))


def summary_lines(report: TraceReport, lang: str) -> list[str]:
    t, counts = _t(lang), report.verdict_counts()
    lines = [t["verdicts"].format(taken=counts["taken up"], partly=counts["partly"], none=counts["not found"],
                                  total=len(report.rows)),
             t["thresholds"].format(taken_up=report.calibration.taken_up, partly=report.calibration.partly)]
    return lines + report.notices(lang)


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _verdict(row_or_verdict, lang: str) -> str:
    verdict = row_or_verdict if isinstance(row_or_verdict, str) else row_or_verdict.verdict
    label = verdict_label(verdict, lang)
    if not isinstance(row_or_verdict, str) and row_or_verdict.is_new:
        label += f" ({NEW_LABEL[reader_language(lang)]})"
    return label


def _match_reader_line(m: TraceMatch, lang: str) -> tuple[str, str] | None:
    """The paragraph's rendering (or key terms) for a reader of the other language."""
    if m.side is None:
        return None
    text, kind = reader_text(m.side, lang)
    return None if kind == "original" else (text, kind)


def to_markdown(report: TraceReport, lang: str = "en", novel: bool = False) -> str:
    t = _t(lang)
    rows = report.novel() if novel else report.rows
    out = [f"# {title(report, lang, novel)}", ""]
    out += [f"- {_md(line)}" for line in summary_lines(report, lang)] + [""]
    out += [f"## {t['forward']}", ""] if not novel else []
    if novel and not rows:
        out.append(t["none_new"])
    labels = {tid: report.theme_label(tid, lang) for tid in report.theme_labels}
    for row in rows:
        text, kind = reader_text(row.source, lang)
        out.append(f"### {row.unit.citation(lang)} — {_verdict(row, lang)}")
        out.append("")
        out.append(f"> {_md(row.source.text)}")
        if kind != "original":
            out.append(f">\n> *{_md(kind)}:* {_md(text)}")
        out.append("")
        for rank, m in enumerate(row.matches, start=1):
            out.append(f"{rank}. **{m.unit.citation(lang)}** — {verdict_label(m.verdict, lang)}; "
                       f"{_md(m.reason(lang, labels))}")
            out.append(f"   > {_md(m.unit.text)}")
            extra = _match_reader_line(m, lang)
            if extra:
                out.append(f"   >\n   > *{_md(extra[1])}:* {_md(extra[0])}")
        out.append("")
    if not novel:
        out += [f"## {t['backward']}", ""]
        for uid, entries in report.backward().items():
            unit = next(u for u in report.targets if u.id == uid)
            fed = "; ".join(f"{row.unit.citation(lang)} ({verdict_label(m.verdict, lang)}, {m.score:.3f})"
                            for row, m in entries) or t["no_feed"]
            out.append(f"- **{unit.citation(lang)}**: {_md(fed)}")
        out.append("")
    return "\n".join(out)


def csv_rows(report: TraceReport, lang: str = "en", novel: bool = False) -> list[dict]:
    rows = []
    labels = {tid: report.theme_label(tid, lang) for tid in report.theme_labels}
    for row in report.novel() if novel else report.rows:
        text, kind = reader_text(row.source, lang)
        for rank, m in enumerate(row.matches, start=1):
            rows.append({"direction": "recommendation->declaration", "source_id": row.unit.id,
                         "source_citation": row.unit.citation(lang), "source_verdict": row.verdict,
                         "new": "yes" if row.is_new else "no", "rank": rank, "target_id": m.unit.id,
                         "target_citation": m.unit.citation(lang), "score": f"{m.score:.4f}",
                         "verdict": m.verdict, "reason": m.reason(lang, labels),
                         "source_text": row.source.text, "reader_text": text, "reader_text_kind": kind})
    if not novel:
        for uid, entries in report.backward().items():
            for rank, (row, m) in enumerate(entries, start=1):
                rows.append({"direction": "declaration<-recommendation", "source_id": uid,
                             "source_citation": m.unit.citation(lang), "source_verdict": "", "new": "",
                             "rank": rank, "target_id": row.unit.id,
                             "target_citation": row.unit.citation(lang), "score": f"{m.score:.4f}",
                             "verdict": m.verdict, "reason": m.reason(lang, labels),
                             "source_text": m.unit.text, "reader_text": "", "reader_text_kind": ""})
    return rows


def to_csv(report: TraceReport, lang: str = "en", novel: bool = False) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(report, lang, novel))
    return out.getvalue()


def to_docx(report: TraceReport, path: Path | str, lang: str = "en", novel: bool = False) -> Path:
    from docx import Document

    from assistant.export import save_docx_with_tables

    t = _t(lang)
    labels = {tid: report.theme_label(tid, lang) for tid in report.theme_labels}
    document = Document()
    document.add_heading(title(report, lang, novel), level=1)
    for line in summary_lines(report, lang):
        document.add_paragraph(line)
    rows = report.novel() if novel else report.rows
    if not novel:
        document.add_heading(t["forward"], level=2)
    elif not rows:
        document.add_paragraph(t["none_new"])
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    headers = [t["recommendation"], t["verdict"], t["matches"]]
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        cells = table.add_row().cells
        text, kind = reader_text(row.source, lang)
        cells[0].text = ""
        cells[0].paragraphs[0].add_run(row.unit.citation(lang)).bold = True
        cells[0].add_paragraph(row.source.text)
        if kind != "original":
            cells[0].add_paragraph().add_run(f"{kind}: {text}").italic = True
        cells[1].text = _verdict(row, lang)
        cells[2].text = ""
        for i, m in enumerate(row.matches):
            paragraph = cells[2].paragraphs[0] if i == 0 else cells[2].add_paragraph()
            paragraph.add_run(f"{m.unit.citation(lang)} — {verdict_label(m.verdict, lang)}").bold = True
            cells[2].add_paragraph(m.reason(lang, labels))
            extra = _match_reader_line(m, lang)
            if extra:
                cells[2].add_paragraph().add_run(f"{extra[1]}: {extra[0]}").italic = True
    if not novel:
        document.add_heading(t["backward"], level=2)
        back = document.add_table(rows=1, cols=2)
        back.style = "Table Grid"
        for cell, text in zip(back.rows[0].cells, [t["paragraph"], t["fed_by"]], strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for uid, entries in report.backward().items():
            unit = next(u for u in report.targets if u.id == uid)
            cells = back.add_row().cells
            cells[0].text = unit.citation(lang)
            cells[1].text = "; ".join(f"{row.unit.citation(lang)} ({verdict_label(m.verdict, lang)})"
                                      for row, m in entries) or t["no_feed"]
        tables = [table, back]
    else:
        tables = [table]
    return save_docx_with_tables(document, tables, path)


def to_json(report: TraceReport, lang: str = "en", novel: bool = False) -> dict:
    if novel:
        return {"declaration": report.declaration.symbol, "documents": [d.symbol for d in report.documents],
                "novel": [row_json(r, lang, report) for r in report.novel()], "notices": report.notices(lang)}
    return report.to_json(lang)


def write(report: TraceReport, fmt: str, path: Path | str, lang: str = "en", novel: bool = False) -> Path:
    """Write the report in `fmt` (md, csv, docx) to `path`."""
    if fmt not in FORMATS:
        raise UserError(f"Unknown format {fmt!r}: use {', '.join(FORMATS)}.")
    path = Path(path)
    if fmt == "docx":
        return to_docx(report, path, lang, novel)
    content = to_markdown(report, lang, novel) if fmt == "md" else to_csv(report, lang, novel)
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"  # BOM: spreadsheets read the Chinese correctly
    try:
        path.write_text(content, encoding=encoding)
    except OSError as exc:
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    return path
