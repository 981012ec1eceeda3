"""Read the text of a report file: .txt / .md (any common encoding), .pdf, .docx.

The loader is the door for untrusted files (uploads, `assistant ingest`):

- every failure is a DocumentParseError whose message names the file and says what to do,
  whatever the PDF or Word library raised underneath (one broad catch, at this boundary only);
- every text comes out clean (`text_cleaning.clean_text`: one kind of line break, no control,
  zero-width or bidi characters, NFC), and bytes that decode to something that is not text are
  refused;
- limits keep one file from exhausting the machine: file size, PDF pages, uncompressed size and
  compression ratio of a .docx, length of a line, length of the whole text.

File types are readers registered by suffix (`register_reader(Reader(...))`); the supported
suffixes (`supported_suffixes()`, SUPPORTED_SUFFIXES) and the upload tab's accepted types and
label come from them. Adding a file type is one `read(path) -> str` function and one
`register_reader` call at the bottom of this module; the checks above apply to its text too.
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vectorstore.errors import DocumentParseError
from vectorstore.text_cleaning import clean_text, not_text_reason

# Limits (module constants so tests and callers can see them; the longest built-in report is
# 0.2 MB of text, its longest paragraph under 2,000 characters).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 500
MAX_TEXT_CHARS = 5_000_000
MAX_LINE_CHARS = 100_000  # a longer line is no report paragraph; parsing it would only cost time
MAX_DOCX_MEMBERS = 5_000
MAX_DOCX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_DOCX_RATIO = 100  # uncompressed/compressed size of one member, checked from 1 MB up
_RATIO_CHECK_FROM_BYTES = 1024 * 1024

# Tried in order after the byte-order marks; GB18030 is a superset of GBK and GB2312.
_TEXT_ENCODINGS = ("utf-8", "gb18030")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted Office files and old .doc files
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}  # what Word writes
_REASON_CHARS = 160
_UTF16_NUL_SHARE = 0.75


@dataclass(frozen=True)
class Reader:
    """How to read one kind of file into raw text (checked and cleaned by read_document_text)."""

    suffixes: tuple[str, ...]  # lower case, with the dot: (".txt", ".md")
    # Raw text; a DocumentParseError for what it refuses. Anything else it raises is reported as
    # "not a readable {kind}", an OSError as "cannot read the file".
    read: Callable[[Path], str]
    kind: str  # what the file is, in messages: "text file", "PDF"
    # Said when the text read is not text at all (binary data, unmapped PDF fonts).
    not_text_hint: str = "is it a binary file under a text name?"


_READERS: dict[str, Reader] = {}


def register_reader(reader: Reader) -> Reader:
    for suffix in reader.suffixes:
        _READERS[suffix.lower()] = reader
    return reader


def supported_suffixes() -> tuple[str, ...]:
    """Suffixes with a registered reader, in registration order."""
    return tuple(_READERS)


def read_document_text(path: Path) -> str:
    """The clean text of `path`, lines separated by "\\n"; DocumentParseError naming the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise DocumentParseError(
            f"{path.name}: unsupported file type {suffix or '(none)'}; "
            f"use one of {', '.join(supported_suffixes())}"
        )
    if not path.is_file():
        raise DocumentParseError(f"{path}: file not found")
    _check_file_size(path)
    try:
        raw = reader.read(path)
    except DocumentParseError:
        raise
    except OSError as exc:
        raise DocumentParseError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from exc
    except Exception as exc:  # noqa: BLE001 - the boundary: pypdf, python-docx, lxml, zlib raise anything
        raise DocumentParseError(f"{path.name}: not a readable {reader.kind} ({_reason(exc)})") from exc
    return _checked_text(path, raw, reader)


def _check_file_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DocumentParseError(
            f"{path.name}: the file is {_size(size)}; the limit is {_size(MAX_FILE_BYTES)}. "
            "Split it or remove images."
        )


def _checked_text(path: Path, raw: str, reader: Reader) -> str:
    problem = not_text_reason(raw)
    if problem:
        raise DocumentParseError(f"{path.name}: this is not text: {problem}; {reader.not_text_hint}")
    text = clean_text(raw)
    if not text.strip():
        raise DocumentParseError(f"{path.name}: the file contains no text")
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentParseError(f"{path.name}: the text is {len(text):,} characters long; the limit is "
                                 f"{MAX_TEXT_CHARS:,}. Split the file.")
    _check_line_lengths(path, text)
    return text


def _check_line_lengths(path: Path, text: str) -> None:
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise DocumentParseError(
                f"{path.name}: line {number} is {len(line):,} characters long (“{line[:40]}…”); the limit "
                f"is {MAX_LINE_CHARS:,}. Report paragraphs are far shorter: is this really a report?"
            )


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MB" if n >= 2**20 else f"{n / 2**10:,.1f} KB"


def _reason(exc: Exception) -> str:
    """A short, printable reason from a library exception (its message may quote the file)."""
    message = clean_text(" ".join(str(exc).split())) or "no details"
    if len(message) > _REASON_CHARS:
        message = message[: _REASON_CHARS - 1] + "…"
    kind = type(exc)
    name = kind.__name__ if kind.__name__[0].isupper() else f"{kind.__module__}.{kind.__name__}"  # zlib.error
    return f"{name}: {message}"


# --- plain text ---------------------------------------------------------------------------

def _read_plain_text(path: Path) -> str:
    data = path.read_bytes()
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _decode(path, data, encoding)
    if b"\x00" in data:
        text = _decode_utf16_without_bom(data)
        if text is None:
            raise DocumentParseError(
                f"{path.name}: this is a binary file, not text"
            )
        return text
    for encoding in _TEXT_ENCODINGS:
        try:
            return data.decode(encoding)  # GB18030 decodes much binary data: _checked_text refuses it
        except UnicodeDecodeError:
            continue
    raise DocumentParseError(
        f"{path.name}: cannot decode the text (tried UTF-8, UTF-16 and GB18030); save it as UTF-8"
    )


def _decode_utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 `data` without a byte-order mark, or None for binary data.

    ASCII characters put their NUL high byte at odd offsets (little-endian) or even ones
    (big-endian); a CJK character such as U+4E00 puts one at the other offset now and then.
    Binary data has NULs at both and fails to decode or reads as control and private-use
    characters.
    """
    if len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    encoding = "utf-16-le" if odd >= even else "utf-16-be"
    if max(even, odd) < _UTF16_NUL_SHARE * (even + odd):
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return None if not_text_reason(text) else text


def _decode(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentParseError(f"{path.name}: not valid {encoding} text ({exc.reason})") from None


# --- PDF ----------------------------------------------------------------------------------

def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted and not _opens_without_password(reader):
        raise DocumentParseError(f"{path.name}: the PDF is encrypted (password-protected); "
                                 "save an unprotected copy")
    if len(reader.pages) > MAX_PDF_PAGES:
        raise DocumentParseError(f"{path.name}: the PDF has {len(reader.pages):,} pages; the limit is "
                                 f"{MAX_PDF_PAGES}. Split it.")
    pages, length = [], 0
    for page in reader.pages:
        text = page.extract_text() or ""
        length += len(text)
        if length > MAX_TEXT_CHARS:
            raise DocumentParseError(f"{path.name}: the PDF's text exceeds {MAX_TEXT_CHARS:,} characters; "
                                     "split it")
        pages.append(text)
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentParseError(
            f"{path.name}: the PDF has no text layer (a scanned document?); "
            "run OCR on it or use the text version of the report"
        )
    return text


def _opens_without_password(reader) -> bool:
    """PDFs restricted by an owner password only open with the empty user password."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001 - e.g. AES without the cryptography package: treat as locked
        return False


# --- Word ---------------------------------------------------------------------------------

def _read_docx(path: Path) -> str:
    """Paragraph texts of a Word document, one per line.

    Limitation: numbers that Word adds by automatic numbering (numbered lists, "1." paragraph
    numbering) are not part of the paragraph text, so a report numbered that way parses
    without its paragraph numbers; numbers typed as text are kept.
    """
    import docx

    _check_docx_container(path)
    document = docx.Document(str(path))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    if not text.strip():
        raise DocumentParseError(f"{path.name}: the Word document contains no text")
    return text


def _check_docx_container(path: Path) -> None:
    """Refuse, before decompressing anything, what python-docx would fail on or choke on."""
    with path.open("rb") as file:
        if file.read(len(_OLE_MAGIC)) == _OLE_MAGIC:
            raise DocumentParseError(
                f"{path.name}: the Word document is password-protected (encrypted) or in the old .doc "
                "format; save an unprotected .docx copy"
            )
    if not zipfile.is_zipfile(path):
        raise DocumentParseError(f"{path.name}: not a readable .docx file (not a zip package)")
    with zipfile.ZipFile(path) as package:
        members = package.infolist()
    if len(members) > MAX_DOCX_MEMBERS:
        raise DocumentParseError(f"{path.name}: the .docx package has {len(members):,} parts; "
                                 f"the limit is {MAX_DOCX_MEMBERS:,}")
    # Declared sizes bound what zipfile will inflate (it stops there and fails the CRC check).
    for member in members:
        if member.flag_bits & 0x1:
            raise DocumentParseError(f"{path.name}: part {member.filename} is encrypted; save an "
                                     "unprotected .docx copy")
        if member.compress_type not in _ZIP_METHODS:
            raise DocumentParseError(f"{path.name}: part {member.filename} uses an unsupported "
                                     f"compression method ({member.compress_type}); save it again from Word")
        if (member.file_size >= _RATIO_CHECK_FROM_BYTES
                and member.file_size > MAX_DOCX_RATIO * max(member.compress_size, 1)):
            raise DocumentParseError(f"{path.name}: part {member.filename} inflates {member.file_size:,} "
                                     f"bytes from {member.compress_size:,} (a zip bomb?); refused")
    total = sum(member.file_size for member in members)
    if total > MAX_DOCX_UNCOMPRESSED_BYTES:
        raise DocumentParseError(f"{path.name}: the .docx inflates to {_size(total)}; the limit "
                                 f"is {_size(MAX_DOCX_UNCOMPRESSED_BYTES)}")



# --- the readers (listed to users in this order) ------------------------------------------

register_reader(Reader((".txt", ".md"), _read_plain_text, "text file"))
register_reader(Reader((".pdf",), _read_pdf, "PDF",
                       not_text_hint="the PDF's text layer is unreadable (fonts without Unicode mapping?); "
                                     "use the text version of the report"))
register_reader(Reader((".docx",), _read_docx, ".docx file"))

SUPPORTED_SUFFIXES = supported_suffixes()  # (".txt", ".md", ".pdf", ".docx"): all registered above
