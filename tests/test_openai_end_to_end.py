"""The OpenAI-compatible path end to end: the answer chain, the launched app and its MCP `answer` tool
generate through a real `llama_cpp.server` on loopback (0.5B model), streaming included.

This is the scale-out configuration (generation on a vLLM / Ollama / llama.cpp server elsewhere).
"""

from __future__ import annotations

import re

import pytest
from llama_server import MODEL_ALIAS, running_llama_server
from test_app_client import assert_grounded, assert_previewed_then_replaced, copy_store, running_app
from test_mcp import call_tool

from assistant.chain import Answer, AnswerChain, Sources
from vectorstore.retrieval import HybridSearcher

pytestmark = pytest.mark.slow

QUESTION_ZH = "拉美报告关于枪支贩运的建议是什么？"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def llama_server(builtin_settings, tmp_path_factory):
    with running_llama_server(builtin_settings, tmp_path_factory.mktemp("llama") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def openai_app(llama_server, builtin_store, builtin_settings, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("openai-app")
    data_dir = copy_store(builtin_settings, tmp / "data")
    with running_app(data_dir, tmp / "app.log", ASSISTANT_BACKEND="openai",
                     ASSISTANT_OPENAI_BASE_URL=llama_server, ASSISTANT_OPENAI_MODEL=MODEL_ALIAS) as url:
        yield url


def test_chain_streams_a_verified_answer_from_the_server(llama_server, builtin_store, builtin_settings):
    settings = builtin_settings.with_overrides(backend="openai", openai_base_url=llama_server,
                                               openai_model=MODEL_ALIAS)
    chain = AnswerChain(settings, HybridSearcher(builtin_store, settings))
    pieces = list(chain.stream(QUESTION_ZH))
    sources, chunks, answer = pieces[0], pieces[1:-1], pieces[-1]
    assert isinstance(answer, Answer) and all(isinstance(c, str) for c in chunks)
    assert isinstance(sources, Sources) and sources.retrieved == answer.retrieved
    assert answer.backend == "openai", answer.notices
    # streamed as written (each statement once checked): the pieces are the verified answer
    assert chunks and "".join(chunks).strip() == answer.rendered.strip()
    assert len(CJK.findall(answer.rendered)) >= 10
    store_ids = {u.id for u in builtin_store.units()}
    assert answer.citations and {u.id for u in answer.citations} <= store_ids
    assert {u.id for u in answer.citations} <= {h.unit.id for h in answer.retrieved}


def test_app_streams_the_server_answer_then_shows_it_verified(openai_app, builtin_store):
    from gradio_client import Client

    client = Client(openai_app, verbose=False)
    job = client.submit(QUESTION_ZH, "ask", [], [], [], [], "openai", api_name="/ask")
    chat, _, sources, details, _, _ = job.result(timeout=600)
    assert details["backend"] == "openai", details
    assert_grounded(chat, sources, details, {u.id for u in builtin_store.units()}, "zh")
    assert_previewed_then_replaced(job, chat)


def test_mcp_answer_tool_uses_the_configured_server(openai_app, builtin_store):
    result = call_tool(f"{openai_app}gradio_api/mcp/", "answer", {"question": QUESTION_ZH}, password="")
    assert result["backend"] == "openai", result["notices"]
    assert result["language"] == "zh" and result["citations"]
    stored = {u.id: u for u in builtin_store.get([c["id"] for c in result["citations"]])}
    assert all(c["text"] == stored[c["id"]].text for c in result["citations"])
