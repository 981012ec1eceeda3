"""HTML pieces shared by the app's tabs: escaping, the click script of unit links, the region
label of a document, the three download buttons and the temporary export folder.

A tab renders its tables as escaped HTML whose references are `<a class="...">` links carrying a
unit id; `click_script(link_class)` turns a click on one into a Gradio `click` event with
`unit_id`, and `clicked_unit(evt)` reads it back in the handler.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from vectorstore.wording import region_name

DOWNLOAD_MD = "下载 Markdown / Download Markdown"
DOWNLOAD_CSV = "下载 CSV / Download CSV"
DOWNLOAD_DOCX = "下载 Word / Download .docx"
EXPORT_FORMATS = ("md", "csv", "docx")


def escape(text) -> str:
    return html.escape(str(text or ""), quote=True)


def click_script(link_class: str) -> str:
    """js_on_load: event delegation on the component root, so it survives re-renders."""
    return f"""
element.addEventListener('click', (event) => {{
  const link = event.target.closest('a.{link_class}');
  if (!link) return;
  event.preventDefault();
  trigger('click', {{unit_id: link.dataset.unit}});
}});
"""


def clicked_unit(evt: gr.EventData | None) -> str | None:
    return getattr(evt, "unit_id", None) if evt is not None else None


def document_choice(document) -> tuple[str, str]:
    """("SYM — 拉丁美洲和加勒比 / Latin America and the Caribbean", SYM) for a filter dropdown."""
    return f"{document.symbol} — {region_name(document.region, 'zh')} / {document.region}", document.symbol


def filter_row(dropdowns: list[tuple[list, str, int]], languages: list, language_label: str,
               default_language: str) -> tuple[list[gr.Dropdown], gr.Radio]:
    """One row of multi-select filters, (choices, label, scale) each, and the language switch."""
    with gr.Row():
        filters = [gr.Dropdown(choices, multiselect=True, label=label, scale=scale)
                   for choices, label, scale in dropdowns]
        language = gr.Radio(languages, value=default_language, label=language_label, scale=1)
    return filters, language


def download_buttons(prefix: str) -> tuple[gr.DownloadButton, gr.DownloadButton, gr.DownloadButton]:
    """Markdown, CSV and .docx download buttons in one row (elem ids PREFIX-md, -csv, -docx)."""
    labels = (DOWNLOAD_MD, DOWNLOAD_CSV, DOWNLOAD_DOCX)
    with gr.Row():
        return tuple(gr.DownloadButton(label, size="sm", elem_id=f"{prefix}-{fmt}")
                     for label, fmt in zip(labels, EXPORT_FORMATS, strict=True))


def export_files(name: str, write: Callable[[str, Path], Path]) -> tuple[str, str, str]:
    """`write(fmt, path)` to NAME.md, NAME.csv and NAME.docx in a fresh temporary folder (Gradio
    serves it)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    return tuple(str(write(fmt, folder / f"{name}.{fmt}")) for fmt in EXPORT_FORMATS)
