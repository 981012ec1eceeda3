"""The README's LangChain example (UnitRetriever in an LCEL chain with ChatOpenAI), run verbatim
against a copy of the built-in store and a real `llama_cpp.server` on loopback (0.5B model)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import SHARED_CACHE_DIR
from llama_server import MODEL_ALIAS, running_llama_server
from test_app_client import copy_store

from vectorstore.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

MARKER = "<!-- retriever-example:"


def readme_example() -> str:
    """The ```python block right after the marker comment in README.md."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index(MARKER):]
    match = re.search(r"```python\n(.*?)```", after, re.S)
    assert match, "no python block after the marker"
    return match.group(1)


def test_readme_example_runs_verbatim(builtin_store, builtin_settings, tmp_path):
    code = readme_example()
    assert "UnitRetriever.from_settings" in code and "ChatOpenAI" in code
    data_dir = copy_store(builtin_settings, tmp_path / "data")
    with running_llama_server(builtin_settings, tmp_path / "llama.log") as base_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_CACHE_DIR=SHARED_CACHE_DIR,
                   ASSISTANT_OPENAI_BASE_URL=base_url, ASSISTANT_OPENAI_MODEL=MODEL_ALIAS)
        script = tmp_path / "example.py"
        script.write_text(code, encoding="utf-8")
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600,
                                cwd=PROJECT_ROOT, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    first, _, answer = result.stdout.partition("\n")
    assert first == ("A/CONF.241/RPM.2/2#24(d) | A/CONF.241/RPM.2/2, para. 24 (d) | "
                     "A/CONF.241/RPM.2/2, 第24(d)段")
    # the model's answer, streamed through the LCEL chain (its wording is the model's business)
    # an English question over Chinese paragraphs: the answer must still be readable English
    words, cjk = re.findall(r"[A-Za-z]+", answer), re.findall(r"[\u4e00-\u9fff]", answer)
    assert len(words) >= 8 and len(cjk) <= len(words), result.stdout
