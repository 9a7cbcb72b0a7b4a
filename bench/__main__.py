"""Run the benchmarks and write docs/performance.md.

    .venv/bin/python -m bench [--files 1000] [--score-runs 10000] [--no-write]

Everything runs in this one process, pinned to one CPU where the OS allows it, so the
numbers mean "one core" on any machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import launch
from bench.cases import generate
from scenarios import Scenario, enumerate_paths, load_library, parse_scenario
from scoring import Procedure, check_library, score

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
REPORT = ROOT / "docs" / "performance.md"

CHECK_TARGET_S = 2.0  # 1,000 case files checked in 2 s
SCORE_TARGET_US = 1000.0  # one path scored in well under 1 ms
PARSE_TARGET_MS = 2.0  # = the check target per file: parsing must not eat it alone


@dataclass(frozen=True)
class Row:
    what: str
    value: str
    target: str
    ratio: str


def _pin_to_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _nproc() -> str:
    try:
        done = subprocess.run(
            ["nproc"], capture_output=True, text=True, check=True  # noqa: S607 - coreutils
        )
        return done.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(os.cpu_count())


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - whichever git is on PATH
            cwd=ROOT, capture_output=True, text=True, check=True,
        )
        return done.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _n(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")  # thin space: 10 000


def _timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def bench_check(sources: list[Path], files: int, repeat: int) -> tuple[list[Row], list[str]]:
    """(a) check_library on `files` generated case files."""
    with tempfile.TemporaryDirectory(prefix="stegvis-bench-") as tmp:
        folder = Path(tmp) / "content"
        written = generate(CONTENT, sources, folder, files)
        load_library(folder)  # warm-up: imports, caches and the page cache for the files
        totals: list[float] = []
        for _ in range(repeat):
            started = time.perf_counter()
            checked = check_library(folder)
            totals.append(time.perf_counter() - started)
        usable = len(checked.library.scenarios)
        errors = sum(d.is_error for d in checked.diagnostics)
        paths = sum(len(enumerate_paths(s).paths) for s in checked.library.scenarios.values())
        # Where the time goes: parsing and the graph checks alone (load_library).
        graph_only = _timed(lambda: load_library(folder), repeat)
    total = statistics.median(totals)
    graph = statistics.median(graph_only)
    rows = [
        Row(f"check {len(written)} generated case files (`scoring.check_library`), "
            f"{'median of ' + str(repeat) + ' runs' if repeat > 1 else 'one run'}",
            f"{total:.2f} s ({len(written) / total:.0f} files/s)",
            f"{CHECK_TARGET_S:.0f} s", f"{total / CHECK_TARGET_S:.2f}×"),
        Row("… of which parsing and graph checks (`scenarios.load_library`)",
            f"{graph:.2f} s ({len(written) / graph:.0f} files/s)", "–",
            f"{graph / CHECK_TARGET_S:.2f}×"),
        # The cross-check scores only paths of best (and, if needed, fair) choices; the
        # path count below is how many paths the cases have, which it no longer walks.
        Row("… of which the procedure cross-check (steps, best path, fair paths)",
            f"{total - graph:.2f} s", "–", f"{(total - graph) / CHECK_TARGET_S:.2f}×"),
    ]
    notes = [f"{usable} of {len(written)} generated files passed the checker "
             f"({errors} errors); the cases have {_n(paths)} paths in all, "
             f"{paths / max(usable, 1):.0f} per case on average (the checker does not "
             f"score them all: see scoring/crosscheck.py)."]
    return rows, notes


def _best_path(case: Scenario, procedure: Procedure) -> list[str]:
    best: tuple[int, list[str]] = (-1, [])
    for path in enumerate_paths(case).paths:
        ids = [c.id for c in path]
        points = score(case, procedure, ids).score
        if points > best[0]:
            best = (points, ids)
    return best[1]


def bench_score(cases: list[tuple[Scenario, Procedure]], runs: int) -> list[Row]:
    """(b) score() on the best path of each real case, `runs` times in all."""
    work = [(case, procedure, _best_path(case, procedure)) for case, procedure in cases]
    rounds = max(1, runs // len(work))

    def run() -> None:
        for _ in range(rounds):
            for case, procedure, path in work:
                score(case, procedure, path)

    run()  # warm-up
    elapsed = statistics.median(_timed(run, 3))
    per_path = elapsed / (rounds * len(work)) * 1e6
    steps = statistics.mean(len(p) for _, _, p in work)
    return [Row(f"`score()` on the best path of each real case ({_n(rounds * len(work))} runs, "
                f"{steps:.0f} choices per path on average)",
                f"{per_path:.0f} µs per path", f"< {SCORE_TARGET_US:.0f} µs",
                f"{per_path / SCORE_TARGET_US:.2f}×")]


def bench_parse(sources: list[Path], runs: int) -> list[Row]:
    """(c) parse_scenario on each real case file."""
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in sources]
    rows = []
    for name, text in texts:
        parse_scenario(text, name)  # warm-up
        elapsed = statistics.median(
            _timed(lambda t=text, n=name: parse_scenario(t, n), runs)  # type: ignore[misc]
        )
        rows.append(Row(f"parse `{Path(name).name}` ({len(text.splitlines())} lines)",
                        f"{elapsed * 1e3:.1f} ms", f"< {PARSE_TARGET_MS:.0f} ms",
                        f"{elapsed * 1e3 / PARSE_TARGET_MS:.2f}×"))
    return rows


def _report(facts: list[tuple[str, str]], rows: list[Row], notes: list[str]) -> str:
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`.venv/bin/python -m bench`); run it again after changing the",
        "parser, the checker or scoring. Benchmarks are never timed assertions in the tests.",
        "Ratio = measured ÷ target: below 1 meets the target.",
        "",
        "## Machine",
        "",
        "| fact | value |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in facts],
        "",
        "## Numbers",
        "",
        "| what | measured | target | ratio |",
        "|---|---|---|---|",
        *[f"| {r.what} | {r.value} | {r.target} | {r.ratio} |" for r in rows],
        "",
        "## Notes",
        "",
        *[f"- {n}" for n in notes],
        "",
    ]
    return "\n".join(lines)


ANALYSIS_HEADING = "## Analysis"


def _kept_analysis() -> str:
    """The hand-written analysis at the end of the report survives a new run."""
    try:
        old = REPORT.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = old.find("\n" + ANALYSIS_HEADING)
    if at < 0:
        return ""
    return "\n" + old[at + 1 :].rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--files", type=int, default=1000, help="generated case files to check")
    parser.add_argument("--repeat", type=int, default=1,
                        help="timed runs of the check (one run of 1,000 files takes minutes)")
    parser.add_argument("--score-runs", type=int, default=10_000, help="score() calls in all")
    parser.add_argument("--parse-runs", type=int, default=50, help="parses per real file")
    parser.add_argument("--launches", type=int, default=2000,
                        help="measured launches per server in bench/launch.py (0: skip, "
                             "keep the old section)")
    parser.add_argument("--no-write", action="store_true", help="print, do not write the doc")
    args = parser.parse_args(argv)

    nproc = _nproc()  # before pinning: a pinned process sees one CPU
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    pinned = _pin_to_one_core()
    real = check_library(CONTENT)
    usable = sorted(real.library.scenarios.values(), key=lambda s: s.id)
    sources = [Path(s.source_path) for s in usable]
    skipped = sorted({Path(d.path).name for d in real.diagnostics
                      if d.is_error and d.path.endswith(".md")})
    print(f"{len(sources)} usable real cases: {', '.join(s.id for s in usable)}", flush=True)

    rows: list[Row] = []
    notes: list[str] = []
    started = time.perf_counter()
    print("(b) scoring …", flush=True)
    rows += bench_score([(s, real.procedures[s.procedure]) for s in usable], args.score_runs)
    print("(c) parsing …", flush=True)
    rows += bench_parse(sources, args.parse_runs)
    print(f"(a) checking {args.files} generated files ×{args.repeat} …", flush=True)
    check_rows, check_notes = bench_check(sources, args.files, args.repeat)
    rows = check_rows + rows
    notes += check_notes
    notes.append(f"Generated from the real cases that pass the checker: "
                 f"{', '.join(p.name for p in sources)}"
                 + (f" (skipped, they have errors: {', '.join(skipped)})." if skipped else "."))
    if args.launches:
        print("(d) launch throughput (bench/launch.py) …", flush=True)
        launch_section = "\n" + launch.run(launches=args.launches).rstrip("\n") + "\n"
    else:
        launch_section = "\n" + launch.kept_section() if launch.kept_section() else ""
    notes.append("Copies get their own case and node ids; every fourth keeps its size, the "
                 "others get 1–3 extra paragraphs per node; two in three get 1–2 extra nodes "
                 "before the start.")

    facts = [
        ("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("nproc", nproc),
        ("load average at start (1/5/15 min)", f"{load} (other jobs share this machine)"),
        ("CPU", _cpu_model()),
        ("process", pinned),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("OS", platform.platform()),
        ("commit", f"{_git_commit()} (plus the working tree)"),
        ("bench time", f"{time.perf_counter() - started:.0f} s"),
    ]
    text = _report(facts, rows, notes) + launch_section + _kept_analysis()
    print(text)
    if not args.no_write:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(text, encoding="utf-8")
        print(f"Wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
