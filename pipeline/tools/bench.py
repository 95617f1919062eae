"""Benchmark: time and peak memory of each stage, beside the plain way of doing the same work in the same run.

    python -m pipeline.tools.bench [--scale K] [--repeat N] [--json bench.json]

Each repeat copies the project without its household registers into a fresh temporary folder
(pipeline.tools.runner; nothing is written to the working tree) and runs there, each in its own process:

- the synthetic register generator at multiplier K (households per district × K; K = 1 is the province,
  ≈0.8 M household rows over the four reviews; K = 34 ≈ 27 M, one national review's worth);
- `build` (the plan's tables, needed by the gate), then the register stage `registers`, and right after
  it the **yardstick**: a plain DuckDB script of the same reads, rules and aggregates
  (pipeline.tools.yardstick), which the bench writes into its folder;
- the Great Expectations gate `validate`, and right after it **importing great_expectations** alone;
- at K = 1 only, the 2021 report alone, then all 12 reports of 2022 (`render-all`), and right after it the
  **yardstick** of the renders: the notebook's code cells run 12 times with `exec` in one process
  (pipeline.tools.plain_cells); then one district's register corrected (one household removed) and
  registers, validate and the 12 reports again: what a correction costs.

Ratios are taken repeat by repeat (ours ÷ yardstick in the same repeat, a minute apart) and their median
is reported, for wall time and for CPU time (user + system of the whole process tree, kernels and workers
included: runner): these machines are shared and noisy, and a ratio holds better than a time. Peak memory
is `ru_maxrss` of the stage's process (the largest single process) and, with tree sampling, the summed RSS
of its process tree. At K > 1 the default is one repeat.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.registers import engine
from pipeline.registers import files as register_files
from pipeline.tools import runner, yardstick
from pipeline.tools.project_copy import copy_project

REGISTERS = Path("data") / "raw" / "registers"
YARDSTICK_SCRIPT = "plain_registers.py"
# An edited sample is no longer the untouched synthetic sample and needs a real pseudonym key (files.py); the
# bench sets one for every step, as a province with real registers does, so the correction changes no other key.
BENCH_PSEUDONYM_KEY = "bench-only-key-not-secret-0123456789"
HOUSEHOLD_ID_HEADER = "Mã hộ"
CORRECTION = "one household removed from ho_181_2022.csv"  # a step that edits the registers, not timed
SCALE_TIMEOUT_S = 4 * 3600  # K = 34 runs for minutes, not hours; a stage that hangs is still stopped


@dataclass(frozen=True)
class Step:
    phase: str
    label: str
    command: list[str]           # run in the copy; "{root}" and "{tmp}" are filled in
    yardstick_of: str = ""       # label of the step this one is the yardstick for
    edit: Callable[[Path], object] | None = None  # instead of a command: changes the copy, not timed


def steps(scale: float, year: str = "2022", also_year: str = "2021", district: str = "181") -> list[Step]:
    """What one repeat runs, in order."""
    python, pipeline = sys.executable, [sys.executable, "-m", "pipeline"]
    plan = [
        Step("scale", "generator", [python, "-m", "pipeline.tools.synthetic_registers", "--out", f"{{root}}/{REGISTERS}",
                                    "--scale", f"{scale:g}"]),
        Step("scale", "build", [*pipeline, "build"]),
        Step("scale", "registers", [*pipeline, "registers"]),
        Step("scale", "registers, plain DuckDB script", [python, f"{{tmp}}/{YARDSTICK_SCRIPT}", f"{{root}}/{REGISTERS}",
                                                        "{tmp}/plain-out", "{tmp}/plain-spill"], "registers"),
        Step("scale", "validate", [*pipeline, "validate"]),
        Step("scale", "import great_expectations", [python, "-c", "import great_expectations"], "validate"),
    ]
    if scale != 1:
        return plan
    render_all = f"render-all {year} (12 reports, 2 workers)"
    every_report = [*pipeline, "render-all", "--year", year, "--jobs", "2"]
    return plan + [
        Step("reports", f"render {also_year} (one report)", [*pipeline, "render", "--year", also_year]),
        Step("reports", render_all, every_report),
        Step("reports", "plain cells ×12 in one process", [python, "-m", "pipeline.tools.plain_cells", "--year", year],
             render_all),
        Step("correction", CORRECTION, [], edit=lambda root: remove_one_household(root / REGISTERS, year, district)),
        Step("correction", "registers (after the correction)", [*pipeline, "registers"]),
        Step("correction", "validate (after the correction)", [*pipeline, "validate"]),
        Step("correction", f"render-all {year} (after the correction)", every_report),
    ]


def remove_one_household(registers: Path, year: str, district: str) -> int:
    """Delete the first household of ho_<district>_<year>.csv whose id no other district's file of that year
    has (a duplicate id would rightly involve the other district too); returns the line removed (header = 1)."""
    others: set[str] = set()
    for path in sorted((registers / year).glob("ho_*.csv")):
        if path.name != f"{register_files.file_stem(district, year)}.csv":
            others.update(row[HOUSEHOLD_ID_HEADER] for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    target = registers / year / f"{register_files.file_stem(district, year)}.csv"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    position = next(csv.reader([lines[0]])).index(HOUSEHOLD_ID_HEADER)
    line = next(n for n in range(1, len(lines)) if next(csv.reader([lines[n]]))[position] not in others)
    del lines[line]
    target.write_text("".join(lines), encoding="utf-8")
    return line + 1


def bench(scale: float, repeat: int, sample_tree: bool = True) -> dict:
    plan = steps(scale)
    runs: dict[str, list[runner.StageRun]] = {step.label: [] for step in plan if step.command}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="langson-bench-") as tmp:
        source = copy_project(Path(tmp) / "source", registers=False)  # one snapshot of the working tree
        for index in range(repeat):
            root = copy_project(Path(tmp) / f"run-{index + 1}", source)
            work = Path(tmp) / f"work-{index + 1}"
            for folder in ("plain-out", "plain-spill"):
                (work / folder).mkdir(parents=True)
            (work / YARDSTICK_SCRIPT).write_text(yardstick.script(engine.MEMORY_LIMIT), encoding="utf-8")
            env = runner.stage_env(root, LANGSON_PSEUDONYM_KEY=BENCH_PSEUDONYM_KEY)
            for step in plan:
                if step.edit:
                    step.edit(root)
                    continue
                command = [part.replace("{root}", str(root)).replace("{tmp}", str(work)) for part in step.command]
                result = runner.run_command(root, step.label, command, env, sample_tree, SCALE_TIMEOUT_S)
                if result.returncode != 0:
                    raise SystemExit(f"bench: `{' '.join(command)}` failed (exit {result.returncode}):\n"
                                     f"{result.stderr[-3000:]}")
                runs[step.label].append(result)
                print(f"  run {index + 1}/{repeat}  {step.label:<44} {result.wall_s:8.2f} s "
                      f"{result.cpu_s:8.2f} s CPU {result.maxrss_kib / 1024:8.0f} MiB", file=sys.stderr)
            shutil.rmtree(root)
            shutil.rmtree(work)
    plan = [step for step in plan if not step.edit]
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": runner.code_commit(),
        "machine": runner.machine(),
        "scale": scale,
        "repeat": repeat,
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "rss_method": "os.wait4 ru_maxrss of the stage process (= /usr/bin/time -f %M); "
                      "tree = summed RSS of the process tree, psutil sample every 0.1 s",
        "stages": [_summary(step, runs) for step in plan],
    }


def _stats(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "runs": [round(v, 3) for v in values]}


def _summary(step: Step, runs: dict[str, list[runner.StageRun]]) -> dict:
    results = runs[step.label]
    summary = {
        "phase": step.phase,
        "stage": step.label,
        "command": " ".join(Path(p).name if p == sys.executable else p for p in step.command),
        "wall_s": _stats([r.wall_s for r in results]),
        "cpu_s": _stats([r.cpu_s for r in results]),
        "peak_rss_mib": round(max(r.maxrss_kib for r in results) / 1024, 1),
        "peak_tree_rss_mib": round(max(r.tree_peak_kib for r in results) / 1024, 1),
    }
    if step.yardstick_of:  # this step is a yardstick: the measured step ÷ this one, repeat by repeat
        ours = runs[step.yardstick_of]
        summary["ratio_of"] = step.yardstick_of
        summary["ratio"] = _stats([a.wall_s / b.wall_s for a, b in zip(ours, results)])
        summary["cpu_ratio"] = _stats([a.cpu_s / b.cpu_s for a, b in zip(ours, results)])
    return summary


def format_table(report: dict) -> str:
    m, load = report["machine"], report["load_average_1min"]
    lines = [
        f"pipeline.tools.bench  {report['date']}  commit {report['commit']}",
        f"machine: {m['nproc']} CPU ({m['cpu']}), Python {m['python']}, {m['platform']}; "
        f"1-min load average {load['before']} before, {load['after']} after",
        f"scale K = {report['scale']:g} (households per district × K); {report['repeat']} repeat(s), each in a fresh "
        "copy of the project; wall time and CPU time (median; user + system of the process tree) in seconds; "
        "peak RSS in MiB (process = wait4 ru_maxrss, tree = sampled sum); ratios of wall and of CPU time",
        "",
    ]
    header = ("stage", "median", "min", "max", "CPU", "peak RSS", "tree RSS", "ratio")
    rows, rules, phase = [header], [1], None
    for s in report["stages"]:
        if s["phase"] != phase:
            phase = s["phase"]
            rules.append(len(rows))
            rows.append((f"{phase}:", "", "", "", "", "", "", ""))
        w = s["wall_s"]
        ratio = (f"{s['ratio_of']} ÷ this = {s['ratio']['median']:.2f} wall, {s['cpu_ratio']['median']:.2f} CPU"
                 if "ratio" in s else "")
        rows.append((f"  {s['stage']}", f"{w['median']:.2f}", f"{w['min']:.2f}", f"{w['max']:.2f}", f"{s['cpu_s']['median']:.2f}",
                     f"{s['peak_rss_mib']:.0f}", f"{s['peak_tree_rss_mib']:.0f}" if s["peak_tree_rss_mib"] else "-", ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for n, row in enumerate(rows):
        if n in rules:
            lines.append("  ".join("-" * w for w in widths))
        cells = [c.rjust(widths[i]) if i in (1, 2, 3, 4, 5, 6) else c.ljust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.tools.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="households per district × K (default 1: the province)")
    parser.add_argument("--repeat", type=int, help="repeats (default 3 at K = 1, else 1)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--no-tree", action="store_true", help="do not sample the process tree's memory")
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.scale == 1 else 1)
    if repeat < 1 or args.scale <= 0:
        parser.error("--repeat must be at least 1 and --scale positive")
    try:
        report = bench(args.scale, repeat, sample_tree=not args.no_tree)
    except KeyboardInterrupt:
        print("bench: interrupted; temporary copy removed", file=sys.stderr)
        return 130
    print(format_table(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
