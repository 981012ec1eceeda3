"""`assistant search`: JSON and readable output, filters, bad input without a traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from assistant.cli import main
from vectorstore.settings import PROJECT_ROOT

LAC = "A/CONF.241/RPM.2/2"
EU = "A/CONF.234/RPM.5/1"


@pytest.fixture
def run_search(builtin_store, builtin_settings, capsys):
    def run(*args):
        code = main(["search", *args, "--data-dir", str(builtin_settings.data_dir)])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_json_output(run_search):
    code, out, _ = run_search("拉美报告第24(d)段", "-k", "3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "拉美报告第24(d)段"
    assert set(data) == {"query", "hits", "notices"}
    first = data["hits"][0]
    assert set(first) == {"id", "symbol", "part", "preamble", "paragraph", "item", "citation_en",
                          "citation_zh", "section", "kind", "text", "score", "translation"}
    assert (first["id"], first["symbol"], first["paragraph"], first["item"]) == (f"{LAC}#24(d)", LAC, 24, "d")
    assert (first["citation_en"], first["citation_zh"]) == (f"{LAC}, para. 24 (d)", f"{LAC}, 第24(d)段")
    assert first["kind"] == "recommendation" and first["text"].startswith("更多利用资产没收")
    assert "更多" in out  # ensure_ascii=False: Chinese is printed as is


def test_json_hits_carry_their_rendering_in_the_other_language(run_search):
    code, out, _ = run_search("拉美报告第37(n)段", "-k", "3", "--json")
    assert code == 0
    hit = json.loads(out)["hits"][0]
    assert hit["id"] == f"{LAC}#37(n)"
    translation = hit["translation"]
    assert set(translation) == {"language", "text", "source", "model"}
    assert translation["language"] == "en" and translation["source"] == "machine" and translation["model"]
    assert "firearms" in translation["text"]
    assert not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", translation["text"])


def test_json_hits_are_best_first_and_respect_k(run_search):
    code, out, _ = run_search("网络犯罪", "-k", "4", "--json", "--mode", "dense")
    hits = json.loads(out)["hits"]
    assert code == 0 and len(hits) == 4
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_readable_output_uses_the_question_convention(run_search):
    _, zh, _ = run_search("拉美报告第24(d)段", "-k", "1")
    assert f"{LAC}, 第24(d)段" in zh and "lookup" in zh and "更多利用资产没收" in zh
    _, en, _ = run_search("the European report, para. 43 (e)", "-k", "1")
    assert f"{EU}, para. 43 (e)" in en


def test_filters_from_the_command_line(run_search):
    _, out, _ = run_search("cybercrime", "-k", "5", "--json", "--region", "Europe",
                           "--kind", "recommendation")
    hits = json.loads(out)["hits"]
    assert hits and all(h["symbol"] == EU and h["kind"] == "recommendation" for h in hits)
    _, out, _ = run_search("腐败", "-k", "3", "--json", "--congress", "15")
    assert all(h["symbol"] == LAC for h in json.loads(out)["hits"])


def test_missing_paragraph_notice(run_search):
    code, out, _ = run_search("A/CONF.241/RPM.2/2 第120段", "--json")
    data = json.loads(out)
    assert code == 0 and data["hits"] == [] and "120" in data["notices"][0]


@pytest.mark.parametrize("args, message", [
    (["   "], "empty question"),
    (["网络犯罪", "--symbol", "A/NOT/THERE"], "unknown --symbol"),
    (["网络犯罪", "--region", "Atlantis"], "unknown --region"),
    (["网络犯罪", "-k", "0"], "-k"),
])
def test_user_errors(run_search, args, message):
    code, out, err = run_search(*args)
    assert code == 2 and message in err and "Traceback" not in err


def test_real_entry_point_prints_no_traceback(builtin_store, builtin_settings):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(builtin_settings.data_dir)}
    proc = subprocess.run([sys.executable, "-m", "assistant", "search", "\x01\x07 \t"], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "empty question" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_symbol_is_refused_on_a_fresh_data_directory(tmp_path, capsys):
    # The built-in corpus is ingested before the filters are checked, so a typo in --symbol is
    # reported even on the very first run (embeddings come from the per-machine cache).
    code = main(["search", "网络犯罪", "--symbol", "A/NOT/THERE", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "unknown --symbol A/NOT/THERE" in err and EU in err and LAC in err


def test_json_of_an_annex_paragraph_says_it_is_in_the_annex(run_search):
    """A client reading only "paragraph": 36 would cite the resolution's own para. 36."""
    code, out, _ = run_search("Kyoto Declaration para. 36", "-k", "1", "--json")
    hit = json.loads(out)["hits"][0]
    assert code == 0 and hit["id"] == "A/RES/76/181#annex:36"
    assert (hit["part"], hit["preamble"], hit["paragraph"]) == ("annex", False, 36)
    assert hit["citation_en"] == "A/RES/76/181, annex, para. 36"
    assert hit["citation_zh"] == "第76/181号决议附件第36段"
