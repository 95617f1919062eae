"""The DuckDB connection the register stage runs on: bounded memory, a private spill folder, nothing fetched.

DuckDB is an in-process columnar SQL engine: the registers (up to ≈27 M household rows a review year at
national size) are read, checked, pseudonymised and aggregated in SQL, streaming from the CSV files, so the
stage's memory depends on DuckDB's limit rather than on the size of the province.

- memory_limit bounds DuckDB's own buffers; the stage's tables live in a database file in the temporary
  folder (compressed, read back as needed) and what else does not fit is spilled there too.
- The temporary folder is created for the run under the system's temporary directory (never in data/ or
  reports/), is private to the user (0700) and is deleted when the run ends. A run that was killed cannot
  delete its own: the next run deletes every folder of a run whose process is gone (the pid is in the name).
- Extensions are neither installed nor loaded automatically: nothing outside the package is reached.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

# What DuckDB may hold in memory before it spills to the temporary folder. The whole stage stays within
# about twice this (DuckDB's limit does not cover the small tables handed to pandas).
MEMORY_LIMIT = "3GB"
TEMP_PREFIX = "langson-registers-"
# The stage's tables live in a database file in the same folder: DuckDB compresses them and keeps in
# memory only what it works on, so a national-size register does not have to fit in memory.
DATABASE = "registers.duckdb"


@contextmanager
def connection(memory_limit: str = MEMORY_LIMIT, temp_root: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection whose spill folder exists for this run only; closed and removed however the run ends."""
    temp_root = Path(temp_root or tempfile.gettempdir())
    remove_abandoned(temp_root)
    spill = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=temp_root))
    con = None
    try:
        con = duckdb.connect(str(spill / DATABASE), config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "temp_directory": str(spill),
            "memory_limit": memory_limit,
            "threads": os.cpu_count() or 1,
            "preserve_insertion_order": True,   # row_number() OVER () numbers a file's rows in file order
        })
        yield con
    finally:
        if con is not None:
            con.close()
        shutil.rmtree(spill, ignore_errors=True)


def remove_abandoned(temp_root: Path) -> None:
    """Spill folders of runs whose process no longer exists (killed runs cannot clean up after themselves)."""
    for folder in sorted(temp_root.glob(f"{TEMP_PREFIX}*")):
        pid = folder.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to clean
        return True
    return True
