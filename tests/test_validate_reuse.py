"""The gate re-runs GX only on tables whose inputs changed, and reuse never changes a byte of its outputs.

A small project in tmp_path (three of the hand-made good tables, their suites copied so a test can
edit one); every test compares validation_results.parquet and the whole Data Docs tree with a run
that had no records at all (a full run).
"""
from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from pipeline import paths, schema
from pipeline.gate import records as validation_records, validate
from pipeline.errors import ValidationFailed
from tests.test_expectations import good_tables

TABLES = ("projects", "budget_figures", "poverty_rate_checks")
SHIPPED_SUITES = paths.EXPECTATIONS  # read before any test moves paths


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Three good tables and their suites in tmp_path, a fixed run time; returns the good tables."""
    good = good_tables()  # before PROCESSED_TABLES is narrowed: it builds frames from the data dictionary
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "PROCESSED", tmp_path / "data" / "processed")
    monkeypatch.setattr(paths, "DATA_DOCS", tmp_path / "reports" / "data_docs")
    monkeypatch.setattr(paths, "EXPECTATIONS", tmp_path / "expectations")
    monkeypatch.setattr(schema, "PROCESSED_TABLES", {n: schema.PROCESSED_TABLES[n] for n in TABLES})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1640995200")
    paths.PROCESSED.mkdir(parents=True)
    paths.EXPECTATIONS.mkdir()
    for name in TABLES:
        good[name].to_parquet(paths.processed_table(name), index=False)
        shutil.copy(SHIPPED_SUITES / f"{name}.json", paths.EXPECTATIONS / f"{name}.json")
    return good


def gate() -> dict:
    """One `python -m pipeline validate` as the CLI runs it; returns the run log's validated/reused lists."""
    log: dict = {}
    validate.run(log)
    return log


def outputs() -> dict[str, str]:
    """sha256 of validation_results.parquet and of every Data Docs file, by path."""
    files = [paths.processed_table(validate.RESULTS_TABLE), *sorted(paths.DATA_DOCS.rglob("*"))]
    return {paths.relative(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def full_run_outputs() -> dict[str, str]:
    """The outputs of a run without any record (what the gate gave before reuse existed); records restored after."""
    saved = validation_records.folder().with_name(".validation-saved")
    validation_records.folder().rename(saved)
    try:
        assert gate()["reused"] == []
        return outputs()
    finally:
        shutil.rmtree(validation_records.folder())
        saved.rename(validation_records.folder())


def no_gx(monkeypatch):
    """Make any GX run of a table an error: a test then proves nothing was validated."""
    def refuse(context, name, df, run_id):
        raise AssertionError(f"GX ran on {name}")
    monkeypatch.setattr(validate, "_run_table", refuse)


def test_warm_run_validates_nothing_and_gives_identical_bytes(project, monkeypatch, capsys):
    assert gate() == {"validated": list(TABLES), "reused": []}
    cold = outputs()
    no_gx(monkeypatch)
    assert gate() == {"validated": [], "reused": list(TABLES)}
    assert "kiểm định 0 bảng, dùng lại kết quả 3 bảng (validated 0, reused 3)" in capsys.readouterr().out
    assert outputs() == cold


def test_changing_one_table_revalidates_exactly_that_table(project):
    gate()
    changed = project["budget_figures"].copy()
    changed.loc[0, "amount_mvnd"] += 1.0  # still valid, other bytes
    changed.to_parquet(paths.processed_table("budget_figures"), index=False)
    assert gate() == {"validated": ["budget_figures"], "reused": ["projects", "poverty_rate_checks"]}
    assert outputs() == full_run_outputs()


def test_changing_a_suite_revalidates_its_table(project):
    gate()
    suite = paths.EXPECTATIONS / "projects.json"
    data = json.loads(suite.read_text(encoding="utf-8"))
    data["expectations"][0]["meta"]["description_vi"] += " (đã sửa)"
    suite.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert gate()["validated"] == ["projects"]
    assert outputs() == full_run_outputs()


@pytest.mark.parametrize("change", ["run time", "gate code"])
def test_a_new_run_time_or_gate_code_revalidates_every_table(project, monkeypatch, change):
    gate()
    if change == "run time":  # GX writes it into results and Data Docs paths
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    else:
        code = validation_records.code_fingerprint() | {"pipeline/gate/validate.py": "0" * 64}
        monkeypatch.setattr(validation_records, "code_fingerprint", lambda: code)
    assert gate()["validated"] == list(TABLES)


def test_a_failing_table_is_never_recorded_nor_reused(project):
    bad = project["budget_figures"].copy()
    bad.loc[3, "amount_mvnd"] = -5.0
    bad.to_parquet(paths.processed_table("budget_figures"), index=False)
    for _ in range(2):  # the second run must fail in the same way, not replay a pass
        with pytest.raises(ValidationFailed, match="budget_figures.csv dòng 10"):
            gate()
        assert not validation_records.record_path("budget_figures").exists()
        assert validation_records.record_path("projects").is_file()  # passing neighbours are kept
        assert not paths.processed_table(validate.RESULTS_TABLE).exists()


def test_a_record_of_a_failed_row_is_not_used_even_when_its_fingerprint_matches(project):
    gate()
    path = validation_records.record_path("projects")
    record = json.loads(path.read_text(encoding="utf-8"))
    record["rows"][0]["success"] = False
    path.write_text(json.dumps(record), encoding="utf-8")
    assert gate()["validated"] == ["projects"]


@pytest.mark.parametrize("corrupt", [
    lambda text: text[: len(text) // 2],                       # truncated JSON
    lambda text: "[]",                                          # JSON, not a record
    lambda text: text.replace('"unexpected_count": 0', '"unexpected_count": "0"', 1),  # wrong type
    lambda text: json.dumps(json.loads(text) | {"gx_result": {"success": True, "results": "x"}}),  # GX cannot read
], ids=["truncated", "not-a-record", "wrong-type", "unreadable-gx-result"])
def test_a_corrupted_record_is_ignored_and_the_table_validated_again(project, corrupt):
    gate()
    path = validation_records.record_path("poverty_rate_checks")
    path.write_text(corrupt(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert gate() == {"validated": ["poverty_rate_checks"], "reused": ["projects", "budget_figures"]}
    assert validation_records.load("poverty_rate_checks", json.loads(path.read_text(encoding="utf-8"))["inputs"],
                                   list(validate.RESULT_DTYPES)) is not None  # rewritten whole
    assert outputs() == full_run_outputs()
