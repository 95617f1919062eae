"""Run log for auditors: every pipeline command appends one JSON line to reports/run_log.jsonl.

A line records the stage, its parameters, its input and output files with sha256, how long it
took, the warnings it raised (repairs made to input, stripped noise) and how it ended. The log is
a log: it is the one file under reports/ that is not an output, so it is left out of manifests
and of the byte-for-byte comparison of two runs.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from pipeline import paths

LOG_NAME = "run_log.jsonl"
_warnings: list[str] = []


def log_path() -> Path:
    return paths.REPORTS / LOG_NAME


def warn(message: str) -> None:
    """A warning of the current stage: shown on stderr now and kept in the stage's log line."""
    _warnings.append(message)
    print(f"Cảnh báo / warning: {message}", file=sys.stderr)


def file_record(path: Path) -> dict:
    """{file, sha256, bytes} of a file, its name relative to the project root."""
    data = path.read_bytes()
    return {"file": paths.relative(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


@contextmanager
def stage(name: str, parameters: dict | None = None):
    """Time a stage and append its log line however it ends; yields a dict for inputs/outputs."""
    _warnings.clear()
    record: dict = {"stage": name, "parameters": parameters or {}, "inputs": [], "outputs": []}
    started = time.perf_counter()
    record["started_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    status = "error"
    try:
        yield record
        status = "ok"
    except BaseException as err:
        record["error"] = f"{type(err).__name__}: {err}"
        raise
    finally:
        record.update(status=status, duration_s=round(time.perf_counter() - started, 3), warnings=list(_warnings))
        append(record)


def append(record: dict) -> None:
    """One line per record, written with a single append so concurrent stages do not interleave."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)


def files_in(*patterns: str) -> list[Path]:
    """Existing files matching glob patterns relative to the project root, sorted."""
    return sorted({p for pattern in patterns for p in paths.ROOT.glob(pattern) if p.is_file()})

