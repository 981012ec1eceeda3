"""Catalog aliases: loaded from catalog.json, a sidecar or --metadata into DocumentInfo and units."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vectorstore.catalog import document_info_for, load_catalog
from vectorstore.errors import DocumentParseError
from vectorstore.settings import BUILTIN_CORPUS_DIR

TEXT = "United Nations A/CONF.888/RPM.1/1\n1. The Meeting opened.\n"


def test_builtin_catalog_names_the_kyoto_declaration():
    kyoto = load_catalog(BUILTIN_CORPUS_DIR / "catalog.json")["A-RES-76-181.en.txt"]
    assert kyoto.symbol == "A/RES/76/181" and kyoto.language == "en"
    names = [a if isinstance(a, str) else a["name"] for a in kyoto.aliases]  # a name, or a part's name
    assert names[:2] == ["Kyoto Declaration", "京都宣言"]


def test_sidecar_aliases_and_a_single_string(tmp_path):
    report = tmp_path / "r.txt"
    report.write_text(TEXT, encoding="utf-8")
    (tmp_path / "r.txt.json").write_text(json.dumps({"aliases": "the  test report"}), encoding="utf-8")
    info = document_info_for(report, TEXT)
    assert info.symbol == "A/CONF.888/RPM.1/1" and info.aliases == ["the test report"]


def test_catalog_aliases_of_the_wrong_shape_are_refused(tmp_path):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"documents": [
        {"file": "r.txt", "symbol": "X/1", "language": "en", "aliases": {"en": "x"}}]}), encoding="utf-8")
    with pytest.raises(DocumentParseError, match=r"\"aliases\" must be a list of names"):
        load_catalog(catalog)


@pytest.mark.parametrize("name, title", [
    ("parts/resolution_title_on_even_pages.en.txt",
     "Strengthening international cooperation to protect cultural property against trafficking and "
     "related offences"),
    ("parts/short_resolution.zh.txt", "加强预防犯罪和刑事司法对策，打击影响环境的犯罪"),
    ("en_report_excerpt.txt", "Report of the Western Asian Regional Preparatory Meeting for the Sixteenth "
     "United Nations Congress on Crime Prevention and Criminal Justice,"),
])
def test_an_uncatalogued_document_gets_the_title_printed_on_its_first_page(tmp_path, name, title):
    """Listed by `ingest --list`, the app and MCP; it used to be the file name."""
    text = (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")
    path = tmp_path / Path(name).name
    path.write_text(text, encoding="utf-8")
    info = document_info_for(path, text)
    assert (info.title_en or info.title_zh).startswith(title)
    assert document_info_for(path, text, {"title_en": "Given"}).title_en == "Given"  # a given title wins
