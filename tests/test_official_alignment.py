"""Official versions win: the other-language version of a stored document becomes its `official` rendering.

A real pair: the English test report of conftest and its Chinese version with identical numbering,
both parsed by the real parser, in a real Chroma store; a version with different numbering is a
clear error listing the ids, and nothing is stored.
"""

from __future__ import annotations

import pytest

from vectorstore.catalog import document_info_for
from vectorstore.ingest import ingest_files
from vectorstore.parsing import parse_report
from vectorstore.renderings import (
    NumberingMismatchError,
    Rendering,
    RenderingStore,
    store_official_version,
    text_hash,
)
from vectorstore.store import UnitStore

SYMBOL = "A/CONF.777/RPM.1/1"

CHINESE_VERSION = """联合国 A/CONF.777/RPM.1/1

第十六届大会测试区域筹备会议的报告

 一. 导言

1. 会议于 2025 年 3 月 3 日由会议主席在内罗毕宣布开幕。
2. 会议以鼓掌方式选出主席团成员并通过了议程。

 二. 建议

3. 会议确定了未经与会者谈判的以下建议：
(a) 各国应加强打击网络犯罪的国际合作，包括通过司法协助和保全电子证据；
(b) 各国应保护贩运人口和偷运移民的受害人；
(c) 各国应投资于罪犯的改造和重返社会。
{last}
"""
LAST = "4. 与会者强调了为小岛屿发展中国家提供技术援助的重要性。"


# numbered differently: sub-item 3(c) missing, a paragraph 5 added
MISMATCHED = CHINESE_VERSION.replace("(c) 各国应投资于罪犯的改造和重返社会。\n", "").format(
    last=LAST + "\n5. 与会者欢迎东道国提供的支持。")


MATCHING = CHINESE_VERSION.format(last=LAST)


def chinese_units(tmp_path, text=MATCHING):
    path = tmp_path / "version.zh.txt"
    path.write_text(text, encoding="utf-8")
    document = document_info_for(path, text, {"symbol": SYMBOL, "language": "zh"})
    return parse_report(text, document, path.name)


@pytest.fixture
def english_store(make_settings, write_report, tmp_path):
    settings = make_settings(tmp_path / "data")
    store = UnitStore(settings)
    # a generous parse budget: the machine is shared, and parsing speed is not what is tested here
    ingest_files([write_report(tmp_path / "report.en.txt", symbol=SYMBOL)], settings, store=store,
                 progress=False, parse_budget=120)
    return store


def test_the_chinese_version_becomes_the_official_rendering_replacing_machine_ones(english_store, tmp_path):
    stored = english_store.units()
    renderings = RenderingStore(english_store.settings, shipped=None)
    renderings.put([Rendering(stored[0].id, "zh", "机器译文", "machine", "test-model", "2026-12-01",
                              text_hash(stored[0].text))])
    official = chinese_units(tmp_path)
    assert [u.id for u in official] == [u.id for u in stored]  # the pair is numbered alike

    assert store_official_version(english_store, official) == len(stored)
    got = renderings.get_many(stored)
    assert set(got) == {u.id for u in stored}
    assert all(r.source == "official" and r.language == "zh" for r in got.values())
    by_id = {u.id: u.text for u in official}
    assert all(got[uid].text == by_id[uid] for uid in got)
    assert got[stored[0].id].label("en") == "official Chinese version"
    # the stored document is still the English one
    assert {d.language for d in english_store.documents()} == {"en"}


def test_mismatched_numbering_lists_the_ids_and_stores_nothing(english_store, tmp_path):
    official = chinese_units(tmp_path, MISMATCHED)
    renderings = RenderingStore(english_store.settings, shipped=None)
    with pytest.raises(NumberingMismatchError) as caught:
        store_official_version(english_store, official)
    message = str(caught.value)
    assert "Only in the stored document (1): 3(c)" in message
    assert "Only in the new version (1): 5" in message
    assert renderings.get_many(english_store.units()) == {}


def test_a_new_symbol_or_the_same_language_is_an_ordinary_ingest(english_store, tmp_path, write_report):
    other = chinese_units(tmp_path)
    for unit in other:
        unit.symbol = "A/CONF.777/RPM.9/9"
    assert store_official_version(english_store, other) is None
    path = write_report(tmp_path / "again.en.txt", symbol=SYMBOL)
    text = path.read_text(encoding="utf-8")
    same_language = parse_report(text, document_info_for(path, text, {"symbol": SYMBOL}), path.name)
    assert store_official_version(english_store, same_language) is None


def test_assistant_ingest_of_the_official_version_stores_it_as_rendering(english_store, tmp_path, capsys):
    from assistant.cli import main

    settings = english_store.settings
    path = tmp_path / "official.zh.txt"
    path.write_text(CHINESE_VERSION.format(last=LAST), encoding="utf-8")
    code = main(["ingest", str(path), "--symbol", SYMBOL, "--language", "zh", "--no-progress",
                 "--parse-budget", "120", "--data-dir", str(settings.data_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "official rendering of the stored version" in out
    stored = UnitStore(settings).units()
    assert {u.language for u in stored} == {"en"}  # still one document, the English one
    got = RenderingStore(settings, shipped=None).get_many(stored)
    assert len(got) == len(stored) and {r.source for r in got.values()} == {"official"}

    bad = tmp_path / "bad.zh.txt"
    bad.write_text(MISMATCHED, encoding="utf-8")
    code = main(["ingest", str(bad), "--symbol", SYMBOL, "--language", "zh", "--no-progress",
                 "--parse-budget", "120", "--data-dir", str(settings.data_dir)])
    _, err = capsys.readouterr()
    assert code == 2 and "numbered differently" in err and "Traceback" not in err
    assert "Only in the stored document (1): 3(c)" in err
    assert RenderingStore(settings, shipped=None).get_many(stored) == got  # unchanged
