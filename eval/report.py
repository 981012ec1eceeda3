"""Write evaluation results: Markdown report, PNG chart (recall@k per configuration and language), JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402

from eval.harness import LANGUAGES, RECALL_KS, RETRIEVAL_METRICS, TYPES  # noqa: E402
from eval.metrics import paragraph_ranking  # noqa: E402

REPORT_MD = "report.md"
REPORT_JSON = "results.json"
CHART_PNG = "recall.png"


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return lines + [""]


def retrieval_tables(retrieval: dict[str, dict]) -> list[str]:
    """Markdown tables: per configuration and language, per question type, latency."""
    columns = ["n", *RETRIEVAL_METRICS]
    lines = ["## Retrieval (paragraph level)", ""]
    rows = []
    for config, summary in retrieval.items():
        for lang in LANGUAGES:
            if lang in summary["by_lang"]:
                block = summary["by_lang"][lang]
                rows.append([config, lang, *(block[c] for c in columns)])
        rows.append([config, "all", *(summary["overall"][c] for c in columns)])
    lines += _table(["config", "lang", *columns], rows)

    lines += ["### Per question type", ""]
    rows = []
    for config, summary in retrieval.items():
        for qtype in TYPES:
            if qtype in summary["by_type"]:
                block = summary["by_type"][qtype]
                rows.append([config, qtype, *(block[c] for c in columns)])
    lines += _table(["config", "type", *columns], rows)

    lines += ["### Retrieval latency (ms, per query)", ""]
    lines += _table(["config", "p50", "p95"],
                    [[c, s["latency"]["p50_ms"], s["latency"]["p95_ms"]] for c, s in retrieval.items()])
    return lines


def split_tables(by_split: dict[str, dict[str, dict]]) -> list[str]:
    """Per half (dev, test): recall@5 and MRR per configuration and slice (question -> document language)."""
    if not by_split:
        return []
    lines = ["## Per half and slice (question language -> document language)", "",
             "Tune on dev, report test (eval/README.md).", ""]
    rows = []
    for split, retrieval in by_split.items():
        for config, summary in retrieval.items():
            blocks = [*summary.get("by_slice", {}).items(), *summary["by_lang"].items(),
                      ("all", summary["overall"])]
            rows += [[split, config, name, b["n"], b["recall@5"], b["mrr"]] for name, b in blocks]
    return lines + _table(["half", "config", "slice", "n", "recall@5", "mrr"], rows)


def margin_table(margins: dict[str, list[dict]]) -> list[str]:
    """Rule 5 per half and slice: hybrid's margin over the best single channel, with its interval."""
    if not margins:
        return []
    lines = ["## Hybrid against the best single channel (rule 5)", "",
             "Margin = hybrid recall@5 minus the better of dense-only and BM25-only; the interval is a "
             "95% paired bootstrap over the slice's questions (eval/margins.py).", ""]
    rows = [[half, m["slice"], m["n"], m["hybrid"], f"{m['best_channel']} {_fmt(m['best'])}",
             f"{m['margin']:+.3f}", f"[{m['low']:+.3f}, {m['high']:+.3f}]", m["verdict"]]
            for half, listed in margins.items() for m in listed]
    return lines + _table(["half", "slice", "n", "hybrid", "best single", "margin", "95% interval", "rule 5"],
                          rows)


def answer_tables(answers: dict) -> list[str]:
    columns = ["n", "citation_precision", "citation_recall", "citation_validity", "language_match",
               "correct_refusal_rate", "false_refusal_rate"]
    lines = [f"## Answers (backend: {', '.join(answers['backends'])})", "",
             "Refusal rule: an answer that cites no paragraph is a refusal. Citation precision and recall "
             "are over answerable questions at paragraph level; validity is the share of cited ids that "
             "exist and were retrieved.", ""]
    rows = [[lang, *(answers["by_lang"][lang][c] for c in columns)] for lang in LANGUAGES
            if lang in answers["by_lang"]]
    rows.append(["all", *(answers["overall"][c] for c in columns)])
    lines += _table(["lang", *columns], rows)
    rows = [[t, *(answers["by_type"][t][c] for c in columns)] for t in TYPES if t in answers["by_type"]]
    lines += _table(["type", *columns], rows)
    lines += [f"Answer latency: p50 {_fmt(answers['latency']['p50_ms'])} ms, "
              f"p95 {_fmt(answers['latency']['p95_ms'])} ms.", ""]
    return lines


def failure_list(failed: list[dict], k: int = 5) -> list[str]:
    if not failed:
        return []
    lines = [f"## Retrieval misses (hybrid, gold not all in the first {k} paragraphs)", ""]
    for r in failed:
        top = ", ".join(paragraph_ranking(r["ranked"])[:k])
        score = _fmt(r["scores"][f"recall@{k}"])
        lines.append(f"- `{r['id']}` ({r['lang']}, {r['type']}) recall@{k} {score}: "
                     f"gold {', '.join(r['gold'])}; top paragraphs: {top}")
    return lines + [""]


def render_markdown(results: dict) -> str:
    lines = ["# Evaluation report", "",
             f"{results['generated']} · {results['questions']} questions ({results['answerable']} with "
             f"gold citations) · store revision {results.get('revision', '?')}", ""]
    if results.get("floors"):
        half = results.get("floor_split", "all")
        listed = ", ".join(f"{k} ≥ {v}" for k, v in results["floors"].items())
        lines += [f"Floors (hybrid recall@5, {half} half): " + listed
                  + (" — **violated**: " + "; ".join(results["floor_violations"])
                     if results.get("floor_violations") else " — met"), ""]
    if results.get("retrieval"):
        lines += split_tables(results.get("retrieval_by_split", {}))
        lines += margin_table(results.get("margins", {}))
        lines += retrieval_tables(results["retrieval"])
        lines += [f"![recall@k per configuration and language]({CHART_PNG})", ""]
    if results.get("answers"):
        lines += answer_tables(results["answers"]["summary"])
    lines += failure_list(results.get("retrieval_failures", []))
    return "\n".join(lines)


def plot_recall(retrieval: dict[str, dict], path: Path) -> None:
    """Grouped bars: one group per (configuration, language), one bar per k."""
    groups = [(config, lang) for config, summary in retrieval.items() for lang in LANGUAGES
              if lang in summary["by_lang"]]
    width = 0.8 / len(RECALL_KS)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(groups)), 4.0))
    for i, k in enumerate(RECALL_KS):
        values = [retrieval[c]["by_lang"][lang][f"recall@{k}"] or 0.0 for c, lang in groups]
        positions = [g + (i - (len(RECALL_KS) - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(positions, values, width, label=f"recall@{k}")
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(range(len(groups)), [f"{c}\n{lang}" for c, lang in groups])
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("recall (paragraph level)")
    ax.set_title("Retrieval recall@k per configuration and language")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(results: dict, out_dir: Path) -> dict[str, Path]:
    """Write report.md, results.json and (with retrieval results) recall.png; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results.setdefault("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    paths = {"json": out_dir / REPORT_JSON, "markdown": out_dir / REPORT_MD}
    paths["json"].write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    if results.get("retrieval"):
        paths["chart"] = out_dir / CHART_PNG
        plot_recall(results["retrieval"], paths["chart"])
    paths["markdown"].write_text(render_markdown(results), encoding="utf-8")
    return paths
