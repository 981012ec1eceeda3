"""The launched app (`python -m assistant serve`) driven through its API with gradio_client.

One server process per module, on a copy of the session's built-in store, with the extractive
backend (no model needed) and a password, as a delegate would run it.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import sys
import threading
import time
import urllib.error
import urllib.request
from base64 import b64encode
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import SHARED_CACHE_DIR
from gradio_client import Client, handle_file
from server_process import free_port, server_process

from assistant import ui_labels as L
from assistant.app import ModelGate, ServerBusy, chat_messages, draft_html
from assistant.mcp_tools import TOOL_NAMES
from assistant.ui_sources import anchor_id, answer_html, sources_html
from vectorstore.settings import PROJECT_ROOT

PASSWORD = "kyoto-2021"
LATAM_37O = "A/CONF.241/RPM.2/2#37(o)"
MODEL_FILE = Path(SHARED_CACHE_DIR) / "models" / "qwen2.5-coder-0.5b-instruct-q4.gguf"


@contextmanager
def running_app(data_dir: Path, log_path: Path, *extra_args: str, **env: str):
    """Run `python -m assistant serve` on a free port; yields its URL once it answers HTTP."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environ = {**inherited, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CACHE_DIR": SHARED_CACHE_DIR,
               "ASSISTANT_BACKEND": "extractive", "ASSISTANT_HOST": "127.0.0.1",
               "GRADIO_ANALYTICS_ENABLED": "False", **env}
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "assistant", "serve", "--port", str(port), *extra_args]
    with server_process(command, url, log_path, timeout=300, cwd=PROJECT_ROOT, env=environ):
        yield url


def copy_store(builtin_settings, destination: Path) -> Path:
    """A private copy of the built-in store, so the app may write (upload) without touching it."""
    shutil.copytree(builtin_settings.data_dir, destination)
    return destination


@pytest.fixture(scope="module")
def app_url(builtin_store, builtin_settings, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app")
    data_dir = copy_store(builtin_settings, tmp / "data")
    # The local model is only used by the streaming test, which asks for backend "llamacpp".
    with running_app(data_dir, tmp / "app.log", "--password", PASSWORD, "--no-mcp", "--max-upload-mb", "1",
                     ASSISTANT_MODEL="qwen2.5-0.5b") as url:
        yield url


@pytest.fixture(scope="module")
def store_ids(builtin_store) -> set[str]:
    return {u.id for u in builtin_store.units()}


def connect(url: str) -> Client:
    return Client(url, auth=("delegate", PASSWORD), verbose=False)


def ask(client: Client, question: str, mode: str = "ask", backend: str = "extractive", **filters):
    """Call the app's /ask endpoint; returns (chat messages, sources html, details, md path, docx path)."""
    chat, _question_box, sources, details, md, docx = client.predict(
        question, mode, filters.get("documents", []), filters.get("congresses", []),
        filters.get("regions", []), filters.get("kinds", []), backend, api_name="/ask")
    return chat, sources, details, md, docx


def message_text(message: dict) -> str:
    """Text of a Chatbot message as gradio_client returns it (a list of typed parts in Gradio 6)."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type") == "text")


def user_questions(chat: list[dict]) -> list[str]:
    return [message_text(m) for m in chat if m["role"] == "user"]


def cited_ids_in_panel(sources: str) -> list[str]:
    return [html.unescape(uid) for uid in re.findall(r'data-unit-id="([^"]+)" data-cited="true"', sources)]


def assert_grounded(chat, sources, details, store_ids, language):
    citations = details["citations"]
    assert citations, details
    assert set(citations) <= store_ids
    assert details["language"] == language
    # The sources panel lists exactly the cited units first, then the other retrieved ones.
    assert cited_ids_in_panel(sources) == citations
    answer = message_text(chat[-1])
    for uid in citations:  # every citation links to its source card
        assert f'href="#{anchor_id(uid)}"' in answer


# Pure rendering checks (no server) -------------------------------------------------------------


def test_the_app_computes_the_renderings_vectors_while_it_starts(builtin_store, builtin_settings):
    """Until the vectors of the stored renderings are computed, dense search ranks without them: the
    first question after a start was searched that way, and an English question about the European
    report found its procedural paragraphs. `launch` starts this preparation before serving."""
    from assistant.app import AppServices
    from vectorstore.retrieval import HybridSearcher

    question = "What did the European report say about the role of the private sector?"
    settings = builtin_settings.with_overrides(backend="extractive")
    prepared = HybridSearcher(builtin_store, settings)
    assert prepared.prepare_renderings()
    expected = [h.unit.id for h in prepared.search(question).hits]
    cold = HybridSearcher(builtin_store, settings)
    assert [h.unit.id for h in cold.search(question).hits] != expected  # what the first question got
    services = AppServices(settings, store=builtin_store)
    services.prepare_in_background().join(timeout=300)
    assert [h.unit.id for h in services.searcher.search(question).hits] == expected


def test_anchor_ids_are_html_safe_and_distinct():
    ids = ["A/CONF.241/RPM.2/2#24(d)", "A-CONF-241-RPM-2-2#24(d)", 'X/"><script>#1']
    anchors = [anchor_id(uid) for uid in ids]
    assert len(set(anchors)) == len(ids)
    for anchor in anchors:
        assert re.fullmatch(r"src-[A-Za-z0-9_]+", anchor)


def test_panel_and_answer_escape_document_text(builtin_store):
    from assistant.chain import Answer
    from assistant.citations import marker
    from vectorstore.retrieval import Hit

    unit = builtin_store.get([LATAM_37O])[0]
    unit.text = "<script>alert(1)</script><b>x</b>"
    text = f"Look <img src=x onerror=alert(1)> {marker([unit])}"
    answer = Answer(text=text, rendered=text, language="en", backend="extractive", mode="ask",
                    citations=[unit], corrections=[], retrieved=[Hit(unit, 1.0, "hybrid")],
                    standalone_question="q", notices=["<i>notice</i>"])
    panel, shown = sources_html(answer), answer_html(answer)
    assert "<script>" not in panel and "<b>x</b>" not in panel and "<i>" not in panel
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in panel
    assert "<img" not in shown and "&lt;img" in shown
    assert f'<a href="#{anchor_id(LATAM_37O)}"' in shown and "para. 37 (o)" in shown


# The launched app -------------------------------------------------------------------------------


def test_chinese_question_cites_real_paragraphs(app_url, store_ids):
    chat, sources, details, _, _ = ask(connect(app_url), "拉美区域筹备会议关于打击枪支贩运提出了哪些建议？")
    assert_grounded(chat, sources, details, store_ids, "zh")
    assert chat[0]["role"] == "user" and chat[-1]["role"] == "assistant"


def test_english_question_cites_real_paragraphs(app_url, store_ids):
    question = "What did the European meeting say about legal aid for women and children?"
    chat, sources, details, _, _ = ask(connect(app_url), question)
    assert_grounded(chat, sources, details, store_ids, "en")


def test_lookup_returns_the_exact_paragraph_verbatim(app_url, builtin_store, store_ids):
    chat, sources, details, _, _ = ask(connect(app_url), "para. 37 (o)", mode="lookup")
    assert_grounded(chat, sources, details, store_ids, "en")
    assert details["citations"][0] == LATAM_37O
    unit = builtin_store.get([LATAM_37O])[0]
    assert unit.text in html.unescape(sources)


def test_draft_mode_with_filters_cites_only_matching_paragraphs(app_url, builtin_store, store_ids):
    chat, sources, details, _, _ = ask(
        connect(app_url), "起草一段关于加强国际合作打击有组织犯罪的宣言草案", mode="draft",
        documents=["A/CONF.241/RPM.2/2"], kinds=["recommendation"])
    assert_grounded(chat, sources, details, store_ids, "zh")
    assert details["mode"] == "draft"
    for unit in builtin_store.get(details["citations"]):
        assert unit.symbol == "A/CONF.241/RPM.2/2" and unit.kind == "recommendation"


def test_exports_hold_the_cited_paragraphs(app_url, builtin_store):
    import docx

    _, _, details, md_path, docx_path = ask(connect(app_url), "拉美报告第24(d)段", mode="lookup")
    units = builtin_store.get(details["citations"])
    assert units
    markdown = Path(md_path).read_text(encoding="utf-8")
    paragraphs = [p.text for p in docx.Document(docx_path).paragraphs]
    for unit in units:
        assert f"{unit.symbol}，第{unit.ref}段" in markdown
        assert unit.text.splitlines()[0] in markdown
        assert unit.text in paragraphs


def test_sessions_do_not_see_each_other(app_url):
    alice, bob = connect(app_url), connect(app_url)
    ask(alice, "拉美报告第37(o)段", mode="lookup")
    bob_question = "What did the European meeting recommend on the culture of lawfulness?"
    bob_chat, *_ = ask(bob, bob_question)
    alice_chat, *_ = ask(alice, "那第37(n)段呢？", mode="lookup")
    assert user_questions(alice_chat) == ["拉美报告第37(o)段", "那第37(n)段呢？"]
    assert user_questions(bob_chat) == [bob_question]
    assert len(alice_chat) == 4 and len(bob_chat) == 2


def test_clear_resets_the_conversation(app_url):
    client = connect(app_url)
    ask(client, "para. 24 (d)", mode="lookup")
    cleared_chat = client.predict(api_name="/clear")[0]
    assert cleared_chat == []
    chat, *_ = ask(client, "para. 24 (e)", mode="lookup")
    assert user_questions(chat) == ["para. 24 (e)"]


@pytest.mark.slow
def test_local_model_answer_streams_then_is_replaced_by_the_verified_answer(app_url, store_ids):
    if not MODEL_FILE.exists():
        pytest.skip(f"{MODEL_FILE} is not in the model cache")
    job = connect(app_url).submit("拉美报告关于枪支贩运的建议是什么？", "ask", [], [], [], [], "llamacpp",
                                  api_name="/ask")
    final = job.result(timeout=600)
    chat, _, sources, details, _, _ = final
    assert details["backend"] == "llamacpp", details
    assert_grounded(chat, sources, details, store_ids, "zh")
    assert_previewed_then_replaced(job, chat)


def visible_text(message_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", message_html)).replace(L.DRAFT, "").strip()


def assert_previewed_then_replaced(job, chat) -> None:
    """The retrieved sources filled the sources panel first, then the answer was shown as a
    plain-text preview while it was written (each update extending the last: the chain streams each
    statement once it is checked), then replaced by the verified answer, which contains everything
    the preview showed."""
    outputs = job.outputs()
    previewing = [i for i, out in enumerate(outputs) if out[0] and L.DRAFT in message_text(out[0][-1])]
    assert previewing, "no preview was streamed before the verified answer"
    # the sources panel was filled with what retrieval found before the model wrote a statement
    answering = html.escape(L.RETRIEVED_WHILE_ANSWERING)
    panels = [i for i, out in enumerate(outputs) if isinstance(out[2], str) and answering in out[2]]
    assert panels and panels[0] < previewing[0] and "data-unit-id" in outputs[panels[0]][2]
    previews = [message_text(outputs[i][0][-1]) for i in previewing]
    assert all(a in b for a, b in pairwise(previews))  # each update extends the previous
    assert all("<a " not in text for text in previews)  # plain text: no links until verified
    final = message_text(chat[-1])
    assert L.DRAFT not in final
    assert visible_text(previews[-1]) in visible_text(final)


def test_missing_paragraph_is_never_invented(app_url):
    chat, sources, details, _, _ = ask(connect(app_url), "A/CONF.241/RPM.2/2 para. 999", mode="lookup")
    assert not any(uid.endswith("#999") for uid in details["citations"] + cited_ids_in_panel(sources))
    assert details["notices"], details
    assert html.escape(details["notices"][0]) in message_text(chat[-1])  # shown in the chat too


def test_bad_filter_value_is_reported_in_the_chat(app_url):
    chat, sources, details, _, _ = ask(connect(app_url), "para. 24 (d)", "lookup", congresses=["fifteen"])
    assert "Congress must be a number" in message_text(chat[-1])
    assert details == {} and "data-unit-id" not in sources


def test_password_is_required(app_url):
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain ValueError/HTTP error
        Client(app_url, auth=("delegate", "wrong"), verbose=False)
    assert Client(app_url, auth=("any-name", PASSWORD), verbose=False)  # any user name


def test_backend_info_shows_the_model_in_use(app_url):
    client = connect(app_url)
    assert "Extractive" in client.predict("extractive", api_name="/backend_info")


def test_upload_rejects_a_bad_file_and_keeps_the_store(app_url, tmp_path):
    client = connect(app_url)
    bad = tmp_path / "notes.txt"
    bad.write_text("这不是一份报告，没有编号段落。\nNo numbered paragraphs here.\n", encoding="utf-8")
    status, table = client.predict(handle_file(str(bad)), "A/CONF.999/RPM.1/1", "", "", "", "",
                                   api_name="/upload")
    assert status.startswith(f"**{L.UPLOAD_FAILED}:**") and "no numbered paragraphs" in status
    symbols = [row[0] for row in table["data"]]
    assert "A/CONF.999/RPM.1/1" not in symbols
    assert {"A/CONF.241/RPM.2/2", "A/CONF.234/RPM.5/1"} <= set(symbols)


def test_upload_ingests_a_report_that_becomes_searchable(app_url, tmp_path, store_ids):
    report = tmp_path / "new-report.md"
    report.write_text(
        "# Report of the Test Regional Preparatory Meeting\n\nII. Recommendations\n\n"
        "1. The participants recommended establishing a regional observatory on wildlife trafficking.\n\n"
        "2. Participants recommended training prosecutors on trafficking in cultural property.\n",
        encoding="utf-8")
    client = connect(app_url)
    status, table = client.predict(handle_file(str(report)), "A/CONF.999/RPM.9/1", "Testland", "16", "en",
                                   "Test report", api_name="/upload")
    assert status.startswith(f"**{L.UPLOAD_OK}:**"), status
    assert "A/CONF.999/RPM.9/1" in [row[0] for row in table["data"]]
    _, _, details, _, _ = ask(client, "regional observatory on wildlife trafficking",
                              documents=["A/CONF.999/RPM.9/1"])
    assert details["citations"] and all(uid.startswith("A/CONF.999/RPM.9/1#") for uid in details["citations"])


# Chat rendering: no live links or images, the draft is plain text ---------------------------------

HOSTILE_MARKDOWN = "See ![x](http://127.0.0.1:9/pixel.png) and [click](http://127.0.0.1:9/) <img src=x>"


def test_chat_messages_are_escaped_html_without_links_or_images():
    history = [{"role": "user", "content": HOSTILE_MARKDOWN},
               {"role": "assistant", "content": "x", "display": draft_html(HOSTILE_MARKDOWN + "\nline 2")}]
    user, assistant = (m["content"] for m in chat_messages(history))
    for shown in (user, assistant):
        assert "<img" not in shown and "<a " not in shown
        assert html.escape(HOSTILE_MARKDOWN) in shown  # the markdown stays literal text
    assert html.escape(L.DRAFT) in assistant and "line 2" in assistant.split("<br>")[-1]


def test_draft_updates_extend_each_other():
    drafts = [draft_html("第一"), draft_html("第一段 <b>"), draft_html("第一段 <b> & more")]
    assert all(a in b for a, b in pairwise(drafts))


def test_the_launched_chatbot_renders_html_not_markdown(app_url):
    chatbot = next(c for c in connect(app_url).config["components"]
                   if c.get("props", {}).get("elem_id") == "chatbot")
    assert chatbot["props"]["render_markdown"] is False
    assert chatbot["props"]["sanitize_html"] is True and chatbot["props"]["latex_delimiters"] == []


# Access rules --------------------------------------------------------------------------------------


def test_only_the_mcp_tools_are_documented_api(app_url):
    endpoints = connect(app_url).view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {f"/{name}" for name in TOOL_NAMES}


def test_no_mcp_flag_turns_the_mcp_server_off(app_url):
    token = b64encode(f"delegate:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(f"{app_url}gradio_api/mcp/", method="POST", data=b"{}", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "Authorization": f"Basic {token}"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code in (404, 405)


def test_upload_cannot_replace_a_builtin_report(app_url, builtin_store, tmp_path, write_report):
    client = connect(app_url)
    forged = write_report(tmp_path / "forged.txt", symbol="A/CONF.241/RPM.2/2", region="Forged")
    original = builtin_store.get(["A/CONF.241/RPM.2/2#3"])[0].text
    typed = client.predict(handle_file(str(forged)), "A/CONF.241/RPM.2/2", "", "", "", "", api_name="/upload")
    detected = client.predict(handle_file(str(forged)), "", "", "", "", "", api_name="/upload")
    for status, _table in (typed, detected):  # the symbol typed in the form, or read from the masthead
        assert status.startswith(f"**{L.UPLOAD_FAILED}:**"), status
        assert "is a built-in report and cannot be replaced" in status
    _, sources, details, _, _ = ask(client, "A/CONF.241/RPM.2/2 para. 3", mode="lookup")
    assert details["citations"][0] == "A/CONF.241/RPM.2/2#3"
    assert original in html.unescape(sources)


def test_upload_larger_than_the_limit_is_refused(app_url, tmp_path, write_report):
    big = write_report(tmp_path / "big.txt", symbol="A/CONF.999/RPM.8/1")
    big.write_text(big.read_text() + "\n" + "x" * 1_200_000, encoding="utf-8")  # over --max-upload-mb 1
    with pytest.raises(Exception, match="(?i)size|large"):
        connect(app_url).predict(handle_file(str(big)), "A/CONF.999/RPM.8/1", "", "", "", "",
                                 api_name="/upload")
    documents = connect(app_url).predict(None, "", "", "", "", "", api_name="/upload")[1]
    assert "A/CONF.999/RPM.8/1" not in [row[0] for row in documents["data"]]


# Fast paths never wait for the model -------------------------------------------------------------


def test_model_gate_runs_one_answer_and_turns_away_the_overflow():
    gate = ModelGate(max_waiting=1)
    inside, release, outcomes = threading.Event(), threading.Event(), []

    def hold():
        with gate.turn():
            inside.set()
            release.wait(10)

    def wait_turn():
        with gate.turn():
            outcomes.append("served")

    holder, waiter = threading.Thread(target=hold), threading.Thread(target=wait_turn)
    holder.start()
    assert inside.wait(5)
    waiter.start()
    time.sleep(0.2)
    with pytest.raises(ServerBusy, match="try again"):  # a third answer: one running, one waiting
        with gate.turn():
            pass
    assert outcomes == []  # the waiter waits for the running answer
    release.set()
    holder.join(5)
    waiter.join(5)
    assert outcomes == ["served"]


@pytest.mark.slow
def test_lookup_answers_while_a_model_answer_is_generating(app_url):
    if not MODEL_FILE.exists():
        pytest.skip(f"{MODEL_FILE} is not in the model cache")
    looker = connect(app_url)
    # Two model answers: the second waits for the model behind the first, so a lookup has the rest of
    # the first and the whole second to finish in. (One short draft alone lost the race to a warm model
    # on a fast CI machine.)
    jobs = [connect(app_url).submit(question, "draft", [], [], [], [], "llamacpp", api_name="/ask")
            for question in ("起草一段关于打击枪支贩运的宣言草案，逐条说明理由。",
                             "Draft declaration language on preventing trafficking in persons.")]
    deadline = time.monotonic() + 120
    while not all(job.outputs() for job in jobs):  # both handlers have started ("searching")
        assert not jobs[-1].done() and time.monotonic() < deadline, "the model answers did not start"
        time.sleep(0.05)
    started = time.perf_counter()
    _, _, details, _, _ = ask(looker, "para. 24 (d)", mode="lookup")
    took = time.perf_counter() - started
    assert details["citations"][0] == "A/CONF.241/RPM.2/2#24(d)"
    # Decisive: the lookup was answered while the model answers were still being written (a lookup
    # queued behind them would finish after them). The bound only catches absurd slowness on a busy CPU.
    assert not jobs[-1].done(), "the model answers finished first: the test shows nothing"
    assert took < 30, f"a lookup took {took:.1f} s while the model was generating"
    for job in jobs:
        assert job.result(timeout=600)
