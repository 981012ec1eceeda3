#!/usr/bin/env bash
# Install what the tests need and run the whole test suite (lint first).
# Extra arguments go to pytest (e.g. -k retrieval).
source "$(dirname "$0")/bootstrap.sh"
ensure_venv
install_project "test,st"
ensure_test_system_packages
fetch_model qwen2.5-0.5b
fetch_model qwen2.5-coder-1.5b
cd "$PROJECT_DIR"
log "ruff"
"$VENV/bin/ruff" check .
log "pytest"
exec "$VENV/bin/python" -m pytest "$@"
