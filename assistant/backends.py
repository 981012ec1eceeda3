"""Chat backends that stream an answer from messages: a local GGUF model or an OpenAI-compatible server.

Both take messages as [{"role": "system" | "user" | "assistant", "content": str}], decode
greedily (temperature 0, so answers are reproducible) and yield text chunks. Anything that
stops them from answering (model missing, server down, HTTP error) raises BackendUnavailable,
which the answer chain turns into a fallback to the extractive backend.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from assistant.config import Settings
from assistant.model_artifacts import MODELS, resolve_model_path
from vectorstore.errors import UserError

N_CTX = 8192  # room for ~10 retrieved paragraphs, the history and a 512-token answer
CONNECT_TIMEOUT = 3.0  # seconds: a server that is down must fail fast
READ_TIMEOUT = 300.0  # seconds between streamed chunks: a long prompt on 2 CPU cores is slow


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

    def stream(self, messages: list[dict], max_tokens: int = 512) -> Iterator[str]: ...


def make_backend(settings: Settings) -> ChatBackend | None:
    """The backend configured by settings.backend; None for "extractive" (no model)."""
    if settings.backend == "llamacpp":
        return LlamaCppBackend(settings)
    if settings.backend == "openai":
        return OpenAICompatibleBackend(settings)
    if settings.backend == "extractive":
        return None
    raise UserError(f"Unknown backend {settings.backend!r}: use llamacpp, openai or extractive.")


class _LoadedModel:
    """One llama.cpp model and the lock that serialises its use (a Llama is not thread-safe)."""

    def __init__(self, llama):
        self.llama = llama
        self.lock = threading.Lock()


# Process-wide: the UI and the CLI share one loaded copy per (file, context size, threads).
_LOADED: dict[tuple[str, int, int], _LoadedModel] = {}
_LOADING = threading.Lock()


class LlamaCppBackend:
    """A local GGUF model through llama-cpp-python, loaded on first use and kept for the process."""

    name = "llamacpp"

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
            from llama_cpp import Llama
        except ImportError as error:
            raise BackendUnavailable(
                "llama-cpp-python is not installed; run the set-up script or use --backend openai/extractive"
            ) from error
        try:
            threads = self.settings.n_threads
            return Llama(model_path=str(path), n_ctx=self.n_ctx, n_threads=threads, n_threads_batch=threads,
                         chat_format=self.chat_format, verbose=False)
        except (ValueError, RuntimeError, OSError) as error:
            raise BackendUnavailable(f"Could not load the model {path}: {error}") from error

    def stream(self, messages: list[dict], max_tokens: int = 512) -> Iterator[str]:
        model = self.load()
        with model.lock:
            try:
                chunks = model.llama.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
                )
                for chunk in chunks:
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            except (ValueError, RuntimeError) as error:  # e.g. prompt longer than the context
                raise BackendUnavailable(f"The local model failed: {error}") from error


class OpenAICompatibleBackend:
    """Any OpenAI-compatible chat endpoint (llama.cpp server, vLLM, Ollama, OpenAI...)."""

    name = "openai"

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

    def stream(self, messages: list[dict], max_tokens: int = 512) -> Iterator[str]:
        import openai

        try:
            chunks = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
            )
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.APITimeoutError as error:
            raise BackendUnavailable(f"The OpenAI-compatible server at {self.base_url} timed out") from error
        except openai.APIConnectionError as error:
            raise BackendUnavailable(
                f"Cannot reach the OpenAI-compatible server at {self.base_url} ({_cause(error)}). "
                "Start it or check ASSISTANT_OPENAI_BASE_URL."
            ) from error
        except openai.APIStatusError as error:
            raise BackendUnavailable(
                f"The OpenAI-compatible server at {self.base_url} answered HTTP {error.status_code}: "
                f"{_short(error.message)}"
            ) from error
        except openai.OpenAIError as error:
            raise BackendUnavailable(
                f"The OpenAI-compatible server at {self.base_url} failed: {_short(str(error))}"
            ) from error


def _cause(error: BaseException) -> str:
    """The innermost error message, e.g. 'Connection refused'."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    return _short(str(error)) or type(error).__name__


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
