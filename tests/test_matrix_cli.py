"""`assistant matrix` end to end, in a subprocess, on the session store with the built-in corpus."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from docx import Document

from vectorstore.settings import PROJECT_ROOT

LAC = "A/CONF.241/RPM.2/2"
EUR = "A/CONF.234/RPM.5/1"


@pytest.fixture(scope="module")
def run_cli(builtin_settings, builtin_store):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(builtin_settings.data_dir),
           "ASSISTANT_CACHE_DIR": str(builtin_settings.cache_dir), "PYTHONIOENCODING": "utf-8"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "assistant", "matrix", *args], cwd=PROJECT_ROOT,
                              env=env, capture_output=True, text=True, timeout=600)

    return run


def test_markdown_on_stdout_and_other_count_on_stderr(run_cli):
    result = run_cli()
    assert result.returncode == 0, result.stderr
    assert "| 主题 |" in result.stdout and "**第24(e)段** 加强打击枪支贩运的行动" in result.stdout
    assert "in \"other\"" in result.stderr and "Traceback" not in result.stderr


def test_csv_english_filtered_by_region(run_cli, tmp_path):
    out = tmp_path / "lac.csv"
    result = run_cli("--lang", "en", "--region", "LAC", "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and {r["document"] for r in rows} == {LAC}
    firearms = [r for r in rows if r["theme_id"] == "organized_crime_firearms"]
    assert {"24(e)", "37(n)"} <= {r["ref"] for r in firearms}
    assert f"{LAC}, para. 37 (n)" in {r["citation"] for r in firearms}
    assert all(r["theme"] == "Organized crime and firearms" for r in firearms)


def test_docx_for_one_congress(run_cli, tmp_path):
    out = tmp_path / "eur.docx"
    result = run_cli("--congress", "14", "--format", "docx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    table = Document(str(out)).tables[0]
    assert len(table.columns) == 2 and EUR in table.rows[0].cells[1].text
    cyber = next(row for row in table.rows if row.cells[0].text == "网络犯罪和电子证据")
    assert "36(g)" in cyber.cells[1].text


def test_explain(run_cli):
    result = run_cli("--explain", f"{LAC}#66(e)", "--lang", "en")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for theme in ("environment", "corruption_financial"):
        assert "ASSIGNED" in next(ln for ln in lines if f" {theme} " in ln)
    short = run_cli("--explain", "24(e)", "--symbol", LAC)
    assert short.returncode == 0 and "organized_crime_firearms" in short.stdout


@pytest.mark.parametrize("args,message", [
    (["--region", "Mars"], "Unknown region"),
    (["--symbol", "A/CONF.999/RPM.1/1"], "Unknown document"),
    (["--format", "docx"], "needs --out"),
    (["--explain", "24(e)"], "exactly one --symbol"),
    (["--explain", f"{LAC}#7"], "recommendations only"),
])
def test_user_errors_without_traceback(run_cli, args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
