"""The Traceability tab in the launched app, driven in a real headless Chromium (Playwright).

Trace the European report into the Kyoto Declaration, open a paragraph from a cell, switch to the
other direction, ask for agreed language, and download the .docx export.
A screenshot is saved in test-artifacts/.
"""

from __future__ import annotations

import docx
import pytest
import test_app_browser

from assistant.trace_tab import AGREED, BUILD, TAB_TRACE

pytestmark = pytest.mark.slow

screenshot = test_app_browser.screenshot
download = test_app_browser.download
# The shared fixtures: headless Chromium, and the app launched on a private copy of the built-in store.
browser = test_app_browser.browser
app_url = test_app_browser.app_url


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name=TAB_TRACE).click()
    page.get_by_role("button", name=BUILD).wait_for(timeout=60_000)
    yield page
    context.close()


def test_trace_tab_both_directions_links_and_export(page, builtin_store, tmp_path):
    page.get_by_role("button", name=BUILD).click()
    page.wait_for_selector("#trace-forward-table tbody tr", timeout=240_000)
    rows = page.eval_on_selector_all("#trace-forward-table tbody tr",
                                     "rows => rows.map(r => [r.dataset.unit, r.dataset.verdict])")
    assert "A/CONF.234/RPM.5/1#56(d)" in [uid for uid, _ in rows]
    assert {v for _, v in rows} <= {"taken up", "partly", "not found"}

    # A cell links to the paragraph: the side panel shows its verbatim text.
    row = page.locator('#trace-forward-table tr[data-unit="A/CONF.234/RPM.5/1#56(d)"]')
    link = row.locator('a.tr-ref[data-unit="A/RES/76/181#annex:63"]')
    link.click()
    page.wait_for_selector('#trace-source [data-unit-id="A/RES/76/181#annex:63"]', timeout=30_000)
    kyoto_63 = builtin_store.get(["A/RES/76/181#annex:63"])[0]
    assert page.locator("#trace-source blockquote").inner_text().strip() == kyoto_63.text

    # The other direction: each declaration paragraph with the recommendations that fed it.
    fed = page.locator('#trace-backward-table tr[data-unit="A/RES/76/181#annex:63"] td:nth-child(2) a.tr-ref')
    assert "A/CONF.234/RPM.5/1#56(d)" in fed.evaluate_all("links => links.map(a => a.dataset.unit)")
    fed.first.click()
    page.wait_for_selector("#trace-source [data-unit-id^='A/CONF.234/RPM.5/1#']", timeout=30_000)
    # The Chinese recommendation is shown to the English reader with a labelled bridge.
    assert page.locator("#trace-source .tr-meta i").count() >= 1

    screenshot(page, "trace-tab.png")

    saved = download(page, "#trace-docx", tmp_path / "trace.docx")
    document = docx.Document(str(saved))
    assert any("56 (d)" in cell.text for r in document.tables[0].rows for cell in r.cells)


def test_agreed_language_side_by_side(page, builtin_store):
    kyoto_63 = builtin_store.get(["A/RES/76/181#annex:63"])[0]
    page.locator("#trace-draft textarea").fill(kyoto_63.text)
    page.get_by_role("button", name=AGREED).click()
    page.wait_for_selector("#trace-agreed-head", timeout=120_000)
    assert page.locator("#trace-agreed-head").inner_text() == "agreed language: Kyoto Declaration, para. 63"
    assert page.locator('#trace-agreed-result a.tr-ref[data-unit="A/RES/76/181#annex:63"]').count() == 1
