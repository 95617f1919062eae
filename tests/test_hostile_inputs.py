"""Hostile raw input (tests/hostile_corpus.py): every damaged copy of a shipped file gets one clear error,
or is repaired and logged.

Library level, every case: build_tables on the damaged copy raises a RawDataError naming file, row and
column in one short paragraph, or builds the same tables as the shipped data and logs the repair once.
CLI level (end-to-end), a few representative cases: `python -m pipeline build` in a copy of the built
project exits non-zero with one paragraph on stderr and no traceback, and the previously built parquet files
stay byte-identical; a repaired case exits 0 and its warning is in reports/run_log.jsonl.
"""
import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline import paths, runlog, vn
from pipeline.build import build_tables
from pipeline.errors import PipelineError, RawDataError
from pipeline.tools import runner
from tests import e2e
from tests.hostile_corpus import BST, CASES, as_xlsx

PLAN = paths.PLAN_DOCUMENT.name
MAX_PARAGRAPH = 600  # characters after "LỖI / ERROR:"
REJECTED = [c for c in CASES if not c.repaired]
REPAIRED = [c for c in CASES if c.repaired]
BY_NAME = {c.name: c for c in CASES}


@pytest.fixture
def warnings(monkeypatch) -> list[str]:
    """What runlog.warn was called with during the test (instead of printing it)."""
    seen: list[str] = []
    monkeypatch.setattr(runlog, "warn", seen.append)
    return seen


@pytest.fixture(scope="module")
def good() -> dict[str, pd.DataFrame]:
    return build_tables(paths.RAW, paths.PLAN_DOCUMENT)


def damaged_copy(damage, tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW, raw, ignore=shutil.ignore_patterns("registers"))
    damage(raw)
    return raw


def same_tables(built: dict, good: dict, ignore=("source_file",)) -> None:
    """Equal to the shipped build, but for raw_inputs (hashes of the damaged files) and `ignore`d columns."""
    for name, frame in good.items():
        if name != "raw_inputs":
            drop = [c for c in ignore if c in frame.columns]
            pd.testing.assert_frame_equal(built[name].drop(columns=drop), frame.drop(columns=drop), obj=name)


def test_corpus_has_at_least_25_distinct_hostile_inputs():
    assert len(REJECTED) >= 25
    assert len(BY_NAME) == len(CASES)


@pytest.mark.parametrize("case", REJECTED, ids=lambda c: c.name)
def test_hostile_input_is_rejected_in_one_paragraph_naming_file_row_column(case, tmp_path, warnings):
    raw = damaged_copy(case.damage, tmp_path)
    with pytest.raises(PipelineError) as caught:
        build_tables(raw, raw / PLAN)
    err, message = caught.value, str(caught.value)
    assert isinstance(err, RawDataError), message
    assert (err.file, err.row, err.column) == (case.file, case.row, case.column), message
    assert message.startswith(case.file), message
    assert case.row is None or f"dòng {case.row}" in message
    assert case.column is None or f"cột «{case.column}»" in message
    assert case.expect in message, message
    assert err.fix, f"no fix in: {message}"
    assert "\n" not in message and len(message) <= MAX_PARAGRAPH, message
    assert not warnings, "a rejected file logs no repair"


@pytest.mark.parametrize("case", REPAIRED, ids=lambda c: c.name)
def test_safe_repairs_build_the_same_tables_and_are_logged_once(case, tmp_path, warnings, good):
    raw = damaged_copy(case.damage, tmp_path)
    same_tables(build_tables(raw, raw / PLAN), good, ignore=())
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"{case.file}: ") and case.expect in warnings[0], warnings[0]


def test_shipped_data_needs_no_repair_and_has_no_mojibake(warnings):
    build_tables(paths.RAW, paths.PLAN_DOCUMENT)
    assert warnings == []
    for path in sorted(paths.RAW.glob("*.csv")):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")):
            flagged = [cell for cell in row if vn.legacy_mojibake(cell)]
            assert not flagged, f"{path.name}: {flagged}"


def test_a_good_xlsx_with_an_empty_extra_sheet_and_numeric_years_builds(tmp_path, warnings, good):
    """The contract is the first sheet; an empty second sheet is harmless, and the number 2022.0 is the year 2022."""
    def edit(book):
        book.create_sheet("Ghi chú")
        for row in range(2, book.active.max_row + 1):
            book.active.cell(row, 1).value = float(book.active.cell(row, 1).value)
    raw = damaged_copy(as_xlsx(BST, edit), tmp_path)
    same_tables(build_tables(raw, raw / PLAN), good)
    assert warnings == []


@pytest.mark.parametrize("text, encoding, reading", [
    ("Hé nghÌo", "TCVN3", "Hộ nghèo"),
    ("Lμo", "TCVN3", "Lào"),
    ("Lµo", "TCVN3", "Lào"),
    ("Huyeän Bình Gia", "VNI", "Huyện Bình Gia"),
    ("Huye^.n", "VIQR", ""),
    ("Há»™ nghÃ¨o", "Windows-1252", "Hộ nghèo"),
])
def test_legacy_vietnamese_is_recognised(text, encoding, reading):
    found = vn.legacy_mojibake(text)
    assert found and encoding in found[0] and found[1] == reading


@pytest.mark.parametrize("text", ["Có", "Bình Gia", "Lào", "hoà khoẻ xoăn quân thuê kéo khuya người", "m²",
                                  "25°C", "xem §6.1", "«Lạng Sơn»", "QĐ 59/2015/QĐ-TTg", "Café"])
def test_real_text_is_not_taken_for_mojibake(text):
    assert vn.legacy_mojibake(text) is None


# --- The real command line, on a copy of the built project (end-to-end) ------------------------------

CLI_REJECTED = ["tcvn3_file", "xlsx_formula", "semicolon_delimiter", "text_in_amount"]


def cli_build(root: Path) -> runner.StageRun:
    """`python -m pipeline build` in the copy at `root`, as make runs it."""
    return runner.run_stage(root, "build", ["build"], e2e.make_env(root))


def outputs(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "data" / "processed").glob("*.parquet"))}


def last_log_line(root: Path) -> dict:
    return json.loads((root / "reports" / runlog.LOG_NAME).read_text(encoding="utf-8").splitlines()[-1])


@pytest.mark.e2e
@pytest.mark.parametrize("name", CLI_REJECTED)
def test_cli_prints_one_paragraph_exits_non_zero_and_keeps_previous_outputs(project_copy, name):
    case = BY_NAME[name]
    before = outputs(project_copy)
    assert len(before) >= 10
    case.damage(project_copy / "data" / "raw")
    result = cli_build(project_copy)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.count("LỖI / ERROR:") == 1, result.stderr
    paragraph = result.stderr.split("LỖI / ERROR:", 1)[1].strip()
    assert "\n" not in paragraph and len(paragraph) <= MAX_PARAGRAPH, paragraph
    assert paragraph.startswith(case.file) and case.expect in paragraph, paragraph
    assert outputs(project_copy) == before
    logged = last_log_line(project_copy)
    assert logged["stage"] == "build" and logged["status"] == "error" and case.file in logged["error"]


@pytest.mark.e2e
def test_cli_repairs_nfd_text_and_logs_it(project_copy):
    case = BY_NAME["nfd_text"]
    case.damage(project_copy / "data" / "raw")
    result = cli_build(project_copy)
    assert result.returncode == 0, result.stderr
    assert f"Cảnh báo / warning: {case.file}: " in result.stderr
    logged = last_log_line(project_copy)
    assert logged["status"] == "ok"
    assert [w for w in logged["warnings"] if w.startswith(case.file) and case.expect in w], logged["warnings"]
