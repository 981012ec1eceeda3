"""Metadata read from a document's printed title (vectorstore.title_facts), and through ingest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vectorstore.settings import PROJECT_ROOT
from vectorstore.store import UnitStore
from vectorstore.title_facts import facts_from_title

AFRICAN_REPORT = PROJECT_ROOT / "eval" / "uploads" / "A-CONF-241-RPM-3-1.en.txt"


@pytest.mark.parametrize("title, facts", [
    ("Report of the African Regional Preparatory Meeting for the Fifteenth United Nations Congress on Crime "
     "Prevention and Criminal Justice, held in Addis Ababa from 11 to 13 March 2025",
     {"region": "Africa", "congress": 15, "venue": "Addis Ababa", "dates": ["2025-03-11", "2025-03-13"]}),
    ("2025年2月4日至6日在圣何塞举行的第十五届联合国预防犯罪和刑事司法大会拉丁美洲和加勒比区域筹备会议的报告",
     {"region": "Latin America and the Caribbean", "congress": 15, "venue": "圣何塞",
      "dates": ["2025-02-04", "2025-02-06"]}),
    ("第十四届联合国预防犯罪和刑事司法大会欧洲区域筹备会议的报告", {"region": "Europe", "congress": 14}),
    ("Report of the Asia-Pacific Regional Preparatory Meeting, held in Bangkok on 5 March 2025",
     {"region": "Asia and the Pacific", "venue": "Bangkok", "dates": ["2025-03-05"]}),
    ("Report of the Expert Group Meeting held in San José, Costa Rica, from 30 January to 1 February 2025",
     {"venue": "San José", "dates": ["2025-01-30", "2025-02-01"]}),
    # a congress venue is a place here, not the Thirteenth Congress
    ("Report of the meeting held in Doha from 28 December 2024 to 2 January 2025",
     {"venue": "Doha", "dates": ["2024-12-28", "2025-01-02"]}),
    ("Preparations for the Fifteenth United Nations Congress on Crime Prevention and Criminal Justice",
     {"congress": 15}),
    # two congresses: which one the document belongs to is not stated
    ("Follow-up to the Fourteenth United Nations Congress on Crime Prevention and Criminal Justice and "
     "preparations for the Fifteenth United Nations Congress", {}),
    ("Strengthening international cooperation against trafficking in cultural property", {}),
])
def test_facts_a_title_states(title, facts):
    assert facts_from_title(title) == facts


def _ingest(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "ingest", "--no-progress", *args],
                          cwd=PROJECT_ROOT, env={**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)},
                          capture_output=True, text=True, timeout=600)


def test_a_report_ingested_without_a_catalog_carries_what_its_title_states(tmp_path, make_settings):
    """A regional report uploaded without flags could be named only by its symbol: "the African
    meeting" found nothing to boost, and a comparison of regions had one side."""
    done = _ingest(str(AFRICAN_REPORT), data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert ("metadata: region Africa, congress 15, venue Addis Ababa, dates 2025-03-11 to 2025-03-13 "
            "(--region, --congress, --metadata or a sidecar JSON correct it)") in done.stdout
    document = UnitStore(make_settings(tmp_path)).documents()[0]
    assert (document.region, document.congress, document.venue, document.dates) == (
        "Africa", 15, "Addis Ababa", ["2025-03-11", "2025-03-13"])

    flags = ("--region", "Eastern Africa", "--congress", "16")
    corrected = _ingest(str(AFRICAN_REPORT), *flags, data_dir=tmp_path)
    assert corrected.returncode == 0, corrected.stderr
    document = UnitStore(make_settings(tmp_path)).documents()[0]
    assert (document.region, document.congress, document.venue) == ("Eastern Africa", 16, "Addis Ababa")


def test_the_african_meeting_is_a_side_of_a_comparison(builtin_store, builtin_settings, tmp_path):
    import shutil

    from assistant.modes import _compared_documents
    from vectorstore.ingest import ingest_files
    from vectorstore.retrieval import HybridSearcher

    data_dir = tmp_path / "data"
    shutil.copytree(builtin_settings.data_dir, data_dir)
    settings = builtin_settings.with_overrides(data_dir=str(data_dir))
    store = UnitStore(settings)
    ingest_files([AFRICAN_REPORT], settings, store=store, progress=False)
    searcher = HybridSearcher(store, settings)
    question = "Compare what the African and the Latin American meetings recommended on legal aid."
    symbols = [d.symbol for d in store.documents()]
    sides = set(_compared_documents(question, symbols, searcher))
    assert sides == {"A/CONF.241/RPM.3/1", "A/CONF.241/RPM.2/2"}
    hits = searcher.search("What did the African meeting recommend on firearms trafficking?", k=3).hits
    assert hits[0].unit.id == "A/CONF.241/RPM.3/1#2(a)"
