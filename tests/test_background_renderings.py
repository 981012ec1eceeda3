"""After an upload, the app renders the new document in the background (real 0.5B model); answers
given meanwhile say the renderings are pending, and the renderings are stored once done."""

from __future__ import annotations

import time
import uuid

import pytest
from test_app_client import copy_store

from assistant.chain import AnswerChain
from assistant.translation import pending_symbols, render_after_ingest
from vectorstore.filters import Filters
from vectorstore.ingest import ingest_files
from vectorstore.renderings import CJK, RenderingStore
from vectorstore.store import UnitStore

pytestmark = pytest.mark.slow

SYMBOL = "A/CONF.778/RPM.2/1"
# Every paragraph carries a fresh token, so the shared translation cache cannot already hold it and
# the background work really takes the model a while.
REPORT = """United Nations {symbol}

Report of the Test Regional Preparatory Meeting for the Sixteenth Congress

 II. Recommendations

1. Participants from working group {token} recommended training judges on wildlife crime.
2. Working group {token} recommended that States protect witnesses in corruption cases.
3. Working group {token} recommended that States share evidence on cybercrime more quickly.
4. Working group {token} stressed the value of legal aid for persons in pretrial detention.
5. Working group {token} called for data on violence against women, by age and sex.
6. Working group {token} recommended regional cooperation against trafficking in firearms.
"""


def test_upload_renders_in_the_background_and_answers_say_so_meanwhile(builtin_settings, builtin_store,
                                                                       tmp_path):
    data_dir = copy_store(builtin_settings, tmp_path / "data")
    settings = builtin_settings.with_overrides(data_dir=str(data_dir), model="qwen2.5-0.5b",
                                               backend="extractive")
    report = tmp_path / "report.en.txt"
    report.write_text(REPORT.format(symbol=SYMBOL, token=uuid.uuid4().hex[:8]), encoding="utf-8")
    store = UnitStore(settings)
    reports = ingest_files([report], settings, store=store, progress=False, parse_budget=120)
    chain = AnswerChain(settings)  # ready before the background work starts
    question = "这份报告关于野生动物犯罪提出了什么建议？"
    only_it = Filters(symbols=(SYMBOL,))

    assert render_after_ingest(settings, store, reports) == [SYMBOL]
    assert SYMBOL in pending_symbols()
    meanwhile = chain.invoke(question, filters=only_it)
    assert any(SYMBOL in n and "译文尚在后台生成中" in n for n in meanwhile.notices), meanwhile.notices
    # An English reader of the English document is not told anything is pending.
    english = chain.invoke("What did the report recommend on wildlife crime?", filters=only_it)
    assert not any("still being produced" in n for n in english.notices), english.notices

    deadline = time.monotonic() + 900
    while SYMBOL in pending_symbols() and time.monotonic() < deadline:
        time.sleep(2)
    assert SYMBOL not in pending_symbols(), "the background rendering did not finish in 15 minutes"

    units = store.units(only_it)
    renderings = RenderingStore(settings).get_many(units)
    assert set(renderings) == {u.id for u in units}
    for unit in units:
        rendering = renderings[unit.id]
        assert rendering.source == "machine" and rendering.language == "zh" and rendering.model
        assert CJK.search(rendering.text), (unit.id, rendering.text)
    afterwards = chain.invoke(question, filters=only_it)
    assert not any("译文尚在后台生成中" in n for n in afterwards.notices), afterwards.notices
