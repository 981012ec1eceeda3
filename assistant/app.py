"""Gradio UI: chat with streamed, citation-verified answers beside the cited paragraphs.

One `AppServices` (store, searcher, answer chains) is shared by all browser sessions; each
session's conversation lives in its own `gr.State`, so users never see each other's chats.
The chat history shown in the Chatbot is rebuilt from that state on every turn (the Chatbot is
an output only), which also keeps the `/ask` API simple for `gradio_client`.
"""

from __future__ import annotations

import importlib.util
import tempfile
import threading
from pathlib import Path

import gradio as gr

from assistant import ui_labels as L
from assistant.backends import make_backend
from assistant.chain import Answer, AnswerChain
from assistant.config import Settings
from assistant.export import answer_to_docx, answer_to_markdown
from assistant.ui_sources import SOURCES_CSS, answer_html, escape, sources_html
from assistant.ui_upload import build_upload_tab, document_choices, document_rows
from vectorstore.errors import UserError
from vectorstore.filters import Filters
from vectorstore.retrieval import HybridSearcher
from vectorstore.store import UnitStore

APP_CSS = SOURCES_CSS + """
.model-info { font-size: 0.9em; }
"""
EXTRACTIVE_DESCRIPTION = (
    "摘录：直接引用检索到的段落原文，不使用模型 / "
    "Extractive: verbatim sentences from the retrieved paragraphs, no model"
)


class AppServices:
    """What all sessions share: the store, the searcher and one answer chain per backend."""

    def __init__(self, settings: Settings, store: UnitStore | None = None):
        self.settings = settings
        self.store = store or UnitStore(settings)
        self.searcher = HybridSearcher(self.store, settings)
        self.ingest_lock = threading.Lock()  # one upload at a time
        self._chains: dict[str, AnswerChain] = {}
        self._descriptions: dict[str, str] = {}
        self._lock = threading.Lock()

    def chain(self, backend: str) -> AnswerChain:
        with self._lock:
            if backend not in self._chains:
                self._chains[backend] = AnswerChain(self.settings.with_overrides(backend=backend),
                                                    searcher=self.searcher)
            return self._chains[backend]

    def describe_backend(self, backend: str) -> str:
        """The model in use for `backend` (without loading the model)."""
        if backend == "extractive":
            return EXTRACTIVE_DESCRIPTION
        if backend not in self._descriptions:
            try:
                made = make_backend(self.settings.with_overrides(backend=backend))
                self._descriptions[backend] = made.description if made else EXTRACTIVE_DESCRIPTION
            except UserError as exc:
                return f"不可用 / unavailable: {exc}"
        return self._descriptions[backend]


def build_filters(symbols, congresses, regions, kinds) -> Filters:
    bad = [c for c in congresses or () if not str(c).strip().isdigit()]
    if bad:
        raise UserError(f"大会届次必须是数字 / Congress must be a number, not {bad[0]!r}.")
    return Filters(
        symbols=tuple(symbols or ()),
        congresses=tuple(int(c) for c in congresses or ()),
        regions=tuple(regions or ()),
        kinds=tuple(kinds or ()),
    )


def chat_messages(history: list[dict]) -> list[dict]:
    """Chatbot messages from the session history (assistant turns keep their linked HTML)."""
    return [{"role": turn["role"], "content": turn.get("display", escape(turn["content"]))}
            for turn in history]


def answer_details(answer: Answer) -> dict:
    """Machine-readable summary of the answer (shown under "Verification details", used by tests)."""
    return {
        "citations": [u.id for u in answer.citations],
        "retrieved": [h.unit.id for h in answer.retrieved],
        "language": answer.language,
        "mode": answer.mode,
        "backend": answer.backend,
        "standalone_question": answer.standalone_question,
        "corrections": list(answer.corrections),
        "notices": list(answer.notices),
    }


def write_exports(answer: Answer, question: str) -> tuple[str, str]:
    """The answer as .md and .docx files in a fresh temporary folder (Gradio serves them)."""
    folder = Path(tempfile.mkdtemp(prefix="rpm-answer-"))
    md_path = folder / "answer.md"
    md_path.write_text(answer_to_markdown(answer, question), encoding="utf-8")
    docx_path = answer_to_docx(answer, folder / "answer.docx", question)
    return str(md_path), str(docx_path)


def make_ask_handler(services: AppServices):
    def ask(question, mode, symbols, congresses, regions, kinds, backend, history):
        """Stream the answer into the chat, then show the verified answer with linked citations.

        Yields (chatbot, question box, history, sources, details, .md, .docx).
        """
        question = (question or "").strip()
        history = list(history or [])
        if not question:
            gr.Warning("请输入问题 / Please type a question.")
            yield chat_messages(history), "", history, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        chain_history = [{k: v for k, v in turn.items() if k != "display"} for turn in history]
        pending = [*history, {"role": "user", "content": question},
                   {"role": "assistant", "content": "", "display": L.SEARCHING}]
        # A new question clears the previous answer's sources and exports.
        yield chat_messages(pending), "", history, sources_html(None, L.SEARCHING), {}, None, None

        answer, partial = None, ""
        streaming = gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            filters = build_filters(symbols, congresses, regions, kinds)
            for piece in services.chain(backend).stream(question, chain_history, mode, filters):
                if isinstance(piece, str):
                    partial += piece
                    pending[-1]["display"] = escape(partial)
                    yield chat_messages(pending), "", history, *streaming
                else:
                    answer = piece
        except UserError as exc:
            gr.Warning(str(exc))
            pending[-1]["display"] = escape(f"⚠ {exc}")
            yield chat_messages(pending), question, history, sources_html(None), {}, None, None
            return
        if answer is None:  # the chain contract always ends with an Answer
            raise gr.Error("未生成回答 / No answer was produced")

        history = [*history, {"role": "user", "content": question},
                   {"role": "assistant", "content": answer.text, "display": answer_html(answer),
                    "sources": [u.id for u in answer.citations]}]
        md_path, docx_path = write_exports(answer, question)
        yield (chat_messages(history), "", history, sources_html(answer), answer_details(answer),
               md_path, docx_path)

    return ask


def clear_chat():
    return [], "", [], sources_html(None), {}, None, None


def build_app(settings: Settings, services: AppServices | None = None) -> gr.Blocks:
    services = services or AppServices(settings)
    initial_backend = settings.backend
    with gr.Blocks(title=L.TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"## {L.TITLE}\n{L.SUBTITLE}")
        history = gr.State([])
        with gr.Tabs():
            with gr.Tab(L.TAB_CHAT):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label=L.CHATBOT, height=480, feedback_options=None,
                                             elem_id="chatbot")
                        with gr.Row():
                            question = gr.Textbox(label=L.QUESTION, placeholder=L.QUESTION_PLACEHOLDER,
                                                  lines=2, scale=5, elem_id="question")
                            send = gr.Button(L.SEND, variant="primary", scale=1, elem_id="send")
                        mode = gr.Radio(L.MODES, value="ask", label=L.MODE, elem_id="mode")
                        with gr.Accordion(L.FILTERS, open=False):
                            docs, congresses, regions = document_choices(services.store)
                            # Custom values allowed: a report uploaded in another session is a valid
                            # filter before this session's choices are refreshed.
                            doc_filter = gr.Dropdown(docs, multiselect=True, allow_custom_value=True,
                                                     label=L.FILTER_DOCUMENTS)
                            congress_filter = gr.Dropdown(congresses, multiselect=True,
                                                          allow_custom_value=True, label=L.FILTER_CONGRESS)
                            region_filter = gr.Dropdown(regions, multiselect=True, allow_custom_value=True,
                                                        label=L.FILTER_REGION)
                            kind_filter = gr.CheckboxGroup(L.KINDS, label=L.FILTER_KIND)
                        with gr.Row():
                            backend = gr.Dropdown(L.BACKENDS, value=initial_backend, label=L.BACKEND,
                                                  scale=1, elem_id="backend")
                            model_info = gr.Markdown(
                                f"**{L.MODEL_IN_USE}:** {services.describe_backend(initial_backend)}",
                                elem_classes="model-info")
                        with gr.Row():
                            export_md = gr.DownloadButton(L.EXPORT_MD, size="sm", elem_id="export-md")
                            export_docx = gr.DownloadButton(L.EXPORT_DOCX, size="sm", elem_id="export-docx")
                            clear = gr.Button(L.CLEAR, size="sm")
                        gr.Examples([[q, m] for q, m in L.EXAMPLES_ZH + L.EXAMPLES_EN],
                                    inputs=[question, mode], label=L.EXAMPLES)
                        with gr.Accordion(L.DETAILS, open=False):
                            details = gr.JSON(label=L.DETAILS)
                    with gr.Column(scale=2):
                        gr.Markdown(f"### {L.SOURCES}")
                        sources = gr.HTML(sources_html(None), label=L.SOURCES, elem_id="sources-panel",
                                          max_height=1100)

            upload_event, document_table = build_upload_tab(services)
            build_matrix_tab(services)

        ask_inputs = [question, mode, doc_filter, congress_filter, region_filter, kind_filter, backend,
                      history]
        ask_outputs = [chatbot, question, history, sources, details, export_md, export_docx]
        ask = make_ask_handler(services)
        send.click(ask, ask_inputs, ask_outputs, api_name="ask")
        question.submit(ask, ask_inputs, ask_outputs, api_name=False)
        clear.click(clear_chat, None, ask_outputs, api_name="clear")
        backend.change(lambda b: f"**{L.MODEL_IN_USE}:** {services.describe_backend(b)}", backend,
                       model_info, api_name="backend_info")

        # New documents appear in every session's filters (on upload here, on page load elsewhere).
        # (`.then` runs in the browser; API clients may pass new symbols anyway: custom values allowed.)
        refresh_targets = [doc_filter, congress_filter, region_filter]
        upload_event.then(lambda: refresh_filter_choices(services), None, refresh_targets, api_name=False)
        demo.load(lambda: (*refresh_filter_choices(services), document_rows(services.store)), None,
                  [*refresh_targets, document_table], api_name=False)
    return demo


def refresh_filter_choices(services: AppServices):
    docs, congresses, regions = document_choices(services.store)
    return gr.Dropdown(choices=docs), gr.Dropdown(choices=congresses), gr.Dropdown(choices=regions)


def build_matrix_tab(services: AppServices) -> None:
    """MATRIX TAB HOOK: the thematic matrix tab lives in `assistant/matrix_tab.py`.

    That module (written with `assistant/matrix.py`) defines `build_tab(services: AppServices)`,
    which creates its own `gr.Tab(...)` inside the app's `gr.Tabs`. Until it exists there is no tab.
    """
    if importlib.util.find_spec("assistant.matrix_tab") is None:
        return
    from assistant import matrix_tab

    matrix_tab.build_tab(services)


def password_auth(password: str):
    """Gradio auth callback: any user name (e.g. "delegate") with the configured password."""
    import hmac

    def check(username: str, given: str) -> bool:
        return hmac.compare_digest(given.encode(), password.encode())

    return check


def launch(settings: Settings, services: AppServices | None = None, **launch_kwargs):
    """Build the app and serve it on settings.host:settings.port (password-protected if set)."""
    demo = build_app(settings, services)
    demo.queue(default_concurrency_limit=1)  # one model, two cores: answers run one at a time
    return demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=password_auth(settings.password) if settings.password else None,
        auth_message="输入密码（任意用户名，例如 delegate）/ Password (any user name, e.g. delegate)",
        css=APP_CSS,
        # System fonts only: the default theme fonts would be fetched from the internet.
        theme=gr.themes.Soft(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"]),
        **launch_kwargs,
    )
