"""Reading report files (.txt .md .pdf .docx) and their metadata (catalog, sidecar, detection).

Files are real: Word documents made with python-docx, PDFs made with fpdf2 (a core font for
English; a CJK TrueType font for Chinese when the machine has one), read back with the loaders.
"""

from __future__ import annotations

import codecs
import json
import random
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from hostile_inputs import CASES, REPORT_EN, build_hostile_folder

from vectorstore import loaders
from vectorstore.catalog import detect_language, detect_symbol, document_info_for, load_catalog
from vectorstore.errors import DocumentParseError, UserError
from vectorstore.loaders import read_document_text
from vectorstore.parsing import parse_report
from vectorstore.settings import BUILTIN_CORPUS_DIR
from vectorstore.text_cleaning import clean_text, invisible_characters, not_text_reason
from vectorstore.units import DocumentInfo

DATA = Path(__file__).parent / "data"
RPM5_FILE = BUILTIN_CORPUS_DIR / "A-CONF.234-RPM.5-1.zh.txt"
RPM2_FILE = BUILTIN_CORPUS_DIR / "A-CONF.241-RPM.2-2.zh.txt"
EN_FILE = DATA / "en_report_excerpt.txt"
CJK_FONTS = [Path(p) for p in ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                               "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                               "/usr/share/fonts/truetype/arphic/uming.ttc")]
CJK_FONT = next((p for p in CJK_FONTS if p.is_file()), None)


def _units(text: str, symbol: str, language: str, name: str = "report"):
    return parse_report(text, DocumentInfo(symbol=symbol, language=language), name)


def _summary(units):
    return [(u.ref, u.kind, u.section, u.text, u.chapeau) for u in units]


# --- plain text ---------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-be-bom"])
def test_text_encodings_read_the_same(tmp_path, encoding):
    text = RPM5_FILE.read_text(encoding="utf-8").replace("∙", "·")  # "∙" has no GBK code
    path = tmp_path / "report.txt"
    if encoding == "utf-16-be-bom":
        path.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    else:
        path.write_bytes(text.encode(encoding))
    assert read_document_text(path) == text
    assert _summary(_units(read_document_text(path), "A/CONF.234/RPM.5/1", "zh")) == \
        _summary(_units(text, "A/CONF.234/RPM.5/1", "zh"))


def test_markdown_file_is_read_as_text(tmp_path):
    path = tmp_path / "rpm2.md"
    shutil.copy(RPM2_FILE, path)
    units = _units(read_document_text(path), "A/CONF.241/RPM.2/2", "zh")
    assert [u.paragraph for u in units if u.item is None] == list(range(1, 96))


def test_binary_file_named_txt_is_refused(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DocumentParseError, match=r"photo\.txt: this is a binary file"):
        read_document_text(path)


def test_undecodable_text_is_refused(tmp_path):
    path = tmp_path / "garbage.txt"
    rng = random.Random(7)
    path.write_bytes(bytes(rng.choice(range(0x80, 0x100)) for _ in range(4000)))
    with pytest.raises(DocumentParseError, match=r"garbage\.txt: cannot decode the text"):
        read_document_text(path)


def test_unsupported_and_missing_files(tmp_path):
    path = tmp_path / "report.rtf"
    path.write_text("{\\rtf1 1. Text}")
    with pytest.raises(DocumentParseError, match=r"report\.rtf: unsupported file type \.rtf"):
        read_document_text(path)
    with pytest.raises(DocumentParseError, match=r"absent\.txt: file not found"):
        read_document_text(tmp_path / "absent.txt")


# --- clean text at the door ---------------------------------------------------------------

PADDING = "3. " + "The Meeting adopted its report. " * 10  # two stray controls stay under the 1 % share


def test_text_is_cleaned_at_the_door(tmp_path):
    path = tmp_path / "dirty.txt"
    path.write_text("1. The Meeting\x0bwas opened\r\non 3 March \x1b]0;title\x07by the Chair"
                    " (第9\u200b9段, \u202eparagraph\u202c 2\u00ad4, prote\u0301ct).\f2. Next.\u2028"
                    + PADDING,
                    encoding="utf-8")
    assert read_document_text(path) == ("1. The Meeting\nwas opened\non 3 March ]0;titleby the Chair"
                                        " (第99段, paragraph 24, prot\u00e9ct).\n2. Next.\n" + PADDING)


def test_clean_text_keeps_tabs_newlines_and_visible_text():
    text = "一. 导言\t2\n(a) États — “quoted” 😀 \u3000全角\ufffd"
    assert clean_text(text) == unicodedata.normalize("NFC", text)
    assert invisible_characters("a\u200bb\x00c\ue000d\U000e0041\ufeff") == [
        "\u200b", "\x00", "\ue000", "\ufeff", "\U000e0041"]


def test_not_text_share():
    report = REPORT_EN * 3
    assert not_text_reason(report) is None
    assert not_text_reason(report + "\x00" * 10) is None  # a few stray controls are removed, not refused
    assert "control, replacement or private-use" in not_text_reason(report + "\x00" * (len(report) // 50))
    assert not_text_reason(report + "\ufffd" * (len(report) // 50))  # undecodable bytes
    assert not_text_reason(report + "\x0b\x0c\r" * (len(report) // 10)) is None  # whitespace controls


def test_utf16_without_byte_order_mark_is_read(tmp_path):
    text = RPM5_FILE.read_text(encoding="utf-8")
    for encoding in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        assert read_document_text(path) == clean_text(text)


def test_utf16_text_that_is_mostly_nul_is_refused(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "1.\x00\x00\x00 text\x00\x00".encode("utf-16-le"))
    with pytest.raises(DocumentParseError, match=r"nul\.txt: this is not text"):
        read_document_text(path)


def test_limits_are_clear_errors(tmp_path, monkeypatch):
    path = tmp_path / "long.txt"
    path.write_text("1. " + "x" * (loaders.MAX_LINE_CHARS + 1), encoding="utf-8")
    message = r"long\.txt: line 1 is 100,004 characters long .*limit is 100,000"
    with pytest.raises(DocumentParseError, match=message):
        read_document_text(path)
    monkeypatch.setattr(loaders, "MAX_FILE_BYTES", 1024)
    path.write_text("1. " + "x" * 2000, encoding="utf-8")
    with pytest.raises(DocumentParseError, match=r"long\.txt: the file is 2\.0 KB; the limit is 1\.0 KB"):
        read_document_text(path)


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-loader")
    build_hostile_folder(folder)
    return folder


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_file_is_clean_text_or_a_parse_error_naming_it(case, hostile_folder):
    """The loader alone (tests/test_hostile_inputs.py runs the same files through ingest)."""
    try:
        text = read_document_text(hostile_folder / case.name)
    except DocumentParseError as error:
        assert str(error).startswith(f"{case.name}: ")
        assert case.expect != "stored", str(error)
        assert re.search(case.reason, str(error)), str(error)
    else:
        assert case.expect != "refused", f"{case.name} was read"
        assert invisible_characters(text) == [] and unicodedata.is_normalized("NFC", text)


# --- Word ---------------------------------------------------------------------------------

def _write_docx(path: Path, lines: list[str], style: str | None = None) -> None:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line, style=style)
    document.save(str(path))


def test_docx_report_parses_like_the_text(tmp_path):
    text = RPM2_FILE.read_text(encoding="utf-8")
    path = tmp_path / "rpm2.docx"
    _write_docx(path, text.splitlines())
    from_docx = _units(read_document_text(path), "A/CONF.241/RPM.2/2", "zh")
    assert _summary(from_docx) == _summary(_units(text, "A/CONF.241/RPM.2/2", "zh"))
    assert len(from_docx) == 161


def test_docx_english_report(tmp_path):
    lines = ["Report of the Meeting", "I. Introduction",
             "1. The General Assembly decided that regional preparatory meetings should be held.",
             "II. Recommendations", "Summary of deliberations",
             "2. Participants stressed the role of the rule of law.", "Recommendations",
             "3. The Meeting identified the following recommendations:",
             "(a) Strengthen international cooperation;", "(b) Promote the use of data."]
    path = tmp_path / "en.docx"
    _write_docx(path, lines)
    units = {u.ref: u for u in _units(read_document_text(path), "A/CONF.999/RPM.9/1", "en")}
    assert list(units) == ["1", "2", "3", "3(a)", "3(b)"]
    assert units["2"].kind == "summary" and units["3(b)"].kind == "recommendation"
    assert units["3(b)"].text == "Promote the use of data."


def test_docx_with_automatic_numbering_gets_a_clear_error(tmp_path):
    # Word's automatic numbering is not part of the text: the paragraphs arrive unnumbered.
    path = tmp_path / "autonumbered.docx"
    _write_docx(path, ["The General Assembly decided to hold meetings.", "The Meeting adopted its agenda."],
                style="List Number")
    text = read_document_text(path)
    assert text == "The General Assembly decided to hold meetings.\nThe Meeting adopted its agenda."
    with pytest.raises(DocumentParseError, match=r"autonumbered\.docx: no numbered paragraphs.*automatic"):
        parse_report(text, DocumentInfo("X/1", "en"), path.name)


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", bytes(range(256)) * 4])
def test_malformed_docx_is_refused(tmp_path, content):
    path = tmp_path / "broken.docx"
    path.write_bytes(content)
    with pytest.raises(DocumentParseError, match=r"broken\.docx: not a readable \.docx file"):
        read_document_text(path)


def _zip_with(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in members.items():
            package.writestr(name, content)


def test_docx_total_uncompressed_size_is_limited(tmp_path, monkeypatch):
    path = tmp_path / "big.docx"
    _write_docx(path, ["1. A paragraph."])
    monkeypatch.setattr(loaders, "MAX_DOCX_UNCOMPRESSED_BYTES", 1024)
    message = r"big\.docx: the \.docx inflates to [\d.]+ KB; the limit is 1\.0 KB"
    with pytest.raises(DocumentParseError, match=message):
        read_document_text(path)


def test_docx_with_too_many_parts_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "parts.docx"
    _zip_with(path, {f"word/part{i}.xml": b"<x/>" for i in range(20)})
    monkeypatch.setattr(loaders, "MAX_DOCX_MEMBERS", 10)
    with pytest.raises(DocumentParseError, match=r"parts\.docx: the \.docx package has 20 parts"):
        read_document_text(path)


def test_docx_library_errors_become_parse_errors(tmp_path):
    """Whatever python-docx raises on a zip that is not a Word package is a DocumentParseError."""
    path = tmp_path / "other.docx"
    _zip_with(path, {"mimetype": b"application/epub+zip", "content.opf": b"<package/>"})
    with pytest.raises(DocumentParseError, match=r"other\.docx: not a readable \.docx file \(\w+: "):
        read_document_text(path)


# --- PDF ----------------------------------------------------------------------------------

class _ReportPdf(FPDF):
    """Pages with a running header (the symbol) and footer (page and job number), as UN PDFs."""

    symbol = ""

    def header(self):
        self.cell(0, 5, self.symbol, new_x="LMARGIN", new_y="NEXT")

    def footer(self):
        self.set_y(-15)
        self.cell(0, 5, f"V.19-02889 {self.page_no()}/15")


def _write_pdf(path: Path, lines: list[str], symbol: str, font: Path | None = None) -> None:
    pdf = _ReportPdf(format="A4")
    pdf.symbol = symbol
    if font:
        pdf.add_font("cjk", fname=str(font))
        pdf.set_font("cjk", size=10)
    else:
        pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    for line in lines:
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def test_english_pdf_parses_like_the_text(tmp_path):
    text = EN_FILE.read_text(encoding="utf-8").replace("–", "-")  # the core font is Latin-1
    path = tmp_path / "en.pdf"
    _write_pdf(path, [line for line in text.splitlines() if line.strip()], "A/CONF.999/RPM.9/1")
    pdf_text = read_document_text(path)
    assert "V.19-02889 2/15" in pdf_text  # the footer is really there, and must be removed
    from_pdf = _units(pdf_text, "A/CONF.999/RPM.9/1", "en")
    assert _summary(from_pdf) == _summary(_units(text, "A/CONF.999/RPM.9/1", "en"))
    assert detect_symbol(pdf_text) == "A/CONF.999/RPM.9/1"


@pytest.mark.skipif(CJK_FONT is None, reason="no CJK font (apt-get install fonts-wqy-microhei)")
def test_chinese_pdf_parses_like_the_text(tmp_path):
    text = RPM5_FILE.read_text(encoding="utf-8").replace("∙", "·")  # a glyph the test font lacks
    path = tmp_path / "rpm5.pdf"
    _write_pdf(path, [line for line in text.splitlines() if line.strip()], "A/CONF.234/RPM.5/1", CJK_FONT)
    pdf_text = read_document_text(path)
    from_pdf = _units(pdf_text, "A/CONF.234/RPM.5/1", "zh")
    assert _summary(from_pdf) == _summary(_units(text, "A/CONF.234/RPM.5/1", "zh"))
    assert len(from_pdf) == 118
    assert detect_language(pdf_text) == "zh" and detect_symbol(pdf_text) == "A/CONF.234/RPM.5/1"


def test_truncated_pdf_is_refused(tmp_path):
    whole = tmp_path / "whole.pdf"
    _write_pdf(whole, ["1. A paragraph."], "A/1")
    path = tmp_path / "truncated.pdf"
    path.write_bytes(whole.read_bytes()[:300])
    with pytest.raises(DocumentParseError, match=r"truncated\.pdf: "):
        read_document_text(path)


def test_pdf_without_text_layer_is_refused(tmp_path):
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a "scan": graphics only
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(DocumentParseError, match=r"scan\.pdf: the PDF has no text layer"):
        read_document_text(path)


def test_random_bytes_named_pdf_are_refused(tmp_path):
    path = tmp_path / "noise.pdf"
    path.write_bytes(bytes(random.Random(3).getrandbits(8) for _ in range(2000)))
    with pytest.raises(DocumentParseError, match=r"noise\.pdf: "):
        read_document_text(path)


def test_pdf_page_limit_and_encryption(tmp_path, monkeypatch):
    from pypdf import PdfReader, PdfWriter

    whole = tmp_path / "whole.pdf"
    _write_pdf(whole, ["1. A paragraph."], "A/1")
    for user_password, name in (("secret", "locked.pdf"), ("", "restricted.pdf")):
        writer = PdfWriter(clone_from=PdfReader(whole))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        with (tmp_path / name).open("wb") as file:
            writer.write(file)
    with pytest.raises(DocumentParseError, match=r"locked\.pdf: the PDF is encrypted"):
        read_document_text(tmp_path / "locked.pdf")
    assert "1. A paragraph." in read_document_text(tmp_path / "restricted.pdf")  # owner password only
    monkeypatch.setattr(loaders, "MAX_PDF_PAGES", 0)
    with pytest.raises(DocumentParseError, match=r"whole\.pdf: the PDF has 1 pages; the limit is 0"):
        read_document_text(whole)


# --- catalog and metadata -----------------------------------------------------------------

def test_load_builtin_catalog():
    catalog = load_catalog(BUILTIN_CORPUS_DIR / "catalog.json")
    assert {RPM5_FILE.name, RPM2_FILE.name} <= set(catalog)
    rpm2 = catalog[RPM2_FILE.name]
    assert (rpm2.symbol, rpm2.language, rpm2.congress, rpm2.region) == (
        "A/CONF.241/RPM.2/2", "zh", 15, "Latin America and the Caribbean")
    assert rpm2.dates == ["2025-02-04", "2025-02-06"] and rpm2.file == RPM2_FILE.name


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not a readable JSON file"),
    ('{"files": []}', "expected"),
    ('{"documents": [{"symbol": "A/1"}]}', "needs a \"file\""),
    ('{"documents": [{"file": "a.txt", "symbol": "A/1", "language": "fr"}]}', "language must be one of"),
])
def test_bad_catalog_is_refused(tmp_path, content, message):
    path = tmp_path / "catalog.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DocumentParseError, match=message):
        load_catalog(path)


def test_metadata_from_the_folder_catalog():
    doc = document_info_for(RPM2_FILE, RPM2_FILE.read_text(encoding="utf-8"), {})
    assert doc.symbol == "A/CONF.241/RPM.2/2" and doc.venue == "San José" and doc.congress == 15


def test_metadata_from_a_sidecar_beats_the_catalog(tmp_path):
    path = tmp_path / RPM5_FILE.name
    shutil.copy(RPM5_FILE, path)
    (tmp_path / "catalog.json").write_text(json.dumps({"documents": [
        {"file": path.name, "symbol": "A/CONF.234/RPM.5/1", "region": "Europe", "congress": 14}]}))
    sidecar = {"region": "Europe and others", "venue": "Vienna"}
    (tmp_path / f"{path.name}.json").write_text(json.dumps(sidecar))
    doc = document_info_for(path, path.read_text(encoding="utf-8"), {})
    assert (doc.symbol, doc.region, doc.venue, doc.congress, doc.language) == (
        "A/CONF.234/RPM.5/1", "Europe and others", "Vienna", 14, "zh")


def test_cli_overrides_beat_everything(tmp_path):
    text = EN_FILE.read_text(encoding="utf-8")
    doc = document_info_for(EN_FILE, text, {"symbol": "A/CONF.999/RPM.9/2", "congress": "16",
                                            "region": "Western Asia", "dates": "2024-04-23, 2024-04-25",
                                            "title_en": None})
    assert (doc.symbol, doc.congress, doc.region, doc.dates) == (
        "A/CONF.999/RPM.9/2", 16, "Western Asia", ["2024-04-23", "2024-04-25"])
    # a title not given (None) is the one printed on the first page
    assert doc.title_en == ("Report of the Western Asian Regional Preparatory Meeting for the Sixteenth "
                            "United Nations Congress on Crime Prevention and Criminal Justice, held in "
                            "Beirut from 23 to 25 April 2024")


def test_metadata_detected_from_the_text(tmp_path):
    doc = document_info_for(EN_FILE, EN_FILE.read_text(encoding="utf-8"), {})
    assert (doc.symbol, doc.language, doc.file) == ("A/CONF.999/RPM.9/1", "en", EN_FILE.name)
    copy = tmp_path / "rpm5.txt"  # no catalog beside it: symbol from the page header
    shutil.copy(RPM5_FILE, copy)
    doc = document_info_for(copy, copy.read_text(encoding="utf-8"), {})
    assert (doc.symbol, doc.language) == ("A/CONF.234/RPM.5/1", "zh")


def test_missing_symbol_asks_for_the_flag(tmp_path):
    path = tmp_path / "rpm2.txt"  # RPM.2/2 never prints its own symbol
    shutil.copy(RPM2_FILE, path)
    text = path.read_text(encoding="utf-8")
    with pytest.raises(DocumentParseError, match=r"rpm2\.txt: .*pass --symbol"):
        document_info_for(path, text, {})
    assert document_info_for(path, text, {"symbol": "A/CONF.241/RPM.2/2"}).symbol == "A/CONF.241/RPM.2/2"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"symbol": "Latin America report"}, "not a UN document symbol"),
    ({"symbol": "A/1", "language": "fr"}, "language must be one of"),
    ({"symbol": "A/1", "congress": "fifteenth"}, "congress must be a number"),
])
def test_bad_overrides_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        document_info_for(EN_FILE, "1. Text.", overrides)


def test_detect_symbol_ignores_links_and_references():
    text = ("1. The Meeting adopted its agenda (A/CONF.234/RPM.5/L.1) and noted document\n"
            "A/CONF.234/PM.1 with interest.\nhttp://undocs.org/A/CONF.234/RPM.5/L.1\n"
            "http://undocs.org/A/RES/73/184\n")
    assert detect_symbol(text) is None
    assert detect_symbol(RPM2_FILE.read_text(encoding="utf-8")) is None  # only references inside
    assert detect_symbol(RPM5_FILE.read_text(encoding="utf-8")) == "A/CONF.234/RPM.5/1"
    masthead = "United Nations A/CONF.888/RPM.1/1\nGeneral Assembly Distr.: General\n" + text
    assert detect_symbol(masthead) == "A/CONF.888/RPM.1/1"


def test_detect_language():
    assert detect_language(RPM5_FILE.read_text(encoding="utf-8")) == "zh"
    assert detect_language(RPM2_FILE.read_text(encoding="utf-8")) == "zh"
    assert detect_language(EN_FILE.read_text(encoding="utf-8")) == "en"
    assert detect_language("The Meeting elected Ms. 王 (China) as Chair of the meeting.") == "en"


def test_catalog_entry_without_language_is_a_clear_error(tmp_path):
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"documents": [{"file": "r.txt", "symbol": "A/CONF.1/RPM.1/1"}]}', encoding="utf-8")
    with pytest.raises(DocumentParseError, match="r.txt lacks language"):
        load_catalog(catalog)
