"""HTML of the sources panel and of answers whose citations link to their source cards.

Each card shows the original; when the reader's language is the other one, its rendering follows,
labelled "unofficial machine translation" (or "official") in the reader's language, or a notice
that the translation is pending. Everything taken from documents or answers is html-escaped here:
a report containing markup or `<script>` shows as text. Anchor ids are derived from unit ids by
escaping every character that is not a letter or digit, so they are safe in HTML and distinct for
distinct units.
"""

from __future__ import annotations

from assistant import ui_labels as L
from assistant.citations import Citation, find_markers, render_citations
from assistant.export import rendering_caption, source_details, source_reference
from assistant.ui_html import escape
from vectorstore.renderings import Rendering, pending_label, renderings_for
from vectorstore.units import Unit

SOURCES_CSS = """
.src-panel { font-size: 0.92em; }
.src-section { margin: 0.6em 0 0.3em; font-weight: 600; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 0.5em 0.7em;
            margin-bottom: 0.6em; scroll-margin-top: 1em; }
.src-card.cited { border-left: 4px solid var(--color-accent); }
.src-card:target { outline: 3px solid var(--color-accent); background: var(--color-accent-soft); }
.src-head { font-weight: 600; }
.src-meta { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 0.2em 0; }
.src-text { white-space: pre-wrap; margin: 0.3em 0 0; }
.src-notice { color: var(--body-text-color-subdued); font-style: italic; }
.src-rendering-label { color: var(--body-text-color-subdued); font-size: 0.85em; font-style: italic;
                       margin: 0.4em 0 0; }
.src-rendering { white-space: pre-wrap; margin: 0.2em 0 0; }
"""


def anchor_id(uid: str) -> str:
    """`A/CONF.241/RPM.2/2#24(d)` -> `src-A_2f_CONF_2e_241...`: ASCII letters and digits kept,
    every other character hex-escaped."""
    return "src-" + "".join(c if c.isascii() and c.isalnum() else f"_{ord(c):x}_" for c in uid)




def source_card(unit: Unit, number: int, cited: bool, language: str,
                rendering: Rendering | None = None) -> str:
    cls = "src-card cited" if cited else "src-card"
    return (
        f'<div class="{cls}" id="{anchor_id(unit.id)}" data-unit-id="{escape(unit.id)}" '
        f'data-cited="{str(cited).lower()}">'
        f'<div class="src-head">[{number}] {escape(source_reference(unit, language))}</div>'
        f'<div class="src-meta">{escape(source_details(unit))}</div>'
        f'<blockquote class="src-text" lang="{escape(unit.language)}">{escape(unit.text)}</blockquote>'
        f"{_rendering_block(unit, language, rendering)}"
        "</div>"
    )


def _rendering_block(unit: Unit, language: str, rendering: Rendering | None) -> str:
    """The rendering for a reader of the other language, labelled; nothing for a same-language reader."""
    if unit.language == language:
        return ""
    if rendering is None:
        return f'<p class="src-rendering-label src-rendering-pending">{escape(pending_label(language))}</p>'
    return (f'<p class="src-rendering-label" data-rendering-source="{escape(rendering.source)}">'
            f'{escape(rendering_caption(rendering, language, unit))}</p>'
            f'<blockquote class="src-rendering" lang="{escape(rendering.language)}">'
            f'{escape(rendering.text)}</blockquote>')


def sources_html(answer=None, placeholder: str = L.SOURCES_EMPTY,
                 renderings: dict[str, Rendering] | None = None) -> str:
    """Cited units first (numbered as in the exports), then the other retrieved units. For the
    chain's `Sources` (the answer still being written) the retrieved units alone.

    `renderings` defaults to the stored and shipped renderings of the units shown.
    """
    if answer is None:
        return f'<div class="src-panel"><p class="src-notice">{escape(placeholder)}</p></div>'
    cited_ids = {u.id for u in answer.citations}
    others = [h.unit for h in answer.retrieved if h.unit.id not in cited_ids]
    if renderings is None:
        foreign = [u for u in [*answer.citations, *others] if u.language != answer.language]
        renderings = getattr(answer, "renderings", None) or (renderings_for(foreign) if foreign else {})
    answering = getattr(answer, "answering", False)
    parts = ['<div class="src-panel">']
    parts += [f'<p class="src-notice">{escape(n)}</p>' for n in answer.notices]
    if not answering:
        parts.append(f'<div class="src-section">{escape(L.CITED)} ({len(answer.citations)})</div>')
    for number, unit in enumerate(answer.citations, start=1):
        parts.append(source_card(unit, number, True, answer.language, renderings.get(unit.id)))
    if others:
        heading = L.RETRIEVED_WHILE_ANSWERING if answering else L.RETRIEVED
        parts.append(f'<div class="src-section">{escape(heading)} ({len(others)})</div>')
        for number, unit in enumerate(others, start=len(answer.citations) + 1):
            parts.append(source_card(unit, number, False, answer.language, renderings.get(unit.id)))
    parts.append("</div>")
    return "\n".join(parts)


def answer_html(answer) -> str:
    """The verified answer for the chat: text escaped, each citation a link to its source card.

    Built from `answer.text` (canonical markers) so each citation maps to a unit id; the visible
    label is the reader's convention, the same as `answer.rendered`.
    """
    known = {u.id for u in answer.citations}

    opening, sep, closing = ("（", "；", "）") if answer.language == "zh" else ("(", "; ", ")")
    out, pos = [], 0
    for marker in find_markers(answer.text):
        out.append(escape(answer.text[pos:marker.start]))
        links = [_citation_link(c, answer.language, known) for c in marker.citations]
        out.append(opening + sep.join(links) + closing)
        pos = marker.end
    out.append(escape(answer.text[pos:]))
    # Notices (fallback to extractive, a paragraph that does not exist, ...) matter to the reader.
    out += [f"\n\n<em>{escape(notice)}</em>" for notice in answer.notices]
    return "".join(out)


def _citation_link(citation: Citation, language: str, known: set[str]) -> str:
    label = escape(render_citations([citation], language)[1:-1])
    uid = citation.unit_id
    if uid is None or uid not in known:
        return label  # verification keeps only verified citations; never link to a missing card
    return f'<a href="#{anchor_id(uid)}" class="cite" data-unit-id="{escape(uid)}">{label}</a>'
