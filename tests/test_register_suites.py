"""The GX suites of the household-register tables: the register stage's output passes them, a small good copy
passes them, each generated expectation fails on the generic breaker of its kind, and each business rule fails
on a copy broken for it alone (in GX's own test style)."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline import schema
from pipeline.gate import suites, validate
from tests.test_expectations import Breaker, failures, generated_rule_fails_on_its_breakers, positions_touched, put

@pytest.fixture(scope="module")
def tables(small_register_tables):
    """The register tables of a small synthetic province (≈ 4k households a year), with the demo key."""
    return small_register_tables

def suite(table: str) -> list[dict]:
    """The whole suite the gate runs on a table: generated structural rules, then business rules."""
    return suites.table_expectations(table)


def business(table: str) -> list[dict]:
    return suites.read_suite_json(suites.hand_written_path(table))["expectations"]


def key_of(table: str, expectation: dict) -> tuple[str, str, str]:
    """(table, type, column[ if condition][ mostly]) — unique within the register suites."""
    kwargs = expectation["kwargs"]
    column = suites.expectation_column(kwargs)
    condition = kwargs.get("row_condition")
    if condition:
        column += f" if {condition['column']['name']} {condition['operator']} {condition['parameter']}"
    if "mostly" in kwargs:
        column += f" mostly {kwargs['mostly']}"
    return table, expectation["type"], column


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


def put_rows(column: str, value, rows: tuple[int, ...]) -> Breaker:
    """`value` in several rows (a rule that must hold on 99 % of rows fails only on more than 1 %)."""
    def apply(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[list(rows), column] = value
        return df
    return Breaker(apply, frozenset([column]))


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


HH, POV, DEP, FLOWS, INPUTS = ("register_households", "district_poverty", "district_deprivation", "district_flows",
                               "register_inputs")
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
REGEX = "expect_column_values_to_match_regex"
PAIR_EQUAL = "expect_column_pair_values_to_be_equal"
PAIR_GREATER = "expect_column_pair_values_a_to_be_greater_than_b"
CLEAN = " if has_anomaly == False"
MOSTLY = " mostly 0.99"
POVERTY_COUNTS = ("poor_hh", "near_poor_hh", "average_hh", "anomaly_hh", "af_poor_hh")


BREAKERS: dict[tuple[str, str, str], Breaker] = {
    # register_households (row 0 has an audit finding, rows 1… are clean)
    (HH, IN_SET, "has_anomaly" + MOSTLY): put_rows("has_anomaly", True, (1, 2)),
    (HH, PAIR_EQUAL, "recorded_class,expected_class" + CLEAN): other_class(),
    (HH, PAIR_EQUAL, "score_b,expected_score_b" + CLEAN): shift("score_b", 10.0),
    (HH, BETWEEN, "household_size" + MOSTLY): put_rows("household_size", 0, (1, 2)),
    (HH, BETWEEN, "income_per_capita" + MOSTLY): put_rows("income_per_capita", -1.0, (1, 2)),
    (HH, BETWEEN, "score_a" + MOSTLY): put_rows("score_a", 1001.0, (1, 2)),
    (HH, REGEX, "commune_code" + MOSTLY): put_rows("commune_code", "9810", (1, 2)),
    **{(HH, IN_SET, f"d{i:02d}" + MOSTLY): put_rows(f"d{i:02d}", 2, (1, 2)) for i in range(1, 13)},
    # district_poverty (rows 0, 1: 2021; rows 2, 3: 2022)
    (POV, IN_SET, "standard if review_year >= 2021"): put("standard", "qd59_2015"),  # a 2021 row: NĐ 07 too
    **{(POV, PAIR_GREATER, f"households,{c}"): put(c, 10**9, row=2) for c in POVERTY_COUNTS},
    (POV, BETWEEN, "poor_rate_pct"): put("poor_rate_pct", 100.5),
    (POV, BETWEEN, "near_poor_rate_pct"): put("near_poor_rate_pct", -0.5),
    (POV, BETWEEN, "af_h"): put("af_h", 1.5),
    (POV, BETWEEN, "af_a"): put("af_a", 0.2),
    (POV, BETWEEN, "af_m0"): put("af_m0", -0.1),
    # district_deprivation
    (DEP, PAIR_GREATER, "households,deprived_hh"): put("deprived_hh", 10**9),
    **{(DEP, PAIR_GREATER, f"deprived_hh,{c}"): put(c, 10**9) for c in ("deprived_poor_hh", "deprived_near_poor_hh",
                                                                          "censored_hh")},
    (DEP, BETWEEN, "deprived_pct"): put("deprived_pct", 100.5),
    (DEP, BETWEEN, "censored_pct"): put("censored_pct", -0.5),
    (DEP, BETWEEN, "contribution_pct"): put("contribution_pct", 100.5),
    # district_flows (rows: 2021 → 2022)
    (FLOWS, PAIR_GREATER, "review_year,previous_year"): put("previous_year", 2022),
    (FLOWS, BETWEEN, "poor_identity_gap"): put("poor_identity_gap", 1),
    (FLOWS, BETWEEN, "near_poor_identity_gap"): put("near_poor_identity_gap", -1),
    # register_inputs (rows 0–4: registers; row 5: SYNTHETIC.json)
    (INPUTS, BETWEEN, "rows if kind == register"): put("rows", 0),
}

BUSINESS_KEYS = [key_of(t, e) for t in schema.REGISTER_TABLES for e in business(t)]
GENERATED_CASES = [(t, i) for t in schema.REGISTER_TABLES
                   for i in range(len(suites.read_suite_json(suites.generated_path(t))["expectations"]))]


def test_register_business_rule_keys_are_unique():
    assert len(BUSINESS_KEYS) == len(set(BUSINESS_KEYS))


def test_every_register_business_rule_has_a_breaker():
    assert sorted(set(BUSINESS_KEYS) - set(BREAKERS)) == [], "business rules without a breaking case"
    assert sorted(set(BREAKERS) - set(BUSINESS_KEYS)) == [], "breakers for rules no suite has"


@pytest.mark.parametrize(("table", "position"), GENERATED_CASES, ids=lambda v: str(v))
def test_generated_register_expectation_fails_on_its_generic_breaker(table, position, good, gx_context):
    """The kind's breaker fails the expectation (a rule that cannot fail would guard nothing)."""
    generated_rule_fails_on_its_breakers(gx_context, table, good[table], position, key_of)


@pytest.mark.parametrize("key", BUSINESS_KEYS, ids=lambda k: "/".join(filter(None, k)))
def test_breaker_fails_exactly_its_register_business_rule(key, good, gx_context):
    """The broken copy fails this rule and no other (only the rules reading what changed are re-run)."""
    table = key[0]
    breaker = BREAKERS[key]
    expectations = suite(table)
    positions = positions_touched(expectations, breaker)
    target = [key_of(table, e) for e in expectations].index(key)
    assert target in positions
    failing = failures(gx_context, table, breaker.apply(good[table]), positions)
    assert [key_of(table, expectations[i]) for i in failing] == [key]
