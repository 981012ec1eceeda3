"""Chat backends with real models: llama.cpp in process, and a real llama.cpp OpenAI-compatible server.

Both use the 0.5B model from the shared model cache with short answers to keep CI fast.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest
from server_process import free_port, server_process

from assistant.backends import (
    REPEAT_PENALTY,
    BackendUnavailable,
    LlamaCppBackend,
    OpenAICompatibleBackend,
    make_backend,
)
from assistant.model_artifacts import ensure_model
from assistant.statements import OutputSpec, StatementParser, has_cjk
from vectorstore.errors import UserError

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH_QUESTION = "区域筹备会议是根据哪项决议举行的？请用中文回答。"
EN_QUESTION = "Under which General Assembly resolution are the regional preparatory meetings held?"


def _paragraph(number: int) -> str:
    """Paragraph `number` of the Latin American report, as the chain would quote it."""
    text = (CORPUS / "A-CONF.241-RPM.2-2.zh.txt").read_text(encoding="utf-8")
    match = re.search(rf"^{number}\. (.+)$", text, re.MULTILINE)
    assert match, f"paragraph {number} not found in the corpus"
    return match.group(1)


def _rag_messages(question: str) -> list[dict]:
    context = f"[A/CONF.241/RPM.2/2 ¶1] {_paragraph(1)}"
    return [
        {"role": "system", "content": "Answer only from the sources, in the language of the question."},
        {"role": "user", "content": f"Sources:\n{context}\n\nQuestion: {question}"},
    ]


@pytest.fixture(scope="module")
def small_settings(tmp_path_factory):
    from conftest import build_settings

    settings = build_settings(tmp_path_factory.mktemp("data"), backend="llamacpp", model="qwen2.5-0.5b")
    ensure_model("qwen2.5-0.5b", settings, progress=False)
    return settings


@pytest.fixture(scope="module")
def llama(small_settings) -> LlamaCppBackend:
    return make_backend(small_settings)


def test_make_backend_by_configuration(make_settings, tmp_path):
    assert make_backend(make_settings(tmp_path, backend="extractive")) is None
    local = make_backend(make_settings(tmp_path, backend="llamacpp", model="qwen2.5-coder-1.5b"))
    assert local.name == "llamacpp"
    assert local.description == "llama.cpp · qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    remote = make_backend(make_settings(tmp_path, backend="openai", openai_model="m",
                                        openai_base_url="http://127.0.0.1:1234/v1/"))
    assert (remote.name, remote.description) == ("openai", "OpenAI-compatible · m @ http://127.0.0.1:1234/v1")
    with pytest.raises(UserError, match="Unknown backend 'gpt'"):
        make_backend(make_settings(tmp_path, backend="gpt"))


def test_llamacpp_streams_a_chinese_answer(llama):
    chunks = list(llama.stream(_rag_messages(ZH_QUESTION), max_tokens=40))
    answer = "".join(chunks)
    assert len(chunks) > 1, "the answer should arrive in several chunks"
    assert len(CJK.findall(answer)) >= 5, answer


def test_llamacpp_streams_an_english_answer_deterministically(llama):
    messages = _rag_messages(EN_QUESTION)
    first = "".join(llama.stream(messages, max_tokens=32))
    assert re.search(r"[A-Za-z]{3,}", first), first
    assert len(CJK.findall(first)) <= 2, first
    assert "".join(llama.stream(messages, max_tokens=32)) == first  # temperature 0


def test_the_set_up_builds_llama_cpp_without_the_amx_kernels():
    # ggml's AMX kernels crashed the first decode of every answer on an AMX machine (SIGSEGV, the
    # whole process gone); scripts/bootstrap.sh builds without them
    import llama_cpp

    features = llama_cpp.llama_print_system_info().decode()
    assert "AVX2 = 1" in features, features  # still built for this CPU
    assert "AMX" not in features, features


def test_llamacpp_model_is_loaded_once_per_process(llama, small_settings):
    other = LlamaCppBackend(small_settings)
    assert other.load() is llama.load()


def test_llamacpp_missing_model_file_is_unavailable(make_settings, tmp_path):
    backend = make_backend(make_settings(tmp_path, model=str(tmp_path / "absent.gguf")))
    with pytest.raises(BackendUnavailable, match="Model file not found: .*absent.gguf"):
        list(backend.stream([{"role": "user", "content": "hi"}]))


def test_llamacpp_prompt_longer_than_context_is_unavailable(small_settings):
    backend = LlamaCppBackend(small_settings, n_ctx=256)
    with pytest.raises(BackendUnavailable, match="The local model failed"):
        list(backend.stream([{"role": "user", "content": _paragraph(2) * 5}], max_tokens=8))


def _structured(backend, spec, question, max_tokens=80):
    parser = StatementParser(spec)
    statements = []
    for chunk in backend.stream(_numbered_messages(question), max_tokens=max_tokens, spec=spec):
        statements += parser.feed(chunk)
    return statements + parser.finish(), parser.text


def _numbered_messages(question: str) -> list[dict]:
    return [
        {"role": "system", "content": 'Answer from the numbered sources as JSON: '
                                      '{"statements": [{"source": 1, "text": "..."}]}'},
        {"role": "user", "content": f"[1] {_paragraph(1)}\n[2] {_paragraph(2)}\n\nQuestion: {question}"},
    ]


def test_llamacpp_grammar_binds_statements_to_the_numbered_sources(llama):
    spec = OutputSpec(2, "en", max_statements=2, lead=False)
    statements, raw = _structured(llama, spec, EN_QUESTION)
    assert llama.structured_with == "grammar"
    assert raw.startswith('{"statements": [{"source": ')  # the grammar fixes the layout
    assert statements and all(s.sources[0] in (1, 2) for s in statements)
    assert not has_cjk(raw), raw  # the sources are Chinese; the English grammar excludes CJK


def test_llamacpp_grammar_forces_declaration_language(llama):
    spec = OutputSpec(2, "zh", max_statements=1, lead=False, prefix="我们承诺")
    statements, raw = _structured(llama, spec, ZH_QUESTION, max_tokens=160)
    assert raw.startswith('{"statements": [{"source": ') and '"text": "我们承诺' in raw  # forced
    assert all(s.text.startswith("我们承诺") for s in statements)


def test_checking_the_best_token_first_gives_the_tokens_of_filtering_every_step(llama, small_settings):
    """assistant.checked_grammar against llama-cpp-python's own grammar sampling, on the real
    model: the same greedy tokens, Chinese sources under the English grammar (so the grammar
    refuses the model's choice on some steps and the whole vocabulary is filtered) and the
    Chinese grammar with a forced prefix."""
    from llama_cpp import Llama, LlamaGrammar

    checked = llama.load().llama
    plain = Llama(model_path=checked.model_path, n_ctx=2048, n_threads=small_settings.n_threads,
                  verbose=False)
    cases = [(OutputSpec(2, "en", max_statements=2, lead=False), EN_QUESTION),
             (OutputSpec(2, "zh", max_statements=1, lead=False, prefix="我们承诺"), ZH_QUESTION)]
    filtered = []
    for spec, question in cases:
        texts = []
        for model in (plain, checked):
            grammar = LlamaGrammar.from_string(spec.grammar(), verbose=False)
            out = model.create_chat_completion(messages=_numbered_messages(question), max_tokens=60,
                                               temperature=0.0, repeat_penalty=REPEAT_PENALTY,
                                               grammar=grammar)
            texts.append(out["choices"][0]["message"]["content"])
        checked.release_checked_sampler()
        filtered.append(checked.filtered_steps)
        assert texts[0] == texts[1] and texts[0].startswith('{"statements": [{"source": ')
    assert filtered[0] > 0  # the English grammar refused CJK the model wanted: the full path ran


@pytest.fixture
def own_copies(small_settings):
    """LlamaCppBackend(n_ctx) with a model copy of its own (a fresh cache), unloaded afterwards."""
    from assistant import backends

    made = []

    def make(n_ctx: int) -> LlamaCppBackend:
        made.append(LlamaCppBackend(small_settings, n_ctx=n_ctx))
        return made[-1]

    yield make
    for backend in made:
        loaded = backends._LOADED.pop((str(ensure_model("qwen2.5-0.5b", small_settings, progress=False)),
                                       backend.n_ctx, small_settings.n_threads), None)
        if loaded is not None:
            loaded.llama.close()


def _answer(backend, system: str, question: str) -> str:
    messages = [{"role": "system", "content": system}, *_numbered_messages(question)[1:]]
    spec = OutputSpec(2, "zh" if has_cjk(question) else "en", max_statements=1, lead=False)
    return "".join(backend.stream(messages, max_tokens=40, spec=spec))


def test_a_system_message_evaluated_before_is_put_back_instead_of_evaluated_again(own_copies):
    """assistant.prefix_states on the real model: after an answer under another system message,
    the saved cells of the first one are restored (not evaluated again), and the answer is the
    one a fresh model gives."""
    from assistant.modes import get_mode
    from assistant.prompts import system_prompt

    backend, fresh = own_copies(2048), own_copies(3072)
    zh, en = (system_prompt(get_mode("ask"), language) for language in ("zh", "en"))
    states = backend.load().system_states
    first = _answer(backend, zh, ZH_QUESTION)
    _answer(backend, en, EN_QUESTION)
    assert states.restored == 0
    again = _answer(backend, zh, ZH_QUESTION)
    assert states.restored == 1
    assert again == first == _answer(fresh, zh, ZH_QUESTION)


def test_warming_evaluates_the_system_messages_before_the_first_question(own_copies):
    from assistant.modes import get_mode
    from assistant.prompts import system_prompt

    backend = own_copies(2560)
    zh, en = (system_prompt(get_mode("ask"), language) for language in ("zh", "en"))
    backend.warm([zh, en])
    states = backend.load().system_states
    assert states.restored == 0 and len(states._saved) == 2
    _answer(backend, zh, ZH_QUESTION)  # the cache holds the English one last: the Chinese is put back
    assert states.restored == 1


def test_the_app_prepares_the_model_while_it_starts(small_settings, llama):
    """assistant.app.launch starts this before serving: the model is loaded and the ask-mode
    system messages of both languages are evaluated before the first question."""
    from assistant.app import AppServices
    from assistant.modes import get_mode
    from assistant.prompts import system_prompt

    AppServices(small_settings).prepare_in_background().join(timeout=120)
    saved = llama.load().system_states._saved
    assert {system_prompt(get_mode("ask"), language) for language in ("zh", "en")} <= set(saved)


@pytest.fixture(scope="module")
def llama_server(small_settings, tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on loopback, serving the 0.5B model."""
    log_path = tmp_path_factory.mktemp("server") / "llama_server.log"
    port = free_port()
    model = ensure_model("qwen2.5-0.5b", small_settings, progress=False)
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "qwen-small",
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"]
    base_url = f"http://127.0.0.1:{port}/v1"
    with server_process(command, f"{base_url}/models", log_path,
                        is_ready=lambda body: bool(json.loads(body)["data"])):
        yield base_url


def test_openai_backend_streams_from_a_real_local_server(llama_server, make_settings, tmp_path):
    settings = make_settings(tmp_path, backend="openai", openai_base_url=llama_server,
                             openai_model="qwen-small")
    backend = make_backend(settings)
    assert isinstance(backend, OpenAICompatibleBackend)
    chunks = list(backend.stream(_rag_messages(ZH_QUESTION), max_tokens=32))
    assert len(chunks) > 1
    assert len(CJK.findall("".join(chunks))) >= 5, "".join(chunks)


def test_openai_backend_reports_a_down_server_quickly(make_settings, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    backend = make_backend(make_settings(tmp_path, backend="openai", openai_base_url=url))
    started = time.perf_counter()
    with pytest.raises(BackendUnavailable) as caught:
        list(backend.stream([{"role": "user", "content": "hello"}]))
    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert f"Cannot reach the OpenAI-compatible server at {url}" in message
    assert "Connection refused" in message


def test_openai_backend_reports_http_errors(llama_server, make_settings, tmp_path):
    # A wrong path on a live server: the server answers 404.
    url = llama_server.removesuffix("/v1") + "/no-such-api"
    backend = make_backend(make_settings(tmp_path, backend="openai", openai_base_url=url))
    with pytest.raises(BackendUnavailable, match=rf"server at {re.escape(url)} answered HTTP 404"):
        list(backend.stream([{"role": "user", "content": "hello"}]))


def test_default_15b_model_answers_in_chinese(make_settings, tmp_path):
    backend = make_backend(make_settings(tmp_path, backend="llamacpp", model="qwen2.5-coder-1.5b"))
    answer = "".join(backend.stream(_rag_messages("区域筹备会议是根据哪项决议举行的？"), max_tokens=32))
    assert len(CJK.findall(answer)) >= 5, answer


def test_openai_backend_finds_the_structured_form_the_server_accepts(llama_server, make_settings, tmp_path):
    # llama-cpp-python's server refuses OpenAI's {"type": "json_schema"} (HTTP 500) and accepts
    # {"type": "json_object", "schema": ...}: the backend falls back once and remembers it.
    backend = make_backend(make_settings(tmp_path, backend="openai", openai_base_url=llama_server,
                                         openai_model="qwen-small"))
    spec = OutputSpec(2, "en", max_statements=2, lead=False)
    statements, raw = _structured(backend, spec, EN_QUESTION)
    assert backend.structured_with == "json_object" and backend._formats[0] == "json_object"
    assert json.loads(raw)["statements"] and statements
    assert all(s.sources[0] in (1, 2) for s in statements) and not has_cjk(raw)
