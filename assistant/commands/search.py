"""Search the reports: the paragraphs that best answer a question (no answer is written).

Paragraph references in the question (第24(d)段, para. 37 (o), 拉美报告第24段) are looked up
exactly; everything else is found by hybrid search (dense + BM25). With --json every hit carries
its rendering in the other language: "translation": {"language", "text", "source": "machine" |
"official", "model"} (null while it is pending).

  assistant search "网络犯罪方面有哪些建议？" -k 5
  assistant search "the European report, para. 43 (e)" --json
  assistant search "asset recovery" --region "Latin America and the Caribbean" --kind recommendation
"""

from __future__ import annotations

import json

from assistant.commands.filter_options import add_filter_arguments, check_filters, filters_from_args
from assistant.language import detect_language
from vectorstore.errors import UserError
from vectorstore.wording import say

PREVIEW_CHARS = 200


def add_arguments(parser) -> None:
    parser.add_argument("question", help="question or paragraph reference, in Chinese or English")
    parser.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON: query, hits, notices")
    parser.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid",
                        help="hybrid (default), dense only or BM25 only")
    add_filter_arguments(parser)


def run(args, settings) -> int:
    if args.k < 1:
        raise UserError("-k must be at least 1")
    # imported here so `assistant --help` stays fast
    from vectorstore.ingest import open_store
    from vectorstore.retrieval import HybridSearcher

    filters = filters_from_args(args)
    store = open_store(settings)
    check_filters(store, filters)
    searcher = HybridSearcher(store, settings)
    searcher.prepare_renderings()  # a one-shot search ranks with the renderings' vectors, always
    result = searcher.search(args.question, k=args.k, filters=filters, mode=args.mode)
    if args.json:
        from vectorstore.renderings import renderings_for

        renderings = renderings_for([h.unit for h in result.hits], settings)
        print(json.dumps(result_to_json(result, renderings), ensure_ascii=False, indent=2))
    else:
        print(format_result(result))
    return 0


def result_to_json(result, renderings: dict | None = None) -> dict:
    """`renderings`: {unit id: Rendering}; a hit without one has "translation": null."""
    renderings = renderings or {}
    return {
        "query": result.query,
        "hits": [
            {**h.unit.address(), "section": h.unit.section, "kind": h.unit.kind, "text": h.unit.text,
             "score": round(h.score, 6),
             "translation": renderings[h.unit.id].as_json() if h.unit.id in renderings else None}
            for h in result.hits
        ],
        "notices": list(result.notices),
    }


def format_result(result) -> str:
    """A readable list: citation in the question's convention, kind, section, score, text preview."""
    language = detect_language(result.query)
    lines = [f"! {n}" for n in result.notices]
    if not result.hits:
        lines.append(say(language, zh="没有找到相关段落。", en="No matching paragraphs."))
    for rank, hit in enumerate(result.hits, start=1):
        u = hit.unit
        citation = u.citation(language)
        section = " › ".join(u.section[-2:]) if u.section else ""
        lines.append(f"{rank:>2}. {citation}  [{u.kind}, {hit.via} {hit.score:.4f}]  id={u.id}")
        if section:
            lines.append(f"    {section}")
        if u.chapeau:
            lines.append(f"    ({_preview(u.chapeau, 80)})")
        lines.append(f"    {_preview(u.text, PREVIEW_CHARS)}")
    return "\n".join(lines)


def _preview(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
