"""Gradio UI: chat with streamed, citation-verified answers beside the cited paragraphs.

One `AppServices` (store, searcher, answer chains) is shared by all browser sessions; each
session's conversation lives in its own `gr.State`, so users never see each other's chats.
The chat history shown in the Chatbot is rebuilt from that state on every turn (the Chatbot is
an output only), which also keeps the `/ask` API simple for `gradio_client`.

Concurrency: many /ask handlers run at once, so a lookup or an extractive answer never waits
behind a model answer; only generation with the local model is serialised, per loaded model
(`AppServices.model_turn`), with a bounded number waiting ("busy, try again" beyond it).

Safety: the Chatbot renders HTML built here, never Markdown, so links and images written in
model or document text stay text; the streamed draft is escaped plain text until the verified
answer replaces it.
"""

from __future__ import annotations

import hmac
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import gradio as gr

from assistant import ui_labels as L
from assistant.backends import backend_spec, make_backend
from assistant.chain import Answer, AnswerChain, Sources
from assistant.export import answer_to_docx, answer_to_markdown
from assistant.mcp_tools import TOOL_NAMES, register_mcp_tools
from assistant.modes import get_mode
from assistant.ui_sources import SOURCES_CSS, answer_html, escape, sources_html
from assistant.ui_upload import build_upload_tab, document_choices, document_rows
from vectorstore.errors import UserError
from vectorstore.filters import Filters
from vectorstore.retrieval import HybridSearcher
from vectorstore.settings import Settings
from vectorstore.store import UnitStore

APP_CSS = SOURCES_CSS + """
.model-info { font-size: 0.9em; }
.draft-label { color: var(--body-text-color-subdued); font-style: italic; }
"""
ASK_WORKERS = 16  # /ask handlers at once: fast paths run beside the (serialised) model answers
MODEL_WAITERS = 4  # model answers that may wait for the model; more are told to try again
MCP_PATH = "/gradio_api/mcp"
EXTRACTIVE_DESCRIPTION = backend_spec("extractive").description


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
        self._model_gates: dict[str, ModelGate] = {}

    def chain(self, backend: str) -> AnswerChain:
        with self._lock:
            if backend not in self._chains:
                self._chains[backend] = AnswerChain(self.settings.with_overrides(backend=backend),
                                                    searcher=self.searcher)
            return self._chains[backend]

    @contextmanager
    def model_turn(self, backend: str, mode: str):
        """Hold the local model for one answer; lookups and extractive answers pass straight through.

        An OpenAI-compatible server schedules its own requests (that is how it scales out), so only
        a backend that generates in this process (BackendSpec.in_process) is serialised. Raises
        ServerBusy when too many are waiting.
        """
        if not backend_spec(backend).in_process or not get_mode(mode).needs_model:
            yield
            return
        key = f"{backend}:{self.settings.model}"
        with self._lock:
            gate = self._model_gates.setdefault(key, ModelGate(MODEL_WAITERS))
        with gate.turn():
            yield

    def prepare_in_background(self) -> threading.Thread:
        """What the app does while it starts, so that the first question waits for neither:
        1. the vectors of the stored renderings (until they are there, dense search ranks without
           the renderings, and the first question after a start was searched that way);
        2. the configured local model and its ask-mode system messages (nothing for extractive or
           a server).
        A failure here is left for the first search or answer to report."""
        def prepare():
            try:
                self.searcher.prepare_renderings()
            except Exception:  # noqa: BLE001 - a search without them still works, and says nothing wrong
                pass
            try:
                self.chain(self.settings.backend).prepare()
            except Exception:  # noqa: BLE001 - the first answer falls back and says why
                pass

        thread = threading.Thread(target=prepare, name="prepare-app", daemon=True)
        thread.start()
        return thread

    def describe_backend(self, backend: str) -> str:
        """The model in use for `backend` (without loading the model)."""
        spec = backend_spec(backend)
        if not spec.needs_model:
            return spec.description
        if backend not in self._descriptions:
            try:
                made = make_backend(self.settings.with_overrides(backend=backend))
                self._descriptions[backend] = made.description
            except UserError as exc:
                return f"不可用 / unavailable: {exc}"
        return self._descriptions[backend]


class ServerBusy(UserError):
    """Too many model answers are waiting; the message asks the user to try again."""


class ModelGate:
    """One model answer at a time, at most `max_waiting` more waiting (the rest are refused at once)."""

    def __init__(self, max_waiting: int):
        self._running = threading.Lock()
        self._places = threading.BoundedSemaphore(max_waiting + 1)

    @contextmanager
    def turn(self):
        if not self._places.acquire(blocking=False):
            raise ServerBusy(L.BUSY)
        try:
            with self._running:
                yield
        finally:
            self._places.release()


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
    """Chatbot messages from the session history (assistant turns keep their linked HTML).

    The Chatbot renders these as HTML, not Markdown (see `build_app`), so line breaks become <br>.
    """
    return [{"role": turn["role"], "content": chat_html(turn.get("display", escape(turn["content"])))}
            for turn in history]


def chat_html(html_text: str) -> str:
    """HTML built in this module (escaped text, our own tags) with its line breaks kept visible."""
    return html_text.replace("\n", "<br>\n")


def draft_html(partial: str) -> str:
    """The streamed, unverified draft: escaped plain text under a "not yet verified" label.

    Only the text grows from one update to the next (no closing tag after it), so each update
    extends the previous one.
    """
    return f'<span class="draft-label">{escape(L.DRAFT)}</span>\n{escape(partial)}'


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
            with services.model_turn(backend, mode):
                for piece in services.chain(backend).stream(question, chain_history, mode, filters):
                    if isinstance(piece, str):
                        partial += piece
                        pending[-1]["display"] = draft_html(partial)
                        yield chat_messages(pending), "", history, *streaming
                    elif isinstance(piece, Sources):  # before the model writes: the panel fills now
                        yield chat_messages(pending), "", history, sources_html(piece), *streaming[1:]
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
                        # HTML only (built and escaped here): no Markdown, so no live links or
                        # images from model or document text; no LaTeX rendering of "$" amounts.
                        chatbot = gr.Chatbot(label=L.CHATBOT, height=480, feedback_options=None,
                                             elem_id="chatbot", render_markdown=False,
                                             latex_delimiters=[], sanitize_html=True)
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
            build_trace_tab(services)  # traceability tab: assistant/trace_tab.py

        ask_inputs = [question, mode, doc_filter, congress_filter, region_filter, kind_filter, backend,
                      history]
        ask_outputs = [chatbot, question, history, sources, details, export_md, export_docx]
        ask = make_ask_handler(services)
        # One concurrency group for both triggers; the model itself is serialised in model_turn.
        send.click(ask, ask_inputs, ask_outputs, api_name="ask", concurrency_id="ask",
                   concurrency_limit=ASK_WORKERS)
        question.submit(ask, ask_inputs, ask_outputs, api_name=False, concurrency_id="ask",
                        concurrency_limit=ASK_WORKERS)
        clear.click(clear_chat, None, ask_outputs, api_name="clear", queue=False)
        backend.change(lambda b: f"**{L.MODEL_IN_USE}:** {services.describe_backend(b)}", backend,
                       model_info, api_name="backend_info")

        # New documents appear in every session's filters (on upload here, on page load elsewhere).
        # (`.then` runs in the browser; API clients may pass new symbols anyway: custom values allowed.)
        refresh_targets = [doc_filter, congress_filter, region_filter]
        upload_event.then(lambda: refresh_filter_choices(services), None, refresh_targets, api_name=False)
        demo.load(lambda: (*refresh_filter_choices(services), document_rows(services.store)), None,
                  [*refresh_targets, document_table], api_name=False)
        register_mcp_tools(services)
    only_tools_are_public(demo)
    return demo


def only_tools_are_public(demo: gr.Blocks) -> None:
    """Every endpoint but the MCP tools becomes "undocumented": still callable by the app's own
    client (gradio_client), but neither in the API page nor listed as an MCP tool. Applies to the
    tabs added by other modules too (upload, matrix, ...)."""
    for fn in demo.fns.values():
        if fn.api_visibility == "public" and fn.api_name not in TOOL_NAMES:
            fn.api_visibility = "undocumented"


def refresh_filter_choices(services: AppServices):
    docs, congresses, regions = document_choices(services.store)
    return gr.Dropdown(choices=docs), gr.Dropdown(choices=congresses), gr.Dropdown(choices=regions)


def build_matrix_tab(services: AppServices) -> None:
    """The thematic matrix tab (`assistant/matrix_tab.py` creates its own `gr.Tab`)."""
    from assistant import matrix_tab

    matrix_tab.build_tab(services)


def build_trace_tab(services: AppServices) -> None:
    """The traceability tab (`assistant/trace_tab.py` creates its own `gr.Tab`)."""
    from assistant import trace_tab

    trace_tab.build_tab(services)


def password_auth(password: str):
    """Gradio auth callback: any user name (e.g. "delegate") with the configured password."""

    def check(username: str, given: str) -> bool:
        return hmac.compare_digest(given.encode(), password.encode())

    return check


class MCPPasswordGate:
    """ASGI middleware: with a password set, MCP requests need `Authorization: Bearer PASSWORD`.

    Gradio's login protects the app's pages and API but not its MCP routes, so the same password
    is asked of MCP clients here (HTTP Basic with any user name is accepted too).
    """

    def __init__(self, app, password: str):
        self.app = app
        self.password = password.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(MCP_PATH) and not self._allowed(scope):
            await _unauthorised(send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope) -> bool:
        import base64

        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, value = header.partition(b" ")
        if scheme.lower() == b"bearer":
            return hmac.compare_digest(value.strip(), self.password)
        if scheme.lower() == b"basic":
            try:
                given = base64.b64decode(value.strip(), validate=True).partition(b":")[2]
            except ValueError:
                return False
            return hmac.compare_digest(given, self.password)
        return False


async def _unauthorised(send) -> None:
    body = (b'{"error": "This MCP server needs the app password: '
            b'send the header Authorization: Bearer PASSWORD"}')
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
    await send({"type": "http.response.body", "body": body})


def launch(settings: Settings, services: AppServices | None = None, **launch_kwargs):
    """Build the app and serve it on settings.host:settings.port (password-protected if set).

    Access rules (checked by `assistant serve` before this): loopback unless a password is set or
    the operator opted in; the MCP tools ask for the same password; uploads are size-limited and the
    queue is bounded.
    """
    from starlette.middleware import Middleware

    services = services or AppServices(settings)
    services.prepare_in_background()
    demo = build_app(settings, services)
    # Events without their own limit (upload, matrix) run one at a time; /ask sets its own.
    demo.queue(default_concurrency_limit=1, max_size=settings.queue_size)
    password = settings.password
    app_kwargs = {"middleware": [Middleware(MCPPasswordGate, password=password)]} if password else {}
    return demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=password_auth(password) if password else None,
        mcp_server=settings.mcp,
        max_file_size=f"{settings.max_upload_mb}mb",
        app_kwargs=app_kwargs,
        auth_message="输入密码（任意用户名，例如 delegate）/ Password (any user name, e.g. delegate)",
        css=APP_CSS,
        # System fonts only: the default theme fonts would be fetched from the internet.
        theme=gr.themes.Soft(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"]),
        **launch_kwargs,
    )
