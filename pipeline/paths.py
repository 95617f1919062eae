"""Every directory the project uses, derived from one root.

The root can be moved with the environment variable LANGSON_PROJECT_ROOT (tests use it to
build into a temporary copy); nothing else in the code spells a path.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("LANGSON_PROJECT_ROOT", Path(__file__).resolve().parent.parent)).resolve()

RAW = ROOT / "data" / "raw"
PROCESSED = ROOT / "data" / "processed"
EXPECTATIONS = ROOT / "expectations"
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"
GATE_PAGE = REPORTS / "gate" / "index.html"  # the gate's results, one offline page (pipeline/gate/page.py)
DOCS = ROOT / "docs"

# The province's 2022 plan (Kế hoạch thực hiện Chương trình MTQG giảm nghèo bền vững năm 2022), a text copy.
PLAN_DOCUMENT = RAW / "ke_hoach_mtqg_gnbv_2022_lang_son.txt"


def processed_table(name: str) -> Path:
    """Path of a processed parquet table; one name everywhere (module, file, suite)."""
    return PROCESSED / f"{name}.parquet"


def report_dir(year: int) -> Path:
    return REPORTS / str(year)


def relative(path: Path) -> str:
    """A path as the user types it from the project root (posix), or as given when it lies outside."""
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)
