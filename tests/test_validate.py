"""The GX gate as users meet it: tidy results, failure messages naming raw rows, run() on a temp project."""
from __future__ import annotations

import datetime as dt
import filecmp
import json
import warnings

import pandas as pd
import pytest

from pipeline import paths, schema
from pipeline.gate import validate
from pipeline.errors import PipelineError, ValidationFailed
from tests.test_expectations import good_tables


def failed(results: pd.DataFrame) -> pd.DataFrame:
    return results[~results["success"]].reset_index(drop=True)


@pytest.fixture
def good():
    return good_tables()


# ---------------------------------------------------------------- failure details

def test_failure_names_source_file_and_row_of_a_planted_bad_row(good):
    bad = good["budget_figures"].copy()
    bad.loc[3, "amount_mvnd"] = -5.0  # source_row 10 in the fixture
    results = validate.validate_tables({"budget_figures": bad}, None)
    [row] = failed(results).to_dict("records")
    assert row == {
        "table": "budget_figures",
        "expectation_type": "expect_column_values_to_be_between",
        "column": "amount_mvnd",
        "success": False,
        "unexpected_count": 1,
        "failing_rows": "budget_figures.csv dòng 10 (amount_mvnd=-5.0)",
        "description": row["description"],
    }
    assert "không âm" in row["description"]
    message = validate.format_failures(results)
    for text in ("budget_figures", "expect_column_values_to_be_between", "amount_mvnd",
                 "budget_figures.csv dòng 10 (amount_mvnd=-5.0)", row["description"]):
        assert text in message


def test_budget_lines_failures_name_the_raw_line_range(good):
    bad = good["budget_lines"].copy()
    bad.loc[0, "total_mvnd"] = 47000.0
    [row] = failed(validate.validate_tables({"budget_lines": bad}, None)).to_dict("records")
    assert row["column"] == "total_mvnd,sources_sum_mvnd"
    assert row["failing_rows"] == "budget_figures.csv dòng 7-10 (total_mvnd=47000.0, sources_sum_mvnd=47500.0)"


def test_derived_table_failures_give_the_row_position(good):
    bad = good["poverty_rate_checks"].copy()
    bad.loc[1, "diff_pp"] = 0.5
    [row] = failed(validate.validate_tables({"poverty_rate_checks": bad}, None)).to_dict("records")
    assert row["failing_rows"] == "hàng 2 (year=2025, diff_pp=0.5)"


def test_derived_rows_are_named_by_their_first_column(good):
    bad = good["reconciliation"].copy()
    bad.loc[2, "status"] = "ok"
    [row] = failed(validate.validate_tables({"reconciliation": bad}, None)).to_dict("records")
    assert row["failing_rows"] == "hàng 3 (finding_id=scope:K22.DA1.HUYEN:189, status=ok)"


def test_long_failure_lists_are_capped(good):
    rows = pd.concat([good["budget_figures"].iloc[[4]]] * 13, ignore_index=True)
    rows["line_id"] = [f"2021.L{i}" for i in range(13)]
    rows["source_row"] = range(2, 15)
    rows["amount_mvnd"] = -1.0
    [row] = failed(validate.validate_tables({"budget_figures": rows}, None)).to_dict("records")
    assert row["unexpected_count"] == 13
    assert row["failing_rows"].count("budget_figures.csv dòng") == validate.MAX_LISTED_ROWS
    assert row["failing_rows"].endswith("; … và 3 dòng khác")


def test_table_level_failures_say_what_was_observed(good):
    bad = good["projects"].drop(columns=["source_note"]).assign(note="x")
    results = failed(validate.validate_tables({"projects": bad}, None))
    [row] = results[results["expectation_type"] == "expect_table_columns_to_match_set"].to_dict("records")
    assert row["column"] == ""
    assert row["failing_rows"] == "thiếu cột: source_note; thừa cột: note"


def test_gate_is_silent_no_progress_bars_or_warnings(good, capfd):
    bad = good["poverty_series"].assign(value=-1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate.validate_tables({"poverty_series": bad}, None)
    assert [str(w.message) for w in caught] == []
    assert capfd.readouterr().err == ""


def test_unknown_table_is_refused(good):
    with pytest.raises(PipelineError, match="validation_results"):
        validate.validate_tables({"validation_results": good["districts"]}, None)


def test_suite_without_vietnamese_description_is_refused(tmp_path):
    data = json.loads(validate.suite_path("projects").read_text(encoding="utf-8"))
    del data["expectations"][-1]["meta"]["description_vi"]
    path = tmp_path / "projects.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PipelineError, match="description_vi"):
        validate.load_suite(path)


def test_format_failures_lists_only_failed_rules():
    results = pd.DataFrame([
        {"table": "districts", "expectation_type": "expect_column_values_to_be_in_set", "column": "district_code",
         "success": False, "unexpected_count": 1, "failing_rows": "districts.csv dòng 3 (district_code=179)",
         "description": "mã huyện GSO"},
        {"table": "districts", "expectation_type": "expect_table_row_count_to_be_between", "column": "",
         "success": True, "unexpected_count": 0, "failing_rows": "", "description": "ít nhất một dòng"},
    ]).astype(validate.RESULT_DTYPES)
    assert validate.format_failures(results).splitlines() == [
        "Kiểm tra dữ liệu (Great Expectations) không đạt: 1/2 kỳ vọng trên 1 bảng.",
        "- districts · expect_column_values_to_be_in_set · cột district_code: mã huyện GSO",
        "    districts.csv dòng 3 (district_code=179)",
    ]


# ---------------------------------------------------------------- determinism

def test_run_time_comes_from_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert validate.run_identifier().run_time == dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert validate.run_identifier().run_time == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc)
    assert validate.run_identifier().run_name == "validation"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(PipelineError, match="SOURCE_DATE_EPOCH"):
        validate.run_identifier()


def test_normalise_html_removes_run_noise():
    html = ('<img src="logo.png?d=20260101T101010.123456Z"><span> 20260101T101010.123456Z </span>'
            '<div id="3f2b8c1e-1a2b-4c3d-8e9f-0123456789ab"></div><a href="#3f2b8c1e-1a2b-4c3d-8e9f-0123456789ab">'
            '<div id="00000000-1111-4222-8333-444444444444"></div>')
    assert validate.normalise_html(html) == (
        '<img src="logo.png"><span></span><div id="id-0001"></div><a href="#id-0001"><div id="id-0002"></div>'
    )


def test_data_docs_are_identical_between_runs(good, tmp_path):
    subset = {name: good[name] for name in ("budget_figures", "poverty_rate_checks")}
    for name in ("a", "b"):
        validate.validate_tables(subset, tmp_path / name)
    comparison = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a" / "index.html").is_file()
    assert not _differences(comparison)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no staging folders left behind


def _differences(comparison: filecmp.dircmp) -> list[str]:
    found = comparison.diff_files + comparison.left_only + comparison.right_only + comparison.funny_files
    return found + [d for sub in comparison.subdirs.values() for d in _differences(sub)]


# ---------------------------------------------------------------- run() on a temporary project

@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project root in tmp_path holding the good tables; suites are still read from expectations/."""
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "PROCESSED", tmp_path / "data" / "processed")
    monkeypatch.setattr(paths, "DATA_DOCS", tmp_path / "reports" / "data_docs")
    paths.PROCESSED.mkdir(parents=True)
    for name, df in good_tables().items():
        df.to_parquet(paths.processed_table(name), index=False)
    return tmp_path


def test_run_writes_results_and_data_docs_when_all_pass(project, capsys):
    paths.DATA_DOCS.mkdir(parents=True)
    (paths.DATA_DOCS / "stale.html").write_text("old run", encoding="utf-8")
    validate.run()
    results = pd.read_parquet(paths.processed_table("validation_results"))
    assert {c: str(t) for c, t in results.dtypes.items()} == validate.RESULT_DTYPES
    assert results["success"].all()
    assert list(dict.fromkeys(results["table"])) == list(schema.PROCESSED_TABLES)
    assert (results["description"] != "").all()
    out = capsys.readouterr().out
    n = len(schema.PROCESSED_TABLES)
    assert out == f"Great Expectations: kiểm định {n} bảng, dùng lại kết quả 0 bảng (validated {n}, reused 0).\n" \
                  f"Great Expectations: {len(results)} kỳ vọng trên {n} bảng đều đạt. " \
                  "Data Docs: reports/data_docs/index.html\n"
    assert (paths.DATA_DOCS / "index.html").is_file()
    assert not (paths.DATA_DOCS / "stale.html").exists()  # the tree was replaced, not patched
    assert sorted(p.name for p in paths.DATA_DOCS.parent.iterdir()) == ["data_docs"]
    # The only hidden entry is the gate's per-table records (pipeline/gate/records.py), no temp file.
    assert [p.name for p in paths.PROCESSED.iterdir() if p.name.startswith(".")] == [".validation"]
    assert sorted(p.name for p in (paths.PROCESSED / ".validation").iterdir()) == \
        sorted(f"{name}.json" for name in schema.PROCESSED_TABLES)


def test_run_failure_removes_stale_results_and_raises(project, monkeypatch):
    stale = paths.processed_table("validation_results")
    stale.write_bytes(b"a pass from an earlier run")
    bad = good_tables()["budget_figures"]
    bad.loc[3, "amount_mvnd"] = -5.0
    bad.to_parquet(paths.processed_table("budget_figures"), index=False)
    # Two tables are enough here (the passing run above covers all of them) and keep this test fast.
    monkeypatch.setattr(schema, "PROCESSED_TABLES", {n: schema.PROCESSED_TABLES[n] for n in ("projects", "budget_figures")})
    with pytest.raises(ValidationFailed) as failure:
        validate.run()
    assert not stale.exists()
    message = str(failure.value)
    assert "budget_figures.csv dòng 10 (amount_mvnd=-5.0)" in message
    assert message.endswith("\nData Docs: reports/data_docs/index.html")
    assert failure.value.exit_code == 1
    assert (paths.DATA_DOCS / "index.html").is_file()  # the docs show the failure too


def test_run_without_a_processed_table_asks_for_make_data(project):
    stale = paths.processed_table("validation_results")
    stale.write_bytes(b"a pass from an earlier run")
    paths.processed_table("poverty_series").unlink()
    with pytest.raises(PipelineError, match=r"poverty_series.*make data"):
        validate.run()
    assert not stale.exists()
