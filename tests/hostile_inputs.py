"""A folder of hostile input files, generated (not committed): `build_hostile_folder(folder)`.

Each case is a file a user could upload or pass to `assistant ingest`: broken, encrypted or
bomb Word files, malformed and encrypted PDFs, binary data under a text name, text in
UTF-16 with NULs, control, zero-width and bidi characters, lines built to make a backtracking
regular expression or a quadratic join slow, numbering that repeats or restarts, a 1 MB
paragraph. `expect` says what must happen: "stored" (a document whose units are clean),
"refused" (a DocumentParseError naming the file, whose reason matches `reason`), or "either"
(the parser's policy decides; it must still be one of the two, quickly).

Run `python tests/hostile_inputs.py DIR` to write the folder for manual tries.
"""

from __future__ import annotations

import codecs
import io
import random
import struct
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conftest import ENGLISH_REPORT

# The small English report of the ingestion tests: paragraphs 1-4, sub-items 3(a)-(c).
REPORT_EN = ENGLISH_REPORT.format(symbol="A/CONF.999/HOSTILE/0", region="Hostile Input",
                                  topic="small island developing States")

REPORT_ZH = """区域筹备会议的报告

一. 导言

1. 大会决定应在每届预防犯罪大会之前举行区域筹备会议。
2. 会议以鼓掌方式选举了主席团成员并通过了议程。

二. 建议

3. 会议确定了以下建议：
(a) 各国应加强打击网络犯罪的国际合作；
(b) 各国应保护人口贩运的被害人。
4. 与会者强调了技术援助的重要性。
"""


@dataclass(frozen=True)
class HostileCase:
    name: str  # file name, also the case id
    language: str  # "en" | "zh", passed as metadata so detection does not decide the outcome
    expect: str  # "stored" | "refused" | "either"
    reason: str = ""  # regex a refusal's reason must match
    build: Callable[[Path], None] | None = None  # writes the file at the given path


def build_hostile_folder(folder: Path) -> list[HostileCase]:
    """Write every case's file into `folder`; returns the cases."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        case.build(folder / case.name)
    return list(CASES)


# --- text ---------------------------------------------------------------------------------

def _text(content: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content.encode(encoding))


def _bytes(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def _with_paragraph(report: str, number: int, text: str) -> str:
    """`report` with one more numbered paragraph (the next number) at the end."""
    return f"{report}{number}. {text}\n"


def _toc_report(toc_line: str) -> str:
    return REPORT_ZH.replace("一. 导言\n", f"目录\n{toc_line}\n一. 导言\n", 1)


def _wrapped(text: str, width: int = 80) -> str:
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def _long_words(chars: int) -> str:
    words = "states should strengthen international cooperation against cybercrime".split()
    rng = random.Random(15)
    out, length = [], 0
    while length < chars:
        word = rng.choice(words)
        out.append(word)
        length += len(word) + 1
    return " ".join(out)[:chars].rstrip() + "."


def _utf16_with_nuls(path: Path) -> None:
    # UTF-16 text with a few NUL characters inside (under the "not text" share): they are removed
    text = REPORT_EN.replace("Nairobi", "Nai\x00robi").replace("agenda", "agen\x00da")
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))


def _utf16_mostly_nul(path: Path) -> None:
    # "Text" in UTF-16 that is really binary: every other character a NUL
    text = "".join(f"{c}\x00" for c in REPORT_EN)
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))


def _binary_garbage(path: Path) -> None:
    rng = random.Random(42)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.getrandbits(8) for _ in range(6000)))


def _binary_without_nul(path: Path) -> None:
    rng = random.Random(43)
    path.write_bytes(bytes(rng.randrange(1, 256) for _ in range(6000)))


def _gb18030_controls(path: Path) -> None:
    # Decodes as GB18030 (not as UTF-8) but is mostly control characters: not text.
    path.write_bytes(("\x01\x02\x03\x1b中文" * 400).encode("gb18030"))


def _oversize(path: Path) -> None:
    with path.open("wb") as file:  # sparse: costs no disk
        file.truncate(21 * 1024 * 1024)


_HEBREW_ARABIC = "סדר היום, جدول الأعمال"  # "agenda" in Hebrew and Arabic
_RTL_REPORT = (REPORT_EN
               .replace("2. The Meeting", "2\u200b. The \u202eMeeting\u202c")
               .replace("adopted its agenda", f"adopted its agenda ({_HEBREW_ARABIC}\u200f)")
               .replace("technical assistance",
                        "technical\u200b assistance\u2066 under\u2069 para\u200d 9\u200b9"))

_CONTROL_REPORT = (REPORT_EN
                   .replace("by the Chair", "by\x0bthe Chair \x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07")
                   .replace("for small island", "for \x1b[2J\x1b[31msmall\x1b[0m island"))

_DUPLICATE_NUMBERING = REPORT_EN.replace("4. Participants", "3. Participants")
_RESTARTED_NUMBERING = REPORT_EN + "\n1. A second list starts again here.\n2. And goes on.\n"

_ONE_MB = 1_000_000


# --- Word ---------------------------------------------------------------------------------

def _docx_bytes(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _report_docx() -> bytes:
    return _docx_bytes([line for line in REPORT_EN.splitlines() if line.strip()])


def _rezip(data: bytes, replace: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> bytes:
    """A copy of zip `data` with members replaced (None: removed) and added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = replace.get(info.filename, source.read(info))
            if content is not None:
                target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _patch_member(data: bytes, name: str, *, flags: int | None = None, method: int | None = None,
                  size: int | None = None, corrupt: bool = False) -> bytes:
    """Rewrite header fields of member `name` in both its local header and the central directory
    (what encrypted members, other compression methods and lying sizes look like), or overwrite
    the middle of its compressed data."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        info = package.getinfo(name)
    local = info.header_offset
    name_len, extra_len = struct.unpack_from("<HH", raw, local + 26)
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        (central_name_len,) = struct.unpack_from("<H", raw, central + 28)
        if bytes(raw[central + 46:central + 46 + central_name_len]) == name.encode():
            break
        central = raw.find(b"PK\x01\x02", central + 4)
    assert central != -1, name
    if flags is not None:
        struct.pack_into("<H", raw, local + 6, flags)
        struct.pack_into("<H", raw, central + 8, flags)
    if method is not None:
        struct.pack_into("<H", raw, local + 8, method)
        struct.pack_into("<H", raw, central + 10, method)
    if size is not None:
        struct.pack_into("<I", raw, local + 22, size)
        struct.pack_into("<I", raw, central + 24, size)
    if corrupt:
        start = local + 30 + name_len + extra_len
        middle = start + info.compress_size // 3
        raw[middle:middle + 64] = b"\xff" * 64
    return bytes(raw)


def _docx_encrypted_ole(path: Path) -> None:
    # What Word writes for a password-protected document: an OLE compound file, not a zip.
    rng = random.Random(5)
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.getrandbits(8) for _ in range(4096)))


def _docx_patched(**patch) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(_patch_member(_report_docx(), "word/document.xml", **patch))


def _docx_malformed_xml(path: Path) -> None:
    bad = b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/' \
          b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>1. unclosed'
    path.write_bytes(_rezip(_report_docx(), {"word/document.xml": bad}))


def _docx_missing_document(path: Path) -> None:
    path.write_bytes(_rezip(_report_docx(), {"word/document.xml": None}))


def _docx_bomb(path: Path) -> None:
    # 50 MB of zeros deflate to ~50 KB: a ratio of about 1,000.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_report_docx())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        with target.open("word/media/image1.png", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(50):
                member.write(chunk)
    path.write_bytes(out.getvalue())


def _docx_billion_laughs(path: Path) -> None:
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           '<w:body><w:p><w:r><w:t>1. &a9;</w:t></w:r></w:p></w:body></w:document>').encode()
    path.write_bytes(_rezip(_report_docx(), {"word/document.xml": xml}))


def _docx_line_break(path: Path) -> None:
    # Word's manual line break (<w:br/>) inside a paragraph
    import docx

    document = docx.Document()
    for line in (line for line in REPORT_EN.splitlines() if line.strip()):
        before, found, after = line.partition("by the ")
        paragraph = document.add_paragraph(before + found)
        if found:
            paragraph.runs[0].add_break()
            paragraph.add_run(after)
    document.save(str(path))


# --- PDF ----------------------------------------------------------------------------------

def _pdf_bytes(lines: list[str], pages: int = 1) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=10)
    for _ in range(pages):
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _report_pdf() -> bytes:
    return _pdf_bytes([line for line in REPORT_EN.splitlines() if line.strip()])


def _pdf_encrypted(user_password: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_report_pdf())))
        writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
        with path.open("wb") as file:
            writer.write(file)
    return build


def _pdf_malformed(path: Path) -> None:
    whole = _report_pdf()
    rng = random.Random(9)
    middle = bytearray(whole)
    for i in range(len(middle) // 3, len(middle) // 3 + 400):
        middle[i] = rng.getrandbits(8)
    path.write_bytes(bytes(middle[: len(middle) * 2 // 3]))


def _pdf_many_pages(path: Path) -> None:
    path.write_bytes(_pdf_bytes(["1. A page."], pages=501))


# --- the cases ----------------------------------------------------------------------------

CASES: tuple[HostileCase, ...] = (
    # parser cost (issue 15): leader dots, brackets, unclosed Markdown links, long paragraphs
    HostileCase("leader_dots_1500.txt", "zh", "either",
                build=_text(_toc_report("一. 导言" + "…" * 1500 + "2"))),
    HostileCase("leader_dots_8000.txt", "zh", "either",
                build=_text(_toc_report("一. 导言" + "……" * 4000 + "x"))),
    HostileCase("brackets_50000.txt", "en", "either",
                build=_text(_with_paragraph(REPORT_EN, 5, "[" * 50_000))),
    HostileCase("unclosed_links.md", "en", "either",
                build=_text(_with_paragraph(REPORT_EN, 5, "[x](" * 20_000))),
    HostileCase("paragraph_1mb_one_line.txt", "en", "refused", r"line \d+ is 1,000,\d{3} characters long",
                build=_text(_with_paragraph(REPORT_EN, 5, _long_words(_ONE_MB)))),
    HostileCase("paragraph_1mb_wrapped.txt", "en", "either",
                build=_text(_with_paragraph(REPORT_EN, 5, _wrapped(_long_words(_ONE_MB))))),
    # numbering
    HostileCase("duplicate_numbering.txt", "en", "either", build=_text(_DUPLICATE_NUMBERING)),
    HostileCase("restarted_numbering.txt", "en", "either", build=_text(_RESTARTED_NUMBERING)),
    # characters
    HostileCase("rtl_zero_width.txt", "en", "stored", build=_text(_RTL_REPORT)),
    HostileCase("control_escapes.txt", "en", "stored", build=_text(_CONTROL_REPORT)),
    HostileCase("decomposed_nfd.txt", "en", "stored",
                build=_text(REPORT_EN.replace("States should protect", "States should prote\u0301ct"))),
    HostileCase("utf16_with_nul.txt", "en", "stored", build=_utf16_with_nuls),
    HostileCase("utf16_no_bom.txt", "zh", "stored", build=_text(REPORT_ZH, "utf-16-le")),
    HostileCase("utf16_mostly_nul.txt", "en", "refused", "not text", build=_utf16_mostly_nul),
    HostileCase("binary_garbage.txt", "en", "refused", "binary file", build=_binary_garbage),
    HostileCase("binary_no_nul.txt", "en", "refused", "cannot decode|not text", build=_binary_without_nul),
    HostileCase("gb18030_controls.txt", "zh", "refused", "not text", build=_gb18030_controls),
    HostileCase("empty.txt", "en", "refused", "contains no text", build=_text("")),
    HostileCase("only_invisible.md", "en", "refused", "contains no text",
                build=_text("\u200b\u200e\n\ufeff \t\n" * 10)),
    HostileCase("oversize.txt", "en", "refused", "limit is 20.0 MB", build=_oversize),
    HostileCase("report.rtf", "en", "refused", "unsupported file type", build=_text("{\\rtf1 1. Text}")),
    # Word
    HostileCase("docx_encrypted_ole.docx", "en", "refused", "password-protected", build=_docx_encrypted_ole),
    HostileCase("docx_encrypted_member.docx", "en", "refused", "encrypted", build=_docx_patched(flags=0x1)),
    HostileCase("docx_deflate64.docx", "en", "refused", "unsupported compression",
                build=_docx_patched(method=9)),
    HostileCase("docx_corrupt_deflate.docx", "en", "refused", "not a readable .docx",
                build=_docx_patched(corrupt=True)),
    HostileCase("docx_lying_size.docx", "en", "refused", "not a readable .docx",
                build=_docx_patched(size=100)),
    HostileCase("docx_malformed_xml.docx", "en", "refused", "not a readable .docx",
                build=_docx_malformed_xml),
    HostileCase("docx_missing_document_xml.docx", "en", "refused", "not a readable .docx",
                build=_docx_missing_document),
    HostileCase("docx_bomb.docx", "en", "refused", "zip bomb", build=_docx_bomb),
    HostileCase("docx_billion_laughs.docx", "en", "either", build=_docx_billion_laughs),
    HostileCase("docx_line_break.docx", "en", "stored", build=_docx_line_break),
    HostileCase("docx_not_a_zip.docx", "en", "refused", "not a zip", build=_bytes(b"PK\x03\x04 not really")),
    # PDF
    HostileCase("pdf_malformed.pdf", "en", "either", build=_pdf_malformed),  # pypdf may recover pages
    HostileCase("pdf_encrypted.pdf", "en", "refused", "encrypted", build=_pdf_encrypted("user-secret")),
    HostileCase("pdf_owner_password_only.pdf", "en", "stored", build=_pdf_encrypted("")),
    HostileCase("pdf_501_pages.pdf", "en", "refused", "501 pages; the limit is 500", build=_pdf_many_pages),
    HostileCase("pdf_header_only.pdf", "en", "refused", "not a readable PDF",
                build=_bytes(b"%PDF-1.7\n%%EOF\n")),
)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    for case in build_hostile_folder(target):
        print(f"{case.expect:<8} {target / case.name}")
