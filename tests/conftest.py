"""Shared pytest fixtures: per-test Settings, and one store with the built-in corpus per session.

- `make_settings(tmp_path, **env)`: Settings whose data directory is `tmp_path`; the model cache
  (ASSISTANT_CACHE_DIR) is the real one, so models are never downloaded or assembled per test.
  Keyword arguments are environment variables (`ASSISTANT_BACKEND="extractive"`) or setting
  names (`backend="extractive"`).
- `builtin_store` / `builtin_settings`: a UnitStore in a session temp dir with the built-in corpus
  ingested once (embedded once per test session). Treat it as read-only: tests that write must
  build their own store with `make_settings`.
- `write_report(path, symbol=..., region=..., topic=...)`: writes a small parseable English report
  (paragraphs 1-4, sub-items 3(a)-(c)) for ingestion tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vectorstore.settings import Settings, env_table

_VARIABLE_OF_SETTING = {name: var for var, name, _ in env_table()}
_DEFAULT_CACHE_DIR = next(default for var, _, default in env_table() if var == "ASSISTANT_CACHE_DIR")
SHARED_CACHE_DIR = os.environ.get("ASSISTANT_CACHE_DIR", _DEFAULT_CACHE_DIR)


def build_settings(data_dir: Path, **env) -> Settings:
    """Settings isolated from the caller's environment except for the shared model cache."""
    environ = {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CACHE_DIR": SHARED_CACHE_DIR}
    for key, value in env.items():
        environ[_VARIABLE_OF_SETTING.get(key, key)] = str(value)
    return Settings.from_env(environ)


@pytest.fixture
def make_settings():
    """`make_settings(tmp_path, **env) -> Settings` with ASSISTANT_DATA_DIR = tmp_path."""
    return build_settings


@pytest.fixture(scope="session")
def builtin_settings(tmp_path_factory) -> Settings:
    return build_settings(tmp_path_factory.mktemp("builtin-data"))


@pytest.fixture(scope="session")
def builtin_store(builtin_settings):
    """UnitStore holding the built-in corpus (read-only for tests)."""
    from vectorstore.ingest import ensure_builtin_corpus
    from vectorstore.store import UnitStore

    store = UnitStore(builtin_settings)
    ensure_builtin_corpus(builtin_settings, store=store)
    return store


ENGLISH_REPORT = """United Nations {symbol}

Report of the {region} Regional Preparatory Meeting for the Sixteenth Congress

 I. Introduction

1. The Meeting was opened in Nairobi on 3 March 2025 by the Chair of the Meeting.
2. The Meeting elected its officers by acclamation and adopted its agenda.

 II. Recommendations

3. The following recommendations, which were not negotiated by participants, were identified:
(a) States should strengthen international cooperation against cybercrime, including through
mutual legal assistance and the preservation of electronic evidence;
(b) States should protect victims of trafficking in persons and of the smuggling of migrants;
(c) States should invest in the rehabilitation and social reintegration of offenders.
4. Participants stressed the importance of technical assistance for {topic}.
"""


@pytest.fixture
def write_report():
    """`write_report(path, symbol=..., region=..., topic=...) -> path`: a small parseable English
    report (paragraphs 1-4, sub-items 3(a)-(c); the symbol is printed in the masthead)."""

    def write(path: Path, symbol: str = "A/CONF.777/RPM.1/1", region: str = "Test",
              topic: str = "small island developing States") -> Path:
        path.write_text(ENGLISH_REPORT.format(symbol=symbol, region=region, topic=topic), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="module")
def extractive_chain(builtin_store, builtin_settings):
    """The answer chain over the built-in store, answering without a model (quotes)."""
    from assistant.chain import AnswerChain
    from vectorstore.retrieval import HybridSearcher

    settings = builtin_settings.with_overrides(backend="extractive")
    return AnswerChain(settings, HybridSearcher(builtin_store, settings))
