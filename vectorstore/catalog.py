"""Document metadata: catalog.json, sidecar files, CLI overrides and detection from the text.

A catalog (`catalog.json`) lists documents as `{"documents": [{"file": ..., "symbol": ...}, ...]}`
with the fields of `DocumentInfo`, including `aliases`: other names of the document
("Kyoto Declaration", "京都宣言") by which questions may name it. For a file `X`, metadata may
also come from a sidecar `X.json` beside it (one entry of the same format). Precedence, strongest
first: CLI overrides, sidecar, catalog.json in the same folder, detection from the text (the
symbol, the language, the title, and the region, congress, venue and dates a title states).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from vectorstore.errors import DocumentParseError, UserError
from vectorstore.language import detect_language
from vectorstore.parsing import is_annex_heading, is_artefact_line
from vectorstore.references import SYMBOL, is_symbol
from vectorstore.title_facts import facts_from_title
from vectorstore.units import DocumentInfo, part_slug

CATALOG_NAME = "catalog.json"
LANGUAGES = ("zh", "en")

_URL = re.compile(r"https?://\S+")
_FIRST_PAGE_LINES = 20
_PARAGRAPH_START = re.compile(r"^\d{1,3}[.．]\s")


def load_catalog(path: Path) -> dict[str, DocumentInfo]:
    """Entries of a catalog.json, keyed by file name (each needs at least "symbol" and "language")."""
    infos = {}
    for name, entry in _catalog_entries(path).items():
        missing = [key for key in ("symbol", "language") if not entry.get(key)]
        if missing:
            raise DocumentParseError(f"{path}: the entry for {name} lacks {', '.join(missing)}")
        infos[name] = DocumentInfo.from_catalog_entry(entry)
    return infos


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DocumentParseError(f"{path}: not a readable JSON file ({exc})") from None


def _catalog_entries(path: Path) -> dict[str, dict]:
    data = _read_json(path)
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, list):
        raise DocumentParseError(f"{path}: expected {{\"documents\": [...]}}")
    entries = {}
    for entry in documents:
        if not isinstance(entry, dict) or not entry.get("file"):
            raise DocumentParseError(f"{path}: every document entry needs a \"file\" name: {entry!r:.80}")
        entries[entry["file"]] = _checked_entry(entry, path)
    return entries


def _checked_entry(entry: dict, source: Path | str) -> dict:
    # Missing fields may still come from overrides or detection; only given values are checked.
    if "language" in entry and entry["language"] not in LANGUAGES:
        raise DocumentParseError(f"{source}: language must be one of {LANGUAGES}, not {entry['language']!r}")
    if "aliases" in entry:
        entry = {**entry, "aliases": _aliases(entry["aliases"], source)}
    return entry


def _aliases(value, source: Path | str) -> list[str | dict]:
    """Other names of the document: each a string ("resolution 76/181": the whole document) or
    `{"name": "Kyoto Declaration", "part": "annex"}` (a name of one part: the Kyoto Declaration is
    the annex of A/RES/76/181); questions naming any of them name this document (or that part)."""
    names = [value] if isinstance(value, str | dict) else value
    if not isinstance(names, list) or not all(_is_alias(n) for n in names):
        raise DocumentParseError(f"{source}: \"aliases\" must be a list of names, e.g. "
                                 f"[\"resolution 76/181\", {{\"name\": \"Kyoto Declaration\", "
                                 f"\"part\": \"annex\"}}], not {value!r:.80}")
    cleaned: list[str | dict] = []
    for name in names:
        if isinstance(name, dict):
            cleaned.append({**name, "name": " ".join(name["name"].split())})
        elif name.strip():
            cleaned.append(" ".join(name.split()))
    return cleaned


def _is_alias(name) -> bool:
    if isinstance(name, str):
        return True
    if not isinstance(name, dict) or not isinstance(name.get("name"), str) or not name["name"].strip():
        return False
    part = name.get("part", "")
    if not isinstance(part, str):
        return False
    try:
        part_slug(part)
    except ValueError:
        return False
    return set(name) <= {"name", "part"}


def _sidecar_entry(path: Path) -> dict:
    """Metadata for `path` from `X.json` beside it, else from the folder's catalog.json."""
    entry: dict = {}
    catalog = path.parent / CATALOG_NAME
    if catalog.is_file() and path.name != CATALOG_NAME:
        entry.update(_catalog_entries(catalog).get(path.name, {}))
    sidecar = path.with_name(path.name + ".json")
    if sidecar.is_file():
        data = _read_json(sidecar)
        if isinstance(data, dict) and isinstance(data.get("documents"), list):
            data = next((e for e in data["documents"] if e.get("file") in (None, path.name)), {})
        if not isinstance(data, dict):
            raise DocumentParseError(f"{sidecar}: expected one document entry (a JSON object)")
        entry.update(_checked_entry(data, sidecar))
    return entry


def detect_symbol(text: str) -> str | None:
    """The report's own symbol as printed in its page headers or on its first page.

    Symbols inside undocs.org links or inside paragraphs (references to other documents) are
    ignored: only lines that are page headers/footers (the symbol with page and job numbers)
    count, the most frequent wins; failing that, a symbol outside brackets in the lines before
    paragraph 1 (the masthead, e.g. "United Nations  A/CONF.999/RPM.9/1").
    """
    lines = [line.strip() for line in _URL.sub("", text).splitlines() if line.strip()]
    headers = Counter()
    for line in lines:
        if is_annex_heading(line):  # the annex lists other documents' symbols, one per line
            break
        if is_artefact_line(line):
            headers.update(SYMBOL.findall(line))
    if headers:
        return headers.most_common(1)[0][0]
    for line in lines[:_FIRST_PAGE_LINES]:
        if _PARAGRAPH_START.match(line):  # the masthead comes before paragraph 1
            break
        for match in SYMBOL.finditer(line):
            before = line[:match.start()]
            if before.count("(") + before.count("（") <= before.count(")") + before.count("）"):
                return match.group().rstrip(".")
    return None


# the first line of a title on the first page: a resolution's "78/224. Strengthening ...", a
# report's "Report of the ... Meeting ..." / "……区域筹备会议的报告" (which may wrap onto the next line)
_TITLE_START = re.compile(r"^(?:\d{1,3}/\d{1,4}\.\s*\S|Report of the\b|Draft resolution\b)")
_ZH_REPORT_TITLE = re.compile(r"(?:会议|筹备会议)(?:的)?报告$")
_TITLE_MAX_LINES = 3


def detect_title(text: str) -> str:
    """The title printed on the first page, before paragraph 1 ("" when none is recognised):
    "78/224. Strengthening international cooperation ..." (without the resolution number), "Report
    of the ... Regional Preparatory Meeting ...", "……区域筹备会议的报告". A title's lines run
    until a blank line."""
    raw = [line.strip() for line in text.splitlines()[:_FIRST_PAGE_LINES * 3]]
    for i, line in enumerate(raw):
        if _PARAGRAPH_START.match(line):
            break
        pieces = []
        if _TITLE_START.match(line):
            pieces = [line]
            for more in raw[i + 1:i + _TITLE_MAX_LINES]:
                if not more or _PARAGRAPH_START.match(more) or is_annex_heading(more):
                    break
                pieces.append(more)
        elif _ZH_REPORT_TITLE.search(line):  # its first line may be the one before
            before = raw[i - 1] if i and raw[i - 1] and not is_artefact_line(raw[i - 1]) else ""
            pieces = [before, line] if before and not before.endswith(("。", "：")) else [line]
        if pieces:
            title = " ".join(pieces) if pieces[0].isascii() else "".join(pieces)
            return re.sub(r"^\d{1,3}/\d{1,4}\.\s*", "", re.sub(r"\s+", " ", title)).strip()
    return ""


def document_info_for(path: Path, text: str, overrides: dict | None = None) -> DocumentInfo:
    """Metadata for the report in `path` (whose text is `text`).

    `overrides` (from CLI flags: symbol, region, congress, language, title_en, ...) win over the
    sidecar/catalog entry, which wins over detection. None values mean "not given".
    """
    path = Path(path)
    entry = _sidecar_entry(path)
    entry.update({k: v for k, v in (overrides or {}).items() if v not in (None, "", [])})
    entry["file"] = path.name
    entry.setdefault("symbol", detect_symbol(text))
    entry.setdefault("language", detect_language(text))
    if not (entry.get("title_en") or entry.get("title_zh")):
        entry["title_en" if entry["language"] == "en" else "title_zh"] = detect_title(text)
    for key, value in facts_from_title(entry.get("title_en") or entry.get("title_zh") or "").items():
        if entry.get(key) in (None, "", []):
            entry[key] = value  # region, congress, venue, dates the title states (vectorstore.title_facts)
    if not entry["symbol"]:
        raise DocumentParseError(
            f"{path.name}: the document symbol is not printed in the text and not in "
            f"{CATALOG_NAME} or {path.name}.json; pass --symbol (e.g. --symbol A/CONF.241/RPM.2/2)"
        )
    return _document_info(entry, path.name)


def _document_info(entry: dict, source: str) -> DocumentInfo:
    symbol = str(entry["symbol"]).strip()
    if not is_symbol(symbol):
        raise UserError(f"{source}: {symbol!r} is not a UN document symbol (like A/CONF.241/RPM.2/2)")
    entry["symbol"] = symbol
    if entry["language"] not in LANGUAGES:
        raise UserError(f"{source}: language must be one of {LANGUAGES}, not {entry['language']!r}")
    if entry.get("congress") not in (None, ""):
        try:
            entry["congress"] = int(entry["congress"])
        except (TypeError, ValueError):
            raise UserError(f"{source}: congress must be a number, not {entry['congress']!r}") from None
    if isinstance(entry.get("dates"), str):
        entry["dates"] = [d.strip() for d in entry["dates"].split(",") if d.strip()]
    return DocumentInfo.from_catalog_entry(entry)
