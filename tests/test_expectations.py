"""Contract tests of the GX suites in expectations/: each passes a small good table, and each of
its expectations fails on a copy broken for that rule alone (a gate never seen to fail is not trusted).

Adding an expectation to a suite without adding its breaker below fails
test_every_expectation_has_a_breaker; the breaker must make exactly that expectation fail.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from pipeline import paths, schema
from pipeline.gate import validate

NAN = np.nan


def frame(table: str, columns: dict[str, list]) -> pd.DataFrame:
    """A DataFrame with exactly the data dictionary's columns, order and dtypes."""
    spec = schema.PROCESSED_TABLES[table]
    assert set(columns) == set(spec), f"{table}: fixture columns differ: {set(columns) ^ set(spec)}"
    return pd.DataFrame({c: columns[c] for c in spec}).astype({c: dtype for c, (dtype, _) in spec.items()})


def provenance(file: str, n: int, first: int = 2) -> dict[str, list]:
    return {"source_file": [file] * n, "source_row": list(range(first, first + n))}


def good_tables() -> dict[str, pd.DataFrame]:
    """One small, valid table per processed table (values modelled on the shipped 2021/2022 data)."""
    return {
        "districts": frame("districts", {
            "district_code": ["178", "181", "189"],
            "district_name": ["Thành phố Lạng Sơn", "Huyện Bình Gia", "Huyện Đình Lập"],
            "district_type": ["thành phố", "huyện", "huyện"],
            "district_slug": ["thanh-pho-lang-son", "huyen-binh-gia", "huyen-dinh-lap"],
            "poor_2016_2020": [False, True, True],
            "poor_2021_2025": [False, True, False],
            "n_communes": [3, 18, 10], "n_towns": [0, 1, 2], "n_wards": [5, 0, 0],
            "source_codes": ["GSO"] * 3, "source_poor_flags": ["QĐ 353/QĐ-TTg"] * 3,
            **provenance("districts.csv", 3),
        }),
        "projects": frame("projects", {
            "project_code": ["DA1", "DA3", "DA3", "DA6"],
            "subproject_code": ["", "", "TDA1", "TDA2"],
            "name": ["Hạ tầng huyện nghèo", "Phát triển sản xuất", "Sản xuất nông nghiệp", "Truyền thông"],
            "section": ["B.III.1", "B.III.3", "B.III.3.a", "B.III.6.b"],
            "source_note": ["", "", "", "Đánh số theo QĐ 90/QĐ-TTg"],
            **provenance("projects.csv", 4),
        }),
        "budget_figures": frame("budget_figures", {
            "year": [2022, 2022, 2022, 2022, 2021],
            "line_id": ["2022.DA2"] * 4 + ["2021.30A.181"],
            "parent_id": ["2022"] * 4 + ["2021.30A"],
            "project_code": ["DA2"] * 4 + [""],
            "subproject_code": [""] * 5,
            "label": ["Đa dạng hóa sinh kế"] * 4 + ["Vốn 30a Bình Gia"],
            "district_code": [""] * 4 + ["181"],
            "funding_source": ["total", "central", "local", "other", "local"],
            "capital_type": ["unstated"] * 4 + ["dtpt"],
            "amount_mvnd": [47500.0, 40000.0, 6000.0, 1500.0, 20000.0],
            "period": ["Kế hoạch năm 2022"] * 4 + ["Năm 2021"],
            "section": ["B.III.2"] * 4 + ["A.IV.2"],
            **provenance("budget_figures.csv", 5, first=7),
        }),
        "budget_lines": frame("budget_lines", {
            "year": [2022, 2022, 2021],
            "line_id": ["2022.DA2", "2022.DA1.DTBD", "2021.30A.181"],
            "parent_id": ["2022", "2022.DA1", "2021.30A"],
            "project_code": ["DA2", "DA1", ""],
            "subproject_code": ["", "", ""],
            "label": ["Đa dạng hóa sinh kế", "Duy tu, bảo dưỡng", "Vốn 30a Bình Gia"],
            "district_code": ["", "", "181"],
            "capital_type": ["unstated", "su_nghiep", "dtpt"],
            "period": ["Kế hoạch năm 2022", "Kế hoạch năm 2022", "Năm 2021"],
            "section": ["B.III.2", "B.III.1", "A.IV.2"],
            "total_mvnd": [47500.0, 9000.0, NAN],
            "central_mvnd": [40000.0, NAN, NAN],
            "local_mvnd": [6000.0, NAN, 20000.0],
            "other_mvnd": [1500.0, NAN, NAN],
            "sources_sum_mvnd": [47500.0, NAN, 20000.0],
            "source_file": ["budget_figures.csv"] * 3,
            "source_rows": ["7-10", "6", "11"],
        }),
        "budget_stated_totals": frame("budget_stated_totals", {
            "year": [2022, 2022, 2021],
            "total_id": ["T2022.01", "T2022.07", "T2021.16"],
            "node_id": ["2022.DA1", "2022", "2021.30A"],
            "label": ["Tổng kinh phí dự án 1", "Tổng kinh phí đề xuất năm 2022", "Vốn 30a"],
            "funding_source": ["total", "central", "local"],
            "capital_type": ["all", "dtpt", "all"],
            "amount_mvnd": [165228.0, 228860.0, 60000.0],
            "section": ["B.III.1", "B.III.Tổng", "A.IV.2"],
            **provenance("budget_stated_totals.csv", 3),
        }),
        "policy_results": frame("policy_results", {
            "year": [2021, 2021, 2021],
            "indicator_id": ["R21.TD.HN.HO", "R21.TD.HN.TIEN", "R21.BHYT.THE"],
            "policy_area": ["Tín dụng ưu đãi", "Tín dụng ưu đãi", "Y tế"],
            "indicator": ["Số hộ được vay vốn", "Doanh số cho vay", "Thẻ BHYT được cấp"],
            "target_group": ["Hộ nghèo", "Hộ nghèo", "Người nghèo"],
            "value": [15728.0, 768713.0, 120000.0],
            "unit": ["hộ", "triệu đồng", "thẻ"],
            "qualifier": ["exact", "exact", "over"],
            "period": ["9 tháng đầu năm 2021"] * 3,
            "section": ["A.III"] * 3,
            "same_as": ["", "", ""],
            **provenance("policy_results_2021.csv", 3),
        }),
        "plan_targets": frame("plan_targets", {
            "year": [2022, 2022, 2022],
            "target_id": ["K22.GN.TINH", "K22.DA1.CONG_TRINH", "K22.DA3.MO_HINH"],
            "project_code": ["", "DA1", "DA3"],
            "subproject_code": ["", "", "TDA1"],
            "indicator": ["Giảm tỷ lệ hộ nghèo", "Công trình tại các huyện nghèo", "Mô hình sản xuất"],
            "value": [3.0, 45.0, 20.0],
            "unit": ["điểm %/năm", "công trình", "mô hình"],
            "qualifier": ["at_least", "exact", "about"],
            "district_codes": ["", "189;181;184", "178"],
            "section": ["B.II.2", "B.III.1", "B.III.3.a"],
            **provenance("plan_targets_2022.csv", 3),
        }),
        "poverty_series": frame("poverty_series", {
            "series_id": ["PS.2015.TL", "PS.2019.SH", "PS.2025.TLCN", "PS.2025.TONG"],
            "year": [2015, 2019, 2025, 2025],
            "standard": ["qd59_2015", "qd59_2015", "nd07_2021", "nd07_2021"],
            "indicator": ["poor_rate_pct", "poor_hh", "near_poor_rate_pct", "total_hh"],
            "value": [25.95, 21336.0, 6.8, 199765.0],
            "unit": ["%", "hộ", "%", "hộ"],
            "value_kind": ["official", "official", "official", "estimate"],
            "source": ["Kế hoạch 2022", "Kế hoạch 2022", "QĐ 83/QĐ-UBND", "QĐ 83/QĐ-UBND"],
            "confidence": ["H", "H", "H", "M"],
            "section": ["B.I", "A.II", "", ""],
            "same_as": ["", "", "", ""],
            **provenance("poverty_series.csv", 4),
        }),
        "poverty_rate_checks": frame("poverty_rate_checks", {
            "year": [2025, 2025],
            "standard": ["nd07_2021", "nd07_2021"],
            "group": ["poor", "near_poor"],
            "count_hh": [4643.0, 13578.0],
            "total_hh": [199765.0, 199765.0],
            "stated_rate_pct": [2.32, 6.80],
            "computed_rate_pct": [2.3242, 6.7970],
            "diff_pp": [-0.0042, 0.0030],
            "source": ["QĐ 83/QĐ-UBND"] * 2,
        }),
        "reconciliation": frame("reconciliation", {
            "finding_id": ["stated_total:T2022.01", "stated_total:T2022.02", "scope:K22.DA1.HUYEN:189"],
            "year": [2022, 2022, 2022],
            "check_kind": ["stated_total_vs_lines", "stated_total_vs_lines", "poor_district_scope"],
            "subject": ["Dự án 1 — tổng các nguồn", "Dự án 1 — ngân sách trung ương", "Huyện Đình Lập"],
            "node_id": ["2022.DA1", "2022.DA1", "K22.DA1.HUYEN"],
            "funding_source": ["total", "central", ""],
            "capital_type": ["all", "all", ""],
            "unit": ["triệu đồng", "triệu đồng", ""],
            "stated_value": [165228.0, 136710.0, NAN],
            "compared_value": [165228.0, 127710.0, NAN],
            "gap": [0.0, 9000.0, NAN],
            "status": ["match", "gap", "warning"],
            "explanation": ["", "Chênh lệch bằng dòng duy tu, bảo dưỡng", "Huyện không còn là huyện nghèo"],
            "parts": ["2022.DA1.HT, 2022.DA1.DTBD", "2022.DA1.HT, 2022.DA1.DTBD", "K22.DA1.HUYEN"],
            "sections": ["B.III.1", "B.III.1", "B.III.1"],
        }),
        "raw_inputs": frame("raw_inputs", {
            "file": ["budget_figures.csv", "districts.csv", "ke_hoach_mtqg_gnbv_2022_lang_son.txt"],
            "sha256": ["0" * 64, "a1" * 32, "f" * 64],
            "bytes": [9885, 4765, 49519],
        }),
        "transcription_check": frame("transcription_check", {
            "table": ["budget_figures", "projects", "plan_document"],
            "rows_checked": [56, 16, 0],
            "rows_found": [56, 15, 0],
            "document_amounts": [0, 0, 81],
            "document_amounts_covered": [0, 0, 80],
        }),
    }


# ---------------------------------------------------------------- breakers

# Stands for "the table as a whole" among the columns a breaker touches or a rule reads.
TABLE = "<table>"


@dataclass(frozen=True)
class Breaker:
    """A change to a good table; `touches` = the columns it alters (TABLE: its column set; None: everything)."""

    apply: Callable[[pd.DataFrame], pd.DataFrame]
    touches: frozenset[str] | None


def put(column: str, value, row: int = 0) -> Breaker:
    def apply(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[row, column] = value
        return df

    return Breaker(apply, frozenset([column]))


def blank(column: str, row: int = 0) -> Breaker:
    return put(column, None, row)


# A neighbouring dtype that keeps the values (GX checks object columns value by value, so not object).
OTHER_DTYPE = {"int64": "float64", "float64": "float32", "bool": "int64"}


def retype(column: str) -> Breaker:
    """Same values in another dtype: only the type rule should notice."""
    return Breaker(lambda df: df.astype({column: OTHER_DTYPE[str(df[column].dtype)]}), frozenset([column]))


def duplicate(*columns: str) -> Breaker:
    """Row 1 takes row 0's values in these columns."""
    def apply(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[1, list(columns)] = df.loc[0, list(columns)].to_numpy()
        return df

    return Breaker(apply, frozenset(columns))


EXTRA_COLUMN = Breaker(lambda df: df.assign(unexpected_column="x"), frozenset([TABLE]))
NO_ROWS = Breaker(lambda df: df.iloc[0:0], None)

COLUMNS = "expect_table_columns_to_match_set"
ROWS = "expect_table_row_count_to_be_between"
TYPE = "expect_column_values_to_be_of_type"
NOT_NULL = "expect_column_values_to_not_be_null"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
UNIQUE = "expect_column_values_to_be_unique"
REGEX = "expect_column_values_to_match_regex"
COMPOUND = "expect_compound_columns_to_be_unique"
PAIR_EQUAL = "expect_column_pair_values_to_be_equal"
PAIR_GREATER = "expect_column_pair_values_a_to_be_greater_than_b"
RATES = "indicator IN (poor_rate_pct, near_poor_rate_pct)"


def each(table: str, expectation_type: str, make: Callable[[str], Breaker], columns: list[str]) -> dict:
    return {(table, expectation_type, column): make(column) for column in columns}


def common(table: str) -> dict:
    """Breakers every table needs: column set, row count, dtype of each non-text column."""
    typed = [c for c, (dtype, _) in schema.PROCESSED_TABLES[table].items() if dtype != "str"]
    return {(table, COLUMNS, ""): EXTRA_COLUMN, (table, ROWS, ""): NO_ROWS, **each(table, TYPE, retype, typed)}


BREAKERS: dict[tuple[str, str, str], Breaker] = {
    # districts
    **common("districts"),
    **each("districts", NOT_NULL, blank, ["district_code", "district_name", "district_type", "district_slug",
                                         "source_codes", "source_poor_flags", "source_file"]),
    ("districts", IN_SET, "district_code"): put("district_code", "179"),
    ("districts", UNIQUE, "district_code"): duplicate("district_code"),
    ("districts", UNIQUE, "district_name"): duplicate("district_name"),
    ("districts", IN_SET, "district_type"): put("district_type", "tỉnh"),
    ("districts", REGEX, "district_slug"): put("district_slug", "Huyện Bình Gia", row=1),
    ("districts", UNIQUE, "district_slug"): duplicate("district_slug"),
    **each("districts", BETWEEN, lambda c: put(c, -1), ["n_communes", "n_towns", "n_wards"]),
    ("districts", BETWEEN, "source_row"): put("source_row", 1),
    # projects
    **common("projects"),
    **each("projects", NOT_NULL, blank, ["project_code", "name", "source_file"]),
    ("projects", IN_SET, "project_code"): put("project_code", "DA8"),
    ("projects", IN_SET, "subproject_code"): put("subproject_code", "TDA4"),
    ("projects", COMPOUND, "project_code,subproject_code"): duplicate("project_code", "subproject_code"),
    ("projects", BETWEEN, "source_row"): put("source_row", 0),
    # budget_figures
    **common("budget_figures"),
    **each("budget_figures", NOT_NULL, blank, ["line_id", "parent_id", "label", "funding_source", "capital_type",
                                              "amount_mvnd", "period", "source_file"]),
    ("budget_figures", BETWEEN, "year"): put("year", 2020),
    ("budget_figures", IN_SET, "project_code"): put("project_code", "DA 2"),
    ("budget_figures", IN_SET, "subproject_code"): put("subproject_code", "TDA0"),
    ("budget_figures", IN_SET, "district_code"): put("district_code", "190"),
    ("budget_figures", IN_SET, "funding_source"): put("funding_source", "Ngân sách trung ương", row=1),
    ("budget_figures", IN_SET, "capital_type"): put("capital_type", "all"),
    ("budget_figures", BETWEEN, "amount_mvnd"): put("amount_mvnd", -5.0, row=3),
    ("budget_figures", BETWEEN, "source_row"): put("source_row", 1),
    ("budget_figures", COMPOUND, "line_id,funding_source"): duplicate("line_id", "funding_source"),
    # budget_lines
    **common("budget_lines"),
    **each("budget_lines", NOT_NULL, blank, ["line_id", "parent_id", "label", "capital_type", "period",
                                            "source_file", "source_rows"]),
    ("budget_lines", BETWEEN, "year"): put("year", 2026),
    ("budget_lines", UNIQUE, "line_id"): duplicate("line_id"),
    ("budget_lines", IN_SET, "project_code"): put("project_code", "DA0"),
    ("budget_lines", IN_SET, "subproject_code"): put("subproject_code", "tda1"),
    ("budget_lines", IN_SET, "district_code"): put("district_code", "18"),
    ("budget_lines", IN_SET, "capital_type"): put("capital_type", "Sự nghiệp"),
    ("budget_lines", BETWEEN, "total_mvnd"): put("total_mvnd", -9000.0, row=1),  # row 1 has no sources
    ("budget_lines", BETWEEN, "central_mvnd"): put("central_mvnd", -1.0),
    ("budget_lines", BETWEEN, "local_mvnd"): put("local_mvnd", -1.0),
    ("budget_lines", BETWEEN, "other_mvnd"): put("other_mvnd", -1.0),
    ("budget_lines", BETWEEN, "sources_sum_mvnd"): put("sources_sum_mvnd", -20000.0, row=2),  # row 2 has no total
    ("budget_lines", PAIR_EQUAL, "total_mvnd,sources_sum_mvnd"): put("total_mvnd", 47000.0),
    # budget_stated_totals
    **common("budget_stated_totals"),
    **each("budget_stated_totals", NOT_NULL, blank, ["total_id", "node_id", "label", "funding_source", "capital_type",
                                                    "amount_mvnd", "source_file"]),
    ("budget_stated_totals", BETWEEN, "year"): put("year", 1022),
    ("budget_stated_totals", UNIQUE, "total_id"): duplicate("total_id"),
    ("budget_stated_totals", IN_SET, "funding_source"): put("funding_source", "all"),
    ("budget_stated_totals", IN_SET, "capital_type"): put("capital_type", "unstated"),
    ("budget_stated_totals", BETWEEN, "amount_mvnd"): put("amount_mvnd", -1.0),
    ("budget_stated_totals", BETWEEN, "source_row"): put("source_row", -2),
    # policy_results
    **common("policy_results"),
    **each("policy_results", NOT_NULL, blank, ["indicator_id", "policy_area", "indicator", "target_group", "value",
                                              "unit", "qualifier", "period", "source_file"]),
    ("policy_results", BETWEEN, "year"): put("year", 2030),
    ("policy_results", UNIQUE, "indicator_id"): duplicate("indicator_id"),
    ("policy_results", BETWEEN, "value"): put("value", -15728.0),
    ("policy_results", IN_SET, "qualifier"): put("qualifier", "khoảng"),
    ("policy_results", BETWEEN, "source_row"): put("source_row", 1),
    # plan_targets
    **common("plan_targets"),
    **each("plan_targets", NOT_NULL, blank, ["target_id", "indicator", "value", "unit", "qualifier", "source_file"]),
    ("plan_targets", BETWEEN, "year"): put("year", 2020),
    ("plan_targets", UNIQUE, "target_id"): duplicate("target_id"),
    ("plan_targets", IN_SET, "project_code"): put("project_code", "TDA1"),
    ("plan_targets", IN_SET, "subproject_code"): put("subproject_code", "DA1"),
    ("plan_targets", BETWEEN, "value"): put("value", -3.0),
    ("plan_targets", IN_SET, "qualifier"): put("qualifier", ""),
    ("plan_targets", REGEX, "district_codes"): put("district_codes", "189, 181", row=1),
    ("plan_targets", BETWEEN, "source_row"): put("source_row", 1),
    # poverty_series
    **common("poverty_series"),
    **each("poverty_series", NOT_NULL, blank, ["series_id", "standard", "indicator", "value", "unit", "value_kind",
                                              "source", "confidence", "source_file"]),
    ("poverty_series", UNIQUE, "series_id"): duplicate("series_id"),
    ("poverty_series", BETWEEN, "year"): put("year", 2014),
    ("poverty_series", IN_SET, "standard"): put("standard", "nd07_2022"),
    ("poverty_series", IN_SET, "indicator"): put("indicator", "Tỷ lệ hộ nghèo", row=1),
    ("poverty_series", BETWEEN, "value"): put("value", -21336.0, row=1),  # a count: the rate rule ignores it
    ("poverty_series", BETWEEN, f"value if {RATES}"): put("value", 125.95),
    ("poverty_series", IN_SET, "value_kind"): put("value_kind", "Chính thức"),
    ("poverty_series", IN_SET, "confidence"): put("confidence", "high"),
    ("poverty_series", BETWEEN, "source_row"): put("source_row", 1),
    # poverty_rate_checks (derived, no provenance)
    **common("poverty_rate_checks"),
    **each("poverty_rate_checks", NOT_NULL, blank, ["standard", "group", "count_hh", "total_hh", "stated_rate_pct",
                                                   "computed_rate_pct", "diff_pp", "source"]),
    ("poverty_rate_checks", BETWEEN, "year"): put("year", 2026),
    ("poverty_rate_checks", IN_SET, "standard"): put("standard", "QĐ 59/2015/QĐ-TTg"),
    ("poverty_rate_checks", IN_SET, "group"): put("group", "near-poor", row=1),
    **each("poverty_rate_checks", BETWEEN, lambda c: put(c, -1.0), ["count_hh", "total_hh"]),
    **each("poverty_rate_checks", BETWEEN, lambda c: put(c, 100.5), ["stated_rate_pct", "computed_rate_pct"]),
    ("poverty_rate_checks", BETWEEN, "diff_pp"): put("diff_pp", 0.02),
    # reconciliation (derived)
    **common("reconciliation"),
    **each("reconciliation", NOT_NULL, blank, ["finding_id", "check_kind", "subject", "status"]),
    ("reconciliation", UNIQUE, "finding_id"): duplicate("finding_id"),
    ("reconciliation", BETWEEN, "year"): put("year", 2000),
    ("reconciliation", IN_SET, "check_kind"): put("check_kind", "stated_total"),
    ("reconciliation", IN_SET, "funding_source"): put("funding_source", "NSTW", row=1),
    ("reconciliation", IN_SET, "capital_type"): put("capital_type", "investment"),
    ("reconciliation", IN_SET, "status"): put("status", "ok"),
    # raw_inputs (derived)
    **common("raw_inputs"),
    **each("raw_inputs", NOT_NULL, blank, ["file", "sha256"]),
    ("raw_inputs", UNIQUE, "file"): duplicate("file"),
    ("raw_inputs", REGEX, "sha256"): put("sha256", "A1" * 32),
    ("raw_inputs", BETWEEN, "bytes"): put("bytes", -1),
    # transcription_check (derived)
    **common("transcription_check"),
    ("transcription_check", NOT_NULL, "table"): blank("table"),
    ("transcription_check", UNIQUE, "table"): duplicate("table"),
    ("transcription_check", BETWEEN, "rows_found"): put("rows_found", -1, row=2),
    ("transcription_check", BETWEEN, "document_amounts_covered"): put("document_amounts_covered", -1),
    ("transcription_check", PAIR_GREATER, "rows_checked,rows_found"): put("rows_found", 17, row=1),
    ("transcription_check", PAIR_GREATER, "document_amounts,document_amounts_covered"):
        put("document_amounts_covered", 82, row=2),
}


# ---------------------------------------------------------------- suites as data

def suite_data(table: str) -> dict:
    return json.loads(validate.suite_path(table).read_text(encoding="utf-8"))


def condition_columns(condition: dict | None) -> set[str]:
    """Columns a row_condition reads (it changes which rows the rule sees)."""
    if not condition:
        return set()
    if "conditions" in condition:
        return set().union(*(condition_columns(c) for c in condition["conditions"]))
    return {condition["column"]["name"]} if "column" in condition else set()


def expectation_key(table: str, expectation: dict) -> tuple[str, str, str]:
    """(table, type, column[ if row condition]): how BREAKERS names an expectation."""
    column = validate.expectation_column(expectation["kwargs"])
    condition = expectation["kwargs"].get("row_condition")
    if condition:
        values = ", ".join(condition["parameter"])
        column += f" if {condition['column']['name']} {condition['operator']} ({values})"
    return table, expectation["type"], column


def expectation_columns(expectation: dict) -> set[str]:
    """Columns whose values decide the rule's outcome; {TABLE} for table-level rules."""
    kwargs = expectation["kwargs"]
    columns = {c for c in validate.expectation_column(kwargs).split(",") if c}
    return (columns | condition_columns(kwargs.get("row_condition"))) if columns else {TABLE}


SUITE_KEYS = [expectation_key(t, e) for t in schema.PROCESSED_TABLES for e in suite_data(t)["expectations"]]


@pytest.fixture(scope="module")
def gx_context():
    """One in-memory GX context for the whole module (creating assets is the slow part)."""
    return validate.new_context()


@pytest.fixture(scope="module")
def good():
    return good_tables()


# ---------------------------------------------------------------- tests

def test_one_suite_per_processed_table():
    files = {p.stem for p in paths.EXPECTATIONS.glob("*.json")}
    assert files == set(schema.PROCESSED_TABLES) | set(schema.REGISTER_TABLES)
    for table in schema.PROCESSED_TABLES:
        assert suite_data(table)["name"] == table


def test_good_fixtures_follow_the_data_dictionary(good):
    assert list(good) == list(schema.PROCESSED_TABLES)
    for table, df in good.items():
        expected = {c: dtype for c, (dtype, _) in schema.PROCESSED_TABLES[table].items()}
        assert {c: str(t) for c, t in df.dtypes.items()} == expected, table
        assert 2 <= len(df) <= 6, table


@pytest.mark.parametrize("table", list(schema.PROCESSED_TABLES))
def test_good_table_passes_every_expectation(table, good, gx_context):
    successes = validate.expectation_successes(gx_context, table, good[table])
    expectations = suite_data(table)["expectations"]
    assert [expectation_key(table, e) for e, ok in zip(expectations, successes) if not ok] == []


def test_expectation_keys_are_unique():
    assert len(SUITE_KEYS) == len(set(SUITE_KEYS))


def test_every_expectation_has_a_breaker():
    assert sorted(set(SUITE_KEYS) - set(BREAKERS)) == [], "expectations without a breaking case"
    assert sorted(set(BREAKERS) - set(SUITE_KEYS)) == [], "breakers for expectations no suite has"


@pytest.mark.parametrize("key", SUITE_KEYS, ids=lambda k: "/".join(filter(None, k)))
def test_breaker_fails_exactly_its_expectation(key, good, gx_context):
    """The broken copy fails this expectation and no other.

    Only the expectations that read what the breaker changed are re-run (the others see
    identical data, which keeps 200+ cases fast); emptying the table re-runs the whole suite.
    """
    table = key[0]
    breaker = BREAKERS[key]
    expectations = suite_data(table)["expectations"]
    positions = [i for i, e in enumerate(expectations)
                 if breaker.touches is None or expectation_columns(e) & breaker.touches]
    target = [expectation_key(table, e) for e in expectations].index(key)
    assert target in positions
    broken = breaker.apply(good[table])
    successes = validate.expectation_successes(gx_context, table, broken, positions)
    failing = [expectation_key(table, expectations[i]) for i, ok in zip(positions, successes) if not ok]
    assert failing == [key]


def test_every_expectation_describes_itself_in_vietnamese():
    for table in schema.PROCESSED_TABLES:
        for expectation in suite_data(table)["expectations"]:
            assert expectation["meta"]["description_vi"].strip(), expectation_key(table, expectation)


def test_column_sets_match_the_data_dictionary():
    for table, columns in schema.PROCESSED_TABLES.items():
        [rule] = [e for e in suite_data(table)["expectations"] if e["type"] == COLUMNS]
        assert rule["kwargs"]["column_set"] == sorted(columns), table
        assert rule["kwargs"].get("exact_match", True) is True  # GX omits the default (True) when saving


@pytest.mark.parametrize("table", list(schema.PROCESSED_TABLES))
def test_suite_json_round_trips_byte_identically(table):
    path = validate.suite_path(table)
    assert validate.suite_to_json(validate.load_suite(path)) == path.read_text(encoding="utf-8")


def value_sets(column: str) -> dict[str, set[str]]:
    """{table: value set} of every in-set rule on this column."""
    return {t: set(e["kwargs"]["value_set"]) for t in schema.PROCESSED_TABLES for e in suite_data(t)["expectations"]
            if e["type"] == IN_SET and e["kwargs"]["column"] == column}


def test_district_codes_equal_the_raw_district_list():
    with open(paths.RAW / "districts.csv", encoding="utf-8", newline="") as handle:
        raw_codes = {row["Mã huyện"] for row in csv.DictReader(handle)}
    sets = value_sets("district_code")
    assert set(sets) == {"districts", "budget_figures", "budget_lines"}
    assert sets.pop("districts") == raw_codes
    for table, codes in sets.items():
        assert codes == raw_codes | {""}, table


@pytest.mark.parametrize(("column", "vocabulary"), [
    ("standard", schema.POVERTY_STANDARDS),
    ("indicator", schema.POVERTY_INDICATORS),
    ("value_kind", schema.VALUE_KINDS),
    ("confidence", schema.CONFIDENCE),
    ("qualifier", schema.QUALIFIERS),
])
def test_value_sets_follow_the_schema_vocabularies(column, vocabulary):
    for table, values in value_sets(column).items():
        assert values == set(vocabulary.values()), table


def test_money_vocabularies_follow_the_schema():
    funding = set(schema.FUNDING_SOURCES.values())
    assert value_sets("funding_source") == {"budget_figures": funding, "budget_stated_totals": funding,
                                            "reconciliation": funding | {""}}
    capital = value_sets("capital_type")
    assert capital["budget_figures"] == capital["budget_lines"] == set(schema.LINE_CAPITAL_TYPES.values())
    assert capital["budget_stated_totals"] == set(schema.TOTAL_CAPITAL_TYPES.values())
