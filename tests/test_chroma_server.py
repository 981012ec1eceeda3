"""The store through chromadb.HttpClient against a real `chroma run` server on loopback."""

from __future__ import annotations

import pytest
from server_process import free_port, server_process

from vectorstore.errors import UserError
from vectorstore.ingest import ingest_files
from vectorstore.settings import PROJECT_ROOT
from vectorstore.store import UnitStore

CHROMA = PROJECT_ROOT / ".venv" / "bin" / "chroma"
SYMBOL = "A/CONF.777/RPM.1/1"


@pytest.fixture
def chroma_server(tmp_path):
    """(host, port) of a fresh Chroma server; stopped after the test."""
    port = free_port()
    command = [str(CHROMA), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1",
               "--port", str(port)]
    with server_process(command, f"http://127.0.0.1:{port}/api/v2/heartbeat", tmp_path / "chroma.log",
                        timeout=60):
        yield "127.0.0.1", port


def test_ingest_and_search_through_a_chroma_server(chroma_server, tmp_path, write_report, make_settings):
    host, port = chroma_server
    settings = make_settings(tmp_path / "client", chroma_host=host, chroma_port=port)
    ingest_files([write_report(tmp_path / "r.txt")], settings, progress=False)

    store = UnitStore(settings)  # a second client sees the same server-side collection
    assert store.count() == 7
    hits = store.dense_search("international cooperation against cybercrime", k=3)
    assert hits[0][0].id == f"{SYMBOL}#3(a)"
    assert not (tmp_path / "client" / "chroma").exists()  # nothing was stored locally
    assert store.remove_document(SYMBOL) == 7 and store.count() == 0


def test_unreachable_server_is_a_user_error_naming_it(make_settings, tmp_path):
    port = free_port()  # nothing listens there
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=port)
    with pytest.raises(UserError, match=f"127.0.0.1:{port}"):
        UnitStore(settings)
