"""The sources panel in a real Chromium: the original plus its labelled rendering, in the reader's language.

An English question over the Chinese reports: each card shows the Chinese original and below it the
English rendering labelled "unofficial machine translation"; the answer itself is English. A Chinese
question over the same reports shows no rendering (the reader reads the original).
"""

from __future__ import annotations

import pytest
from test_app_browser import ask_in_browser, browser, open_app, screenshot  # noqa: F401 - browser is a fixture
from test_app_client import copy_store, running_app

from vectorstore.renderings import CJK, cjk_share

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app_url(builtin_store, builtin_settings, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sources-browser")
    data_dir = copy_store(builtin_settings, tmp / "data")
    with running_app(data_dir, tmp / "app.log", "--no-mcp") as url:
        yield url


@pytest.fixture
def page(browser, app_url):  # noqa: F811 - the imported fixture is used here
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    open_app(page, app_url)
    yield page
    context.close()


def cards(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#sources-panel .src-card",
        """cards => cards.map(c => ({
            id: c.dataset.unitId,
            original: (c.querySelector('.src-text') || {}).innerText || '',
            label: (c.querySelector('.src-rendering-label') || {}).innerText || '',
            source: (c.querySelector('.src-rendering-label') || {dataset: {}}).dataset.renderingSource || '',
            rendering: (c.querySelector('.src-rendering') || {}).innerText || '',
        }))""")


def test_english_reader_sees_original_and_labelled_machine_translation(page):
    ask_in_browser(page, "What did the Latin American report recommend on firearms trafficking?")
    shown = cards(page)
    assert any(c["id"] == "A/CONF.241/RPM.2/2#37(n)" for c in shown)
    for card in shown:
        assert cjk_share(card["original"]) > 0.5, card["id"]  # the Chinese original is kept
        if card["rendering"]:
            assert card["label"].startswith("unofficial machine translation"), card
            assert card["source"] == "machine" and not CJK.search(card["rendering"]), card["id"]
        else:  # not rendered yet: said so, in English
            assert card["label"] == "no translation yet", card
    firearms = next(c for c in shown if c["id"] == "A/CONF.241/RPM.2/2#37(n)")
    assert "firearms" in firearms["rendering"]
    answer = page.locator("#chatbot").inner_text()
    assert "To strengthen the capacity" in answer  # 37 (n) quoted from its rendering, in English
    assert "(no supporting paragraph found)" not in answer
    screenshot(page, "sources-renderings-en.png")


def test_chinese_reader_of_chinese_sources_sees_no_rendering(page):
    ask_in_browser(page, "拉美报告关于枪支贩运有什么建议？")
    shown = cards(page)
    assert shown and all(not c["rendering"] and not c["label"] for c in shown)
