# Shared set-up steps, sourced by run-app.sh and run-tests.sh. Every step is idempotent and
# skips itself when its result is already there, so a second run takes seconds.
#
# Slow results are cached outside the checkout (never in git), in ASSISTANT_CACHE_DIR
# (default ~/.cache/rpm-assistant): the llama-cpp-python wheel (an ~8 minute compile) and
# the assembled GGUF models. pip's own cache keeps downloaded packages.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ASSISTANT_CACHE_DIR="${ASSISTANT_CACHE_DIR:-$HOME/.cache/rpm-assistant}"
VENV="$PROJECT_DIR/.venv"
PY="$VENV/bin/python"
LLAMA_VERSION="0.3.36"
# llama.cpp is compiled for this CPU, but without Intel AMX: ggml's AMX kernels crash (SIGSEGV in
# the first decode) on some Sapphire Rapids machines with these Q4_K_M models
# (ggml-org/llama.cpp#20824). The wheel's folder is named after the flags, so a machine whose
# cached wheel was built otherwise builds it again once.
LLAMA_CFLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
LLAMA_WHEELS="$ASSISTANT_CACHE_DIR/wheels/no-amx"
TORCH_VERSION="2.13.0"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

find_python() {
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$candidate"
            return
        fi
    done
    log "Python 3.11 is required (python3.11 or python3 of version 3.11 on PATH)."
    exit 1
}

ensure_venv() {
    if [ ! -x "$PY" ]; then
        log "creating virtual environment in .venv"
        "$(find_python)" -m venv "$VENV"
        "$PY" -m pip install --quiet --upgrade pip
    fi
}

# llama-cpp-python has no binary wheel on PyPI: build it once per machine into the cache.
ensure_llama_wheel() {
    local wheels="$LLAMA_WHEELS"
    if ls "$wheels"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
        return
    fi
    mkdir -p "$wheels"
    log "building llama-cpp-python $LLAMA_VERSION from source (about 8 minutes, once per machine)"
    # --no-cache-dir: pip's wheel cache would hand back a wheel built with other flags
    CFLAGS="$LLAMA_CFLAGS" CXXFLAGS="$LLAMA_CFLAGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
        "$PY" -m pip wheel --quiet --no-deps --no-cache-dir \
        "llama-cpp-python==$LLAMA_VERSION" -w "$wheels.partial"
    mv "$wheels.partial"/llama_cpp_python-*.whl "$wheels"/
    rmdir "$wheels.partial" 2>/dev/null || true
}

# Install the project with the given extras ("" or "test,st"); skipped when pyproject.toml
# and the extras are unchanged since the last successful install.
install_project() {
    local extras="$1"
    local stamp="$VENV/.installed-$( (cat "$PROJECT_DIR/pyproject.toml"; echo "$LLAMA_CFLAGS") | sha256sum | cut -c1-16)-${extras//,/_}"
    if [ -f "$stamp" ]; then
        return
    fi
    ensure_llama_wheel
    local target="$PROJECT_DIR"
    if [ -n "$extras" ]; then
        target="$PROJECT_DIR[$extras]"
    fi
    if [[ "$extras" == *st* ]]; then
        # The CPU wheel of torch lies on this disk; any other torch request may pull CUDA builds.
        log "installing torch $TORCH_VERSION (CPU)"
        "$PY" -m pip install --quiet "torch==$TORCH_VERSION"
    fi
    log "installing the project and its dependencies ${extras:+(extras: $extras)}"
    # the cached wheel replaces one of the same version built with other flags
    "$PY" -m pip install --quiet --no-deps --force-reinstall "$LLAMA_WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
    "$PY" -m pip install --quiet --find-links "$LLAMA_WHEELS" -e "$target"
    touch "$stamp"
}

# Debian packages the tests need: chromium for the browser tests (Playwright drives it; no
# browser download) and a CJK font (Chinese PDF fixtures, readable Chinese in screenshots).
ensure_test_system_packages() {
    if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then
        return
    fi
    log "installing Debian chromium and a CJK font for the tests"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-wqy-microhei fontconfig >/dev/null
}

fetch_model() {
    "$PY" "$PROJECT_DIR/scripts/fetch_models.py" --model "$1"
}
