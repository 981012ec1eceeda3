"""Ingestion benchmark: units/second and peak memory, built-in corpus and a synthetic corpus.

Both go through the whole pipeline (read -> metadata -> parse -> embed -> Chroma) into a
temporary data directory. The synthetic corpus is generated report files, half Chinese and half
English, with realistic paragraph lengths and lettered sub-items.

    .venv/bin/python scripts/bench_ingest.py                  # built-in + 20,000 synthetic units
    .venv/bin/python scripts/bench_ingest.py --units 2000     # a quicker run
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vectorstore.ingest import builtin_catalog, ensure_builtin_corpus, ingest_files  # noqa: E402
from vectorstore.settings import BUILTIN_CORPUS_DIR, Settings  # noqa: E402
from vectorstore.store import UnitStore  # noqa: E402

UNITS_PER_DOCUMENT = 1000  # 700 paragraphs + 100 of them with 3 sub-items
ZH_CLAUSES = [
    "会议强调必须加强预防犯罪和刑事司法领域的国际合作", "许多发言者提到打击网络犯罪的新挑战",
    "一些发言者介绍了本国在保护人口贩运受害者方面的良好做法", "与会者呼吁各国充分执行《打击有组织犯罪公约》",
    "有几位发言者指出腐败破坏法治和可持续发展", "会议建议加强司法协助和引渡方面的合作",
    "发言者强调了以证据为基础的预防犯罪战略的重要性", "与会者提到需要为执法人员提供技术援助和能力建设",
    "一些发言者关切地注意到枪支贩运对本区域安全的影响", "会上指出应将性别平等观点纳入刑事司法政策的主流",
]
EN_CLAUSES = [
    "the Meeting stressed the need to strengthen international cooperation in criminal matters",
    "several speakers referred to the challenges posed by cybercrime and electronic evidence",
    "participants highlighted good practices in protecting victims of trafficking in persons",
    "it was noted that corruption undermines the rule of law and sustainable development",
    "speakers called for the full implementation of the Organized Crime Convention",
    "the importance of evidence-based crime prevention strategies was underlined",
    "some speakers described national measures for the rehabilitation of offenders",
    "technical assistance and capacity-building for law enforcement were requested",
    "concern was expressed about the trafficking in firearms and its impact on security",
    "a gender perspective should be mainstreamed into criminal justice policies",
]


def synthetic_paragraph(rng: random.Random, language: str) -> str:
    # A document reference makes every paragraph distinct, so no vector comes from the cache.
    reference = f"E/CN.15/{rng.randint(2000, 2025)}/{rng.randint(1, 99999)}"
    if language == "zh":  # ~100-250 characters, like the built-in reports
        return "，".join(rng.sample(ZH_CLAUSES, rng.randint(3, 6))) + f"（见{reference}）。"
    sentences = [c[0].upper() + c[1:] + "." for c in rng.sample(EN_CLAUSES, rng.randint(3, 7))]
    return " ".join(sentences) + f" (See {reference}.)"  # ~250-600 characters


def synthetic_report(index: int, rng: random.Random) -> tuple[str, str]:
    """(symbol, text) of one generated report with UNITS_PER_DOCUMENT units."""
    language = "zh" if index % 2 == 0 else "en"
    symbol = f"A/CONF.{900 + index}/RPM.1/1"
    lines = [f"United Nations {symbol}", "", "Synthetic report for the ingestion benchmark", ""]
    paragraphs = UNITS_PER_DOCUMENT * 7 // 10
    with_items = set(rng.sample(range(1, paragraphs + 1), (UNITS_PER_DOCUMENT - paragraphs) // 3))
    for number in range(1, paragraphs + 1):
        if number % 50 == 1:  # a section heading every 50 paragraphs
            lines += ["", "审议情况概要" if language == "zh" else " Summary of deliberations", ""]
        if number in with_items:
            lead = "会议确定了未经与会者谈判的以下建议：" if language == "zh" else \
                "The following recommendations, which were not negotiated, were identified:"
            lines.append(f"{number}. {lead}")
            for letter in "abc":
                lines.append(f"({letter}) {synthetic_paragraph(rng, language)[:-1]};")
        else:
            lines.append(f"{number}. {synthetic_paragraph(rng, language)}")
    return symbol, "\n".join(lines) + "\n"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def measure(label: str, run) -> None:
    started = time.perf_counter()
    units = run()
    seconds = time.perf_counter() - started
    print(f"{label}: {units} units in {seconds:.1f} s = {units / seconds:.1f} units/s; "
          f"peak RSS so far {peak_rss_mb():.0f} MB", flush=True)


def ingest_synthetic(files: list[Path], settings: Settings, store: UnitStore, progress: bool) -> int:
    """Ingest file by file, printing the running rate (a long run shows figures as it goes)."""
    started, total = time.perf_counter(), 0
    for path in files:
        total += sum(r.units for r in ingest_files([path], settings, store=store, progress=progress))
        seconds = time.perf_counter() - started
        print(f"  {total} units in {seconds:.0f} s = {total / seconds:.1f} units/s; store has "
              f"{store.count()} units; peak RSS {peak_rss_mb():.0f} MB", flush=True)
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000, help="synthetic units (multiple of 1000)")
    parser.add_argument("--skip-builtin", action="store_true")
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        # A fresh embedding cache: every unit is really embedded (cold figures).
        settings = Settings.from_env().with_overrides(data_dir=str(Path(tmp) / "data"),
                                                      cache_dir=str(Path(tmp) / "cache"), chroma_host="")
        store = UnitStore(settings)
        print(f"embedder {store.fingerprint}, {settings.n_threads} threads, Chroma in {settings.chroma_dir}")
        print(f"peak RSS after loading: {peak_rss_mb():.0f} MB")
        if not args.skip_builtin:
            measure("built-in corpus", lambda: sum(
                r.units for r in ensure_builtin_corpus(settings, store=store, progress=args.progress)))
            builtin_files = [BUILTIN_CORPUS_DIR / name for name in builtin_catalog()]
            measure("built-in corpus re-ingested (vectors cached)", lambda: sum(
                r.units for r in ingest_files(builtin_files, settings, store=store, progress=args.progress)))

        rng = random.Random(20_000)
        files = []
        for index in range(max(1, args.units // UNITS_PER_DOCUMENT)):
            symbol, text = synthetic_report(index, rng)
            path = Path(tmp) / f"synthetic-{index:02d}.txt"
            path.write_text(text, encoding="utf-8")
            files.append(path)
        measure(f"synthetic corpus ({len(files)} reports)", lambda: ingest_synthetic(files, settings, store,
                                                                                    args.progress))

        started = time.perf_counter()
        queries = ["international cooperation against cybercrime", "保护人口贩运受害者", "枪支贩运"]
        for query in queries * 5:
            store.dense_search(query, k=10)
        per_query = (time.perf_counter() - started) / (len(queries) * 5) * 1000
        print(f"dense_search over {store.count()} units: {per_query:.0f} ms per query (k=10)")
        started = time.perf_counter()
        units = store.units()
        print(f"units() of all {len(units)} units: {time.perf_counter() - started:.1f} s; "
              f"peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
