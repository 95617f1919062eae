"""The GX suites of the household-register tables: the register stage's output passes them, a small good copy
passes them, and each expectation fails on a copy broken for it alone (in GX's own test style)."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline import schema
from pipeline.gate import validate
from pipeline.registers import files as register_files
from pipeline.registers import stage as register
from pipeline.tools import synthetic_registers as sr
from tests.test_expectations import (EXTRA_COLUMN, NO_ROWS, TABLE, Breaker, blank, condition_columns, duplicate,
                                     put, retype)

SCALE = 0.02
SEED = 11


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """The register tables of a small synthetic province (≈ 4k households a year), with the demo key."""
    out = tmp_path_factory.mktemp("sample") / "registers"
    sr.generate(out, seed=SEED, scale=SCALE)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(register_files.PSEUDONYM_KEY_ENV, raising=False)
        return register.build_tables(out)

def suite(table: str) -> list[dict]:
    return validate.read_suite_json(validate.suite_path(table))["expectations"]


def key_of(table: str, expectation: dict) -> tuple[str, str, str]:
    """(table, type, column[ if condition]) — unique within the register suites."""
    kwargs = expectation["kwargs"]
    column = validate.expectation_column(kwargs)
    condition = kwargs.get("row_condition")
    if condition:
        column += f" if {condition['column']['name']} {condition['operator']} {condition['parameter']}"
    if "mostly" in kwargs:
        column += f" mostly {kwargs['mostly']}"
    return table, expectation["type"], column


def touched(expectation: dict) -> set[str]:
    columns = {c for c in validate.expectation_column(expectation["kwargs"]).split(",") if c}
    return (columns | condition_columns(expectation["kwargs"].get("row_condition"))) if columns else {TABLE}


@pytest.fixture(scope="module")
def gx_context():
    return validate.new_context()


def rows_of(frame: pd.DataFrame, mask) -> pd.DataFrame:
    return frame[mask].reset_index(drop=True)


@pytest.fixture(scope="module")
def good(tables):
    """Small valid tables. register_households: one row with an audit finding (class_inconsistent: the
    conditional rules skip it) then 100 clean rows, so the anomaly share is 1/101 ≤ 1 %; a rule holding on
    99 % of rows is broken on two clean rows. district_poverty: two districts each of 2021 and 2022."""
    households, audit = tables["register_households"], tables["register_audit"]
    inconsistent = audit.loc[audit["rule"] == "class_inconsistent", ["source_file", "source_row"]].iloc[0]
    first = households[(households["source_file"] == inconsistent["source_file"])
                       & (households["source_row"] == inconsistent["source_row"])]
    small = {name: frame.head(6).reset_index(drop=True) for name, frame in tables.items()}
    small["register_households"] = pd.concat([first, households[~households["has_anomaly"]].head(100)], ignore_index=True)
    poverty = tables["district_poverty"]
    small["district_poverty"] = rows_of(poverty, poverty["review_year"].isin([2021, 2022])
                                        & poverty["district_code"].isin(["178", "180"]))
    inputs = tables["register_inputs"]
    small["register_inputs"] = pd.concat([inputs.head(5), inputs[inputs["kind"] == "synthetic_manifest"]], ignore_index=True)
    assert small["district_poverty"]["review_year"].tolist() == [2021, 2021, 2022, 2022]
    assert small["register_households"]["has_anomaly"].tolist() == [True] + [False] * 100
    return small


def test_stage_output_passes_every_register_suite(tables, gx_context):
    for table in schema.REGISTER_TABLES:
        successes = validate.expectation_successes(gx_context, table, tables[table])
        assert [key_of(table, e) for e, ok in zip(suite(table), successes) if not ok] == [], table


def test_small_good_tables_pass_every_register_suite(good, gx_context):
    for table in schema.REGISTER_TABLES:
        successes = validate.expectation_successes(gx_context, table, good[table])
        assert [key_of(table, e) for e, ok in zip(suite(table), successes) if not ok] == [], table


def test_every_register_table_has_a_suite_that_round_trips():
    for table in schema.REGISTER_TABLES:
        path = validate.suite_path(table)
        assert validate.suite_to_json(validate.load_suite(path)) == path.read_text(encoding="utf-8")
        [rule] = [e for e in suite(table) if e["type"] == "expect_table_columns_to_match_set"]
        assert rule["kwargs"]["column_set"] == sorted(schema.REGISTER_TABLES[table])
        assert all(e["meta"]["description_vi"].strip() for e in suite(table))


def put_rows(column: str, value, rows: tuple[int, ...]) -> Breaker:
    """`value` in several rows (a rule that must hold on 99 % of rows fails only on more than 1 %)."""
    def apply(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[list(rows), column] = value
        return df
    return Breaker(apply, frozenset([column]))


def put_many(values: dict, row: int = 0) -> Breaker:
    """Several columns of one row at once (to break one rule while a related one keeps holding)."""
    def apply(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for column, value in values.items():
            df.loc[row, column] = value
        return df
    return Breaker(apply, frozenset(values))


def other_class(row: int = 1) -> Breaker:
    """expected_class of a clean row set to a class other than the recorded one."""
    def apply(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[row, "expected_class"] = "none" if df.loc[row, "recorded_class"] != "none" else "poor"
        return df
    return Breaker(apply, frozenset(["expected_class"]))


def shift(column: str, by, row: int = 1) -> Breaker:
    def apply(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[row, column] = df.loc[row, column] + by
        return df
    return Breaker(apply, frozenset([column]))


HH, AUDIT, POV, DEP, FLOWS, INPUTS = ("register_households", "register_audit", "district_poverty",
                                      "district_deprivation", "district_flows", "register_inputs")
NOT_NULL = "expect_column_values_to_not_be_null"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
REGEX = "expect_column_values_to_match_regex"
COMPOUND = "expect_compound_columns_to_be_unique"
PAIR_EQUAL = "expect_column_pair_values_to_be_equal"
PAIR_GREATER = "expect_column_pair_values_a_to_be_greater_than_b"
CLEAN = " if has_anomaly == False"
MOSTLY = " mostly 0.99"
POVERTY_COUNTS = ("poor_hh", "near_poor_hh", "average_hh", "anomaly_hh", "af_poor_hh")
FLOW_COUNTS = [c for c, (d, _) in schema.REGISTER_TABLES[FLOWS].items()
               if d == "int64" and c not in ("previous_year", "review_year") and not c.endswith("_gap")]


def common(table: str, not_null: list[str], row_count: bool = True) -> dict:
    """Column set, row count, dtype of every non-text column, not-null of the given text columns."""
    typed = [c for c, (dtype, _) in schema.REGISTER_TABLES[table].items() if dtype != "str"]
    result = {(table, "expect_table_columns_to_match_set", ""): EXTRA_COLUMN,
              **{(table, "expect_column_values_to_be_of_type", c): retype(c) for c in typed},
              **{(table, NOT_NULL, c): blank(c) for c in not_null}}
    if row_count:
        result[(table, "expect_table_row_count_to_be_between", "")] = NO_ROWS
    return result


BREAKERS: dict[tuple[str, str, str], Breaker] = {
    # register_households (row 0 has an audit finding, rows 1… are clean)
    **common(HH, ["household_key", "district_code", "commune_code", "area", "recorded_class", "standard",
                  "expected_class", "source_file"]),
    (HH, REGEX, "household_key"): put("household_key", "HH-181-0000001"),
    (HH, BETWEEN, "review_year"): put("review_year", 2025),
    (HH, IN_SET, "district_code"): put("district_code", "179"),
    (HH, IN_SET, "area"): put("area", "Nông thôn"),
    (HH, IN_SET, "recorded_class"): put("recorded_class", "Hộ nghèo"),
    (HH, IN_SET, "expected_class"): put("expected_class", "rich"),
    (HH, IN_SET, "standard"): put("standard", "nd07"),
    (HH, IN_SET, "expected_score_b"): put("expected_score_b", 25),
    (HH, REGEX, "source_file"): put("source_file", "ho_181_2022.csv"),
    (HH, BETWEEN, "source_row"): put("source_row", 1),
    (HH, COMPOUND, "source_file,source_row"): duplicate("source_file", "source_row"),
    (HH, "expect_column_mean_to_be_between", "has_anomaly"): put("has_anomaly", True, row=1),
    (HH, PAIR_EQUAL, "recorded_class,expected_class" + CLEAN): other_class(),
    (HH, PAIR_EQUAL, "score_b,expected_score_b" + CLEAN): shift("score_b", 10.0),
    (HH, BETWEEN, "household_size" + MOSTLY): put_rows("household_size", 0, (1, 2)),
    (HH, BETWEEN, "income_per_capita" + MOSTLY): put_rows("income_per_capita", -1.0, (1, 2)),
    (HH, BETWEEN, "score_a" + MOSTLY): put_rows("score_a", 1001.0, (1, 2)),
    (HH, REGEX, "commune_code" + MOSTLY): put_rows("commune_code", "9810", (1, 2)),
    **{(HH, IN_SET, f"d{i:02d}" + MOSTLY): put_rows(f"d{i:02d}", 2, (1, 2)) for i in range(1, 13)},
    # register_audit
    **common(AUDIT, ["district_code", "commune_code", "household_key", "source_file", "rule", "column", "detail"],
             row_count=False),
    (AUDIT, BETWEEN, "review_year"): put("review_year", 2020),
    (AUDIT, REGEX, "household_key"): put("household_key", "hh-181"),
    (AUDIT, REGEX, "source_file"): put("source_file", "registers/2022/ho_181_2022.txt"),
    (AUDIT, BETWEEN, "source_row"): put("source_row", 0),
    (AUDIT, IN_SET, "district_code"): put("district_code", "20"),
    (AUDIT, IN_SET, "rule"): put("rule", "other"),
    (AUDIT, IN_SET, "column"): put("column", "Họ và tên chủ hộ"),
    (AUDIT, COMPOUND, "source_file,source_row,rule,column"): duplicate("source_file", "source_row", "rule", "column"),
    # district_poverty (rows 0, 1: 2021; rows 2, 3: 2022)
    **common(POV, ["district_code", "standard"]),
    (POV, BETWEEN, "review_year"): put("review_year", 2025, row=2),
    (POV, IN_SET, "district_code"): put("district_code", "179"),
    (POV, IN_SET, "standard if review_year == 2021"): put("standard", "nd07_2021"),
    (POV, IN_SET, "standard if review_year >= 2022"): put("standard", "qd59_2015", row=2),
    (POV, COMPOUND, "review_year,district_code"): duplicate("review_year", "district_code"),
    (POV, BETWEEN, "households"): put_many({"households": 0, **{c: 0 for c in POVERTY_COUNTS}}),
    **{(POV, BETWEEN, c): put(c, -1, row=2) for c in POVERTY_COUNTS},
    **{(POV, PAIR_GREATER, f"households,{c}"): put(c, 10**9, row=2) for c in POVERTY_COUNTS},
    (POV, IN_SET, "average_hh if review_year == 2021"): put("average_hh", 1),
    (POV, BETWEEN, "poor_rate_pct"): put("poor_rate_pct", 100.5),
    (POV, BETWEEN, "near_poor_rate_pct"): put("near_poor_rate_pct", -0.5),
    (POV, BETWEEN, "af_h"): put("af_h", 1.5),
    (POV, BETWEEN, "af_a"): put("af_a", 0.2),
    (POV, BETWEEN, "af_m0"): put("af_m0", -0.1),
    # district_deprivation
    **common(DEP, ["district_code", "indicator", "indicator_name"]),
    (DEP, BETWEEN, "review_year"): put("review_year", 2020),
    (DEP, IN_SET, "district_code"): put("district_code", "179"),
    (DEP, IN_SET, "indicator"): put("indicator", "d13"),
    (DEP, IN_SET, "indicator_name"): put("indicator_name", "Thu nhập"),
    (DEP, COMPOUND, "review_year,district_code,indicator"): duplicate("review_year", "district_code", "indicator"),
    (DEP, BETWEEN, "households"): put_many({"households": 0, "deprived_hh": 0, "deprived_poor_hh": 0,
                                            "deprived_near_poor_hh": 0, "censored_hh": 0}),
    **{(DEP, BETWEEN, c): put(c, -1) for c in ("deprived_poor_hh", "deprived_near_poor_hh", "censored_hh")},
    (DEP, PAIR_GREATER, "households,deprived_hh"): put("deprived_hh", 10**9),
    **{(DEP, PAIR_GREATER, f"deprived_hh,{c}"): put(c, 10**9) for c in ("deprived_poor_hh", "deprived_near_poor_hh",
                                                                          "censored_hh")},
    (DEP, BETWEEN, "deprived_pct"): put("deprived_pct", 100.5),
    (DEP, BETWEEN, "censored_pct"): put("censored_pct", -0.5),
    (DEP, BETWEEN, "contribution_pct"): put("contribution_pct", 100.5),
    # district_flows (rows: 2021 → 2022)
    **common(FLOWS, ["district_code"], row_count=False),
    (FLOWS, BETWEEN, "previous_year"): put("previous_year", 2020),
    (FLOWS, BETWEEN, "review_year"): put("review_year", 2025),
    (FLOWS, PAIR_GREATER, "review_year,previous_year"): put("previous_year", 2022),
    (FLOWS, IN_SET, "district_code"): put("district_code", "179"),
    (FLOWS, COMPOUND, "previous_year,review_year,district_code"): duplicate("previous_year", "review_year", "district_code"),
    **{(FLOWS, BETWEEN, c): put(c, -1) for c in FLOW_COUNTS},
    (FLOWS, BETWEEN, "poor_identity_gap"): put("poor_identity_gap", 1),
    (FLOWS, BETWEEN, "near_poor_identity_gap"): put("near_poor_identity_gap", -1),
    # register_inputs (rows 0–4: registers; row 5: SYNTHETIC.json)
    **common(INPUTS, ["file", "kind", "sha256"]),
    ("register_inputs", "expect_column_values_to_be_unique", "file"): duplicate("file"),
    (INPUTS, REGEX, "file"): put("file", "registers/2022/ho_181_2022.txt"),
    (INPUTS, IN_SET, "kind"): put("kind", "raw"),
    (INPUTS, REGEX, "sha256"): put("sha256", "X" * 64),
    (INPUTS, BETWEEN, "bytes"): put("bytes", 0),
    (INPUTS, BETWEEN, "rows if kind == register"): put("rows", 0),
    (INPUTS, BETWEEN, "rows"): put("rows", -1, row=5),
}

REGISTER_KEYS = [key_of(t, e) for t in schema.REGISTER_TABLES for e in suite(t)]
# An empty table has no mean either: the anomaly-share rule fails with the row-count rule (its message is the clearer).
ALSO_FAILS = {(HH, "expect_table_row_count_to_be_between", ""): [(HH, "expect_column_mean_to_be_between", "has_anomaly")]}


def test_register_expectation_keys_are_unique():
    assert len(REGISTER_KEYS) == len(set(REGISTER_KEYS))


def test_every_register_expectation_has_a_breaker():
    assert sorted(set(REGISTER_KEYS) - set(BREAKERS)) == [], "expectations without a breaking case"
    assert sorted(set(BREAKERS) - set(REGISTER_KEYS)) == [], "breakers for expectations no suite has"


@pytest.mark.parametrize("key", REGISTER_KEYS, ids=lambda k: "/".join(filter(None, k)))
def test_breaker_fails_exactly_its_register_expectation(key, good, gx_context):
    """The broken copy fails this expectation and no other (only the rules reading what changed are re-run)."""
    table = key[0]
    breaker = BREAKERS[key]
    expectations = suite(table)
    positions = [i for i, e in enumerate(expectations) if breaker.touches is None or touched(e) & breaker.touches]
    target = [key_of(table, e) for e in expectations].index(key)
    assert target in positions
    successes = validate.expectation_successes(gx_context, table, breaker.apply(good[table]), positions)
    failing = [key_of(table, expectations[i]) for i, ok in zip(positions, successes) if not ok]
    assert sorted(failing) == sorted([key, *ALSO_FAILS.get(key, [])])
