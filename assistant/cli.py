"""`assistant` command line: one subcommand per module in `assistant/commands/`."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext

from assistant.commands import ask, evaluate, ingest, matrix, search, serve, trace, translate
from assistant.terminal import safe_stdout, terminal_safe
from vectorstore.errors import UserError
from vectorstore.settings import Settings, env_table

SUBCOMMANDS = {
    "ingest": ingest,
    "search": search,
    "ask": ask,
    "serve": serve,
    "eval": evaluate,
    "matrix": matrix,
    "translate": translate,
    "trace": trace,
}


def build_parser() -> argparse.ArgumentParser:
    env_help = "\n".join(f"  {var:<28} {default}" for var, _, default in env_table())
    parser = argparse.ArgumentParser(
        prog="assistant",
        description=(
            "Citation-grounded assistant over the UN Crime Congress regional preparatory "
            "meeting reports (Chinese/English). Every answer cites report paragraphs."
        ),
        epilog="Configuration (environment variable, default):\n" + env_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        summary = module.__doc__.strip().splitlines()[0]
        p = sub.add_parser(name, help=summary, description=module.__doc__.strip(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        add_settings_flags(p)
        module.add_arguments(p)
        p.set_defaults(handler=module.run)
    return parser


def add_settings_flags(p: argparse.ArgumentParser) -> None:
    """Flags shared by all subcommands; each overrides its environment variable."""
    g = p.add_argument_group("configuration (overrides environment variables)")
    g.add_argument("--data-dir", help="data directory (Chroma store, BM25 index) [ASSISTANT_DATA_DIR]")
    g.add_argument("--chroma-host", help="use a Chroma server at this host [ASSISTANT_CHROMA_HOST]")
    g.add_argument("--chroma-port", type=int, help="Chroma server port [ASSISTANT_CHROMA_PORT]")
    from vectorstore.embeddings import embedder_names  # the embedder registry
    g.add_argument("--embeddings", choices=embedder_names(), help="embedding backend [ASSISTANT_EMBEDDINGS]")
    g.add_argument("--st-model", help="local sentence-transformers model folder [ASSISTANT_ST_MODEL]")
    from assistant.backends import backend_names  # the answer-backend registry
    g.add_argument("--backend", choices=backend_names(), help="answer backend [ASSISTANT_BACKEND]")
    g.add_argument("--model", help="llamacpp model: qwen2.5-coder-1.5b, qwen2.5-0.5b or a .gguf path "
                                   "[ASSISTANT_MODEL]")
    g.add_argument("--openai-base-url", help="OpenAI-compatible endpoint [ASSISTANT_OPENAI_BASE_URL]")
    g.add_argument("--openai-model", help="model name at that endpoint [ASSISTANT_OPENAI_MODEL]")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env().with_overrides(**vars(args))
    try:
        # Document text, model output and file names are printed: none may drive the terminal.
        # (`serve` prints only server logs, which uvicorn colours on a terminal.)
        with safe_stdout() if args.command != "serve" else nullcontext():
            return args.handler(args, settings) or 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except UserError as exc:
        print(f"error: {terminal_safe(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
