"""Contract tests of the GX suites in expectations/: each passes a small good table, and each of
its expectations fails on a broken copy (a gate never seen to fail is not trusted).

Two kinds of suites per table (pipeline/gate/suites.py):
- generated (<table>.generated.json, from pipeline/schema.py): the files must equal what the schema
  generates, and every generated expectation fails on a copy broken by the generic breaker of its kind
  (a null, a value outside the vocabulary or the bounds, a text off the format, a duplicated key, an
  extra column, no rows), while the rules that read none of the changed columns keep passing;
- hand-written business rules (<table>.json): each has its own breaker in BREAKERS below, keyed by
  table, expectation type and column, which must make exactly that expectation fail. Adding a rule
  without its breaker fails test_every_business_rule_has_a_breaker.
"""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from pipeline import paths, schema
from pipeline.gate import suites, validate

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


def duplicate(*columns: str) -> Breaker:
    """Row 1 takes row 0's values in these columns."""
    def apply(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[1, list(columns)] = df.loc[0, list(columns)].to_numpy()
        return df

    return Breaker(apply, frozenset(columns))


EXTRA_COLUMN = Breaker(lambda df: df.assign(unexpected_column="x"), frozenset([TABLE]))
NO_ROWS = Breaker(lambda df: df.iloc[0:0], None)
OFF_FORMAT = "Không Khớp Mẫu!"  # upper case, spaces, punctuation: no FORMATS pattern accepts it
OUTSIDE = "ngoài danh mục"

COLUMNS = suites.COLUMNS
ROWS = suites.ROWS
NOT_NULL = suites.NOT_NULL
REQUIRED = suites.REQUIRED
IN_SET = suites.IN_SET
BETWEEN = suites.BETWEEN
REGEX = suites.REGEX
UNIQUE = suites.UNIQUE
COMPOUND = suites.COMPOUND
PAIR_EQUAL = "expect_column_pair_values_to_be_equal"
PAIR_GREATER = "expect_column_pair_values_a_to_be_greater_than_b"
RATES = "indicator IN (poor_rate_pct, near_poor_rate_pct)"


def generic_breakers(expectation: dict) -> list[Breaker]:
    """The breakers of a generated expectation, from its kind and arguments alone (each must fail it)."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    if kind == COLUMNS:
        return [EXTRA_COLUMN]
    if kind == ROWS:
        return [NO_ROWS]
    if kind == NOT_NULL:
        return [blank(kwargs["column"])]
    if kind == REQUIRED:
        return [blank(column) for column in kwargs["column_list"]]  # any one of them empty
    if kind == IN_SET:
        values = kwargs["value_set"]
        outside = max(values) + 1 if all(isinstance(v, int) for v in values) else OUTSIDE
        return [put(kwargs["column"], outside)]
    if kind == BETWEEN:
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        return [put(kwargs["column"], low - 1 if low is not None else high + 1)]
    if kind == REGEX:
        return [put(kwargs["column"], OFF_FORMAT)]
    if kind in (UNIQUE, COMPOUND):
        return [duplicate(*kwargs.get("column_list", [kwargs.get("column")]))]
    raise AssertionError(f"no generic breaker for {kind}: add one")


def generated_rule_fails_on_its_breakers(context, table: str, good: pd.DataFrame, position: int, key) -> None:
    """Each generic breaker of the expectation at `position` fails it.

    Only that expectation is run on the broken copy. That a breaker fails no rule it does not touch is shown
    for the hand-written rules (test_breaker_fails_exactly_its_business_rule); a generic breaker may rightly
    fail several generated rules of its column (a value outside the set may also break its format).
    """
    expectations = suites.table_expectations(table)
    for breaker in generic_breakers(expectations[position]):
        assert failures(context, table, breaker.apply(good), [position]) == [position], \
            (key(table, expectations[position]), breaker.touches)


BREAKERS: dict[tuple[str, str, str], Breaker] = {
    ("budget_lines", PAIR_EQUAL, "total_mvnd,sources_sum_mvnd"): put("total_mvnd", 47000.0),
    ("poverty_series", BETWEEN, f"value if {RATES}"): put("value", 125.95),
    **{("poverty_rate_checks", BETWEEN, c): put(c, 100.5) for c in ("stated_rate_pct", "computed_rate_pct")},
    ("poverty_rate_checks", BETWEEN, "diff_pp"): put("diff_pp", 0.02),
    ("transcription_check", PAIR_GREATER, "rows_checked,rows_found"): put("rows_found", 17, row=1),
    ("transcription_check", PAIR_GREATER, "document_amounts,document_amounts_covered"):
        put("document_amounts_covered", 82, row=2),
}


# ---------------------------------------------------------------- suites as data

def suite_data(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def generated(table: str) -> list[dict]:
    return suite_data(suites.generated_path(table))["expectations"]


def business(table: str) -> list[dict]:
    return suite_data(suites.hand_written_path(table))["expectations"]


condition_columns = suites.condition_columns


def expectation_key(table: str, expectation: dict) -> tuple[str, str, str]:
    """(table, type, column[ if row condition]): how BREAKERS names an expectation."""
    column = suites.expectation_column(expectation["kwargs"])
    condition = expectation["kwargs"].get("row_condition")
    if condition:
        values = ", ".join(condition["parameter"])
        column += f" if {condition['column']['name']} {condition['operator']} ({values})"
    return table, expectation["type"], column


def expectation_columns(expectation: dict) -> set[str]:
    """Columns whose values decide the rule's outcome; {TABLE} for table-level rules."""
    return set(suites.columns_read(expectation)) or {TABLE}


def positions_touched(expectations: list[dict], breaker: Breaker) -> list[int]:
    """The expectations that read what the breaker changed (the others see identical data)."""
    return [i for i, e in enumerate(expectations) if breaker.touches is None or expectation_columns(e) & breaker.touches]


def failures(context, table: str, broken: pd.DataFrame, positions: list[int]) -> list[int]:
    successes = validate.expectation_successes(context, table, broken, positions)
    return [i for i, ok in zip(positions, successes) if not ok]


BUSINESS_KEYS = [expectation_key(t, e) for t in schema.PROCESSED_TABLES for e in business(t)]
GENERATED_CASES = [(t, i) for t in schema.PROCESSED_TABLES for i in range(len(generated(t)))]


@pytest.fixture(scope="module")
def gx_context():
    """One in-memory GX context for the whole module (creating assets is the slow part)."""
    return validate.new_context()


@pytest.fixture(scope="module")
def good():
    return good_tables()


# ---------------------------------------------------------------- the suites against the schema

def test_two_suites_per_table_generated_and_hand_written():
    tables = [*schema.PROCESSED_TABLES, *schema.REGISTER_TABLES]
    files = {p.name for p in paths.EXPECTATIONS.glob("*.json")}
    assert files == {f"{t}.json" for t in tables} | {f"{t}.generated.json" for t in tables}
    for table in tables:
        assert suite_data(suites.generated_path(table))["name"] == table
        assert suite_data(suites.hand_written_path(table))["name"] == table


@pytest.mark.parametrize("table", [*schema.PROCESSED_TABLES, *schema.REGISTER_TABLES])
def test_generated_suites_are_what_the_schema_generates(table):
    """expectations/<table>.generated.json == pipeline/schema.py; run `.venv/bin/python -m pipeline expectations`."""
    assert suites.generated_path(table).read_text(encoding="utf-8") == validate.generated_suite_json(table)
    assert "không sửa tay" in suite_data(suites.generated_path(table))["notes"]


@pytest.mark.parametrize("table", [*schema.PROCESSED_TABLES, *schema.REGISTER_TABLES])
def test_hand_written_suites_hold_business_rules_only(table):
    """No column set, row count or type rule by hand, and nothing the schema already generates."""
    structural = {json.dumps([e["type"], e["kwargs"]], sort_keys=True) for e in generated(table)}
    for expectation in business(table):
        assert expectation["type"] not in (COLUMNS, ROWS, "expect_column_values_to_be_of_type"), expectation
        assert json.dumps([expectation["type"], expectation["kwargs"]], sort_keys=True) not in structural, expectation


@pytest.mark.parametrize("table", [*schema.PROCESSED_TABLES, *schema.REGISTER_TABLES])
def test_suite_json_round_trips_byte_identically(table):
    for path in (suites.generated_path(table), suites.hand_written_path(table)):
        assert validate.suite_to_json(validate.load_suite(path)) == path.read_text(encoding="utf-8")


def test_every_expectation_describes_itself_in_vietnamese():
    for table in [*schema.PROCESSED_TABLES, *schema.REGISTER_TABLES]:
        for expectation in suites.table_expectations(table):
            assert expectation["meta"]["description_vi"].strip(), expectation_key(table, expectation)


def test_constraints_cover_every_validated_table_with_its_own_columns():
    tables = {**schema.PROCESSED_TABLES, **schema.REGISTER_TABLES}
    assert set(schema.CONSTRAINTS) == set(tables)
    for table, rules in schema.CONSTRAINTS.items():
        named = set(rules.columns) | {c for key in rules.keys for c in key} | set(rules.partition_by)
        assert named <= set(tables[table]), (table, named - set(tables[table]))


def test_required_is_never_set_where_the_dtype_already_forbids_nulls():
    """int64 and bool columns cannot hold nulls once conform() has typed them: a rule there would restate it."""
    tables = {**schema.PROCESSED_TABLES, **schema.REGISTER_TABLES}
    for table, rules in schema.CONSTRAINTS.items():
        for column, values in rules.columns.items():
            assert not (values.required and tables[table][column][0] in ("int64", "bool")), (table, column)


def test_every_constrained_column_has_a_vietnamese_label():
    for rules in schema.CONSTRAINTS.values():
        for column in [*rules.columns, *(c for key in rules.keys for c in key)]:
            assert schema.column_label(column).strip()


def test_partitioned_tables_name_their_failing_rows_by_raw_file_and_line():
    """A partition's row positions are not the table's, so only a table with provenance columns may be split."""
    for table, rules in schema.CONSTRAINTS.items():
        if rules.partition_by:
            assert validate.provenance_columns(table), table


def test_formats_compile_and_say_what_they_mean():
    for regex, meaning in schema.FORMATS.values():
        re.compile(regex)
        assert meaning.strip()


def test_district_codes_equal_the_raw_district_list():
    with open(paths.RAW / "districts.csv", encoding="utf-8", newline="") as handle:
        raw_codes = {row["Mã huyện"] for row in csv.DictReader(handle)}
    assert set(schema.REGISTER_DISTRICT_CODES) == raw_codes
    assert re.fullmatch(schema.FORMATS["district_list"][0], ";".join(sorted(raw_codes)))


# ---------------------------------------------------------------- good tables pass, broken ones fail

def test_good_fixtures_follow_the_data_dictionary(good):
    assert list(good) == list(schema.PROCESSED_TABLES)
    for table, df in good.items():
        expected = {c: dtype for c, (dtype, _) in schema.PROCESSED_TABLES[table].items()}
        assert {c: str(t) for c, t in df.dtypes.items()} == expected, table
        assert 2 <= len(df) <= 6, table


@pytest.mark.parametrize("table", list(schema.PROCESSED_TABLES))
def test_good_table_passes_every_expectation(table, good, gx_context):
    expectations = suites.table_expectations(table)
    successes = validate.expectation_successes(gx_context, table, good[table])
    assert [expectation_key(table, e) for e, ok in zip(expectations, successes) if not ok] == []


@pytest.mark.parametrize(("table", "position"), GENERATED_CASES, ids=lambda v: str(v))
def test_generated_expectation_fails_on_its_generic_breaker(table, position, good, gx_context):
    """The kind's breaker fails the expectation (a rule that cannot fail would guard nothing)."""
    generated_rule_fails_on_its_breakers(gx_context, table, good[table], position, expectation_key)


def test_the_gate_s_own_required_columns_expectation_is_registered_under_the_suites_name():
    from pipeline.gate import required

    assert required.ExpectMulticolumnValuesToNotBeNull.expectation_type == REQUIRED


def test_required_columns_are_one_rule_per_table_and_cover_every_required_column():
    for table in [*schema.PROCESSED_TABLES, *schema.REGISTER_TABLES]:
        rules = [e for e in generated(table) if e["type"] in (NOT_NULL, REQUIRED)]
        covered = [c for e in rules for c in e["kwargs"].get("column_list", [e["kwargs"].get("column")])]
        wanted = [c for c in suites.table_columns(table)
                  if c in schema.CONSTRAINTS[table].columns and schema.CONSTRAINTS[table].columns[c].required]
        assert covered == wanted and len(rules) == (1 if wanted else 0), table


def test_business_rule_keys_are_unique():
    assert len(BUSINESS_KEYS) == len(set(BUSINESS_KEYS))


def test_every_business_rule_has_a_breaker():
    assert sorted(set(BUSINESS_KEYS) - set(BREAKERS)) == [], "business rules without a breaking case"
    assert sorted(set(BREAKERS) - set(BUSINESS_KEYS)) == [], "breakers for rules no suite has"


@pytest.mark.parametrize("key", BUSINESS_KEYS, ids=lambda k: "/".join(filter(None, k)))
def test_breaker_fails_exactly_its_business_rule(key, good, gx_context):
    """The broken copy fails this rule and no other expectation of the table (generated ones included).

    Only the expectations that read what the breaker changed are re-run (the others see identical data).
    """
    table = key[0]
    breaker = BREAKERS[key]
    expectations = suites.table_expectations(table)
    positions = positions_touched(expectations, breaker)
    target = [expectation_key(table, e) for e in expectations].index(key)
    assert target in positions
    failing = failures(gx_context, table, breaker.apply(good[table]), positions)
    assert [expectation_key(table, expectations[i]) for i in failing] == [key]
