"""The thematic matrix as Markdown (a table), CSV (one row per theme × report × unit) and .docx."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from assistant.matrix import Matrix
from vectorstore.errors import UserError
from vectorstore.references import reference_label
from vectorstore.units import Unit

FORMATS = ("md", "csv", "docx")
CSV_COLUMNS = ("theme_id", "theme", "document", "region", "congress", "ref", "citation", "unit_id", "gist",
               "reason")

_TEXT = {
    "zh": {
        "title": "建议主题矩阵",
        "theme": "主题",
        "units": "条建议",
        "other": "“其他”行：{n} 条建议未归入任何主题。",
        "gist_note": "要点为原文首句节选，引用前请核对原文。",
        "gist_note_cross": "要点为关键词加原文首句，并非译文；引用前请核对原文。",
    },
    "en": {
        "title": "Thematic matrix of recommendations",
        "theme": "Theme",
        "units": "recommendations",
        "other": "\"Other\" row: {n} recommendations matched no theme.",
        "gist_note": "Gists are the opening words of the verbatim text; check the source before quoting.",
        "gist_note_cross": ("Gists are key terms plus the opening words of the original text, not "
                            "translations; check the source before quoting."),
    },
}


def texts(matrix: Matrix) -> dict[str, str]:
    return _TEXT[matrix.lang]


def gist_note(matrix: Matrix) -> str:
    cross = any(u.language != matrix.lang for u in matrix.units)
    return texts(matrix)["gist_note_cross" if cross else "gist_note"]


def summary_lines(matrix: Matrix) -> list[str]:
    t = texts(matrix)
    lines = [f"{len(matrix.units)} {t['units']}; " + t["other"].format(n=len(matrix.other_units)),
             gist_note(matrix)]
    return lines + list(matrix.notices)


def in_document(unit: Unit, lang: str) -> str:
    """A unit's place in its document, as a citation writes it after the symbol (the column
    names the document): `para. 24 (e)`, `annex, para. 1 (a)` / `第24(e)段`, `附件第1(a)段`."""
    return reference_label(unit.key._replace(symbol=""), lang)


def cell_entries(matrix: Matrix, theme_id: str, symbol: str) -> list[tuple[str, str, str]]:
    """(place in the document, gist, unit id) for each unit in one cell, in document order."""
    return [(in_document(u, matrix.lang), matrix.gists[u.id], u.id) for u in matrix.cell(theme_id, symbol)]


# ---- Markdown -----------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(matrix: Matrix) -> str:
    lang, t = matrix.lang, texts(matrix)
    header = [t["theme"]] + [c.label(lang) for c in matrix.columns]
    lines = [f"# {t['title']}", "", *summary_lines(matrix), "",
             "| " + " | ".join(_md_escape(h) for h in header) + " |",
             "|" + "---|" * len(header)]
    for theme in matrix.rows:
        cells = [f"**{_md_escape(theme.label(lang))}**"]
        for column in matrix.columns:
            entries = cell_entries(matrix, theme.id, column.symbol)
            cells.append("<br>".join(f"**{ref}** {_md_escape(gist)}" for ref, gist, _ in entries))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# ---- CSV ----------------------------------------------------------------------------------------


def csv_rows(matrix: Matrix) -> list[dict]:
    lang = matrix.lang
    rows = []
    for theme in matrix.rows:
        for column in matrix.columns:
            for unit in matrix.cell(theme.id, column.symbol):
                rows.append({
                    "theme_id": theme.id,
                    "theme": theme.label(lang),
                    "document": column.symbol,
                    "region": column.region,
                    "congress": column.congress or "",
                    "ref": unit.ref,
                    "citation": unit.citation(lang),
                    "unit_id": unit.id,
                    "gist": matrix.gists[unit.id],
                    "reason": matrix.reason(unit.id, theme.id),
                })
    return rows


def to_csv(matrix: Matrix) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(matrix))
    return out.getvalue()


# ---- .docx --------------------------------------------------------------------------------------


def to_docx(matrix: Matrix, path: Path | str) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT

    from assistant.export import save_docx_with_tables

    lang, t = matrix.lang, texts(matrix)
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading(t["title"], level=1)
    for line in summary_lines(matrix):
        document.add_paragraph(line)

    table = document.add_table(rows=1, cols=1 + len(matrix.columns))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, [t["theme"]] + [c.label(lang) for c in matrix.columns],
                          strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for theme in matrix.rows:
        row = table.add_row().cells
        row[0].text = ""
        row[0].paragraphs[0].add_run(theme.label(lang)).bold = True
        for cell, column in zip(row[1:], matrix.columns, strict=True):
            entries = cell_entries(matrix, theme.id, column.symbol)
            cell.text = ""
            for i, (ref, gist, _) in enumerate(entries):
                paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
                paragraph.add_run(ref + " ").bold = True
                paragraph.add_run(gist)
    return save_docx_with_tables(document, [table], path)


# ---- files --------------------------------------------------------------------------------------


def write(matrix: Matrix, fmt: str, path: Path | str) -> Path:
    """Write the matrix in `fmt` (md, csv, docx) to `path`."""
    if fmt not in FORMATS:
        raise UserError(f"Unknown format {fmt!r}: use {', '.join(FORMATS)}.")
    path = Path(path)
    if fmt == "docx":
        return to_docx(matrix, path)
    content = to_markdown(matrix) if fmt == "md" else to_csv(matrix)
    # CSV with a byte-order mark so that spreadsheet programs read the Chinese text correctly.
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    try:
        path.write_text(content, encoding=encoding)
    except OSError as exc:
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    return path
