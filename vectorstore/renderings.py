"""Renderings: every unit's text in the other language (zh -> en, en -> zh), machine or official.

A reader of English cannot read a Chinese paragraph, and the reverse; each unit therefore has,
beside its verbatim text, a rendering in the other language. A rendering is either

- `machine`: produced by a local model (assistant/translation.py), recording which model and when,
  and labelled "unofficial machine translation" wherever it is shown; or
- `official`: the UN's own version of the document in that language, aligned by unit id
  (`align_official`), which always wins over a machine rendering.

Where renderings live, most authoritative first:

1. the data directory (`<data_dir>/renderings.sqlite`): what `assistant translate`, the app's
   background translation and the ingestion of an official version stored;
2. the shipped file `corpus/renderings.jsonl`: the built-in corpus rendered once by
   `assistant translate` and committed, so that a fresh install has every rendering at once.

A rendering records the sha256 of the text it renders; one whose source text has changed since
is stale and ignored. The per-machine translation cache (model fingerprint, text hash) lives in
`TranslationCache`, like vectorstore/embedding_cache.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from vectorstore import wording
from vectorstore.errors import UserError
from vectorstore.figures import changed_figures, lost_figures
from vectorstore.settings import BUILTIN_CORPUS_DIR, Settings
from vectorstore.units import Unit
from vectorstore.wording import other_language, say

SHIPPED_PATH = BUILTIN_CORPUS_DIR / "renderings.jsonl"
SOURCES = ("machine", "official")
# CJK punctuation, enclosed CJK (the enumerators ㈠ ㈡ ...), ideographs, full-width forms
CJK = re.compile(r"[\u3000-\u303f\u3200-\u32ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

_LABELS = {
    ("machine", "en"): "unofficial machine translation",
    ("machine", "zh"): "非官方机器翻译",
    ("official", "en"): "official {language} version",
    ("official", "zh"): "正式{language}本",
}
_LANGUAGE_NAMES = {"en": {"en": "English", "zh": "Chinese"}, "zh": {"en": "英文", "zh": "中文"}}


def pending_label(reader_language: str) -> str:
    """Shown where a unit has no rendering yet (being produced after an upload, or never asked for)."""
    return say(reader_language, zh="尚无译文", en="no translation yet")


def target_language(unit_language: str) -> str:
    """The language a unit is rendered into: the other one."""
    return other_language(unit_language)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cjk_share(text: str) -> float:
    """Share of CJK characters among the non-space characters (0.0 for an empty text)."""
    chars = [ch for ch in text if not ch.isspace()]
    return sum(1 for ch in chars if CJK.match(ch)) / len(chars) if chars else 0.0


@dataclass(frozen=True)
class Rendering:
    unit_id: str
    language: str  # language of `text`: "en" or "zh"
    text: str
    source: str  # "machine" | "official"
    model: str = ""  # machine: the model that produced it; official: ""
    date: str = ""  # ISO date it was produced or aligned
    source_sha256: str = ""  # sha256 of the unit text it renders

    def label(self, reader_language: str) -> str:
        """'unofficial machine translation' / '非官方机器翻译' / 'official English version' / '正式英文本'."""
        reader = wording.reader_language(reader_language)
        template = _LABELS[(self.source, reader)]
        return template.format(language=_LANGUAGE_NAMES[reader][self.language])

    def cautioned_label(self, unit: Unit, reader_language: str) -> str:
        """The label, and for a machine rendering the figures it states that its original (`unit`)
        does not: '非官方机器翻译；译文中的 40 为原文所无'. An official version is the UN's own text."""
        label = self.label(reader_language)
        caution = self.figures_caution(unit, self.text, reader_language)
        return say(reader_language, zh=f"{label}；{caution}", en=f"{label}; {caution}") if caution else label

    def figures_caution(self, unit: Unit, quoted: str, reader_language: str) -> str:
        """"the translation states 40, which the original does not" when `quoted` (this machine
        rendering or a part of it) translates `unit` (the unit is in the other language) and
        states a figure the original does not state in any form; "" otherwise, and always for an
        official version, the UN's own text. A machine translation can change a date or a number
        (vectorstore/figures.py), and a delegate may paste what is quoted."""
        if self.source != "machine" or unit.language == wording.reader_language(reader_language):
            return ""
        wrong = changed_figures(quoted, unit, attribution=False)
        if not wrong:
            return ""
        return say(reader_language, zh=f"译文中的 {'、'.join(wrong)} 为原文所无",
                   en=f"the translation states {', '.join(wrong)}, which the original does not")

    def renders(self, unit: Unit) -> bool:
        """Whether this rendering is of the unit's current text (not stale)."""
        current = not self.source_sha256 or self.source_sha256 == text_hash(unit.text)
        return self.unit_id == unit.id and current

    def as_json(self) -> dict:
        """The `"translation"` object of `assistant search --json`."""
        return {"language": self.language, "text": self.text, "source": self.source, "model": self.model}

    def to_record(self) -> dict:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> Rendering:
        return cls(**{k: record[k] for k in cls.__dataclass_fields__ if k in record})


# ------------------------------------------------------------------------------ the shipped file

def write_shipped(path: Path, renderings: Iterable[Rendering], meta: dict) -> int:
    """Write a renderings file: one `{"_meta": ...}` line (model, date, command), then one per unit."""
    records = sorted(renderings, key=lambda r: r.unit_id)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"_meta": {**meta, "renderings": len(records)}}, ensure_ascii=False) + "\n")
        for rendering in records:
            out.write(json.dumps(rendering.to_record(), ensure_ascii=False) + "\n")
    tmp.replace(path)
    return len(records)


def read_shipped(path: Path = SHIPPED_PATH) -> tuple[dict, dict[str, Rendering]]:
    """(meta, {unit id: rendering}) of a renderings file; ({}, {}) when it does not exist."""
    return _read_shipped(path, path.stat().st_mtime if path.exists() else 0.0)


@lru_cache(maxsize=4)
def _read_shipped(path: Path, _mtime: float) -> tuple[dict, dict[str, Rendering]]:
    if not path.exists():
        return {}, {}
    meta, found = {}, {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if "_meta" in record:
                meta = record["_meta"]
                continue
            rendering = Rendering.from_record(record)
        except (ValueError, TypeError) as error:
            raise UserError(f"{path} line {number} is not a rendering record: {error}") from error
        found[rendering.unit_id] = rendering
    return meta, found


# ------------------------------------------------------------------------ the data-dir store

class RenderingStore:
    """The renderings of the units in one data directory, falling back to the shipped file.

    Writes hold the store's inter-process writer lock (vectorstore/locking.py), so an ingest, the
    app's background translation and `assistant translate` never interleave their changes.
    """

    def __init__(self, settings: Settings, shipped: Path | None = SHIPPED_PATH):
        self.settings = settings
        self.shipped = shipped
        self.path = settings.data_dir / "renderings.sqlite"
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("CREATE TABLE IF NOT EXISTS renderings (unit_id TEXT, source TEXT, language TEXT, "
                   "text TEXT, model TEXT, date TEXT, source_sha256 TEXT, PRIMARY KEY (unit_id, source))")
        return db

    def _stored(self, ids: list[str]) -> dict[str, list[Rendering]]:
        if not self.path.exists() or not ids:
            return {}
        found: dict[str, list[Rendering]] = {}
        columns = ", ".join(Rendering.__dataclass_fields__)
        with self._lock, self._connect() as db:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for row in db.execute(f"SELECT {columns} FROM renderings WHERE unit_id IN ({marks})", chunk):
                    rendering = Rendering(*row)
                    found.setdefault(rendering.unit_id, []).append(rendering)
        return found

    def get_many(self, units: Iterable[Unit], include_shipped: bool = True) -> dict[str, Rendering]:
        """{unit id: its best current rendering}: official before machine, data dir before shipped."""
        units = list(units)
        stored = self._stored([u.id for u in units])
        shipped = read_shipped(self.shipped)[1] if include_shipped and self.shipped else {}
        best = {}
        for unit in units:
            candidates = sorted(stored.get(unit.id, []), key=lambda r: r.source != "official")
            if unit.id in shipped:
                candidates.append(shipped[unit.id])
            for rendering in candidates:
                if rendering.renders(unit):
                    best[unit.id] = rendering
                    break
        return best

    def get(self, unit: Unit) -> Rendering | None:
        return self.get_many([unit]).get(unit.id)

    def missing(self, units: Iterable[Unit], include_shipped: bool = True) -> list[Unit]:
        """The units without a current rendering, in the given order."""
        units = list(units)
        have = self.get_many(units, include_shipped)
        return [u for u in units if u.id not in have]

    def put(self, renderings: Iterable[Rendering]) -> int:
        """Store renderings (replacing the same unit's rendering of the same source kind)."""
        from vectorstore.locking import writer_lock  # the store's lock; imported late (it imports config)

        rows = [tuple(r.to_record().values()) for r in renderings]
        if not rows:
            return 0
        columns = ", ".join(Rendering.__dataclass_fields__)
        insert = f"INSERT OR REPLACE INTO renderings ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        with writer_lock(self.settings), self._lock, self._connect() as db:
            db.executemany(insert, rows)
        return len(rows)

    def remove(self, symbol: str, source: str | None = None) -> int:
        """Forget a document's renderings (of one source kind, or all)."""
        from vectorstore.locking import writer_lock

        if not self.path.exists():
            return 0
        query = "DELETE FROM renderings WHERE unit_id LIKE ? ESCAPE '\\'"
        params = [_like_prefix(symbol)]
        if source:
            query += " AND source = ?"
            params.append(source)
        with writer_lock(self.settings), self._lock, self._connect() as db:
            return db.execute(query, params).rowcount


def renderings_for(units: Iterable[Unit], settings: Settings | None = None) -> dict[str, Rendering]:
    """The current renderings of `units` (stored in the configured data directory, else shipped)."""
    return RenderingStore(settings or Settings.from_env()).get_many(units)


def _like_prefix(symbol: str) -> str:
    escaped = symbol.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "#%"


# ------------------------------------------------------------------------ official versions

class NumberingMismatchError(UserError):
    """An official version's unit ids differ from the stored document's: nothing was stored."""

    def __init__(self, symbol: str, only_stored: list[str], only_new: list[str]):
        self.only_stored, self.only_new = only_stored, only_new
        lines = [f"The {symbol} version being ingested is numbered differently from the stored one, "
                 "so it cannot be aligned as its official rendering. Nothing was stored."]
        if only_stored:
            lines.append(f"Only in the stored document ({len(only_stored)}): " + _id_list(only_stored))
        if only_new:
            lines.append(f"Only in the new version ({len(only_new)}): " + _id_list(only_new))
        super().__init__("\n".join(lines))


def _id_list(ids: list[str], limit: int = 30) -> str:
    refs = [uid.split("#", 1)[1] for uid in ids]
    return ", ".join(refs[:limit]) + (f", … ({len(refs) - limit} more)" if len(refs) > limit else "")


def align_official(stored: list[Unit], official: list[Unit], date: str) -> list[Rendering]:
    """The official renderings of `stored` units taken from `official` (same symbol, other language).

    UN documents are issued in every official language with identical paragraph numbering, so the
    versions align by unit id. Any difference raises NumberingMismatchError listing the ids.
    """
    if not stored or not official:
        raise UserError("Nothing to align: one of the two versions has no units.")
    symbol = stored[0].symbol
    if {u.symbol for u in official} != {symbol}:
        raise UserError(f"An official version of {symbol} must have the same symbol.")
    if official[0].language == stored[0].language:
        raise UserError(f"The new version of {symbol} is in the same language as the stored one; "
                        "it replaces it instead of being aligned.")
    by_id = {u.id: u for u in official}
    stored_ids = [u.id for u in stored]
    only_stored = [uid for uid in stored_ids if uid not in by_id]
    only_new = [u.id for u in official if u.id not in set(stored_ids)]
    if only_stored or only_new:
        raise NumberingMismatchError(symbol, only_stored, only_new)
    return [Rendering(u.id, official[0].language, by_id[u.id].text, "official", "", date, text_hash(u.text))
            for u in stored]


def store_official_version(store, units: list[Unit]) -> int | None:
    """Ingest `units` as the official rendering of the same document stored in the other language.

    `store` is the UnitStore. Returns how many renderings were stored (replacing the machine ones),
    or None when this is no official version of a stored document (a new symbol, or the same
    language: an ordinary ingest replaces the document). A numbering mismatch raises
    NumberingMismatchError and stores nothing.
    """
    from datetime import date

    from vectorstore.filters import Filters

    if not units:
        return None
    symbol, language = units[0].symbol, units[0].language
    stored = {d.symbol: d for d in store.documents()}.get(symbol)
    if stored is None or stored.language == language:
        return None
    renderings = align_official(store.units(Filters(symbols=(symbol,))), units, date.today().isoformat())
    target = RenderingStore(store.settings)
    target.remove(symbol, "machine")
    return target.put(renderings)


# --------------------------------------------------------------------- per-machine cache

# The generation of the rendering checks (assistant.translation.problems) a retry was made under:
# 1 official terms, dropped numbers, length; 2 also figures a rendering states that its original
# does not; 3 a figure lost in any form (vectorstore.figures.lost_figures: "第三十三届" rendered
# without "thirty-third"), where 1 and 2 counted Arabic numbers of two or more digits only.
RETRY_CHECKS = 3


class TranslationCache:
    """Machine renderings keyed by (model fingerprint, direction, text hash), one SQLite file per model.

    Translating a paragraph takes seconds to tens of seconds on 2 CPU cores; re-ingesting a report,
    a new data directory or a fresh test session must not pay for it again.
    """

    def __init__(self, cache_dir: Path, fingerprint: str):
        self.fingerprint = fingerprint
        folder = cache_dir / "renderings"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", fingerprint) + ".sqlite")
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS renderings (key TEXT PRIMARY KEY, text TEXT, date TEXT)")
            # Renderings whose faults (a missing official term, a lost figure) were already
            # retried once under the checks of RETRY_CHECKS: a second retry of the same text
            # would give the same answer (a new check earns one more).
            db.execute("CREATE TABLE IF NOT EXISTS retried (key TEXT PRIMARY KEY)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    @staticmethod
    def key(source_language: str, text: str) -> str:
        return f"{source_language}>{target_language(source_language)}:{text_hash(text)}"

    def get(self, source_language: str, text: str) -> tuple[str, str] | None:
        """(rendering, date) or None."""
        with self._lock, self._connect() as db:
            row = db.execute("SELECT text, date FROM renderings WHERE key = ?",
                             (self.key(source_language, text),)).fetchone()
        return (row[0], row[1]) if row else None

    def put(self, source_language: str, text: str, rendering: str, date: str) -> None:
        with self._lock, self._connect() as db:
            db.execute("INSERT OR REPLACE INTO renderings VALUES (?, ?, ?)",
                       (self.key(source_language, text), rendering, date))

    def retried(self, source_language: str, text: str) -> bool:
        with self._lock, self._connect() as db:
            return db.execute("SELECT 1 FROM retried WHERE key = ?",
                              (self._retry_key(source_language, text),)).fetchone() is not None

    def mark_retried(self, source_language: str, text: str) -> None:
        with self._lock, self._connect() as db:
            db.execute("INSERT OR IGNORE INTO retried VALUES (?)", (self._retry_key(source_language, text),))

    def _retry_key(self, source_language: str, text: str) -> str:
        key = self.key(source_language, text)
        return key if RETRY_CHECKS == 1 else f"{key}@{RETRY_CHECKS}"


# ------------------------------------------------------------------------ terminology check

@dataclass
class DocumentCheck:
    """Term figures of one document's renderings (`assistant translate --check`)."""

    symbol: str
    units: int = 0
    rendered: int = 0
    occurrences: int = 0  # occurrences of official terms in the originals of rendered units
    official: int = 0  # ... whose official counterpart appears in the rendering
    cjk_in_english: list[str] = field(default_factory=list)  # unit ids
    lacking: list[tuple[str, list[str]]] = field(default_factory=list)  # (unit id, missing terms)
    unrendered: list[str] = field(default_factory=list)  # unit ids
    losing: list[tuple[str, list[str]]] = field(default_factory=list)  # (unit id, figures it does not carry)
    changing: list[tuple[str, list[str]]] = field(default_factory=list)  # (unit id, figures it adds)
    english_in_chinese: list[tuple[str, list[str]]] = field(default_factory=list)  # (unit id, words left)
    lead_in: list[str] = field(default_factory=list)  # unit ids whose rendering starts with a lead-in

    @property
    def percent(self) -> float:
        return 100.0 * self.official / self.occurrences if self.occurrences else 100.0


def check_renderings(units: Iterable[Unit], renderings: dict[str, Rendering], table) -> list[DocumentCheck]:
    """Per document: which renderings lack the official counterpart of a term in their original,
    which drop a number of it, and which state a figure it does not (vectorstore.figures).

    `table` is a vectorstore.terms.TermTable. A term occurring three times in an original whose
    rendering lacks it counts three misses.
    """
    checks: dict[str, DocumentCheck] = {}
    for unit in units:
        check = checks.setdefault(unit.symbol, DocumentCheck(unit.symbol))
        check.units += 1
        rendering = renderings.get(unit.id)
        if rendering is None:
            check.unrendered.append(unit.id)
            continue
        check.rendered += 1
        occurrences = table.find(unit.text, unit.language)
        missing = table.missing(unit.text, unit.language, rendering.text)
        check.occurrences += len(occurrences)
        check.official += len(occurrences) - len(missing)
        if missing:
            names = list(dict.fromkeys(f"{m.text} → {m.term.official(rendering.language)}" for m in missing))
            check.lacking.append((unit.id, names))
        if rendering.language == "en" and CJK.search(rendering.text):
            check.cjk_in_english.append(unit.id)
        left = LATIN_WORDS.findall(rendering.text) if rendering.language == "zh" else []
        if left:
            check.english_in_chinese.append((unit.id, left))
        lost = lost_figures(unit.text, rendering.text)
        if lost:
            check.losing.append((unit.id, lost))
        changed = changed_figures(rendering.text, unit, attribution=False)
        if changed:
            check.changing.append((unit.id, changed))
        if starts_with_lead_in(rendering.text, unit.text, unit.chapeau):
            check.lead_in.append(unit.id)
    return list(checks.values())


_COMMA = (",", "，")


def starts_with_lead_in(rendering: str, source: str, chapeau: str = "") -> bool:
    """Whether the rendering's first line is a lead-in its source does not have.

    Given a unit's chapeau as context, the model tends to translate it too: "The Meeting identified
    the following recommendations:" before a sub-item, "中华人民大会," / "我们，……代表，" before a
    preambular paragraph. So is a first line that ends with a colon when the source has no colon of
    its own ("例如需要：㈠…" may rightly be rendered with a lead-in line), or, for a unit whose
    chapeau ends with a comma, a first line ending with a comma where the source has no line break
    after a comma: a translation breaks a line after a comma only where its source does (a
    preambular paragraph ends with a comma, so its one line is not such a break).
    """
    lines = rendering.strip().split("\n")
    if len(lines) < 2:
        return False
    first = lines[0].rstrip()
    if first.endswith((":", "：")) and not re.search("[:：]", source):
        return True
    source_lines = source.strip().split("\n")
    own_break = len(source_lines) > 1 and source_lines[0].rstrip().endswith(_COMMA)
    return chapeau.rstrip().endswith(_COMMA) and first.endswith(_COMMA) and not own_break


# UN Chinese numbers the items inside a sub-item ㈠, ㈡ ..., where UN English has (i), (ii) ...
_ENCLOSED_NUMERALS = re.compile("[\u3220-\u3229]")
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")


def english_enumerators(text: str) -> str:
    """An English rendering with its source's enumerators ㈠-㈩ written as UN English writes them:
    (i)-(x). A model copies them unchanged, and an English reader cannot read them."""
    return _ENCLOSED_NUMERALS.sub(lambda m: f"({_ROMAN[ord(m.group()) - 0x3220]})", text)


# Ordinary lower-case English words in a Chinese rendering (not acronyms, names, symbols or URLs).
LATIN_WORDS = re.compile(r"(?<![A-Za-z0-9_./@-])[a-z][a-z'-]{2,}(?:[ ,]+[a-z][a-z'-]*)*(?![A-Za-z0-9_./@])")
