"""Answer backends, registered by name: a local GGUF model, an OpenAI-compatible server, or none.

The registry (`register_backend(BackendSpec(...))`, `backend_names()`, `backend_spec(name)`) is
the one list of backends: `make_backend`, the CLI's --backend choices and the UI's backend
dropdown (assistant.ui_labels.BACKENDS) all come from it. Adding a backend is one class (a
ChatBackend) and one `register_backend` call at the bottom of this module.

The model backends take messages as [{"role": "system" | "user" | "assistant", "content": str}],
decode greedily (temperature 0, so answers are reproducible, with a mild repeat penalty against
loops) and yield text chunks. Anything that stops them from answering (model missing, server down,
HTTP error) raises BackendUnavailable, which the answer chain turns into a fallback to the
extractive backend.

Structured output: `stream(..., spec=OutputSpec)` constrains the answer to the attributed
statement format of assistant.statements.
- llama.cpp: the spec's GBNF grammar constrains decoding (source numbers, statement count, no
  CJK in English answers); the grammar is asked about the model's best token first
  (assistant.checked_grammar).
- OpenAI-compatible: `response_format` with the spec's JSON schema, first in the OpenAI form
  (`{"type": "json_schema", ...}`: OpenAI, vLLM, llama.cpp's llama-server), then in the form
  llama-cpp-python's server accepts (`{"type": "json_object", "schema": ...}`), then without
  one (the chain parses what comes back). A form the server answers with an HTTP error is
  dropped for the rest of the process. The first form the server accepts is remembered;
  `structured_with` says which one answered the last request.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.model_artifacts import MODELS, resolve_model_path
from assistant.statements import OutputSpec
from vectorstore.errors import UserError
from vectorstore.registry import Registry
from vectorstore.settings import Settings

N_CTX = 8192  # room for ~10 retrieved paragraphs, the history and a 512-token answer
CONNECT_TIMEOUT = 3.0  # seconds: a server that is down must fail fast
READ_TIMEOUT = 300.0  # seconds between streamed chunks: a long prompt on 2 CPU cores is slow
REPEAT_PENALTY = 1.1  # llama.cpp's usual value; with greedy decoding it breaks most loops
FREQUENCY_PENALTY = 0.3  # the OpenAI-compatible equivalent (servers differ in what they support)


# llama.cpp runs its threads under OpenMP. By default idle OpenMP threads spin, which on a machine
# whose cores are busy with other work (the UI's embedder, other processes) made generation 6x
# slower; passive waiting costs little when the cores are free. libgomp reads this at load time,
# so it is set before llama_cpp is imported (child processes such as llama_cpp.server inherit it).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class BackendUnavailable(UserError):
    """The configured model backend cannot answer now; the message says why and where."""


class ChatBackend(Protocol):
    name: str  # "llamacpp" | "openai"
    description: str  # model in use, shown in the UI
    structured_with: str  # how the last structured answer was constrained ("grammar", "json_schema", ...)

    def stream(self, messages: list[dict], max_tokens: int = 512,
               spec: OutputSpec | None = None) -> Iterator[str]: ...


@dataclass(frozen=True)
class BackendSpec:
    """One answer backend in the registry."""

    name: str  # settings.backend, the --backend choice and the dropdown value
    make: Callable[[Settings], ChatBackend | None]  # None: answered without a model (extractive)
    labels: dict[str, str]  # {"zh": ..., "en": ...}, joined into the UI's bilingual label
    needs_model: bool = True
    # Generation runs in this process on the shared CPU: the app lets one answer at a time use it
    # (a server schedules its own requests, which is how it scales out).
    in_process: bool = False
    # Shown in the UI for a backend without a model; a model backend describes the model it loads
    # (ChatBackend.description).
    description: str = ""


BACKENDS: Registry[BackendSpec] = Registry("backend")


def register_backend(spec: BackendSpec) -> BackendSpec:
    return BACKENDS.register(spec.name, spec)


def backend_names() -> tuple[str, ...]:
    """Registered backend names, in registration order."""
    return BACKENDS.names()


def backend_spec(name: str) -> BackendSpec:
    """The registered backend `name`; a UserError listing the registered ones otherwise."""
    return BACKENDS.get(name)


def make_backend(settings: Settings) -> ChatBackend | None:
    """The backend configured by settings.backend; None for a backend without a model (extractive)."""
    return backend_spec(settings.backend).make(settings)


class _LoadedModel:
    """One llama.cpp model and the lock that serialises its use (a Llama is not thread-safe)."""

    def __init__(self, llama):
        from assistant.prefix_states import SystemPrefixStates

        self.llama = llama
        self.lock = threading.Lock()
        self.system_states = SystemPrefixStates()  # evaluated system messages (under the lock)


# Process-wide: the UI and the CLI share one loaded copy per (file, context size, threads).
_LOADED: dict[tuple[str, int, int], _LoadedModel] = {}
_LOADING = threading.Lock()


@atexit.register
def _close_loaded_models() -> None:
    """Free the loaded models while the interpreter is whole. Left to Llama.__del__ at shutdown,
    llama-cpp-python's own cleanup finds its library functions already gone and prints a
    "TypeError: 'NoneType' object is not callable" traceback per model. A model that a (daemon)
    thread is still loading or generating with is left alone: freeing it under that thread would
    crash the process instead of printing a traceback."""
    if not _LOADING.acquire(blocking=False):
        return
    try:
        for key, loaded in list(_LOADED.items()):
            if loaded.lock.acquire(blocking=False):
                try:
                    loaded.llama.close()
                    del _LOADED[key]
                finally:
                    loaded.lock.release()
    finally:
        _LOADING.release()


class LlamaCppBackend:
    """A local GGUF model through llama-cpp-python, loaded on first use and kept for the process."""

    name = "llamacpp"
    structured_with = ""

    def __init__(self, settings: Settings, n_ctx: int = N_CTX):
        self.settings = settings
        self.n_ctx = n_ctx
        spec = MODELS.get(settings.model)
        self.chat_format = spec.chat_format if spec else None  # None: the GGUF's own template
        file_name = spec.file_name if spec else Path(settings.model).name
        self.description = f"llama.cpp · {file_name}"

    def load(self) -> _LoadedModel:
        """Fetch the model if needed and load it (once per process); BackendUnavailable on failure."""
        try:
            path = resolve_model_path(self.settings)
        except UserError as error:
            raise BackendUnavailable(f"Local model unavailable: {error}") from error
        key = (str(path), self.n_ctx, self.settings.n_threads)
        with _LOADING:
            if key not in _LOADED:
                _LOADED[key] = _LoadedModel(self._load_llama(path))
            return _LOADED[key]

    def _load_llama(self, path: Path):
        try:
            from assistant.checked_grammar import GrammarFirstLlama
        except ImportError as error:
            raise BackendUnavailable(
                "llama-cpp-python is not installed; run the set-up script or use --backend openai/extractive"
            ) from error
        try:
            threads = self.settings.n_threads
            return GrammarFirstLlama(model_path=str(path), n_ctx=self.n_ctx, n_threads=threads,
                                     n_threads_batch=threads, chat_format=self.chat_format, verbose=False)
        except (ValueError, RuntimeError, OSError) as error:
            raise BackendUnavailable(f"Could not load the model {path}: {error}") from error

    def warm(self, systems: list[str]) -> None:
        """Load the model and evaluate these system messages now, so that the first answer that
        begins with one of them finds it evaluated (assistant.prefix_states)."""
        for system in systems:  # a one-token answer: stream() saves what it evaluated
            for _ in self.stream([{"role": "system", "content": system}, {"role": "user", "content": "."}],
                                 max_tokens=1):
                pass

    def stream(self, messages: list[dict], max_tokens: int = 512,
               spec: OutputSpec | None = None) -> Iterator[str]:
        model = self.load()
        grammar = None
        if spec is not None:
            from llama_cpp import LlamaGrammar

            grammar = LlamaGrammar.from_string(spec.grammar(), verbose=False)
        self.structured_with = "grammar" if grammar is not None else ""
        system = messages[0]["content"] if messages and messages[0].get("role") == "system" else None
        with model.lock:
            if system is not None:
                model.system_states.before(model.llama, system)
            try:
                chunks = model.llama.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True,
                    repeat_penalty=REPEAT_PENALTY, grammar=grammar,
                )
                for chunk in chunks:
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            except (ValueError, RuntimeError) as error:  # e.g. prompt longer than the context
                raise BackendUnavailable(f"The local model failed: {error}") from error
            finally:
                model.llama.release_checked_sampler()
                if system is not None:
                    model.system_states.after(model.llama, system)


class OpenAICompatibleBackend:
    """Any OpenAI-compatible chat endpoint (llama.cpp server, vLLM, Ollama, OpenAI...)."""

    name = "openai"
    # response_format forms, most standard first (see the module docstring)
    FORMATS = ("json_schema", "json_object", "none")

    def __init__(self, settings: Settings):
        import openai

        self.base_url = settings.openai_base_url.rstrip("/")
        self.model = settings.openai_model
        self.description = f"OpenAI-compatible · {self.model} @ {self.base_url}"
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=settings.openai_api_key or "not-needed",
            timeout=openai.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            max_retries=0,  # the chain falls back to extractive instead of waiting
        )
        self._formats = list(self.FORMATS)  # forms not yet refused by this server
        self.structured_with = ""

    def stream(self, messages: list[dict], max_tokens: int = 512,
               spec: OutputSpec | None = None) -> Iterator[str]:
        import openai

        while True:
            form = self._formats[0] if spec is not None else "none"
            try:
                chunks = self._create(messages, max_tokens, _response_format(form, spec))
                first = next(chunks, None)  # a server that refuses the format fails here
            except openai.APIStatusError as error:
                # Refused (400/422, or 500 from llama-cpp-python's request validation): try the
                # next form; without one, the error stands.
                if form == "none":
                    raise self._unavailable(error) from error
                self._formats.remove(form)
                continue
            except openai.OpenAIError as error:
                raise self._unavailable(error) from error
            break
        self.structured_with = form if spec is not None else ""
        try:
            if first is not None:
                yield first
            yield from chunks
        except openai.OpenAIError as error:
            raise self._unavailable(error) from error

    def _create(self, messages: list[dict], max_tokens: int, response_format: dict | None) -> Iterator[str]:
        extra = {"response_format": response_format} if response_format else {}
        stream = self._client.chat.completions.create(
            model=self.model, messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True,
            frequency_penalty=FREQUENCY_PENALTY, **extra,
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content

    def _unavailable(self, error) -> BackendUnavailable:
        """The user-facing error for a failed request."""
        import openai

        if isinstance(error, openai.APITimeoutError):
            return BackendUnavailable(f"The OpenAI-compatible server at {self.base_url} timed out")
        if isinstance(error, openai.APIConnectionError):
            return BackendUnavailable(
                f"Cannot reach the OpenAI-compatible server at {self.base_url} ({_cause(error)}). "
                "Start it or check ASSISTANT_OPENAI_BASE_URL.")
        if isinstance(error, openai.APIStatusError):
            return BackendUnavailable(
                f"The OpenAI-compatible server at {self.base_url} answered HTTP {error.status_code}: "
                f"{_short(error.message)}")
        return BackendUnavailable(
            f"The OpenAI-compatible server at {self.base_url} failed: {_short(str(error))}")


def _response_format(form: str, spec: OutputSpec | None) -> dict | None:
    """`response_format` for `spec` in one of OpenAICompatibleBackend.FORMATS (None: send none)."""
    if spec is None or form == "none":
        return None
    if form == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "attributed_answer", "strict": True, "schema": spec.json_schema()}}
    return {"type": "json_object", "schema": spec.json_schema()}


def _cause(error: BaseException) -> str:
    """The innermost error message, e.g. 'Connection refused'."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    return _short(str(error)) or type(error).__name__


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# -- the backends (the UI lists them in this order) -----------------------------------------------

register_backend(BackendSpec(
    name="llamacpp", make=LlamaCppBackend, labels={"zh": "本地模型", "en": "Local model (llama.cpp)"},
    in_process=True,
))
register_backend(BackendSpec(
    name="openai", make=OpenAICompatibleBackend,
    labels={"zh": "OpenAI 兼容接口", "en": "OpenAI-compatible endpoint"},
))
register_backend(BackendSpec(
    name="extractive", make=lambda settings: None,
    labels={"zh": "摘录（无模型）", "en": "Extractive (no model)"}, needs_model=False,
    description="摘录：直接引用检索到的段落原文，不使用模型 / "
                "Extractive: verbatim sentences from the retrieved paragraphs, no model",
))
