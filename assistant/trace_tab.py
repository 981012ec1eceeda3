"""The "追溯 / Traceability" tab of the Gradio app: regional recommendations traced into the adopted
declaration, both directions, filtered by the matrix's themes; agreed language for a draft point.

Every reference in the tables is a link carrying its unit id; clicking it shows the paragraph's
verbatim text, with its rendering (labelled machine translation when it is one) or its key terms
for a reader of the other language, in a side panel. `build_tab(services)` is the hook
assistant/app.py calls (like the matrix tab). Everything taken from documents is html-escaped.
"""

from __future__ import annotations

import gradio as gr

from assistant import ui_html
from assistant.matrix import Taxonomy, region_label
from assistant.trace import (
    NEW_LABEL,
    AgreedLanguage,
    Side,
    TraceReport,
    agreed_language,
    reader_text,
    trace_from_store,
    verdict_label,
)
from assistant.trace_export import summary_lines, title, write
from assistant.ui_html import click_script, document_choice, download_buttons, escape, filter_row
from vectorstore.errors import UserError

TAB_TRACE = "追溯 / Traceability"
FILTER_DOCUMENTS = "区域报告 / Regional reports"
FILTER_THEMES = "主题（矩阵分类）/ Themes (matrix taxonomy)"
LANGUAGE = "标签语言 / Language of labels"
LANGUAGES = [("English", "en"), ("中文", "zh")]
BUILD = "追溯 / Trace"
FORWARD = "建议 → 宣言 / Recommendations → declaration"
BACKWARD = "宣言 → 建议 / Declaration → recommendations"
DRAFT = "草案要点 / Draft point"
DRAFT_PLACEHOLDER = "例如：加强区域执法合作网络 / e.g. strengthen regional law-enforcement networks"
AGREED = "查找商定措辞 / Find agreed language"
PLACEHOLDER = ("点击“追溯”查看每条建议在宣言中的对应段落。 / "
               "Press “Trace” to see where each recommendation went in the declaration.")
PANEL_EMPTY = "点击段落编号查看原文。 / Click a reference to see its text."

TRACE_CSS = """
.tr-table { border-collapse: collapse; font-size: 0.9em; width: 100%; }
.tr-table th, .tr-table td { border: 1px solid var(--border-color-primary); padding: 0.35em 0.5em;
                             vertical-align: top; text-align: left; }
.tr-table th { background: var(--background-fill-secondary); }
.tr-ref { font-weight: 600; cursor: pointer; }
.tr-meta, .tr-reason { color: var(--body-text-color-subdued); font-size: 0.9em; }
.tr-verdict-taken-up { color: #1a7f37; font-weight: 600; }
.tr-verdict-partly { color: #9a6700; font-weight: 600; }
.tr-verdict-not-found { color: #cf222e; font-weight: 600; }
.tr-panel blockquote, .tr-side blockquote { white-space: pre-wrap; margin: 0.4em 0; }
.tr-sides { display: grid; grid-template-columns: 1fr 1fr; gap: 0.6em; }
"""

CLICK_JS = click_script("tr-ref")


_e = escape


def _ref(unit, lang: str) -> str:
    return (f'<a href="#" class="tr-ref" data-unit="{_e(unit.id)}" title="{_e(unit.id)}">'
            f"{_e(unit.citation(lang))}</a>")


def _verdict(verdict: str, lang: str, new: bool = False) -> str:
    label = verdict_label(verdict, lang) + (f" ({NEW_LABEL[lang]})" if new else "")
    return f'<span class="tr-verdict-{verdict.replace(" ", "-")}">{_e(label)}</span>'


def _reader_line(side: Side | None, lang: str) -> str:
    if side is None:
        return ""
    text, kind = reader_text(side, lang)
    return "" if kind == "original" else f'<div class="tr-meta"><i>{_e(kind)}:</i> {_e(text)}</div>'


def forward_html(report: TraceReport, lang: str) -> str:
    labels = {t: report.theme_label(t, lang) for t in report.theme_labels}
    heads = ("建议", "结论", "最接近的宣言段落") if lang == "zh" else \
        ("Recommendation", "Verdict", "Closest declaration paragraphs")
    parts = [f"<style>{TRACE_CSS}</style>", f"<h3>{_e(title(report, lang))}</h3>"]
    parts += [f'<p class="tr-meta">{_e(line)}</p>' for line in summary_lines(report, lang)]
    parts.append('<table class="tr-table" id="trace-forward-table"><thead><tr>' +
                 "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>")
    for row in report.rows:
        themes = ", ".join(labels.get(t, t) for t in report.themes.get(row.unit.id, []))
        matches = "".join(
            f'<div>{_ref(m.unit, lang)} {_verdict(m.verdict, lang)}'
            f'<div class="tr-reason">{_e(m.reason(lang, labels))}</div></div>' for m in row.matches)
        parts.append(
            f'<tr data-unit="{_e(row.unit.id)}" data-verdict="{_e(row.verdict)}"><td>{_ref(row.unit, lang)}'
            f'<div>{_e(row.source.text)}</div>{_reader_line(row.source, lang)}'
            f'<div class="tr-meta">{_e(themes)}</div></td>'
            f"<td>{_verdict(row.verdict, lang, row.is_new)}</td><td>{matches}</td></tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def backward_html(report: TraceReport, lang: str) -> str:
    heads = ("宣言段落", "来源建议") if lang == "zh" else \
        ("Declaration paragraph", "Recommendations that fed it")
    none = "—"
    parts = [f"<style>{TRACE_CSS}</style>", '<table class="tr-table" id="trace-backward-table"><thead><tr>' +
             "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>"]
    units = {u.id: u for u in report.targets}
    for uid, entries in report.backward().items():
        fed = "".join(f"<div>{_ref(row.unit, lang)} {_verdict(m.verdict, lang)} "
                      f'<span class="tr-meta">{m.score:.3f}</span></div>' for row, m in entries) or none
        parts.append(f'<tr data-unit="{_e(uid)}"><td>{_ref(units[uid], lang)}</td><td>{fed}</td></tr>')
    parts.append("</tbody></table>")
    return "".join(parts)


def _sides(report: TraceReport | None, extra: AgreedLanguage | None = None) -> dict[str, Side]:
    sides: dict[str, Side] = {}
    rows = list(report.rows) if report else []
    if extra is not None:
        rows.append(extra.row)
    for row in rows:
        if row.unit is not None:
            sides[row.unit.id] = row.source
        for m in row.matches:
            if m.side is not None:
                sides.setdefault(m.unit.id, m.side)
    return sides


def unit_panel_html(state: dict | None, unit_id: str | None, lang: str = "en") -> str:
    """Verbatim text of one referenced paragraph, with its rendering or key terms."""
    sides = _sides((state or {}).get("report"), (state or {}).get("agreed"))
    side = sides.get(unit_id or "")
    if side is None or side.unit is None:
        return f'<div class="tr-panel"><p class="tr-meta">{_e(PANEL_EMPTY)}</p></div>'
    unit = side.unit
    where = region_label(unit.region, lang) if unit.region else (unit.declaration or unit.symbol)
    return (f'<div class="tr-panel" data-unit-id="{_e(unit.id)}"><h4>{_e(unit.citation(lang))}</h4>'
            f'<p class="tr-meta">{_e(where)}</p><blockquote>{_e(unit.text)}</blockquote>'
            f"{_reader_line(side, lang)}</div>")


def agreed_html(found: AgreedLanguage, lang: str) -> str:
    if found.is_new:
        head = ("新内容：宣言中没有接近的段落。" if lang == "zh"
                else "New: nothing close in the declaration.")
    else:
        head = found.suggestion(lang)
    parts = [f"<style>{TRACE_CSS}</style>", f'<p id="trace-agreed-head"><b>{_e(head)}</b></p>']
    for m in found.matches:
        parts.append(
            f'<div class="tr-sides"><div class="tr-side"><p class="tr-meta">{_e(DRAFT)}</p>'
            f"<blockquote>{_e(found.text)}</blockquote>{_reader_line(found.row.source, lang)}</div>"
            f'<div class="tr-side"><p>{_ref(m.unit, lang)} {_verdict(m.verdict, lang)}</p>'
            f"<blockquote>{_e(m.unit.text)}</blockquote>{_reader_line(m.side, lang)}"
            f'<div class="tr-reason">{_e(m.reason(lang))}</div></div></div>')
    return "".join(parts)


def export_files(report: TraceReport, lang: str) -> tuple[str, str, str]:
    return ui_html.export_files(f"trace-{lang}", lambda fmt, path: write(report, fmt, path, lang))


def _choices(store):
    documents = [d for d in store.documents() if d.region]
    docs = [document_choice(d) for d in documents]
    themes = [(f"{t.label_zh} / {t.label_en}", t.id) for t in Taxonomy.load().themes]
    return docs, themes


def make_handlers(settings, store):
    """The tab's event handlers, as plain functions (tested without a browser too)."""

    def trace(symbols, themes, lang):
        lang = lang or "en"
        try:
            report = trace_from_store(store, symbols=symbols or (), settings=settings)
            report = report.with_theme(themes or ())
        except UserError as exc:
            gr.Warning(str(exc))
            message = f'<p class="tr-meta">{_e(exc)}</p>'
            return message, "", None, unit_panel_html(None, None, lang), None, None, None
        md, csv_path, docx = export_files(report, lang)
        return (forward_html(report, lang), backward_html(report, lang), {"report": report, "lang": lang},
                unit_panel_html(None, None, lang), md, csv_path, docx)

    def agreed(text, lang, state):
        lang = lang or "en"
        try:
            found = agreed_language(text, settings=settings, store=store)
        except UserError as exc:
            gr.Warning(str(exc))
            return f'<p class="tr-meta">{_e(exc)}</p>', state
        return agreed_html(found, lang), {**(state or {}), "agreed": found, "lang": lang}

    def show_unit(state, evt: gr.EventData):
        return unit_panel_html(state, ui_html.clicked_unit(evt), (state or {}).get("lang", "en"))

    return trace, agreed, show_unit


def build_trace_tab(settings, store) -> dict:
    """Create the Traceability components in the current Blocks context; returns them by name."""
    docs, themes = _choices(store)
    (doc_filter, theme_filter), lang = filter_row(
        [(docs, FILTER_DOCUMENTS, 3), (themes, FILTER_THEMES, 3)], LANGUAGES, LANGUAGE, "en")
    build_button = gr.Button(BUILD, variant="primary", elem_id="trace-build")
    state = gr.State(None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            # Both directions stay visible and mounted (the click script runs when a component mounts).
            gr.Markdown(f"#### {FORWARD}")
            forward = gr.HTML(f'<p class="tr-meta">{_e(PLACEHOLDER)}</p>', elem_id="trace-forward",
                              js_on_load=CLICK_JS, max_height=600)
            gr.Markdown(f"#### {BACKWARD}")
            backward = gr.HTML(f'<p class="tr-meta">{_e(PLACEHOLDER)}</p>', elem_id="trace-backward",
                               js_on_load=CLICK_JS, max_height=400)
            with gr.Row():
                draft = gr.Textbox(label=DRAFT, placeholder=DRAFT_PLACEHOLDER, lines=2, scale=4,
                                   elem_id="trace-draft")
                agreed_button = gr.Button(AGREED, scale=1, elem_id="trace-agreed")
            # Never empty: an empty HTML component is not mounted, so its click script would not run.
            agreed_out = gr.HTML('<p class="tr-meta">—</p>', elem_id="trace-agreed-result",
                                 js_on_load=CLICK_JS)
        with gr.Column(scale=2):
            panel = gr.HTML(unit_panel_html(None, None), elem_id="trace-source", max_height=900)
    download_md, download_csv, download_docx = download_buttons("trace")

    trace, agreed, show_unit = make_handlers(settings, store)
    build_button.click(trace, [doc_filter, theme_filter, lang],
                       [forward, backward, state, panel, download_md, download_csv, download_docx],
                       api_name="trace")
    agreed_button.click(agreed, [draft, lang, state], [agreed_out, state], api_name="agreed_language")
    for component in (forward, backward, agreed_out):
        component.click(show_unit, [state], [panel], api_name=False)
    return {"documents": doc_filter, "themes": theme_filter, "lang": lang, "build": build_button,
            "forward": forward, "backward": backward, "panel": panel, "state": state, "draft": draft,
            "agreed": agreed_button, "agreed_out": agreed_out, "download_md": download_md,
            "download_csv": download_csv, "download_docx": download_docx}


def build_tab(services) -> dict:
    """The Traceability tab inside its own gr.Tab (called by assistant/app.py with its AppServices).

    Opening the tab refreshes the report choices, so reports uploaded meanwhile appear.
    """
    with gr.Tab(TAB_TRACE) as tab:
        components = build_trace_tab(services.settings, services.store)
    tab.select(lambda: gr.Dropdown(choices=_choices(services.store)[0]), None, [components["documents"]],
               api_name=False)
    return components
