"""`assistant ask` as a user runs it: a subprocess over the built-in store."""

import json
import os
import subprocess
import sys

import pytest

from vectorstore.renderings import CJK, cjk_share
from vectorstore.settings import PROJECT_ROOT

LAC = "A/CONF.241/RPM.2/2"


@pytest.fixture(scope="module")
def run_ask(builtin_store, builtin_settings):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(builtin_settings.data_dir),
           "ASSISTANT_CACHE_DIR": str(builtin_settings.cache_dir), "ASSISTANT_BACKEND": "extractive"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "assistant", "ask", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
    return run


def test_json_output_has_the_documented_fields(run_ask, builtin_store):
    done = run_ask("拉美报告对枪支贩运有什么建议？", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"answer", "language", "backend", "citations", "corrections"} <= set(result)
    assert result["language"] == "zh" and result["backend"] == "extractive"
    assert result["citations"]
    ids = [c["id"] for c in result["citations"]]
    assert {u.id for u in builtin_store.get(ids)} == set(ids)
    for c in result["citations"]:
        assert c["symbol"] == LAC and isinstance(c["paragraph"], int)
        assert c["id"] == f"{c['symbol']}#{c['paragraph']}" + (f"({c['item']})" if c["item"] else "")
        assert f"第{c['paragraph']}" in result["answer"]
        item = f"({c['item']})" if c["item"] else ""
        assert c["citation_zh"] == f"{LAC}, 第{c['paragraph']}{item}段"
        assert (c["part"], c["preamble"]) == ("", False)


def test_text_output_streams_the_answer_and_lists_citations(run_ask):
    done = run_ask("para. 37 (o) of the Latin American report", "--mode", "lookup")
    assert done.returncode == 0, done.stderr
    assert "para. 37 (o)" in done.stdout and "Citations:" in done.stdout


@pytest.mark.parametrize("question, mode", [
    ("What did the Latin American and Caribbean meeting recommend about firearms trafficking?", "ask"),
    ("Draft points on cybercrime for the Abu Dhabi Declaration", "draft"),
])
def test_an_english_answer_over_chinese_reports_is_english(run_ask, question, mode):
    done = run_ask(question, "--mode", mode)
    assert done.returncode == 0, done.stderr
    body, _, citations = done.stdout.partition("Citations:")
    assert "unofficial machine translation" in body and citations.count("original: ") >= 1
    assert cjk_share(done.stdout) < 0.10, done.stdout  # the originals: short pointers in the citations
    assert not CJK.search(body.split("\n", 1)[1]), body  # the bullets and their quotes are English


def test_history_file_and_filters(run_ask, tmp_path):
    history = tmp_path / "turns.json"
    turns = [{"role": "user", "content": "欧洲报告对网络犯罪有什么建议？"}]
    history.write_text(json.dumps(turns), encoding="utf-8")
    done = run_ask("那拉美报告呢？", "--history", str(history), "--json")
    assert done.returncode == 0, done.stderr
    assert {c["symbol"] for c in json.loads(done.stdout)["citations"]} == {LAC}
    done = run_ask("网络犯罪", "--kind", "recommendation", "--symbol", LAC, "--json")
    assert done.returncode == 0, done.stderr
    assert {c["symbol"] for c in json.loads(done.stdout)["citations"]} == {LAC}


@pytest.mark.parametrize("args, message", [
    (["   "], "empty question"),
    (["x" * 3000], "characters long"),
    (["问题", "--history", "/nonexistent/turns.json"], "history file not found"),
])
def test_bad_input_gets_a_clear_error_without_traceback(run_ask, args, message):
    done = run_ask(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_malformed_history_is_rejected(run_ask, tmp_path):
    history = tmp_path / "turns.json"
    history.write_text('{"role": "user"}', encoding="utf-8")
    done = run_ask("问题", "--history", str(history))
    assert done.returncode == 2 and "JSON list" in done.stderr and "Traceback" not in done.stderr
