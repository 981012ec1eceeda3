"""Fetch and assemble the local GGUF models into the model cache (idempotent, sha256-checked).

    python scripts/fetch_models.py [--model qwen2.5-coder-1.5b|qwen2.5-0.5b|all]

The cache directory is ASSISTANT_CACHE_DIR/models (default ~/.cache/rpm-assistant/models).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.model_artifacts import MODELS, ensure_model  # noqa: E402
from vectorstore.errors import UserError  # noqa: E402
from vectorstore.settings import Settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--model", default="all", choices=[*MODELS, "all"],
                        help="model to fetch (default: all)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    names = list(MODELS) if args.model == "all" else [args.model]
    try:
        for name in names:
            path = ensure_model(name, settings, progress=not args.quiet)
            print(f"{name}: {path}")
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
