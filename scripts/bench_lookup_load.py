"""Lookup latency (p50 / p95) while N model answers are in flight, against the launched app.

    .venv/bin/python scripts/bench_lookup_load.py [--answers 3] [--lookups 40] [--model qwen2.5-0.5b]

Starts `assistant serve` on 127.0.0.1 (a free port, never another address) over the configured
data directory (ASSISTANT_DATA_DIR, or --data-dir), with the local model. It first times lookups
alone, then keeps `--answers` model answers in flight (a finished one is replaced at once) and
times lookups again, through the chat (`/ask` in lookup mode: retrieval, verification, sources
panel and exports) and through the `lookup_paragraph` tool (what MCP clients call). Bounded: at
most --lookups lookups per phase, and everything stops after --timeout seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from server_process import free_port, server_process  # noqa: E402  (the tests' real-server runner)

from vectorstore.settings import PROJECT_ROOT  # noqa: E402

REFERENCES = ["A/CONF.241/RPM.2/2 para. 24 (d)", "拉美报告第37(o)段", "para. 10",
              "A/CONF.241/RPM.2/2 para. 30", "欧洲报告第20段", "para. 37 (n)"]
QUESTIONS = ["拉美区域筹备会议关于打击枪支贩运提出了哪些建议？",
             "What did the European meeting recommend on legal aid for women and children?",
             "起草一段关于加强国际合作打击有组织犯罪的宣言草案"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=3, help="model answers kept in flight (default 3)")
    parser.add_argument("--lookups", type=int, default=40, help="lookups timed per phase (default 40)")
    parser.add_argument("--model", default="qwen2.5-0.5b", help="local model for the answers")
    parser.add_argument("--data-dir", help="data directory (default: ASSISTANT_DATA_DIR / ./data)")
    parser.add_argument("--timeout", type=float, default=1200, help="stop everything after this many seconds")
    args = parser.parse_args()
    if not 1 <= args.answers <= 8 or not 1 <= args.lookups <= 500:
        parser.error("--answers must be 1-8 and --lookups 1-500 (this is a bounded benchmark)")

    from gradio_client import Client

    deadline = time.monotonic() + args.timeout
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "ASSISTANT_BACKEND": "extractive", "ASSISTANT_MODEL": args.model,
           "ASSISTANT_HOST": "127.0.0.1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("ASSISTANT_PASSWORD", None)
    env.pop("ASSISTANT_PASSWORD_FILE", None)
    if args.data_dir:
        env["ASSISTANT_DATA_DIR"] = args.data_dir
    log = Path(tempfile.mkdtemp(prefix="bench-lookup-")) / "app.log"
    print(f"app log: {log}", flush=True)
    command = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
    with server_process(command, url, log, timeout=args.timeout, cwd=PROJECT_ROOT, env=env):
        # A browser does not download an answer's .md/.docx exports unless asked; neither does this.
        client = Client(url, verbose=False, download_files=False)
        for reference in REFERENCES:  # warm-up: first use of each path
            _lookup_chat(client, reference)
        alone = _time_lookups(client, args.lookups, deadline)
        load = AnswerLoad(url, args.answers, deadline)
        load.start()
        try:
            load.wait_generating(deadline)
            loaded = _time_lookups(client, args.lookups, deadline, load)
        finally:
            load.stop()

    print(f"\nlookup latency, {args.lookups} lookups per phase, model {args.model}, "
          f"{os.cpu_count()} CPU cores")
    print(f"{'phase':<34} {'path':<20} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    for phase, timings in (("alone", alone), (f"{args.answers} model answers in flight", loaded)):
        for path, values in timings.items():
            p50, p95 = _pct(values, 50), _pct(values, 95)
            print(f"{phase:<34} {path:<20} {p50:7.2f} {p95:7.2f} {max(values):7.2f}")
    print(f"model answers finished during the loaded phase: {load.finished}; "
          f"in flight at each loaded lookup: min {min(load.samples)}, max {max(load.samples)}")
    return 0


class AnswerLoad:
    """Keeps `n` model answers (backend llamacpp, through /ask) in flight until stopped."""

    def __init__(self, url: str, n: int, deadline: float):
        self.url, self.n, self.deadline = url, n, deadline
        self.in_flight = 0
        self.finished = 0
        self.samples: list[int] = []
        self.generating = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._worker, args=(i,), daemon=True) for i in range(n)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def _worker(self, index: int) -> None:
        from gradio_client import Client

        client = Client(self.url, verbose=False)
        turn = index
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            question = QUESTIONS[turn % len(QUESTIONS)]
            turn += 1
            with self._lock:
                self.in_flight += 1
            try:
                job = client.submit(question, "ask", [], [], [], [], "llamacpp", api_name="/ask")
                while not job.done():
                    if len(job.outputs()) > 1:
                        self.generating.set()
                    time.sleep(0.2)
                try:
                    job.result()
                except Exception:
                    if not self._stop.is_set():  # answers still running when the app stops end in errors
                        raise
            finally:
                with self._lock:
                    self.in_flight -= 1
                    self.finished += 1

    def wait_generating(self, deadline: float) -> None:
        while not self.generating.wait(1):
            if time.monotonic() > deadline:
                raise SystemExit("no model answer started before the timeout")

    def sample(self) -> None:
        with self._lock:
            self.samples.append(self.in_flight)

    def stop(self) -> None:
        self._stop.set()


def _time_lookups(client, count: int, deadline: float,
                  load: AnswerLoad | None = None) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"chat /ask lookup": [], "lookup_paragraph": []}
    for i in range(count):
        if time.monotonic() > deadline:
            break
        reference = REFERENCES[i % len(REFERENCES)]
        if load is not None:
            load.sample()
        started = time.perf_counter()
        _lookup_chat(client, reference)
        timings["chat /ask lookup"].append(time.perf_counter() - started)
        started = time.perf_counter()
        client.predict(reference, api_name="/lookup_paragraph")
        timings["lookup_paragraph"].append(time.perf_counter() - started)
        time.sleep(0.1)
    return timings


def _lookup_chat(client, reference: str):
    details = client.predict(reference, "lookup", [], [], [], [], "extractive", api_name="/ask")[3]
    if not details.get("citations"):
        raise SystemExit(f"lookup of {reference!r} cited nothing: {details}")
    return details


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


if __name__ == "__main__":
    sys.exit(main())
