"""Ask a question; the answer cites report paragraphs, verified against the retrieved ones.

Streams the answer as it is generated, then prints the verified answer (when verification
changed it), its citations, the corrections and notices. With --json, prints one JSON object:
{"answer", "language", "backend", "citations": [{"id", "symbol", "part", "preamble", "paragraph",
"item", "citation_en", "citation_zh"}], "corrections", "notices"}.

Examples:
  assistant ask "欧洲报告对网络犯罪有什么建议？"
  assistant ask "para. 37 (o) of the Latin American report" --mode lookup
  assistant ask "cybercrime" --mode compare --json
  assistant ask "那拉美报告呢？" --history turns.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.chain import MAX_QUESTION_CHARS, MODES, Answer, AnswerChain
from assistant.citations import render, render_citations
from assistant.commands.filter_options import add_filter_arguments, check_filters, filters_from_args
from assistant.modes import get_mode
from vectorstore.errors import UserError

DEFAULT_MODE = "ask"


def add_arguments(parser) -> None:
    parser.add_argument("question", help="the question (Chinese or English)")
    parser.add_argument("--mode", choices=MODES, default=DEFAULT_MODE, help=mode_help())
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_filter_arguments(parser)
    parser.add_argument("--history", type=Path,
                        help='previous turns, a JSON list of {"role", "content", "sources"}')
    parser.add_argument("--max-tokens", type=int, default=400, help="longest model answer (tokens)")


def run(args, settings) -> int:
    from vectorstore.ingest import open_store
    from vectorstore.retrieval import HybridSearcher

    question = _check_question(args.question)
    history = load_history(args.history) if args.history else []
    if args.max_tokens < 1:
        raise UserError("--max-tokens must be a positive number")
    filters = filters_from_args(args)
    store = open_store(settings)
    check_filters(store, filters)
    searcher = HybridSearcher(store, settings)
    searcher.prepare_renderings()  # a one-shot answer ranks with the renderings' vectors, always
    chain = AnswerChain(settings, searcher, max_tokens=args.max_tokens)
    if args.json:
        answer = chain.invoke(question, history, args.mode, filters)
        print(json.dumps(answer_json(answer), ensure_ascii=False, indent=2))
        return 0
    streamed = []
    answer = None
    for item in chain.stream(question, history, args.mode, filters):
        if isinstance(item, Answer):
            answer = item
        elif isinstance(item, str):
            streamed.append(item)
            sys.stdout.write(item)
            sys.stdout.flush()
    print()
    print_details(answer, render("".join(streamed), answer.language))
    return 0


def mode_help() -> str:
    """'ask (default), lookup (quote a paragraph), ...': every registered mode with its summary."""
    parts = []
    for name in MODES:
        notes = [note for note in ("default" if name == DEFAULT_MODE else "", get_mode(name).summary) if note]
        parts.append(f"{name} ({'; '.join(notes)})" if notes else name)
    return ", ".join(parts)


def answer_json(answer: Answer) -> dict:
    return {
        "answer": answer.rendered,
        "language": answer.language,
        "backend": answer.backend,
        "citations": [u.address() for u in answer.citations],
        "corrections": answer.corrections,
        "notices": answer.notices,
    }


def print_details(answer: Answer, streamed_rendered: str) -> None:
    zh = answer.language == "zh"
    if answer.rendered.strip() != streamed_rendered.strip():
        print("\n" + ("—— 核实后的回答 ——" if zh else "—— Verified answer ——"))
        print(answer.rendered)
    if answer.citations:
        print("\n" + ("引文：" if zh else "Citations:"))
        for unit in answer.citations:
            print(f"  {render_citations([unit], answer.language)} {_citation_snippet(unit, answer.language)}")
    for title_zh, title_en, lines in (("更正：", "Corrections:", answer.corrections),
                                      ("说明：", "Notices:", answer.notices)):
        if lines:
            print("\n" + (title_zh if zh else title_en))
            for line in lines:
                print(f"  - {line}")
    print("\n" + (f"（后端：{answer.backend}）" if zh else f"(backend: {answer.backend})"))


def _citation_snippet(unit, language: str) -> str:
    """The opening of the cited original: a line for a reader of its language; for a reader of the
    other language a short pointer labelled as the original (the answer quotes the rendering)."""
    text = " ".join(unit.text.split())
    if unit.language == language:
        return text if len(text) <= 70 else text[:69] + "…"
    head = text if len(text) <= 24 else text[:23] + "…"
    return ("原文：" if language == "zh" else "original: ") + head


def load_history(path: Path) -> list[dict]:
    """Previous turns from a JSON file; a clear error for anything else."""
    try:
        turns = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"history file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"cannot read the history file {path}: {error}") from None
    if not isinstance(turns, list) or not all(_is_turn(t) for t in turns):
        raise UserError(f'{path}: the history must be a JSON list of {{"role": "user"|"assistant", '
                        f'"content": "...", "sources": ["SYMBOL#24(d)", ...]}} objects')
    return turns


def _is_turn(turn) -> bool:
    return (isinstance(turn, dict) and turn.get("role") in ("user", "assistant")
            and isinstance(turn.get("content"), str) and isinstance(turn.get("sources", []), list))


def _check_question(question: str) -> str:
    if not question or not question.strip():
        raise UserError('empty question: ask something, e.g. assistant ask "欧洲报告对网络犯罪有什么建议？"')
    if len(question) > MAX_QUESTION_CHARS:
        raise UserError(f"the question is {len(question):,} characters long; the limit is "
                        f"{MAX_QUESTION_CHARS:,}. Shorten it.")
    return question.strip()
