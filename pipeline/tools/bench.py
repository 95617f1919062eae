"""Benchmark: wall time and peak memory of each pipeline stage on the shipped data, and after a correction.

    python -m pipeline.tools.bench [--repeat N] [--year 2022] [--json bench.json]

Each repeat copies the project (pipeline/, notebooks/, expectations/, data/raw/, requirements.lock;
no Makefile, no outputs) into a fresh temporary folder, then runs every stage there in its own
subprocess, exactly as make does (`python -m pipeline build`, `validate`, `render --year …`), with
the Makefile's environment (GX_ANALYTICS_ENABLED=False, TQDM_DISABLE=1, PYTHONHASHSEED=0, TZ=UTC,
LC_ALL=C.UTF-8, MPLBACKEND=Agg, SOURCE_DATE_EPOCH) and LANGSON_PROJECT_ROOT set to the copy, so
nothing is written to the working tree. Copying (setup) is not timed. The copy is deleted at the end.

Then one district's register is corrected (one household removed from ho_<district>_<year>.csv) and
registers, validate, the province report, that district's report and another district's report run
again: what a district's correction costs when only the changed file is parsed, only changed tables are
checked and only reports whose inputs changed are rendered (the last row measures a report kept as it
is). A fixed bench key stands in for a province's pseudonym key, since an edited sample needs one.

Measured per stage:
- wall time: time.perf_counter() around the subprocess, median/min/max over the repeats;
- peak RSS: `ru_maxrss` from os.wait4() on the stage's process (the number GNU `/usr/bin/time -f %M`
  prints). Linux folds the peaks of reaped descendants into it, so for render it is the larger of the
  papermill process and its kernel, not their sum;
- peak tree RSS: the sum of RSS over the stage's whole process tree (kernel included), sampled every
  0.1 s with psutil; a sample can miss a short spike, so it is a lower bound.

The same helpers (project copy, stage commands, environment, partial-output names) are used by
tests/test_determinism.py and tests/test_crash_safety.py.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fnmatch
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from pipeline.tools.project_copy import copy_project  # noqa: F401  (tests make their copies through bench)

CODE_ROOT = Path(__file__).resolve().parent.parent
# Exported by the Makefile for every recipe (offline, quiet, deterministic; pitfalls.md §5).
MAKE_ENV = {
    "GX_ANALYTICS_ENABLED": "False",
    "TQDM_DISABLE": "1",
    "PYTHONHASHSEED": "0",
    "TZ": "UTC",
    "LC_ALL": "C.UTF-8",
    "MPLBACKEND": "Agg",
}
DEFAULT_EPOCH = "1640995200"  # the Makefile's fallback SOURCE_DATE_EPOCH (2022-01-01)
OUTPUT_DIRS = ("data/processed", "reports")
LOG_FILE = "reports/run_log.jsonl"  # a log with wall-clock times: never compared
# Names the pipeline's writers give their work in progress (atomic.temporary_beside: .<name>.<random>.tmp;
# validate.build_data_docs: .data_docs-new-<random>/ and .data_docs-old-<random>/).
PARTIAL_PATTERNS = (".*.tmp", ".*-new-*", ".*-old-*")
STAGE_TIMEOUT_S = 600


# ---------------------------------------------------------------- the project copy and its stages

def stage_env(root: Path, **overrides: str) -> dict[str, str]:
    """The environment make gives a recipe, pointed at the copy at `root`."""
    env = {k: v for k, v in os.environ.items() if k not in ("LANGSON_PROJECT_ROOT", "PYTHONPATH")}
    env.update(MAKE_ENV)
    env.setdefault("SOURCE_DATE_EPOCH", DEFAULT_EPOCH)
    env["LANGSON_PROJECT_ROOT"] = str(root)
    # git must not find a repository around the copy (the commit printed in reports would then depend on
    # where the copy lives): the copy's code is reported as commit "unknown".
    env["GIT_CEILING_DIRECTORIES"] = str(root.parent)
    env.update(overrides)
    return env


def stage_command(args: list[str] | tuple[str, ...]) -> list[str]:
    """`python -m pipeline …` with this interpreter (the project's .venv when run from make)."""
    return [sys.executable, "-m", "pipeline", *args]


def stages(year: str = "2022", also_year: str = "2021", district: str = "181") -> list[tuple[str, list[str]]]:
    """(label, pipeline arguments) of a full run: build, registers, validate, then the reports."""
    chosen = [("build", ["build"]), ("registers", ["registers"]), ("validate", ["validate"]),
              (f"render {year}", ["render", "--year", year])]
    if also_year and also_year != year:
        chosen.append((f"render {also_year}", ["render", "--year", also_year]))
    if district:
        chosen.append((f"render {year} district {district}", ["render", "--year", year, "--district", district]))
    return chosen


# After the full run, one district's register is corrected (one household removed) and the stages run
# again: the per-file register cache and the per-report run records make this a measure of what a
# district's correction costs (the gate checks every table again: it keeps nothing between runs). An edited sample needs a real key (register.py).
BENCH_PSEUDONYM_KEY = "bench-only-key-not-secret-0123456789"
HOUSEHOLD_ID_HEADER = "Mã hộ"


def correction_stages(year: str, district: str, unchanged_district: str) -> list[tuple[str, list[str]]]:
    """(label, arguments) after one district's register of `year` is corrected."""
    return [("registers", ["registers"]), ("validate", ["validate"]),
            (f"render {year}", ["render", "--year", year]),
            (f"render {year} district {district}", ["render", "--year", year, "--district", district]),
            (f"render {year} district {unchanged_district} (kept)",
             ["render", "--year", year, "--district", unchanged_district])]


def remove_one_household(registers: Path, year: str, district: str) -> int:
    """Delete the first household of ho_<district>_<year>.csv whose id no other district's file of that year
    has (a duplicate id would rightly involve the other district too); returns the line removed (header = 1)."""
    import csv
    import io

    others: set[str] = set()
    for path in sorted((registers / year).glob("ho_*.csv")):
        if path.name != f"ho_{district}_{year}.csv":
            others.update(row[HOUSEHOLD_ID_HEADER] for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    target = registers / year / f"ho_{district}_{year}.csv"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    position = next(csv.reader([lines[0]])).index(HOUSEHOLD_ID_HEADER)
    line = next(n for n in range(1, len(lines)) if next(csv.reader([lines[n]]))[position] not in others)
    del lines[line]
    target.write_text("".join(lines), encoding="utf-8")
    return line + 1


@dataclass
class StageRun:
    label: str
    returncode: int
    wall_s: float
    maxrss_kib: int
    tree_peak_kib: int
    stdout: str
    stderr: str


def run_stage(root: Path, label: str, args: list[str], env: dict[str, str] | None = None,
              sample_tree: bool = False) -> StageRun:
    """Run one stage in the copy at `root` (cwd = root, so the copy's code is imported) and measure it."""
    env = env if env is not None else stage_env(root)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(stage_command(args), cwd=root, env=env, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(process.pid) if sample_tree else None
        try:
            _, status, usage = _wait4(process, STAGE_TIMEOUT_S)
        except BaseException:  # Ctrl-C or a timeout: the stage must not outlive the temporary copy
            if process.returncode is None:
                process.kill()
                process.wait()
            raise
        finally:
            if sampler:
                sampler.stop()
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return StageRun(label, os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss,
                        sampler.peak_kib if sampler else 0,
                        out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def _wait4(process: subprocess.Popen, timeout: float):
    """os.wait4 on the child (its own rusage, not RUSAGE_CHILDREN's running maximum), with a timeout."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
            return pid, status, usage
        if time.monotonic() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            raise TimeoutError(f"{process.args} did not finish in {timeout} s")
        time.sleep(0.01)


class _TreeSampler:
    """Peak of the summed RSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.peak_kib = 0
        self._pid, self._interval = pid, interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            top = psutil.Process(self._pid)
            while not self._done.is_set():
                self.peak_kib = max(self.peak_kib, _tree_rss(top) // 1024)
                self._done.wait(self._interval)
        except psutil.NoSuchProcess:  # the stage has ended: its peak is the largest sample taken
            return

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _tree_rss(top: psutil.Process) -> int:
    """Summed RSS of a process and its descendants (one that ends while being read counts 0)."""
    total = 0
    for proc in [top, *top.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


# ---------------------------------------------------------------- looking at outputs

def is_partial(name: str) -> bool:
    """A work-in-progress name of the pipeline's writers (temp file or staging/old folder)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in PARTIAL_PATTERNS)


def partial_outputs(root: Path) -> list[str]:
    """Files and folders under data/processed and reports/ that carry a work-in-progress name."""
    found = []
    for top in OUTPUT_DIRS:
        for path in sorted((root / top).rglob("*")):
            relative = path.relative_to(root).as_posix()
            if is_partial(path.name):
                found.append(relative + ("/" if path.is_dir() else ""))
    return found


def output_hashes(root: Path) -> dict[str, str]:
    """sha256 of every output file under data/processed and reports/, by path relative to `root`.

    Left out: the run log (wall-clock times by design) and anything with a component starting with "."
    (make's stamps; work-in-progress names are checked separately with partial_outputs).
    """
    hashes = {}
    for top in OUTPUT_DIRS:
        for path in sorted((root / top).rglob("*")):
            relative = path.relative_to(root).as_posix()
            if not path.is_file() or relative == LOG_FILE or any(p.startswith(".") for p in relative.split("/")):
                continue
            hashes[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def compare_hashes(expected: dict[str, str], actual: dict[str, str]) -> dict[str, list[str]]:
    """Files only in one tree, and files in both whose bytes differ."""
    return {
        "only_expected": sorted(set(expected) - set(actual)),
        "only_actual": sorted(set(actual) - set(expected)),
        "different": sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k]),
    }


# ---------------------------------------------------------------- the benchmark

def machine() -> dict:
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "executable": sys.executable,
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or "unknown"


def code_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=CODE_ROOT, capture_output=True,
                              text=True, check=True, timeout=20).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=CODE_ROOT,
                               capture_output=True, text=True, check=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" (+uncommitted changes)" if dirty else "")


def bench(repeat: int, year: str, also_year: str, district: str, sample_tree: bool = True) -> dict:
    plan = [("full run", label, args) for label, args in stages(year, also_year, district)]
    unchanged = next(code for code in ("178", "180") if code != district)  # its report exists before the correction
    if district:
        plan += [("after one register is corrected", label, args)
                 for label, args in correction_stages(year, district, unchanged)]
    load_before = os.getloadavg()[0]
    runs: dict[tuple[str, str], list[StageRun]] = {(phase, label): [] for phase, label, _ in plan}
    totals: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="langson-bench-") as tmp:
        source = copy_project(Path(tmp) / "source")  # one snapshot of the working tree for every repeat
        for index in range(repeat):
            root = copy_project(Path(tmp) / f"run-{index + 1}", source)
            env = stage_env(root, LANGSON_PSEUDONYM_KEY=BENCH_PSEUDONYM_KEY)
            phase_totals: dict[str, float] = {}
            for phase, label, args in plan:
                if phase not in phase_totals and phase_totals:  # between the phases, not timed:
                    run_stage(root, "unchanged report", ["render", "--year", year, "--district", unchanged], env)
                    remove_one_household(root / "data" / "raw" / "registers", year, district)  # the correction
                result = run_stage(root, label, args, env, sample_tree=sample_tree)
                if result.returncode != 0:
                    raise SystemExit(f"bench: `{' '.join(stage_command(args))}` failed "
                                     f"(exit {result.returncode}):\n{result.stderr[-3000:]}")
                runs[(phase, label)].append(result)
                phase_totals[phase] = phase_totals.get(phase, 0.0) + result.wall_s
                print(f"  run {index + 1}/{repeat}  {label:<34} {result.wall_s:6.2f} s", file=sys.stderr)
            for phase, total in phase_totals.items():
                totals.setdefault(phase, []).append(total)
            shutil.rmtree(root)
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": code_commit(),
        "machine": machine(),
        "repeat": repeat,
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "rss_method": "os.wait4 ru_maxrss of the stage process (= /usr/bin/time -f %M); "
                      "tree = summed RSS of the process tree, psutil sample every 0.1 s",
        "stages": [{"phase": phase, **_summary(label, " ".join(["python -m pipeline", *args]), runs[(phase, label)])}
                   for phase, label, args in plan],
        "totals": {phase: {"wall_s": _stats(values)} for phase, values in totals.items()},
    }


def _stats(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "runs": [round(v, 3) for v in values]}


def _summary(label: str, command: str, results: list[StageRun]) -> dict:
    return {
        "stage": label,
        "command": command,
        "wall_s": _stats([r.wall_s for r in results]),
        "peak_rss_mib": round(max(r.maxrss_kib for r in results) / 1024, 1),
        "peak_tree_rss_mib": round(max(r.tree_peak_kib for r in results) / 1024, 1),
    }


def format_table(report: dict) -> str:
    m, load = report["machine"], report["load_average_1min"]
    lines = [
        f"pipeline.tools.bench  {report['date']}  commit {report['commit']}",
        f"machine: {m['nproc']} CPU ({m['cpu']}), Python {m['python']}, {m['platform']}; "
        f"1-min load average {load['before']} before, {load['after']} after",
        f"{report['repeat']} repeat(s), each in a fresh copy of the project; wall time in seconds; "
        "peak RSS in MiB (process = wait4 ru_maxrss, tree = sampled sum)",
        "",
    ]
    header = ("stage", "median", "min", "max", "peak RSS", "tree RSS", "command")
    rows, rules = [header], [1]
    for phase, total in report["totals"].items():
        rows.append((f"{phase}:", "", "", "", "", "", ""))
        for s in (s for s in report["stages"] if s["phase"] == phase):
            w = s["wall_s"]
            rows.append((f"  {s['stage']}", f"{w['median']:.2f}", f"{w['min']:.2f}", f"{w['max']:.2f}",
                         f"{s['peak_rss_mib']:.0f}", f"{s['peak_tree_rss_mib']:.0f}" if s["peak_tree_rss_mib"] else "-",
                         s["command"]))
        t = total["wall_s"]
        rules.append(len(rows))
        rows.append((f"  {phase} (sum)", f"{t['median']:.2f}", f"{t['min']:.2f}", f"{t['max']:.2f}", "", "", ""))
        rules.append(len(rows))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    right = {1, 2, 3, 4, 5}
    for n, row in enumerate(rows):
        if n in rules:
            lines.append("  ".join("-" * w for w in widths))
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.tools.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the whole pipeline (default 3)")
    parser.add_argument("--year", default="2022", help="report year (default 2022)")
    parser.add_argument("--also-year", default="2021", help="a second report year ('' to skip; default 2021)")
    parser.add_argument("--district", default="181", help="district report of --year ('' to skip; default 181)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--no-tree", action="store_true", help="do not sample the process tree's memory")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        report = bench(args.repeat, args.year, args.also_year, args.district, sample_tree=not args.no_tree)
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
