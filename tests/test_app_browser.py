"""The launched app in a real headless Chromium (Playwright): upload, ask, sources, citation links.

Screenshots are saved in test-artifacts/ for a human look at the layout.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import docx
import pytest
from server_process import free_port
from test_app_client import copy_store, running_app

from assistant import ui_labels as L
from assistant.ui_sources import anchor_id
from vectorstore.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def screenshot(page, name: str) -> None:
    """The whole page as test-artifacts/NAME (kept for a human to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def download(page, selector: str, saved: Path) -> Path:
    """Click the download button `selector` and save what the browser receives as `saved`."""
    with page.expect_download() as started:
        page.locator(selector).click()
    started.value.save_as(saved)
    return saved
HOSTILE_SYMBOL = "A/CONF.999/RPM.7/1"
HOSTILE_TEXT = "<script>alert(1)</script><b>x</b>"

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url(builtin_store, builtin_settings, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-app")
    data_dir = copy_store(builtin_settings, tmp / "data")
    with running_app(data_dir, tmp / "app.log") as url:
        yield url


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.dialogs = dialogs
    page.requests = requests
    open_app(page, app_url)
    yield page
    context.close()


def open_app(page, url: str) -> None:
    """Load the app and wait until both the question box and the sources panel are on the page."""
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    # Gradio mounts the columns one by one: the sources panel can attach a moment after the question box.
    page.wait_for_selector("#sources-panel", state="attached", timeout=60_000)


def ask_in_browser(page, question: str, mode_label: str | None = None):
    """Type a question, send it, and wait until the verified answer and its sources are shown."""
    if mode_label:
        page.get_by_label(mode_label).check()
    page.evaluate("() => { window.__previousPanel = document.querySelector('#sources-panel').innerHTML; }")
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()
    # The panel shows a placeholder while the answer streams; cited cards arrive with the final answer.
    page.wait_for_function(
        """() => {
            const panel = document.querySelector('#sources-panel');
            return panel.innerHTML !== window.__previousPanel && panel.querySelector('.src-card.cited');
        }""", timeout=180_000)
    # the chat renders its last message a moment after the panel (a lookup's panel can even come
    # first while the chat still shows the "searching" placeholder)
    page.wait_for_function("([q, searching]) => { const t = document.querySelector('#chatbot').innerText;"
                           " return t.includes(q) && !t.includes('Loading content')"
                           " && !t.includes(searching); }",
                           arg=[question, L.SEARCHING], timeout=30_000)
    assert question in page.locator("#chatbot").inner_text()


def cited_cards(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#sources-panel .src-card.cited",
        "cards => cards.map(c => ({id: c.dataset.unitId, anchor: c.id,"
        " text: c.querySelector('.src-text').textContent}))")


def test_question_shows_cited_paragraphs_and_links_jump_to_them(page, builtin_store):
    ask_in_browser(page, "拉美区域筹备会议关于打击枪支贩运提出了哪些建议？")
    cards = cited_cards(page)
    assert cards
    store_units = {u.id: u for u in builtin_store.get([c["id"] for c in cards])}
    for card in cards:
        assert card["id"] in store_units, card["id"]
        assert card["text"] == store_units[card["id"]].text  # full verbatim text
        assert card["anchor"] == anchor_id(card["id"])

    link = page.locator("#chatbot a.cite, #chatbot a[href^='#src-']").first
    href = link.get_attribute("href")
    assert href and href.startswith("#src-")
    link.click()
    page.wait_for_function("(h) => location.hash === h", arg=href, timeout=10_000)
    targeted = page.evaluate("() => { const t = document.querySelector(':target');"
                             " return t && t.dataset.unitId; }")
    assert targeted and anchor_id(targeted) == href[1:]
    screenshot(page, "app-chat-zh.png")

    saved = download(page, "#export-docx", ARTIFACTS / "answer-export.docx")
    quotes = [p.text for p in docx.Document(str(saved)).paragraphs if p.style.name == "Quote"]
    originals = [store_units[card["id"]].text for card in cards]
    # every cited paragraph verbatim, in order (a labelled rendering may follow each original)
    assert [q for q in quotes if q in originals] == originals


def test_english_lookup_shows_exact_paragraph(page, builtin_store):
    ask_in_browser(page, "para. 37 (o)", mode_label="查段落 / Look up paragraph")
    cards = cited_cards(page)
    assert cards[0]["id"] == "A/CONF.241/RPM.2/2#37(o)"
    assert cards[0]["text"] == builtin_store.get(["A/CONF.241/RPM.2/2#37(o)"])[0].text
    answer = page.locator("#chatbot .message").last.inner_text()
    assert "para. 37 (o)" in answer
    screenshot(page, "app-lookup-en.png")


def test_uploaded_document_with_markup_is_shown_as_text(page, tmp_path):
    # Nothing listens on this port: a request to it would mean a live link or image was rendered.
    trap = f"http://127.0.0.1:{free_port()}"
    image, link = f'<img src="{trap}/pixel.png">', f"{trap}/phish"
    report = tmp_path / "hostile.txt"
    report.write_text(
        "Report of the Hostile Markup Preparatory Meeting\n\nI. Recommendations\n\n"
        f"1. The participants recommended {HOSTILE_TEXT} for testing escaping.\n\n"
        "2. The participants recommended ${alert(2)} and {{value}} template markers.\n\n"
        f"3. The participants recommended {image} and {link} as markup tests.\n",
        encoding="utf-8")
    page.get_by_role("tab", name=re.compile("上传报告")).click()
    page.locator("#upload-file input[type=file]").set_input_files(str(report))
    page.locator("#upload-symbol textarea, #upload-symbol input").first.fill(HOSTILE_SYMBOL)
    page.locator("#upload-button").click()
    page.wait_for_function(
        "(ends) => ends.some(e => document.querySelector('#upload-status').innerText.includes(e))",
        arg=[L.UPLOAD_OK, L.UPLOAD_FAILED], timeout=180_000)
    status = page.locator("#upload-status").inner_text()
    assert L.UPLOAD_OK in status and L.UPLOAD_FAILED not in status, status
    screenshot(page, "app-upload.png")

    page.get_by_role("tab", name=re.compile("对话")).click()
    ask_in_browser(page, f"{HOSTILE_SYMBOL} para. 1 and para. 2", mode_label="查段落 / Look up paragraph")
    panel = page.locator("#sources-panel")
    assert HOSTILE_TEXT in panel.inner_text()
    assert "${alert(2)} and {{value}}" in panel.inner_text()
    assert panel.locator("script").count() == 0 and panel.locator(".src-text b").count() == 0
    assert page.dialogs == []

    # Links and images in document text reach the chat as text: no Markdown autolink, no <img>.
    ask_in_browser(page, f"{HOSTILE_SYMBOL} para. 3", mode_label="查段落 / Look up paragraph")
    chat = page.locator("#chatbot")
    assert link in chat.inner_text() and image in chat.inner_text()
    assert chat.locator("img[src*='pixel'], a[href^='http']").count() == 0
    page.wait_for_timeout(500)
    trap_port = urlparse(trap).port
    assert not [url for url in page.requests if urlparse(url).port == trap_port], page.requests
    screenshot(page, "app-escaping.png")
