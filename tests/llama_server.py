"""llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`) on loopback, 0.5B model.

The real endpoint the "openai" backend, the app and the README's LangChain example talk to in tests;
the same configuration a team points at vLLM or Ollama on a GPU server.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

from server_process import free_port, server_process

MODEL_ALIAS = "qwen-small"


@contextmanager
def running_llama_server(settings, log_path: Path, n_ctx: int = 4096):
    """Yields the server's base URL (`http://127.0.0.1:PORT/v1`) once it lists its model."""
    from assistant.model_artifacts import ensure_model

    model = ensure_model("qwen2.5-0.5b", settings, progress=False)
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", MODEL_ALIAS,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", "2"]
    base_url = f"http://127.0.0.1:{port}/v1"
    with server_process(command, f"{base_url}/models", log_path, timeout=180,
                        is_ready=lambda body: bool(json.loads(body)["data"])):
        yield base_url
