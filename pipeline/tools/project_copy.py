"""A throw-away copy of the project holding what a run needs (no outputs, no caches, no Makefile).

`make verify` rebuilds in one and `make bench` times stages in one; LANGSON_PROJECT_ROOT then points
the pipeline at the copy, so the working tree's outputs are never touched.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import paths

COPIED = ("pipeline", "notebooks", "expectations", "data/raw", "requirements.lock")


def copy_project(dest: Path, source: Path | None = None, registers: bool = True) -> Path:
    """The copy at `dest`; without the household registers when `registers` is false (the bench makes its own)."""
    source = source or paths.ROOT
    dest.mkdir(parents=True, exist_ok=True)
    hidden = shutil.ignore_patterns("__pycache__", ".*")
    raw_registers = (source / "data" / "raw").resolve()

    def left_out(folder: str, names: list[str]) -> set[str]:
        skipped = set(hidden(folder, names))
        if not registers and Path(folder).resolve() == raw_registers:
            skipped.add("registers")
        return skipped

    for name in COPIED:
        origin = source / name
        if origin.is_dir():
            shutil.copytree(origin, dest / name, ignore=left_out)
        elif origin.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, dest / name)
    return dest
