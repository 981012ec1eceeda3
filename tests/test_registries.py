"""Answer backends, document readers and modes are registered by name; the CLI choices, the UI
labels and the accepted upload types are derived from the registries.

Adding a backend or a reader is one registration call: these tests register real ones (an echo
chat backend, a reStructuredText reader) into a copy of the registry and see them everywhere the
registry is read, then the original registry is restored.
"""

from __future__ import annotations

import pytest

from assistant import backends, modes
from assistant import ui_labels as L
from assistant.app import EXTRACTIVE_DESCRIPTION
from assistant.backends import BackendSpec, backend_names, backend_spec, make_backend, register_backend
from assistant.cli import build_parser
from assistant.commands.ask import mode_help
from assistant.ui_upload import ACCEPTED_TYPES
from vectorstore import loaders
from vectorstore.errors import DocumentParseError, UserError
from vectorstore.loaders import SUPPORTED_SUFFIXES, Reader, read_document_text, register_reader


class EchoBackend:
    """A complete ChatBackend: streams the last user message back."""

    name = "echo"
    description = "echo · no model"
    structured_with = ""

    def __init__(self, settings):
        self.settings = settings

    def stream(self, messages, max_tokens=512, spec=None):
        yield messages[-1]["content"]


@pytest.fixture
def backend_registry(monkeypatch):
    """Registrations in the test go to a copy of the registry."""
    monkeypatch.setattr(backends, "BACKENDS", backends.BACKENDS.copy())


@pytest.fixture
def reader_registry(monkeypatch):
    monkeypatch.setattr(loaders, "_READERS", dict(loaders._READERS))


# -- answer backends ------------------------------------------------------------------------------

def test_backends_registered_in_order():
    assert backend_names() == ("llamacpp", "openai", "extractive")
    assert [backend_spec(name).needs_model for name in backend_names()] == [True, True, False]


def test_unknown_backend_lists_the_registered_ones(make_settings, tmp_path):
    with pytest.raises(UserError) as error:
        make_backend(make_settings(tmp_path, backend="gpt"))
    assert str(error.value) == "Unknown backend 'gpt': use llamacpp, openai or extractive."
    with pytest.raises(UserError, match="Unknown backend 'gpt'"):
        backend_spec("gpt")


def test_backend_labels_and_descriptions_in_the_ui():
    assert L.BACKENDS == [
        ("本地模型 / Local model (llama.cpp)", "llamacpp"),
        ("OpenAI 兼容接口 / OpenAI-compatible endpoint", "openai"),
        ("摘录（无模型）/ Extractive (no model)", "extractive"),
    ]
    assert EXTRACTIVE_DESCRIPTION == backend_spec("extractive").description == (
        "摘录：直接引用检索到的段落原文，不使用模型 / "
        "Extractive: verbatim sentences from the retrieved paragraphs, no model")


def test_cli_backend_choices_are_the_registry(capsys):
    parser = build_parser()
    assert parser.parse_args(["search", "cybercrime", "--backend", "extractive"]).backend == "extractive"
    with pytest.raises(SystemExit):
        parser.parse_args(["search", "cybercrime", "--backend", "gpt"])
    assert "choose from 'llamacpp', 'openai', 'extractive'" in capsys.readouterr().err


def test_a_new_backend_is_one_registration(backend_registry, make_settings, tmp_path):
    register_backend(BackendSpec(name="echo", make=EchoBackend, labels={"zh": "回声", "en": "Echo"}))

    backend = make_backend(make_settings(tmp_path, backend="echo"))
    assert isinstance(backend, EchoBackend)
    assert "".join(backend.stream([{"role": "user", "content": "para. 36"}])) == "para. 36"
    assert build_parser().parse_args(["search", "x", "--backend", "echo"]).backend == "echo"
    with pytest.raises(UserError, match="use llamacpp, openai, extractive or echo\\."):
        backend_spec("gpt")


# -- modes ----------------------------------------------------------------------------------------

def test_mode_labels_in_the_ui_come_from_the_registry():
    assert L.MODES == [
        ("问答 / Ask", "ask"),
        ("查段落 / Look up paragraph", "lookup"),
        ("比较 / Compare", "compare"),
        ("起草 / Draft", "draft"),
    ]
    assert [value for _, value in L.MODES] == list(modes.mode_names())
    assert L.mode_label("lookup") == "查段落 / Look up paragraph"


def test_ask_mode_choices_and_help_come_from_the_registry(capsys):
    assert mode_help() == ("ask (default), lookup (quote a paragraph), compare (by document), "
                           "draft (declaration bullet points)")
    parser = build_parser()
    assert parser.parse_args(["ask", "para. 36", "--mode", "compare"]).mode == "compare"
    with pytest.raises(SystemExit):
        parser.parse_args(["ask", "para. 36", "--mode", "summarise"])
    assert "choose from 'ask', 'lookup', 'compare', 'draft'" in capsys.readouterr().err


# -- document readers -----------------------------------------------------------------------------

def test_supported_suffixes_and_upload_types_come_from_the_readers():
    assert SUPPORTED_SUFFIXES == loaders.supported_suffixes() == (".txt", ".md", ".pdf", ".docx")
    assert ACCEPTED_TYPES == [".txt", ".md", ".pdf", ".docx"]
    assert L.UPLOAD_FILE == "报告文件（txt、md、pdf、docx）/ Report file (txt, md, pdf, docx)"


def test_unsupported_suffix_lists_the_registered_ones(tmp_path):
    path = tmp_path / "report.odt"
    path.write_text("1. Text", encoding="utf-8")
    with pytest.raises(DocumentParseError) as error:
        read_document_text(path)
    assert str(error.value) == "report.odt: unsupported file type .odt; use one of .txt, .md, .pdf, .docx"


def test_not_text_hint_is_the_readers(tmp_path):
    path = tmp_path / "controls.txt"
    path.write_bytes(("\x01\x02\x03\x04" * 50).encode("utf-8"))
    with pytest.raises(DocumentParseError, match="is it a binary file under a text name\\?$"):
        read_document_text(path)
    assert "text layer is unreadable" in loaders._READERS[".pdf"].not_text_hint


def test_a_new_reader_is_one_registration(reader_registry, tmp_path):
    def read_rst(path):
        lines = path.read_text(encoding="utf-8").splitlines()
        return "\n".join(line for line in lines if not set(line) <= set("=-~"))  # no underlines

    register_reader(Reader((".RST",), read_rst, "reStructuredText file"))

    path = tmp_path / "report.rst"
    path.write_text("Report\n======\n1. The Meeting\u200b was opened.\r\n", encoding="utf-8")
    assert read_document_text(path) == "Report\n1. The Meeting was opened."  # cleaned like any text
    assert loaders.supported_suffixes() == (".txt", ".md", ".pdf", ".docx", ".rst")

    broken = tmp_path / "broken.rst"
    broken.write_bytes(b"1. Caf\xc3(")
    with pytest.raises(DocumentParseError, match="broken.rst: not a readable reStructuredText file "
                                                 "\\(UnicodeDecodeError: "):
        read_document_text(broken)
    with pytest.raises(DocumentParseError, match="use one of .txt, .md, .pdf, .docx, .rst$"):
        read_document_text(tmp_path / "report.odt")


def test_an_unknown_mode_lists_the_registered_ones():
    with pytest.raises(UserError) as error:
        modes.get_mode("summarise")
    assert str(error.value) == "Unknown mode 'summarise': use ask, lookup, compare or draft."


def test_only_an_in_process_model_takes_turns_in_the_app():
    # The app serialises generation on the local CPU only; a server schedules its own requests.
    assert [name for name in backend_names() if backend_spec(name).in_process] == ["llamacpp"]
    assert [name for name in backend_names() if not backend_spec(name).needs_model] == ["extractive"]
