#!/usr/bin/env bash
# Install everything and start the app on the built-in corpus (ingested on first start).
# Extra arguments go to `assistant serve` (e.g. --port 8080 --password secret).
source "$(dirname "$0")/bootstrap.sh"
ensure_venv
install_project ""
if [ "${ASSISTANT_BACKEND:-llamacpp}" = "llamacpp" ]; then
    fetch_model "${ASSISTANT_MODEL:-qwen2.5-coder-1.5b}"
fi
exec "$VENV/bin/assistant" serve "$@"
