"""Read the text of a report file: .txt / .md (any common encoding), .pdf, .docx.

Every failure is a DocumentParseError whose message names the file and says what to do.
"""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

from vectorstore.errors import DocumentParseError

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx")

# Tried in order after the byte-order marks; GB18030 is a superset of GBK and GB2312.
_TEXT_ENCODINGS = ("utf-8", "gb18030")


def read_document_text(path: Path) -> str:
    """The text of `path`, with lines separated by newlines."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentParseError(
            f"{path.name}: unsupported file type {suffix or '(none)'}; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not path.is_file():
        raise DocumentParseError(f"{path}: file not found")
    reader = {".txt": _read_plain_text, ".md": _read_plain_text, ".pdf": _read_pdf, ".docx": _read_docx}
    return reader[suffix](path)


def _read_plain_text(path: Path) -> str:
    data = path.read_bytes()
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _decode(path, data, encoding)
    if b"\x00" in data:
        raise DocumentParseError(
            f"{path.name}: this is a binary file, not text (UTF-16 text needs a byte-order mark)"
        )
    for encoding in _TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_like_text(text):
            break
        return text
    raise DocumentParseError(
        f"{path.name}: cannot decode the text (tried UTF-8, UTF-16 with byte-order mark and GB18030); "
        "save it as UTF-8"
    )


def _decode(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentParseError(f"{path.name}: not valid {encoding} text ({exc.reason})") from None


def _looks_like_text(text: str) -> bool:
    """GB18030 decodes almost any byte string; reject results full of control characters."""
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    return controls <= len(text) * 0.01


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise DocumentParseError(f"{path.name}: the PDF is encrypted; save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentParseError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentParseError(f"{path.name}: not a readable PDF ({exc})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentParseError(
            f"{path.name}: the PDF has no text layer (a scanned document?); "
            "run OCR on it or use the text version of the report"
        )
    return text


def _read_docx(path: Path) -> str:
    """Paragraph texts of a Word document, one per line.

    Limitation: numbers that Word adds by automatic numbering (numbered lists, "1." paragraph
    numbering) are not part of the paragraph text, so a report numbered that way parses
    without its paragraph numbers; numbers typed as text are kept.
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentParseError(f"{path.name}: not a readable .docx file ({exc})") from None
    lines = [paragraph.text for paragraph in document.paragraphs]
    text = "\n".join(lines)
    if not text.strip():
        raise DocumentParseError(f"{path.name}: the Word document contains no text")
    return text
