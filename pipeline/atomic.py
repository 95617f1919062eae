"""Writing files so that no reader, and no crash, ever sees half of one: temp file beside it, then rename."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd


def temporary_beside(path: Path) -> Path:
    """An empty temporary file in the target's directory (same file system, so the rename is atomic).

    It gets ordinary permissions (mkstemp makes 0600), so renamed outputs look like any other file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    os.chmod(name, 0o666 & ~_umask())
    return Path(name)


def remove_leftovers(path: Path) -> None:
    """Temporary files a killed writer of this same target left behind (a kill cannot clean up after itself)."""
    for leftover in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        leftover.unlink(missing_ok=True)


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def write_bytes(path: Path, content: bytes) -> None:
    temporary = temporary_beside(path)
    try:
        temporary.write_bytes(content)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    write_parquet_all({path: frame})


def write_parquet_all(frames: dict[Path, pd.DataFrame]) -> None:
    """Write every frame to its temporary file first, then rename them all: a failure replaces none."""
    write_all({path: parquet_writer(frame) for path, frame in frames.items()})


def parquet_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A writer (for write_all) of a frame as parquet, without its index."""
    return lambda temporary: frame.to_parquet(temporary, index=False)


def write_all(writers: dict[Path, Callable[[Path], None]]) -> None:
    """Each writer writes its output to a temporary path beside it; once all have, every output is renamed
    into place. A failure of any writer replaces none of the outputs."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, write in writers.items():
            temporary = temporary_beside(path)
            staged.append((temporary, path))
            write(temporary)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in staged:
        os.replace(temporary, path)


def _umask() -> int:
    """The process umask (reading it means setting it, so it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
