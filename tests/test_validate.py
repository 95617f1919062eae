"""The GX gate as users meet it: tidy results, failure messages naming raw rows, its page, run() on a temp project,
large tables validated in partitions with the same results as whole."""
from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from pipeline import paths, schema
from pipeline.gate import partitions, suites, validate
from pipeline.errors import PipelineError, ValidationFailed
from tests.test_expectations import good_tables
from tests.test_register_suites import tables  # noqa: F401 - the synthetic register tables fixture


def failed(results: pd.DataFrame) -> pd.DataFrame:
    return results[~results["success"]].reset_index(drop=True)


@pytest.fixture
def good():
    return good_tables()


# ---------------------------------------------------------------- failure details

def test_failure_names_source_file_and_row_of_a_planted_bad_row(good):
    bad = good["budget_figures"].copy()
    bad.loc[3, "amount_mvnd"] = -5.0  # source_row 10 in the fixture
    results = validate.validate_tables({"budget_figures": bad})
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
    [row] = failed(validate.validate_tables({"budget_lines": bad})).to_dict("records")
    assert row["column"] == "total_mvnd,sources_sum_mvnd"
    assert row["failing_rows"] == "budget_figures.csv dòng 7-10 (total_mvnd=47000.0, sources_sum_mvnd=47500.0)"


def test_derived_table_failures_give_the_row_position(good):
    bad = good["poverty_rate_checks"].copy()
    bad.loc[1, "diff_pp"] = 0.5
    [row] = failed(validate.validate_tables({"poverty_rate_checks": bad})).to_dict("records")
    assert row["failing_rows"] == "hàng 2 (year=2025, diff_pp=0.5)"


def test_derived_rows_are_named_by_their_first_column(good):
    bad = good["reconciliation"].copy()
    bad.loc[2, "status"] = "ok"
    [row] = failed(validate.validate_tables({"reconciliation": bad})).to_dict("records")
    assert row["failing_rows"] == "hàng 3 (finding_id=scope:K22.DA1.HUYEN:189, status=ok)"


def test_long_failure_lists_are_capped(good):
    rows = pd.concat([good["budget_figures"].iloc[[4]]] * 13, ignore_index=True)
    rows["line_id"] = [f"2021.L{i}" for i in range(13)]
    rows["source_row"] = range(2, 15)
    rows["amount_mvnd"] = -1.0
    [row] = failed(validate.validate_tables({"budget_figures": rows})).to_dict("records")
    assert row["unexpected_count"] == 13
    assert row["failing_rows"].count("budget_figures.csv dòng") == validate.MAX_LISTED_ROWS
    assert row["failing_rows"].endswith("; … và 3 dòng khác")


def test_table_level_failures_say_what_was_observed(good):
    bad = good["projects"].drop(columns=["source_note"]).assign(note="x")
    results = failed(validate.validate_tables({"projects": bad}))
    [row] = results[results["expectation_type"] == "expect_table_columns_to_match_set"].to_dict("records")
    assert row["column"] == ""
    assert row["failing_rows"] == "thiếu cột: source_note; thừa cột: note"


def test_gate_is_silent_no_progress_bars_or_warnings(good, capfd):
    bad = good["poverty_series"].assign(value=-1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate.validate_tables({"poverty_series": bad})
    assert [str(w.message) for w in caught] == []
    assert capfd.readouterr().err == ""


def test_unknown_table_is_refused(good):
    with pytest.raises(PipelineError, match="validation_results"):
        validate.validate_tables({"validation_results": good["districts"]})


def test_suite_without_vietnamese_description_is_refused(tmp_path):
    data = json.loads(suites.generated_path("projects").read_text(encoding="utf-8"))
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


# ---------------------------------------------------------------- the gate page from a real run

def test_the_gate_page_shows_a_real_failure_with_the_rows_the_results_name(good, tmp_path):
    bad = good["budget_figures"].copy()
    bad.loc[3, "amount_mvnd"] = -5.0  # source_row 10
    runs = validate.gate_tables({"budget_figures": bad, "poverty_rate_checks": good["poverty_rate_checks"]})
    [failure] = failed(validate.results_frame(runs)).to_dict("records")
    first, second = tmp_path / "a" / "index.html", tmp_path / "b" / "index.html"
    validate.write_page(runs, first)
    validate.write_page(validate.gate_tables({"budget_figures": bad, "poverty_rate_checks": good["poverty_rate_checks"]}),
                        second)
    assert first.read_bytes() == second.read_bytes()  # a second run of the gate writes the same bytes
    text = first.read_text(encoding="utf-8")
    assert f"<li>{failure['failing_rows']}</li>" in text  # budget_figures.csv dòng 10 (amount_mvnd=-5.0)
    assert f"1 / {len(bad)} dòng không đạt" in text  # GX's counts of the failed rule
    assert sorted(p.name for p in first.parent.iterdir()) == ["index.html"]  # no temporary file left


# ---------------------------------------------------------------- run() on a temporary project

@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project root in tmp_path holding the good tables; suites are still read from expectations/."""
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "PROCESSED", tmp_path / "data" / "processed")
    monkeypatch.setattr(paths, "GATE_PAGE", tmp_path / "reports" / "gate" / "index.html")
    paths.PROCESSED.mkdir(parents=True)
    for name, df in good_tables().items():
        df.to_parquet(paths.processed_table(name), index=False)
    return tmp_path


def test_run_writes_results_and_the_gate_page_when_all_pass(project, capsys):
    assert validate.run() == [paths.processed_table("validation_results"), paths.GATE_PAGE]
    results = pd.read_parquet(paths.processed_table("validation_results"))
    assert {c: str(t) for c, t in results.dtypes.items()} == validate.RESULT_DTYPES
    assert results["success"].all()
    assert list(dict.fromkeys(results["table"])) == list(schema.PROCESSED_TABLES)
    assert (results["description"] != "").all()
    out = capsys.readouterr().out
    n = len(schema.PROCESSED_TABLES)
    assert out == f"Great Expectations: {len(results)} kỳ vọng trên {n} bảng đều đạt. " \
                  "Trang kiểm định (gate page): reports/gate/index.html\n"
    page = paths.GATE_PAGE.read_text(encoding="utf-8")
    assert f"cả {len(results)} kỳ vọng trên {n} bảng" in page
    assert all(f'id="bang-{name}"' in page for name in schema.PROCESSED_TABLES)
    assert "GIẢ LẬP" not in page  # no register tables here, nothing synthetic to label
    assert sorted(p.name for p in paths.GATE_PAGE.parent.iterdir()) == ["index.html"]
    assert [p.name for p in paths.PROCESSED.iterdir() if p.name.startswith(".")] == []  # no record, no temp file


def test_run_failure_removes_stale_results_and_raises(project, monkeypatch):
    stale = paths.processed_table("validation_results")
    stale.write_bytes(b"a pass from an earlier run")
    paths.GATE_PAGE.parent.mkdir(parents=True)
    paths.GATE_PAGE.write_text("a passing page from an earlier run", encoding="utf-8")
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
    assert message.endswith("\nTrang kiểm định (gate page): reports/gate/index.html")
    assert failure.value.exit_code == 1
    page = paths.GATE_PAGE.read_text(encoding="utf-8")  # the page shows the failure too
    assert "KHÔNG ĐẠT" in page and "<li>budget_figures.csv dòng 10 (amount_mvnd=-5.0)</li>" in page


def test_run_without_a_processed_table_asks_for_make_data(project):
    stale = paths.processed_table("validation_results")
    stale.write_bytes(b"a pass from an earlier run")
    paths.GATE_PAGE.parent.mkdir(parents=True)
    paths.GATE_PAGE.write_text("a passing page from an earlier run", encoding="utf-8")
    paths.processed_table("poverty_series").unlink()
    with pytest.raises(PipelineError, match=r"poverty_series.*make data"):
        validate.run()
    assert not stale.exists()
    assert not paths.GATE_PAGE.exists()  # a page of an earlier pass is never left to be trusted


def test_an_empty_required_cell_is_named_with_its_column_alone(good):
    bad = good["budget_figures"].copy()
    bad.loc[3, "label"] = None  # source_row 10
    [row] = failed(validate.validate_tables({"budget_figures": bad})).to_dict("records")
    assert row["expectation_type"] == suites.REQUIRED
    assert row["failing_rows"] == "budget_figures.csv dòng 10 (label=trống)"
    assert row["unexpected_count"] == 1
    derived = good["reconciliation"].copy()
    derived.loc[1, "status"] = None
    [row] = failed(validate.validate_tables({"reconciliation": derived})).to_dict("records")
    assert row["failing_rows"] == "hàng 2 (finding_id=stated_total:T2022.02, status=trống)"


def test_an_expectation_gx_cannot_evaluate_fails_and_says_why(good):
    bad = good["budget_figures"].astype({"amount_mvnd": "str"})  # a foreign file: amounts as text
    results = failed(validate.validate_tables({"budget_figures": bad}))
    row = results[results["column"] == "amount_mvnd"].iloc[-1]
    assert row["failing_rows"].startswith("lỗi khi kiểm tra: ")


# ---------------------------------------------------------------- partitions

HH = "register_households"
# Two partitions of the ≈ 16 k rows (whole year-and-district groups): GX's cost is per partition, not per row.
PART_ROWS = 10_000


@pytest.fixture
def households(tables, tmp_path):  # noqa: F811 - the fixture imported above
    """The synthetic register_households (≈ 16 k rows, 4 years × 11 districts) as a parquet file, and its frame."""
    frame = tables[HH].reset_index(drop=True)
    path = tmp_path / f"{HH}.parquet"
    frame.to_parquet(path, index=False)
    return path, frame


def gate_in_parts(path, partition_rows: int) -> tuple[pd.DataFrame, int]:
    runs = validate.gate_tables({HH: path}, partition_rows)
    return validate.results_frame(runs), runs[HH].partitions


def test_partitioned_validation_gives_the_results_of_a_whole_table_run(households):
    path, frame = households
    whole, parts = gate_in_parts(path, len(frame))
    assert parts == 0
    split, parts = gate_in_parts(path, PART_ROWS)
    assert parts == len(partitions.pack(partitions.group_counts(path, ("review_year", "district_code")), PART_ROWS)) >= 2
    pd.testing.assert_frame_equal(split, whole)
    assert whole["success"].all()
    # a `mostly` rule's unexpected rows are counted over all partitions, as on the whole table
    counted = whole[(whole["expectation_type"] == "expect_column_values_to_be_between") & (whole["column"] == "score_a")]
    assert counted["unexpected_count"].item() > 0


def break_rows(frame: pd.DataFrame, year: int, district: str, changes: dict, rows: int = 1) -> pd.DataFrame:
    """The first `rows` rows of one (year, district) group, changed; that group falls in one partition."""
    frame = frame.copy()
    where = frame.index[(frame["review_year"] == year) & (frame["district_code"] == district)][:rows]
    for column, value in changes.items():
        frame.loc[where, column] = value
    return frame


def test_a_failure_in_one_partition_names_its_raw_rows_as_a_whole_table_run_does(households):
    path, frame = households
    bad = break_rows(frame, 2023, "183", {"area": "Nông thôn"})
    bad = break_rows(bad, 2022, "186", {"household_size": 0}, rows=400)  # > 1 % of the table, in one partition
    clean = bad.index[(bad["review_year"] == 2024) & ~bad["has_anomaly"] & (bad["recorded_class"] != "none")][0]
    bad.loc[clean, "expected_class"] = "none"  # a row_condition rule, checked on its own columns
    bad.to_parquet(path, index=False)
    whole, _ = gate_in_parts(path, len(bad))
    split, parts = gate_in_parts(path, PART_ROWS)
    assert parts >= 2
    pd.testing.assert_frame_equal(split, whole)
    failing = split[~split["success"]].set_index("column")
    assert set(failing.index) == {"area", "household_size", "recorded_class,expected_class"}
    [area_row] = bad.index[bad["area"] == "Nông thôn"]
    assert failing.loc["area", "failing_rows"] == (
        f"registers/2023/ho_183_2023.csv dòng {bad.at[area_row, 'source_row']} (area=Nông thôn)")
    # the 400 rows set to 0 plus the generator's planted sizes outside 1–30 (one may be among those 400)
    assert failing.loc["household_size", "unexpected_count"] == \
        ((bad["household_size"] < 1) | (bad["household_size"] > 30)).sum() >= 400
    assert failing.loc["household_size", "failing_rows"].endswith(" dòng khác")
    assert "registers/2022/ho_186_2022.csv dòng " in failing.loc["household_size", "failing_rows"]
    assert failing.loc["recorded_class,expected_class", "failing_rows"].startswith("registers/2024/")


def test_a_key_repeated_in_two_partitions_is_found_on_the_whole_table(households):
    """The key (source_file, source_row) is a rule about the whole table: checked across partitions."""
    path, frame = households
    bad = frame.copy()
    first = bad.index[(bad["review_year"] == 2021) & (bad["district_code"] == "178")][0]
    last = bad.index[(bad["review_year"] == 2024) & (bad["district_code"] == "189")][-1]
    bad.loc[last, ["source_file", "source_row"]] = bad.loc[first, ["source_file", "source_row"]].to_numpy()
    bad.to_parquet(path, index=False)
    whole, _ = gate_in_parts(path, len(bad))
    split, parts = gate_in_parts(path, PART_ROWS)
    assert parts >= 2
    pd.testing.assert_frame_equal(split, whole)
    [row] = split[~split["success"]].to_dict("records")
    assert row["expectation_type"] == "expect_compound_columns_to_be_unique"
    line = bad.at[first, "source_row"]
    assert row["failing_rows"] == "; ".join([f"registers/2021/ho_178_2021.csv dòng {line} "
                                             f"(source_file=registers/2021/ho_178_2021.csv, source_row={line})"] * 2)


def test_partitions_pack_whole_groups_up_to_the_size():
    groups = [((2021, "178"), 5), ((2021, "180"), 4), ((2022, "178"), 12), ((2022, "180"), 1), ((2022, "181"), 2)]
    assert partitions.pack(groups, 10) == [groups[:2], groups[2:3], groups[3:]]


def test_a_partition_filter_reads_each_row_once_null_keys_included(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"y": [2021, 2021, 2022, 2022, 2022], "d": ["178", None, "178", "180", None],
                  "n": [0, 1, 2, 3, 4]}).to_parquet(path, index=False)
    batches = partitions.plan(path, ("y", "d"), 2)
    assert [b.keys for b in batches] == [((2021, "178"), (2021, None)), ((2022, "178"), (2022, "180")), ((2022, None),)]
    read = [partitions.read_batch(path, b)["n"].tolist() for b in batches]
    assert read == [[0, 1], [2, 3], [4]]


def test_a_partition_that_does_not_have_its_planned_rows_is_an_error(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"y": [2021, 2022], "d": ["178", "178"]}).to_parquet(path, index=False)
    [batch] = partitions.plan(path, ("y", "d"), 10)
    with pytest.raises(PipelineError, match="khác 3 dòng"):
        partitions.read_batch(path, partitions.Batch(batch.columns, batch.keys, 3))
