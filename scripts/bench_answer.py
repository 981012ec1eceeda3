"""Benchmark answer backends on this machine: time to first token, total time, peak memory.

    python scripts/bench_answer.py [--backends extractive,llamacpp-0.5b,llamacpp-1.5b,openai]
                                   [--max-tokens 256] [--questions 5]

Each backend runs in its own child process so its peak RSS is its own. When assistant/chain.py
exists, answers go through the whole chain (retrieval, generation, verification) on a temporary
store with the built-in corpus; otherwise the raw backends get the chain's prompt
(assistant.prompts.answer_messages) over the 6 best BM25 paragraphs of the corpus. For
"openai", a llama_cpp.server with the 1.5B model runs on loopback and its peak RSS is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from assistant.config import BUILTIN_CORPUS_DIR, Settings  # noqa: E402

# (question, Chinese search terms for the raw-backend prompts: BM25 over Chinese reports)
QUESTIONS = [
    ("拉美和加勒比区域筹备会议对网络犯罪提出了哪些建议？", "网络犯罪 建议"),
    ("欧洲区域筹备会议关于妇女和儿童获得法律援助说了什么？", "法律援助 妇女 儿童"),
    ("关于腐败和资产追回，报告有哪些建议？", "腐败 资产追回"),
    ("What did the Latin American meeting recommend on environmental crime?", "环境 犯罪"),
    ("What did the European report say about the role of the private sector?", "私营部门"),
]
BACKENDS = ["extractive", "llamacpp-0.5b", "llamacpp-1.5b", "openai"]
MODEL_OF = {
    "llamacpp-0.5b": "qwen2.5-0.5b",
    "llamacpp-1.5b": "qwen2.5-coder-1.5b",
    "openai": "qwen2.5-coder-1.5b",  # served by llama_cpp.server
}


def chain_available() -> bool:
    try:
        import assistant.chain  # noqa: F401
        import vectorstore.ingest  # noqa: F401
    except ImportError:
        return False
    return True


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _time_stream(stream) -> dict:
    started = time.perf_counter()
    first = None
    text = []
    answered_by = None
    for chunk in stream:
        if isinstance(chunk, str):
            if first is None and chunk.strip():
                first = time.perf_counter() - started
            text.append(chunk)
        else:  # the chain's final Answer
            answered_by = chunk.backend
    total = time.perf_counter() - started
    return {"ttft": first if first is not None else total, "total": total, "chars": len("".join(text)),
            "answered_by": answered_by}


# ---- child: one backend --------------------------------------------------------------------


def run_backend(backend: str, base_url: str, questions: list[tuple[str, str]], max_tokens: int,
                data_dir: str) -> dict:
    env = {"ASSISTANT_DATA_DIR": data_dir, "ASSISTANT_BACKEND": backend.split("-")[0]}
    if backend in MODEL_OF:
        env["ASSISTANT_MODEL"] = MODEL_OF[backend]
    if backend == "openai":
        env.update(ASSISTANT_OPENAI_BASE_URL=base_url, ASSISTANT_OPENAI_MODEL="local")
    settings = Settings.from_env({**_inherited_env(), **env})
    result = {"backend": backend, "answers": []}
    started = time.perf_counter()
    if chain_available():
        from assistant.backends import make_backend
        from assistant.chain import AnswerChain

        chain = AnswerChain(settings)
        result["through"] = "chain"
        chain.searcher.search("warm-up", k=1)  # loads the embedder and the BM25 index
        if backend.startswith("llamacpp"):
            make_backend(settings).load()  # the process-wide cache hands this copy to the chain
        result["load_s"] = time.perf_counter() - started
        for question, _ in questions:
            result["answers"].append(_time_stream(chain.stream(question)))
    else:
        from assistant.backends import make_backend

        result["through"] = "raw backend"
        model = make_backend(settings)
        if model is None:
            raise SystemExit("the extractive backend needs assistant/chain.py")
        if hasattr(model, "load"):
            model.load()
        result["load_s"] = time.perf_counter() - started
        prompts = raw_prompts(questions)
        result["prompt_chars"] = [sum(len(m["content"]) for m in messages) for messages in prompts]
        for messages in prompts:
            result["answers"].append(_time_stream(model.stream(messages, max_tokens=max_tokens)))
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def _inherited_env() -> dict:
    return {k: v for k, v in os.environ.items() if k.startswith("ASSISTANT_")}


def raw_prompts(questions: list[tuple[str, str]]) -> list[list[dict]]:
    """The chain's answer prompt over the 6 best BM25 paragraphs of the built-in corpus."""
    from assistant.prompts import answer_messages
    from vectorstore.bm25 import BM25Index
    from vectorstore.catalog import load_catalog
    from vectorstore.parsing import parse_report

    units = []
    for file_name, doc in load_catalog(BUILTIN_CORPUS_DIR / "catalog.json").items():
        text = (BUILTIN_CORPUS_DIR / file_name).read_text(encoding="utf-8")
        units += parse_report(text, doc, file_name)
    by_id = {unit.id: unit for unit in units}
    index = BM25Index.build(units, revision="bench")
    prompts = []
    for question, search_terms in questions:
        best = [by_id[uid] for uid, _ in index.search(search_terms, k=6)]
        language = "en" if question.isascii() else "zh"
        prompts.append(answer_messages("ask", question, best, language))
    return prompts


# ---- parent: servers, children, table ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(n_threads: int) -> tuple[subprocess.Popen, str]:
    from assistant.model_artifacts import ensure_model

    model = ensure_model(MODEL_OF["openai"], Settings.from_env())
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "local",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192", "--n_threads", str(n_threads)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("llama_cpp.server exited early")
        try:
            urllib.request.urlopen(f"{base_url}/models", timeout=2).close()
            return server, base_url
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("llama_cpp.server did not start within 180 s")


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench(backend: str, args, data_dir: str) -> dict:
    server, base_url = (None, "")
    if backend == "openai":
        server, base_url = start_server(Settings.from_env().n_threads)
    try:
        child = subprocess.run(
            [sys.executable, __file__, "--child", backend, "--base-url", base_url, "--data-dir", data_dir,
             "--max-tokens", str(args.max_tokens), "--questions", str(args.questions)],
            capture_output=True, text=True,
        )
        if child.returncode != 0:
            return {"backend": backend, "error": child.stderr.strip().splitlines()[-1:]}
        result = json.loads(child.stdout.strip().splitlines()[-1])
        if server is not None:
            result["server_peak_rss_mb"] = _vm_hwm_mb(server.pid)
        return result
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)


def print_table(results: list[dict]) -> None:
    print(f"\n{'backend':<15} {'via':<12} {'load s':>7} {'TTFT s (mean/max)':>18} "
          f"{'total s (mean/max)':>19} {'chars':>6} {'peak RSS MB':>12}")
    for r in results:
        if "error" in r:
            print(f"{r['backend']:<15} error: {r['error']}")
            continue
        ttft = [a["ttft"] for a in r["answers"]]
        total = [a["total"] for a in r["answers"]]
        chars = sum(a["chars"] for a in r["answers"]) / len(r["answers"])
        rss = f"{r['peak_rss_mb']:.0f}"
        if "server_peak_rss_mb" in r:
            rss += f" (+server {r['server_peak_rss_mb']:.0f})"
        expected = r["backend"].split("-")[0]
        fallbacks = sum(1 for a in r["answers"] if a["answered_by"] not in (None, expected))
        print(f"{r['backend']:<15} {r['through']:<12} {r['load_s']:>7.1f} "
              f"{sum(ttft) / len(ttft):>9.1f} / {max(ttft):<6.1f} {sum(total) / len(total):>9.1f} / "
              f"{max(total):<7.1f} {chars:>6.0f} {rss:>12}"
              + (f"  ({fallbacks} fell back to extractive)" if fallbacks else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated, from: " + ", ".join(BACKENDS))
    parser.add_argument("--max-tokens", type=int, default=256,
                        help="answer length cap (raw backends; the chain uses its own)")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="how many questions to ask")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    questions = QUESTIONS[: args.questions]
    if args.child:
        print(json.dumps(run_backend(args.child, args.base_url, questions, args.max_tokens, args.data_dir)))
        return 0
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    via = "through the answer chain" if chain_available() else "raw backends, chain prompt"
    print(f"{len(questions)} questions; {via}; {Settings.from_env().n_threads} threads")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-answer-") as data_dir:
        if chain_available():
            from vectorstore.ingest import ensure_builtin_corpus

            ensure_builtin_corpus(Settings.from_env({**_inherited_env(), "ASSISTANT_DATA_DIR": data_dir}))
        for backend in backends:
            print(f"... {backend}", flush=True)
            results.append(bench(backend, args, data_dir))
    print_table(results)
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
