"""Benchmark: the procedure assistant's accuracy and latency on the evaluation set.

Reads the evaluation questions (`jamana/assistant/evaluation/questions.toml`, and the held-out
`heldout.toml`, written apart and never used to tune), asks each one, and prints per language:
top-1 and top-3 accuracy of the cited procedures, the share answered confidently and right,
the share of language detections that match, the share of "no answer" questions correctly
declined, and the latency of a whole answer (retrieval + catalogue facts + text) on one core.

The same run measures a baseline: the same BM25 over the same knowledge files, with the words
as typed (lower case only: no folding of accents or Bambara letters, no synonyms, stop words,
stems or typo tolerance), so that what the language-aware analysis brings is visible.

    .venv/bin/python bench/assistant.py               # ~20 s
    .venv/bin/python bench/assistant.py --repeat 20   # steadier latency figures
    .venv/bin/python bench/assistant.py --show-misses # every wrong answer, for tuning

Figures go to bench/results/assistant-<timestamp>.json and bench/results/assistant-latest.md.
The database is a throw-away SQLite file holding the catalogue; nothing else is contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

from _support import REPO, cpu_model, git_state, percentile, write_atomically

EVALUATION = REPO / "jamana" / "assistant" / "evaluation"
RESULTS = REPO / "bench" / "results"
LANGUAGES = ("fr", "bm", "en")


def load_set(name: str) -> list[dict[str, Any]]:
    with (EVALUATION / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)["question"]


def setup_django(tmp: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "jamana.config.settings"
    os.environ["JAMANA_ENV"] = "test"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["JAMANA_ASSISTANT_LLM_URL"] = ""
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from jamana.procedures.demo import load_catalogue

    load_catalogue()


def score(questions: list[dict[str, Any]], search) -> dict[str, Any]:
    """Accuracy figures of ``search(question, hint) -> (codes, confident, language)``."""
    by_language: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    misses = []
    for item in questions:
        language = item["language"]
        expect = item["expect"]
        codes, confident, detected = search(item["text"], "fr")
        row = by_language[language]
        row["language_ok"] += detected == language
        row["questions"] += 1
        if not expect:
            row["no_answer"] += 1
            row["declined"] += not confident
            if confident:
                misses.append((item, codes, confident, detected))
            continue
        row["answerable"] += 1
        top1 = bool(codes) and codes[0] in expect
        top3 = any(code in expect for code in codes[:3])
        row["top1"] += top1
        row["top3"] += top3
        row["confident_right"] += confident and top1
        row["confident_wrong"] += confident and not top1
        if not (top1 and confident):
            misses.append((item, codes, confident, detected))
    figures = {}
    totals: dict[str, float] = defaultdict(float)
    for language in LANGUAGES:
        row = by_language[language]
        for key, value in row.items():
            totals[key] += value
        figures[language] = _ratios(row)
    figures["all"] = _ratios(totals)
    return {"figures": figures, "misses": misses}


def _ratios(row: dict[str, float]) -> dict[str, float]:
    answerable = row["answerable"] or 1
    return {
        "questions": int(row["questions"]),
        "answerable": int(row["answerable"]),
        "no_answer": int(row["no_answer"]),
        "top1": row["top1"] / answerable,
        "top3": row["top3"] / answerable,
        "confident_right": row["confident_right"] / answerable,
        "confident_wrong": row["confident_wrong"] / answerable,
        "declined": row["declined"] / (row["no_answer"] or 1),
        "language_ok": row["language_ok"] / (row["questions"] or 1),
    }


def table(title: str, figures: dict[str, dict[str, float]]) -> str:
    lines = [
        f"### {title}",
        "",
        "| language | questions | top-1 | top-3 | confident & right | confident & wrong "
        "| no-answer declined | language detected |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for language in (*LANGUAGES, "all"):
        f = figures[language]
        lines.append(
            f"| {language} | {f['questions']} ({f['no_answer']} no-answer) | {f['top1']:.1%} "
            f"| {f['top3']:.1%} | {f['confident_right']:.1%} | {f['confident_wrong']:.1%} "
            f"| {f['declined']:.1%} | {f['language_ok']:.1%} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="latency passes over the set")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    sets = {"questions": load_set("questions"), "heldout": load_set("heldout")}
    with tempfile.TemporaryDirectory(prefix="jamana-bench-assistant-") as tmp:
        setup_django(Path(tmp))
        from jamana.assistant import queries
        from jamana.assistant.knowledge import load_knowledge
        from jamana.assistant.retrieval import FULL, PLAIN, Index

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        knowledge = load_knowledge()
        full = Index(knowledge, FULL)
        index_ms = (time.perf_counter() - started) * 1000
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        plain = Index(knowledge, PLAIN)

        def searcher(index: Index):
            def search(text: str, hint: str):
                found = index.search(text, hint=hint)
                return found.codes(), found.confident, found.language

            return search

        def answer(text: str, hint: str):
            found = queries.ask(text, hint=hint)
            return found.codes, found.confident, found.language

        results: dict[str, Any] = {}
        for set_name, questions in sets.items():
            results[set_name] = {
                "assistant": score(questions, answer),
                "baseline (words as typed)": score(questions, searcher(plain)),
            }
        everything = sets["questions"] + sets["heldout"]
        timings: dict[str, list[float]] = {"answer": [], "retrieval": [], "baseline": []}
        for _ in range(args.repeat):
            for item in everything:
                for name, call in (
                    ("answer", lambda t: queries.ask(t, hint="fr")),
                    ("retrieval", lambda t: full.search(t, hint="fr")),
                    ("baseline", lambda t: plain.search(t, hint="fr")),
                ):
                    started = time.perf_counter()
                    call(item["text"])
                    timings[name].append((time.perf_counter() - started) * 1000)
    latency = {}
    for name, values in timings.items():
        values.sort()
        latency[name] = {
            "n": len(values),
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
            "max_ms": values[-1],
        }
    report = [
        f"# Assistant evaluation — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"CPU: {cpu_model()}, one core. Knowledge: {len(knowledge.entries)} entries; index built "
        f"in {index_ms:.0f} ms, {max(rss_after - rss_before, 0) / 1024:.1f} MiB.",
        "",
    ]
    for set_name, systems in results.items():
        for system, outcome in systems.items():
            report += [table(f"{set_name}.toml — {system}", outcome["figures"]), ""]
    report += [
        "### Latency (ms, one core)",
        "",
        "| what | n | p50 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {name} | {v['n']} | {v['p50_ms']:.2f} | {v['p99_ms']:.2f} | {v['max_ms']:.2f} |"
            for name, v in latency.items()
        ),
    ]
    text = "\n".join(report)
    print(text)
    if args.show_misses:
        # The held-out set's misses are never shown: looking at them would make it a tuning set.
        print("\n## misses of the assistant on questions.toml")
        for item, codes, confident, detected in results["questions"]["assistant"]["misses"]:
            print(
                f"- [{item['language']}→{detected}] {item['text']!r} expect={item['expect']} "
                f"got={codes} confident={confident}"
            )
    if not args.no_write:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        data = {
            "git": git_state(),
            "cpu": cpu_model(),
            "index_ms": index_ms,
            "latency": latency,
            "results": {
                set_name: {system: outcome["figures"] for system, outcome in systems.items()}
                for set_name, systems in results.items()
            },
        }
        RESULTS.mkdir(exist_ok=True)
        write_atomically(RESULTS / f"assistant-{stamp}.json", json.dumps(data, indent=2))
        write_atomically(RESULTS / "assistant-latest.md", text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
