"""Running pipeline stages the way make does, in a throw-away copy of the project, and measuring them.

`make bench` (pipeline.tools.bench) and the end-to-end tests (determinism, crash safety, incremental
reports) run stages through here: each in its own subprocess with the Makefile's environment
(GX_ANALYTICS_ENABLED=False, TQDM_DISABLE=1, PYTHONHASHSEED=0, TZ=UTC, LC_ALL=C.UTF-8, MPLBACKEND=Agg,
SOURCE_DATE_EPOCH) and LANGSON_PROJECT_ROOT set to the copy, so nothing is written to the working tree.

Measured per run: wall time (time.perf_counter() around the subprocess); peak RSS, `ru_maxrss` from
os.wait4() on the process (the number GNU `/usr/bin/time -f %M` prints; Linux folds the peaks of reaped
descendants into it, so it is the largest single process, not a sum); optionally the peak summed RSS of
the whole process tree, sampled every 0.1 s with psutil (a lower bound: a sample can miss a short spike);
CPU time (user + system) of the whole tree, from the same os.wait4(): Linux adds to a process's rusage the
rusage of every child it has waited for, so pool workers and jupyter kernels count once their parents reap
them. They do: run as a child subreaper, render-all left no orphan to reap and RUSAGE_CHILDREN grew by
exactly wait4's CPU (docs/benchmark.md). A descendant left unreaped would be missing.
"""
from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

CODE_ROOT = Path(__file__).resolve().parent.parent
# Exported by the Makefile for every recipe (offline, quiet, deterministic: the same bytes on every run).
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
# Names the pipeline's writers give their work in progress (atomic.temporary_beside: .<name>.<random>.tmp).
PARTIAL_PATTERNS = (".*.tmp",)
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


@dataclass
class StageRun:
    label: str
    returncode: int
    wall_s: float
    maxrss_kib: int
    tree_peak_kib: int
    cpu_s: float  # user + system of the process and every descendant it (transitively) waited for
    stdout: str
    stderr: str


def run_stage(root: Path, label: str, args: list[str], env: dict[str, str] | None = None,
              sample_tree: bool = False, timeout: float = STAGE_TIMEOUT_S) -> StageRun:
    """Run one stage (`python -m pipeline <args>`) in the copy at `root` and measure it."""
    return run_command(root, label, stage_command(args), env, sample_tree, timeout)


def run_command(root: Path, label: str, command: list[str], env: dict[str, str] | None = None,
                sample_tree: bool = False, timeout: float = STAGE_TIMEOUT_S) -> StageRun:
    """Run a command in the copy at `root` (cwd = root, so the copy's code is imported) and measure it."""
    env = env if env is not None else stage_env(root)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(process.pid) if sample_tree else None
        try:
            _, status, usage = _wait4(process, timeout)
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
                        sampler.peak_kib if sampler else 0, usage.ru_utime + usage.ru_stime,
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
