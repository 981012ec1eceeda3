"""The MCP tools of the launched app (`assistant serve`), called by the real Python `mcp` client over
streamable HTTP on loopback: exactly four tools, exact ids, verbatim text, the app's password.

The server runs with the extractive backend (no model) and its password in a file.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from test_app_client import copy_store, running_app

from assistant.mcp_tools import TOOL_NAMES

PASSWORD = "mcp-kyoto-2021"
LATAM = "A/CONF.241/RPM.2/2"
LATAM_24D = f"{LATAM}#24(d)"


@pytest.fixture(scope="module")
def mcp_url(builtin_store, builtin_settings, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mcp-app")
    data_dir = copy_store(builtin_settings, tmp / "data")
    password_file = tmp / "password.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    with running_app(data_dir, tmp / "app.log", "--password-file", str(password_file)) as url:
        yield f"{url}gradio_api/mcp/"


async def _session_call(url: str, password: str, work):
    headers = {"Authorization": f"Bearer {password}"} if password else {}
    async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(60, read=300)) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await work(session)


def list_tools(url: str, password: str = PASSWORD):
    return asyncio.run(_session_call(url, password, lambda s: s.list_tools())).tools


def call_tool(url: str, name: str, arguments: dict, password: str = PASSWORD):
    """The tool's result, parsed from the JSON text it returns."""
    result = asyncio.run(_session_call(url, password, lambda s: s.call_tool(name, arguments)))
    assert not result.isError, result.content
    assert len(result.content) == 1 and result.content[0].type == "text"
    return json.loads(result.content[0].text)


def test_exactly_the_four_tools_are_listed_with_descriptions(mcp_url):
    tools = {tool.name: tool for tool in list_tools(mcp_url)}
    assert set(tools) == set(TOOL_NAMES) == {"lookup_paragraph", "search_paragraphs", "list_documents",
                                             "answer"}
    lookup = tools["lookup_paragraph"]
    assert "verbatim" in lookup.description and "拉美报告第24(d)段" in lookup.description
    assert list(lookup.inputSchema["properties"]) == ["reference"]
    assert "A/CONF.241/RPM.2/2 para. 24 (d)" in lookup.inputSchema["properties"]["reference"]["description"]
    assert set(tools["search_paragraphs"].inputSchema["properties"]) == {
        "query", "documents", "kinds", "regions", "congresses", "k"}
    assert set(tools["answer"].inputSchema["properties"]) == {"question", "mode"}


def test_lookup_paragraph_returns_the_unit_verbatim_with_both_citations(mcp_url, builtin_store):
    result = call_tool(mcp_url, "lookup_paragraph", {"reference": "A/CONF.241/RPM.2/2 para. 24 (d)"})
    unit = builtin_store.get([LATAM_24D])[0]
    assert result["found"] is True
    assert [u["id"] for u in result["units"]] == [LATAM_24D]
    record = result["units"][0]
    assert record["text"] == unit.text
    assert record["citation_en"] == "A/CONF.241/RPM.2/2, para. 24 (d)"
    assert record["citation_zh"] == "A/CONF.241/RPM.2/2, 第24(d)段"
    assert record["section"] == unit.section and record["paragraph"] == 24 and record["item"] == "d"


def test_lookup_paragraph_understands_chinese_references(mcp_url):
    result = call_tool(mcp_url, "lookup_paragraph", {"reference": "拉美报告第24(d)段"})
    assert [u["id"] for u in result["units"]] == [LATAM_24D]


def test_lookup_of_a_missing_paragraph_finds_nothing_and_says_why(mcp_url):
    result = call_tool(mcp_url, "lookup_paragraph", {"reference": "A/CONF.241/RPM.2/2 para. 999"})
    assert result["found"] is False and result["units"] == []
    assert any("999" in notice for notice in result["notices"]), result


def test_lookup_without_a_reference_returns_no_similar_paragraphs(mcp_url):
    result = call_tool(mcp_url, "lookup_paragraph", {"reference": "firearms trafficking"})
    assert result["units"] == [] and "search_paragraphs" in result["notices"][-1]


def test_search_paragraphs_respects_filters_and_quotes_verbatim(mcp_url, builtin_store):
    result = call_tool(mcp_url, "search_paragraphs", {
        "query": "firearms trafficking", "documents": [LATAM], "kinds": ["recommendation"], "k": 3})
    hits = result["hits"]
    assert [h["rank"] for h in hits] == [1, 2, 3]
    stored = {u.id: u for u in builtin_store.get([h["id"] for h in hits])}
    for hit in hits:
        unit = stored[hit["id"]]
        assert unit.symbol == LATAM and unit.kind == "recommendation"
        assert hit["text"] == unit.text
        assert hit["citation_en"] == unit.citation("en") and hit["citation_zh"] == unit.citation("zh")


def test_search_paragraphs_rejects_a_bad_k(mcp_url):
    result = asyncio.run(_session_call(mcp_url, PASSWORD, lambda s: s.call_tool(
        "search_paragraphs", {"query": "firearms", "k": 500})))
    assert result.isError and "k must be between 1 and 30" in result.content[0].text


def test_list_documents_lists_the_store(mcp_url, builtin_store):
    documents = call_tool(mcp_url, "list_documents", {})
    counts = builtin_store.document_unit_counts()
    assert {d["symbol"]: d["units"] for d in documents} == counts
    assert LATAM in counts


def test_answer_cites_verified_paragraphs_with_their_text(mcp_url, builtin_store):
    result = call_tool(mcp_url, "answer", {"question": "拉美区域筹备会议关于打击枪支贩运提出了哪些建议？"})
    assert result["language"] == "zh" and result["backend"] == "extractive"
    assert result["citations"]
    stored = {u.id: u for u in builtin_store.get([c["id"] for c in result["citations"]])}
    assert set(stored) == {c["id"] for c in result["citations"]}
    for citation in result["citations"]:
        assert citation["text"] == stored[citation["id"]].text
        unit = stored[citation["id"]]
        assert citation["citation_zh"] in result["answer"] or f"第{unit.ref}段" in result["answer"]


def test_the_mcp_endpoint_needs_the_app_password(mcp_url):
    request = urllib.request.Request(mcp_url, method="POST", data=b"{}",
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json, text/event-stream"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 401
    with pytest.raises(Exception):  # noqa: B017 - the mcp client wraps the 401 in its own errors
        list_tools(mcp_url, password="wrong")
