"""Benchmark answers on this machine: time to the sources, to the first statement, total time, prompt
tokens, peak memory.

    python scripts/bench_answer.py [--backends extractive,llamacpp-0.5b,llamacpp-1.5b,openai]
                                   [--questions 5] [--mode ask]

Every answer goes through the whole chain (retrieval, structured generation, per-statement
support check) on a temporary store with the built-in corpus. Each backend runs in its own child
process so its peak RSS is its own; for "openai", a llama_cpp.server with the 1.5B model runs on
loopback and its peak RSS is reported. "sources" is the time until the chain streams what
retrieval found (what fills the app's sources panel); "first" is the time until the first
verified statement is streamed. Prompt tokens are counted with the model's own tokenizer over the
ChatML layout both Qwen models use (one count per generation: compare makes one per report).
Load time includes what the app does at start (`AnswerChain.prepare`: load the model and
evaluate the ask-mode system messages of both languages). Medians are printed (the targets for
ask mode on 2 cores with the 1.5B model: sources <= 1 s, first <= 5 s, total <= 15 s). Say how
loaded the machine was (`uptime`) when you quote the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from vectorstore.settings import Settings  # noqa: E402

QUESTIONS = [
    "拉美和加勒比区域筹备会议对网络犯罪提出了哪些建议？",
    "欧洲区域筹备会议关于妇女和儿童获得法律援助说了什么？",
    "关于腐败和资产追回，报告有哪些建议？",
    "What did the Latin American meeting recommend on environmental crime?",
    "What did the European report say about the role of the private sector?",
]
BACKENDS = ["extractive", "llamacpp-0.5b", "llamacpp-1.5b", "openai"]
MODEL_OF = {
    "llamacpp-0.5b": "qwen2.5-0.5b",
    "llamacpp-1.5b": "qwen2.5-coder-1.5b",
    "openai": "qwen2.5-coder-1.5b",  # served by llama_cpp.server
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class PromptCounter:
    """Wraps a backend: counts the prompt tokens of every generation with the model's tokenizer."""

    def __init__(self, backend, vocab):
        self.backend, self.vocab, self.counts = backend, vocab, []
        self.name, self.description = backend.name, backend.description

    @property
    def structured_with(self) -> str:
        return self.backend.structured_with

    def warm(self, systems):
        return self.backend.warm(systems)

    def stream(self, messages, max_tokens=512, spec=None):
        chatml = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        self.counts.append(len(self.vocab.tokenize((chatml + "<|im_start|>assistant\n").encode(),
                                                   add_bos=False, special=True)))
        return self.backend.stream(messages, max_tokens=max_tokens, spec=spec)


def _time_stream(stream) -> dict:
    from assistant.chain import Answer, Sources, is_statement_text

    started = time.perf_counter()
    sources, first, answer = None, None, None
    for chunk in stream:
        if isinstance(chunk, Sources):  # what fills the sources panel
            sources = time.perf_counter() - started
        elif is_statement_text(chunk):
            if first is None:
                first = time.perf_counter() - started
        elif isinstance(chunk, Answer):
            answer = chunk
    total = time.perf_counter() - started
    return {"sources": sources if sources is not None else total,
            "first": first if first is not None else total, "total": total, "answered_by": answer.backend,
            "kept": len(answer.statements), "dropped": len(answer.dropped), "chars": len(answer.text)}


# ---- child: one backend --------------------------------------------------------------------


def run_backend(backend: str, base_url: str, questions: list[str], mode: str, data_dir: str) -> dict:
    from assistant.backends import make_backend
    from assistant.chain import AnswerChain

    env = {"ASSISTANT_DATA_DIR": data_dir, "ASSISTANT_BACKEND": backend.split("-")[0]}
    if backend in MODEL_OF:
        env["ASSISTANT_MODEL"] = MODEL_OF[backend]
    if backend == "openai":
        env.update(ASSISTANT_OPENAI_BASE_URL=base_url, ASSISTANT_OPENAI_MODEL="local")
    settings = Settings.from_env({**_inherited_env(), **env})
    result = {"backend": backend, "answers": [], "prompt_tokens": []}
    started = time.perf_counter()
    model = make_backend(settings)
    counter = None
    if model is not None:
        counter = PromptCounter(model, _vocab(MODEL_OF[backend], settings))
    chain = AnswerChain(settings, backend=counter)
    chain.searcher.search("warm-up", k=1)  # loads the embedder and the BM25 index
    if backend.startswith("llamacpp"):
        chain.prepare()  # what the app does at start: load, evaluate the ask system messages
    result["load_s"] = time.perf_counter() - started
    for question in questions:
        before = len(counter.counts) if counter else 0
        result["answers"].append(_time_stream(chain.stream(question, mode=mode)))
        result["prompt_tokens"].append(counter.counts[before:] if counter else [])
    result["structured_with"] = counter.structured_with if counter else ""
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def _vocab(model_name: str, settings: Settings):
    from llama_cpp import Llama

    from assistant.model_artifacts import ensure_model

    return Llama(model_path=str(ensure_model(model_name, settings, progress=False)), vocab_only=True,
                 verbose=False)


def _inherited_env() -> dict:
    return {k: v for k, v in os.environ.items() if k.startswith("ASSISTANT_")}


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
             "--mode", args.mode, "--questions", str(args.questions)],
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
    print(f"\n{'backend':<15} {'load s':>7} {'sources s (median/max)':>23} {'first s (median/max)':>21} "
          f"{'total s (median/max)':>21} "
          f"{'prompt tok':>10} {'kept/dropped':>12} {'peak RSS MB':>12}")
    for r in results:
        if "error" in r:
            print(f"{r['backend']:<15} error: {r['error']}")
            continue
        sources = [a["sources"] for a in r["answers"]]
        first = [a["first"] for a in r["answers"]]
        total = [a["total"] for a in r["answers"]]
        tokens = [n for counts in r["prompt_tokens"] for n in counts]
        kept = sum(a["kept"] for a in r["answers"])
        dropped = sum(a["dropped"] for a in r["answers"])
        rss = f"{r['peak_rss_mb']:.0f}"
        if "server_peak_rss_mb" in r:
            rss += f" (+server {r['server_peak_rss_mb']:.0f})"
        expected = r["backend"].split("-")[0]
        fallbacks = sum(1 for a in r["answers"] if a["answered_by"] != expected)
        print(f"{r['backend']:<15} {r['load_s']:>7.1f} "
              f"{statistics.median(sources):>14.2f} / {max(sources):<6.2f} "
              f"{statistics.median(first):>12.1f} / {max(first):<6.1f} "
              f"{statistics.median(total):>12.1f} / {max(total):<6.1f} "
              f"{(statistics.mean(tokens) if tokens else 0):>10.0f} {kept:>6}/{dropped:<5} {rss:>12}"
              + (f"  ({fallbacks} fell back to extractive)" if fallbacks and expected != "extractive" else "")
              + (f"  [{r['structured_with']}]" if r.get("structured_with") else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated, from: " + ", ".join(BACKENDS))
    parser.add_argument("--mode", default="ask", help="answer mode (ask, compare, draft)")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="how many questions to ask")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    questions = QUESTIONS[: args.questions]
    if args.child:
        print(json.dumps(run_backend(args.child, args.base_url, questions, args.mode, args.data_dir)))
        return 0
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    load = os.getloadavg()
    print(f"{len(questions)} questions, mode {args.mode}, through the answer chain; "
          f"{Settings.from_env().n_threads} threads; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-answer-") as data_dir:
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
