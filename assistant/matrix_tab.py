"""The "矩阵 / Matrix" tab of the Gradio app: the thematic matrix as a table whose references open
the source paragraph (verbatim text, metadata and why it sits under the theme) in a side panel.

`build_matrix_tab(settings, store=None)` creates the components inside the caller's current
gr.Blocks/gr.Tab context; `build_tab(services)` does the same inside its own gr.Tab (the hook
assistant/app.py calls). Everything taken from documents is html-escaped.
"""

from __future__ import annotations

import gradio as gr

from assistant import ui_html
from assistant.matrix import Matrix, congress_label, matrix_from_store, region_label
from assistant.matrix_export import cell_entries, summary_lines, write
from assistant.ui_html import click_script, document_choice, download_buttons, escape, filter_row
from vectorstore.errors import UserError
from vectorstore.settings import Settings
from vectorstore.wording import say

TAB_MATRIX = "矩阵 / Matrix"
FILTER_DOCUMENTS = "文件 / Documents"
FILTER_CONGRESS = "大会届次 / Congress"
FILTER_REGION = "区域 / Region"
LANGUAGE = "标签和要点语言 / Language of labels and gists"
LANGUAGES = [("中文", "zh"), ("English", "en")]
BUILD = "生成矩阵 / Build matrix"
PLACEHOLDER = ("选择筛选条件后点击“生成矩阵”。点击表中的段落编号查看原文。 / "
               "Choose filters and press “Build matrix”. Click a paragraph reference to see its text.")
PANEL_EMPTY = ("点击表中的段落编号，这里显示原文和归类理由。 / "
               "Click a reference to see the verbatim text and why it is there.")

MATRIX_CSS = """
.mx-table { border-collapse: collapse; font-size: 0.9em; width: 100%; }
.mx-table th, .mx-table td { border: 1px solid var(--border-color-primary); padding: 0.35em 0.5em;
                             vertical-align: top; text-align: left; }
.mx-table th { background: var(--background-fill-secondary); }
.mx-theme { font-weight: 600; min-width: 9em; }
.mx-entry { margin: 0 0 0.35em; }
.mx-ref { font-weight: 600; cursor: pointer; }
.mx-panel blockquote { white-space: pre-wrap; margin: 0.4em 0; }
.mx-meta { color: var(--body-text-color-subdued); font-size: 0.9em; }
.mx-reason { font-size: 0.9em; }
"""

CLICK_JS = click_script("mx-ref")


_e = escape


def matrix_html(matrix: Matrix) -> str:
    """The matrix as an escaped HTML table; each reference is a link carrying its unit id."""
    lang = matrix.lang
    head = say(lang, zh="主题", en="Theme")
    parts = [f"<style>{MATRIX_CSS}</style>", '<div class="mx-wrap">']
    parts += [f'<p class="mx-meta">{_e(line)}</p>' for line in summary_lines(matrix)]
    parts.append('<table class="mx-table"><thead><tr>')
    parts.append(f"<th>{_e(head)}</th>" + "".join(f"<th>{_e(c.label(lang))}</th>" for c in matrix.columns))
    parts.append("</tr></thead><tbody>")
    for theme in matrix.rows:
        parts.append(f'<tr data-theme="{_e(theme.id)}"><td class="mx-theme">{_e(theme.label(lang))}</td>')
        for column in matrix.columns:
            entries = "".join(
                f'<div class="mx-entry"><a href="#" class="mx-ref" data-unit="{_e(uid)}" '
                f'title="{_e(uid)}">{_e(ref)}</a> {_e(gist)}</div>'
                for ref, gist, uid in cell_entries(matrix, theme.id, column.symbol)
            )
            parts.append(f"<td>{entries}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


def unit_panel_html(matrix: Matrix | None, unit_id: str | None) -> str:
    """Verbatim text, metadata and assignment reasons of one unit of the matrix."""
    if matrix is None or not unit_id or unit_id not in matrix.assignments:
        return f'<div class="mx-panel"><p class="mx-meta">{_e(PANEL_EMPTY)}</p></div>'
    lang = matrix.lang
    assignment = matrix.assignments[unit_id]
    unit = assignment.unit
    title = unit.title_zh if lang == "zh" else (unit.title_en or unit.title_zh)
    heading = say(lang, zh="归类理由", en="Why it is here")
    reasons = "".join(
        f"<li><b>{_e(matrix.taxonomy.theme(t).label(lang))}</b>: {_e(matrix.reason(unit_id, t))}</li>"
        for t in assignment.theme_ids
    )
    chapeau = f'<p class="mx-meta">{_e(unit.chapeau)}</p>' if unit.chapeau else ""
    return (
        f'<div class="mx-panel" data-unit-id="{_e(unit.id)}">'
        f"<h4>{_e(unit.citation(lang))}</h4>"
        f'<p class="mx-meta">{_e(region_label(unit.region, lang))} · '
        f"{_e(congress_label(unit.congress, lang))} · {_e(' / '.join(unit.section))}<br>{_e(title)}</p>"
        f"{chapeau}<blockquote>{_e(unit.text)}</blockquote>"
        f'<div class="mx-reason"><p><b>{_e(heading)}</b></p><ul>{reasons}</ul>'
        f'<p class="mx-meta">{_e(matrix.rules.describe(lang, unit.language))}</p></div></div>'
    )


def export_files(matrix: Matrix) -> tuple[str, str, str]:
    """The matrix written as .md, .csv and .docx in a fresh temporary folder."""
    return ui_html.export_files(f"matrix-{matrix.lang}", lambda fmt, path: write(matrix, fmt, path))


def _choices(store):
    documents = store.documents()
    docs = [document_choice(d) for d in documents]
    congresses = sorted({d.congress for d in documents if d.congress})
    regions = sorted({d.region for d in documents if d.region})
    return (docs, [(f"第{c}届 / Congress {c}", str(c)) for c in congresses],
            [(f"{region_label(r, 'zh')} / {r}", r) for r in regions])


def make_handlers(settings: Settings, store):
    """The tab's event handlers, as plain functions (tested without a browser)."""

    def build(symbols, congresses, regions, lang):
        try:
            matrix = matrix_from_store(store, lang=lang or "zh", symbols=symbols or (),
                                       congresses=[int(c) for c in congresses or ()],
                                       regions=regions or (), settings=settings)
        except UserError as exc:
            gr.Warning(str(exc))
            message = f'<p class="mx-meta">{_e(exc)}</p>'
            return message, None, unit_panel_html(None, None), None, None, None
        md, csv_path, docx = export_files(matrix)
        return matrix_html(matrix), matrix, unit_panel_html(None, None), md, csv_path, docx

    def show_unit(matrix, evt: gr.EventData):
        return unit_panel_html(matrix, ui_html.clicked_unit(evt))

    return build, show_unit


def build_matrix_tab(settings: Settings, store=None) -> dict:
    """Create the Matrix components in the current Blocks context; returns them by name."""
    if store is None:
        from vectorstore.store import UnitStore

        store = UnitStore(settings)
    docs, congresses, regions = _choices(store)
    (doc_filter, congress_filter, region_filter), lang = filter_row(
        [(docs, FILTER_DOCUMENTS, 3), (congresses, FILTER_CONGRESS, 1), (regions, FILTER_REGION, 2)],
        LANGUAGES, LANGUAGE, "zh")
    build_button = gr.Button(BUILD, variant="primary", elem_id="matrix-build")
    matrix_state = gr.State(None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            table = gr.HTML(f'<p class="mx-meta">{_e(PLACEHOLDER)}</p>', elem_id="matrix-table",
                            js_on_load=CLICK_JS, max_height=760)
        with gr.Column(scale=2):
            panel = gr.HTML(unit_panel_html(None, None), elem_id="matrix-source", max_height=900)
    download_md, download_csv, download_docx = download_buttons("matrix")

    build, show_unit = make_handlers(settings, store)
    build_button.click(build, [doc_filter, congress_filter, region_filter, lang],
                       [table, matrix_state, panel, download_md, download_csv, download_docx],
                       api_name="matrix")
    table.click(show_unit, [matrix_state], [panel], api_name=False)
    return {"documents": doc_filter, "congresses": congress_filter, "regions": region_filter,
            "lang": lang, "build": build_button, "table": table, "panel": panel, "state": matrix_state,
            "download_md": download_md, "download_csv": download_csv, "download_docx": download_docx}


def build_tab(services) -> dict:
    """The Matrix tab inside its own gr.Tab (called by assistant/app.py with its AppServices).

    Opening the tab refreshes the filter choices, so reports uploaded meanwhile appear.
    """
    with gr.Tab(TAB_MATRIX) as tab:
        components = build_matrix_tab(services.settings, store=services.store)
    filters = [components["documents"], components["congresses"], components["regions"]]
    tab.select(lambda: refresh_choices(services.store), None, filters, api_name=False)
    return components


def refresh_choices(store):
    docs, congresses, regions = _choices(store)
    return gr.Dropdown(choices=docs), gr.Dropdown(choices=congresses), gr.Dropdown(choices=regions)
