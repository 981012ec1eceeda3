"""`assistant trace` end to end on the built-in store: JSON, Markdown, CSV, .docx, novelty, agreed
language."""

from __future__ import annotations

import csv
import io
import json

import docx
import pytest

from assistant.cli import main
from assistant.matrix import matrix_units
from vectorstore.filters import Filters

EUROPE = "A/CONF.234/RPM.5/1"
LAC = "A/CONF.241/RPM.2/2"


def run_cli(capsys, settings, *args) -> tuple[int, str, str]:
    code = main(["trace", "--data-dir", str(settings.data_dir), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_covers_every_european_recommendation_both_directions(capsys, builtin_store, builtin_settings):
    code, out, err = run_cli(capsys, builtin_settings, "--from", EUROPE, "--json")
    assert code == 0, err
    data = json.loads(out)
    expected = [u.id for u in matrix_units(builtin_store.units(Filters(symbols=(EUROPE,))))]
    assert [r["id"] for r in data["recommendations"]] == expected
    for rec in data["recommendations"]:
        assert rec["verdict"] in ("taken up", "partly", "not found")
        assert rec["matches"] and all(m["reason"] and m["citation"] for m in rec["matches"])
        assert rec["for_reader"]["text"]  # an English reader gets a rendering or labelled key terms
    paragraphs = {p["id"]: p for p in data["declaration_paragraphs"]}
    assert "A/RES/76/181#annex:63" in paragraphs
    fed = {f["id"] for p in paragraphs.values() for f in p["fed_by"]}
    assert fed <= set(expected) and fed
    assert "taken up" in err or "recommendations:" in err


def test_exports_open(capsys, builtin_settings, tmp_path):
    path = tmp_path / "trace.docx"
    code, _, err = run_cli(capsys, builtin_settings, "--format", "docx", "--out", str(path))
    assert code == 0, err
    document = docx.Document(str(path))
    assert "Kyoto Declaration" in document.paragraphs[0].text
    assert len(document.tables) == 2
    assert any("para. 56 (d)" in cell.text for row in document.tables[0].rows for cell in row.cells)

    code, out, _ = run_cli(capsys, builtin_settings, "--format", "csv", "--lang", "zh")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["direction"] for r in rows} == {"recommendation->declaration", "declaration<-recommendation"}
    assert any(r["source_id"] == f"{EUROPE}#56(d)" for r in rows)

    md_path = tmp_path / "trace.md"
    code, _, _ = run_cli(capsys, builtin_settings, "--format", "md", "--out", str(md_path))
    text = md_path.read_text(encoding="utf-8")
    assert "## Recommendations → declaration paragraphs" in text
    assert "## Declaration paragraphs → recommendations that fed them" in text


def test_novel_lists_latin_american_recommendations_without_counterpart(capsys, builtin_settings):
    code, out, err = run_cli(capsys, builtin_settings, "--novel", "--symbol", LAC, "--json")
    assert code == 0, err
    novel = json.loads(out)["novel"]
    assert novel and all(r["new"] and r["id"].startswith(LAC + "#") for r in novel)
    code, out, _ = run_cli(capsys, builtin_settings, "--novel", "--symbol", LAC)
    assert "(new)" in out


def test_agreed_language_for_a_draft_point(capsys, builtin_store, builtin_settings):
    kyoto_63 = builtin_store.get(["A/RES/76/181#annex:63"])[0]
    code, out, _ = run_cli(capsys, builtin_settings, "--text", kyoto_63.text, "--json")
    data = json.loads(out)
    assert data["suggestion"] == "agreed language: Kyoto Declaration, para. 63" and not data["new"]


@pytest.mark.parametrize("args, message", [
    (["--format", "docx"], "--out"),
    (["--novel"], "--symbol"),
    (["--from", "A/CONF.999/1"], "Unknown document"),
    (["--theme", "nonsense"], "Unknown theme"),
])
def test_bad_arguments_are_clear_errors(capsys, builtin_settings, args, message):
    code, _, err = run_cli(capsys, builtin_settings, *args)
    assert code == 2 and message in err and "Traceback" not in err
