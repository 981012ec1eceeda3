"""The upload tab: ingest a new report with its metadata; the list of reports in the store.

Ingestion is all-or-nothing per file (vectorstore.ingest): on any error the store is unchanged
and the message is shown in the status box and as a warning. Built-in reports cannot be replaced
through the app unless the server was started with --allow-builtin-upload: anyone who can reach
the app could otherwise forge a built-in report (or its "official" rendering) whose citations
would then pass verification.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from assistant import ui_labels as L
from assistant.translation import render_after_ingest
from vectorstore.errors import UserError
from vectorstore.ingest import builtin_catalog, ingest_files
from vectorstore.loaders import supported_suffixes

ACCEPTED_TYPES = list(supported_suffixes())  # the registered document readers
TABLE_HEADERS = ["文号 / Symbol", "语言 / Language", "大会 / Congress", "区域 / Region", "标题 / Title"]


def document_choices(store) -> tuple[list, list, list]:
    """Dropdown choices (label, value) for documents, congresses and regions in the store."""
    documents = store.documents()
    docs = [(f"{d.symbol} — {d.title_zh or d.title_en}" if (d.title_zh or d.title_en) else d.symbol,
             d.symbol) for d in documents]
    congresses = sorted({d.congress for d in documents if d.congress})
    regions = sorted({d.region for d in documents if d.region})
    return (docs, [(f"第{c}届 / Congress {c}", str(c)) for c in congresses],
            [(r, r) for r in regions])


def document_rows(store) -> list[list]:
    return [[d.symbol, d.language, d.congress or "", d.region, d.title_zh or d.title_en]
            for d in store.documents()]


def upload_metadata(symbol: str, region: str, congress: str, language: str, title: str) -> dict:
    """Metadata typed by the user (empty fields are detected from the text or left empty)."""
    congress = (congress or "").strip()
    if congress and not congress.isdigit():
        raise UserError(f"大会届次必须是数字 / Congress must be a number (e.g. 15), not {congress!r}.")
    meta = {"symbol": (symbol or "").strip(), "region": (region or "").strip(),
            "congress": int(congress) if congress else None, "language": language or ""}
    title = (title or "").strip()
    if title:
        meta["title_en" if meta["language"] == "en" else "title_zh"] = title
    return {k: v for k, v in meta.items() if v not in ("", None)}


def builtin_guard(services):
    """The `before_write` check of uploads: refuses built-in symbols unless the server allows it.

    Called once the symbol is known (typed in the form or detected from the text) and before
    anything is written, so it also covers an upload that would become a built-in report's
    "official" rendering in the other language.
    """
    if services.settings.allow_builtin_upload:
        return None
    protected = {d.symbol for d in builtin_catalog().values()}

    def refuse_builtin(document) -> None:
        if document.symbol in protected:
            raise UserError(L.BUILTIN_PROTECTED.format(symbol=document.symbol))

    return refuse_builtin


def make_upload_handler(services):
    # Gradio injects progress tracking through this default value (its documented idiom).
    def upload(file, symbol, region, congress, language, title,
               progress=gr.Progress(track_tqdm=True)):  # noqa: B008
        """Ingest one uploaded report; returns (status, document table)."""
        if not file:
            gr.Warning(L.UPLOAD_NO_FILE)
            return f"**{L.UPLOAD_FAILED}:** {L.UPLOAD_NO_FILE}", document_rows(services.store)
        path = Path(file)
        try:
            metadata = upload_metadata(symbol, region, congress, language, title)
            progress(0, desc=f"导入 / Ingesting {path.name}")
            with services.ingest_lock:
                reports = ingest_files([path], services.settings, overrides=metadata,
                                       store=services.store, progress=True,
                                       before_write=builtin_guard(services))
        except UserError as exc:
            gr.Warning(str(exc))
            return f"**{L.UPLOAD_FAILED}:** {exc}\n\n{L.STORE_UNCHANGED}", document_rows(services.store)
        done = "; ".join(r.describe() for r in reports)
        if services.settings.translate_uploads:
            started = render_after_ingest(services.settings, services.store, reports)
            if started:
                done += " " + L.RENDERINGS_STARTED.format(symbols=", ".join(started))
        gr.Info(f"{L.UPLOAD_OK}: {done}")
        return f"**{L.UPLOAD_OK}:** {done}", document_rows(services.store)

    return upload


def build_upload_tab(services):
    """The upload tab; returns its ingest event (to refresh the chat filters after it) and the
    table of documents (refreshed when a page loads)."""
    with gr.Tab(L.TAB_UPLOAD):
        gr.Markdown(L.UPLOAD_HELP)
        with gr.Row():
            with gr.Column():
                file = gr.File(label=L.UPLOAD_FILE, file_types=ACCEPTED_TYPES, file_count="single",
                               type="filepath", elem_id="upload-file")
                symbol = gr.Textbox(label=L.UPLOAD_SYMBOL, elem_id="upload-symbol")
                title = gr.Textbox(label=L.UPLOAD_TITLE)
                with gr.Row():
                    region = gr.Textbox(label=L.UPLOAD_REGION)
                    congress = gr.Textbox(label=L.UPLOAD_CONGRESS)
                    language = gr.Dropdown(L.UPLOAD_LANGUAGES, value="", label=L.UPLOAD_LANGUAGE)
                button = gr.Button(L.UPLOAD_BUTTON, variant="primary", elem_id="upload-button")
                status = gr.Markdown(label=L.UPLOAD_STATUS, elem_id="upload-status")
            with gr.Column():
                table = gr.Dataframe(document_rows(services.store), headers=TABLE_HEADERS,
                                     label=L.DOCUMENT_LIST, interactive=False)
        event = button.click(make_upload_handler(services),
                             [file, symbol, region, congress, language, title], [status, table],
                             api_name="upload", concurrency_id="ingest")
    return event, table
