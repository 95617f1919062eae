"""Register aggregates on hand-written households: counts, rates, Alkire–Foster H, A, M0 and contributions,
flows and their identity. Every expected number below is worked out by hand in the comments, not by the code.
"""
import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.registers import aggregates as ra
from pipeline.schema import PROVINCE_CODE

INDICATORS = [f"d{i:02d}" for i in range(1, 13)]


def households(rows: list[tuple]) -> pd.DataFrame:
    """(year, district, key, recorded class, deprived indicator numbers, has_anomaly) -> the columns aggregates read."""
    records = []
    for year, district, key, recorded, deprived, anomaly in rows:
        flags = {code: int(i + 1 in deprived) for i, code in enumerate(INDICATORS)}
        records.append({"review_year": year, "district_code": district, "household_key": key,
                        "recorded_class": recorded, **flags, "has_anomaly": anomaly})
    return pd.DataFrame(records)


def sql(frame: pd.DataFrame) -> tuple[duckdb.DuckDBPyConnection, str]:
    """The frame as the relation the aggregates read (row_order: the rows' order, as files list them)."""
    con = duckdb.connect()
    con.register("households", frame.assign(row_order=np.arange(len(frame))))
    return con, "households"


# Six households of district 181 in 2022. Deprivation counts c: 3, 4, 1, 0, 4, 2.
# AF poor (c ≥ 3): h1, h2, h5 -> q = 3, H = 3/6 = 0.5; A = (3 + 4 + 4) / (3 × 12) = 11/36; M0 = H × A = 11/72.
# Censored headcounts: d01 2 (h1, h2), d02 2, d03 2, d04 1 (h2), d09–d12 1 each (h5; h6 has c = 2): Σ = 11.
# Contribution of d01 = (2/6 × 1/12) / (11/72) × 100 = 2/11 × 100.
SIX = [
    (2022, "181", "h1", "poor", {1, 2, 3}, False),
    (2022, "181", "h2", "poor", {1, 2, 3, 4}, False),
    (2022, "181", "h3", "near_poor", {5}, False),
    (2022, "181", "h4", "average", set(), True),
    (2022, "181", "h5", "none", {9, 10, 11, 12}, False),
    (2022, "181", "h6", "none", {9, 10}, False),
]


@pytest.fixture
def six():
    return households(SIX)


def row(table: pd.DataFrame, district: str, **where) -> pd.Series:
    selected = table[table["district_code"] == district]
    for column, value in where.items():
        selected = selected[selected[column] == value]
    (index,) = selected.index
    return selected.loc[index]


def test_counts_and_rates_use_the_recorded_class(six):
    poverty = ra.district_poverty(*sql(six))
    r = row(poverty, "181")
    assert (r.households, r.poor_hh, r.near_poor_hh, r.average_hh, r.anomaly_hh) == (6, 2, 1, 1, 1)
    assert r.poor_rate_pct == pytest.approx(100 * 2 / 6)
    assert r.near_poor_rate_pct == pytest.approx(100 * 1 / 6)
    assert r.standard == "nd07_2021"


def test_the_end_2021_review_is_labelled_nd07():
    """Every review year's rows carry the standard it classifies by: NĐ 07/2021 from the end-2021 review on
    (NĐ 07/2021/NĐ-CP Art. 3; KH 177/KH-UBND of 17/8/2021), so 2021 and 2022 are one series."""
    poverty = ra.district_poverty(*sql(households([(2021, "181", "h1", "average", set(), False),
                                                   (2022, "181", "h1", "poor", {1, 2, 3}, False)])))
    assert poverty.set_index(["review_year", "district_code"])["standard"].to_dict() == {
        (2021, "181"): "nd07_2021", (2021, PROVINCE_CODE): "nd07_2021",
        (2022, "181"): "nd07_2021", (2022, PROVINCE_CODE): "nd07_2021"}


def test_alkire_foster_h_a_m0(six):
    r = row(ra.district_poverty(*sql(six)), "181")
    assert r.af_poor_hh == 3
    assert r.af_h == pytest.approx(0.5)
    assert r.af_a == pytest.approx(11 / 36)
    assert r.af_m0 == pytest.approx(11 / 72)
    assert r.af_m0 == pytest.approx(r.af_h * r.af_a)


def test_deprivation_headcounts_and_contributions_sum_to_100(six):
    table = ra.district_deprivation(*sql(six))
    district = table[table["district_code"] == "181"].set_index("indicator")
    assert district["deprived_hh"].tolist() == [2, 2, 2, 1, 1, 0, 0, 0, 2, 2, 1, 1]
    assert district["censored_hh"].tolist() == [2, 2, 2, 1, 0, 0, 0, 0, 1, 1, 1, 1]
    assert district["deprived_poor_hh"].tolist() == [2, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert district["deprived_near_poor_hh"].tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert district.loc["d01", "contribution_pct"] == pytest.approx(200 / 11)
    assert district.loc["d09", "deprived_pct"] == pytest.approx(100 * 2 / 6)
    assert district.loc["d09", "censored_pct"] == pytest.approx(100 * 1 / 6)
    assert district["contribution_pct"].sum() == pytest.approx(100)
    # M0 = Σ_j w_j × CH_j (the AF decomposition the contributions rest on)
    m0 = (district["censored_pct"] / 100 / 12).sum()
    assert m0 == pytest.approx(11 / 72)
    assert ra.contribution_check(table).to_numpy() == pytest.approx([100, 100])


def test_province_row_is_computed_from_summed_counts(six):
    other = households([(2022, "184", "k1", "poor", {1, 2, 3, 4, 5, 6}, False),
                        (2022, "184", "k2", "none", set(), False)])
    frame = pd.concat([six, other], ignore_index=True)
    poverty = ra.district_poverty(*sql(frame))
    assert poverty["district_code"].tolist() == ["181", "184", PROVINCE_CODE]  # province last
    province = row(poverty, PROVINCE_CODE)
    assert (province.households, province.poor_hh, province.af_poor_hh) == (8, 3, 4)
    # H = 4/8; Σ c over the AF poor = 3 + 4 + 4 + 6 = 17; M0 = 17 / (12 × 8); A = 17 / (12 × 4)
    assert province.af_m0 == pytest.approx(17 / 96)
    assert province.af_a == pytest.approx(17 / 48)
    assert province.poor_rate_pct == pytest.approx(100 * 3 / 8)


def test_no_multidimensional_poor_gives_m0_zero_and_no_contributions():
    frame = households([(2022, "181", "h1", "none", {1}, False), (2022, "181", "h2", "none", set(), False)])
    r = row(ra.district_poverty(*sql(frame)), "181")
    assert (r.af_poor_hh, r.af_h, r.af_m0) == (0, 0.0, 0.0) and np.isnan(r.af_a)
    table = ra.district_deprivation(*sql(frame))
    assert table["contribution_pct"].isna().all()


def test_impossible_indicator_values_are_not_deprivations_and_do_not_crash(six):
    six.loc[0, "d01"] = 2  # impossible value: not a deprivation (B counts only 1s), so h1 has c = 2, not AF poor
    six.loc[1, "d12"] = -1
    r = row(ra.district_poverty(*sql(six)), "181")
    assert r.af_poor_hh == 2  # h2 (4) and h5 (4)


# Flows of district 181, 2021 → 2022 → 2023 (h7 arrives in 2023, h4 leaves):
#   h1 poor → poor → poor; h2 near → poor → near; h3 none → near → poor; h4 none → average → (gone);
#   h5 none → none → poor (first time: new poor); h6 poor → none → poor (poor in 2021: re-poor); h7 — → — → poor.
FLOWS = [
    *[(2021, "181", k, c, set(), False) for k, c in
      [("h1", "poor"), ("h2", "near_poor"), ("h3", "none"), ("h4", "none"), ("h5", "none"), ("h6", "poor")]],
    *[(2022, "181", k, c, set(), False) for k, c in
      [("h1", "poor"), ("h2", "poor"), ("h3", "near_poor"), ("h4", "average"), ("h5", "none"), ("h6", "none")]],
    *[(2023, "181", k, c, set(), False) for k, c in
      [("h1", "poor"), ("h2", "near_poor"), ("h3", "poor"), ("h5", "poor"), ("h6", "poor"), ("h7", "poor")]],
]


@pytest.fixture
def flows():
    return ra.district_flows(*sql(households(FLOWS)))


def test_flows_2021_2022(flows):
    r = row(flows, "181", review_year=2022)
    # poor: start {h1, h6}; h1 stays, h6 exits above the line; h2 comes from near-poor; end {h1, h2}
    assert (r.poor_start, r.poor_stayed, r.poor_exited, r.poor_to_near_poor, r.poor_left) == (2, 1, 1, 0, 0)
    assert (r.near_poor_to_poor, r.re_poor, r.new_poor, r.new_household_poor, r.poor_end) == (1, 0, 0, 0, 2)
    # near-poor: start {h2} → poor; h3 comes from above; end {h3}
    assert (r.near_poor_start, r.near_poor_exited, r.above_to_near_poor, r.near_poor_end) == (1, 0, 1, 1)


def test_flows_2022_2023_with_re_poverty_and_new_households(flows):
    r = row(flows, "181", review_year=2023)
    assert r.previous_year == 2022
    assert (r.poor_start, r.poor_stayed, r.poor_to_near_poor, r.poor_exited, r.poor_left) == (2, 1, 1, 0, 0)
    assert (r.near_poor_to_poor, r.re_poor, r.new_poor, r.new_household_poor) == (1, 1, 1, 1)
    assert r.poor_end == 5
    # 5 = 2 − (1 + 0 + 0) + (1 + 1 + 1 + 1)
    assert r.poor_end == r.poor_start - r.poor_to_near_poor - r.poor_exited - r.poor_left \
        + r.near_poor_to_poor + r.re_poor + r.new_poor + r.new_household_poor
    assert (r.near_poor_start, r.near_poor_to_poor, r.near_poor_end) == (1, 1, 1)


def test_flow_identities_hold_and_province_rows_are_district_sums(flows):
    assert (flows["poor_identity_gap"] == 0).all() and (flows["near_poor_identity_gap"] == 0).all()
    counts = [c for c in flows.columns if c not in ("previous_year", "review_year", "district_code")]
    for year in (2022, 2023):
        districts = flows[(flows["review_year"] == year) & (flows["district_code"] != PROVINCE_CODE)]
        assert row(flows, PROVINCE_CODE, review_year=year)[counts].tolist() == districts[counts].sum().tolist()


def test_a_household_leaving_the_district_register_counts_as_left_and_new_elsewhere():
    frame = households([(2022, "181", "h1", "poor", set(), False), (2023, "184", "h1", "poor", set(), False)])
    flows = ra.district_flows(*sql(frame))
    assert (row(flows, "181").poor_left, row(flows, "184").new_household_poor) == (1, 1)
    assert (flows["poor_identity_gap"] == 0).all()


def test_a_single_year_has_no_flows_but_keeps_the_columns(six):
    flows = ra.district_flows(*sql(six))
    assert flows.empty and {"poor_start", "poor_identity_gap"} <= set(flows.columns)


def test_aggregate_marks_every_table_synthetic_or_not(six):
    for synthetic in (True, False):
        for table in ra.aggregate(*sql(six), synthetic).values():
            assert (table["synthetic"] == synthetic).all()
