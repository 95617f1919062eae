"""Register aggregates by review year and district: poverty counts and rates, deprivations, Alkire–Foster M0,
flows between consecutive reviews.

The counting runs in DuckDB over the households relation (any size: sums per district and year, streaming);
what is computed on those few hundred rows of counts (province rows, rates, Alkire–Foster ratios, the long
deprivation table, flow identities) runs in pandas. The relation has the columns review_year,
district_code, household_key, recorded_class, d01 … d12, has_anomaly and row_order (a row's position in
file order, which decides which row of an id repeated in one district-year is linked).

Counting decisions (documented in docs/data_dictionary.md through pipeline.schema.REGISTER_TABLES):

* Households and classes are the register's rows and the RECORDED class: what the communes recorded and
  the province publishes. Rows with audit findings are counted as recorded (the audit lists them; the
  synthetic generator never changes a recorded class, so counting every row reproduces the published
  totals). A household id found in two districts is counted in both (one row each, as the files list it).
* A province row per year carries district_code = schema.PROVINCE_CODE ("20", Lạng Sơn's GSO code). Every
  province figure is computed from the province's counts (sums of the districts), never averaged.
* Alkire–Foster on households: the 12 indicators of NĐ 07/2021 with equal weights 1/12; a cell counts as a
  deprivation only when it is 1 (as score B counts them, so an impossible 2 is not one); cut-off k = 3
  deprivations, i.e. B ≥ 30, the NĐ 07 multidimensional threshold. H = q / n, A = mean deprivation share
  among the q poor, M0 = H × A (= Σ c_i / (12 n) over the poor; 0 when q = 0, where A is undefined).
  Censored headcount ratio of indicator j: CH_j = households poor (≥ k) and deprived in j, over n;
  contribution_j = CH_j × (1/12) / M0 × 100 = 100 × censored_hh_j / Σ_j censored_hh_j, so the 12
  contributions sum to 100. Every review year read (2021–2024, the end-2021 review included) classifies by
  NĐ 07/2021, so the AF measure and the recorded classes rest on the same 12 indicators every year.
* Flows link a household between two consecutive reviews by (district, household_key). poor_start and
  poor_end are the recorded poor of the two years; each poor household of the earlier year leaves by one
  route (to near-poor, above the near-poor line = average/none, off the district's register) or stays;
  each poor household of the later year arrives by one route (stayed, from near-poor, re-poor = above at
  the earlier review but poor in a review before it, new poor = above and never poor before in the
  registers read, new household = not on the earlier register). Hence, exactly,
  poor_end = poor_start − poor_to_near_poor − poor_exited − poor_left + near_poor_to_poor + re_poor
  + new_poor + new_household_poor (the review's "diễn biến" of TT 07/2021/TT-BLĐTBXH), and the same for near-poor. A household
  moving to another district counts as left in one and new in the other, so province flows are the sums
  of the districts'. When an id occurs twice in one district-year only its first row is linked.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipeline.registers import poverty_standard as ps
from pipeline.schema import PROVINCE_CODE, REGISTER_INDICATORS, REGISTER_TABLES

INDICATORS = ps.INDICATOR_COLUMNS
AF_CUTOFF = ps.POOR_MIN_SCORE_B // ps.POINTS_PER_DEPRIVATION   # k = 3 deprivations (B ≥ 30)
GROUP = ["review_year", "district_code"]
POOR_OUT = ("poor_to_near_poor", "poor_exited", "poor_left")
POOR_IN = ("near_poor_to_poor", "re_poor", "new_poor", "new_household_poor")
NEAR_POOR_OUT = ("near_poor_to_poor", "near_poor_exited", "near_poor_left")
NEAR_POOR_IN = ("poor_to_near_poor", "above_to_near_poor", "new_household_near_poor")
DEPRIVATION_MEASURES = ("deprived_hh", "deprived_poor_hh", "deprived_near_poor_hh", "censored_hh")
# A deprivation is a cell equal to 1 (as score B counts them, so an impossible 2 is not one).
DEPRIVATIONS = " + ".join(f"({c} = {ps.DEPRIVED})::INTEGER" for c in INDICATORS)


def aggregate(con: duckdb.DuckDBPyConnection, source: str, synthetic: bool) -> dict[str, pd.DataFrame]:
    """district_poverty, district_deprivation and district_flows of the households in `source`, each with the `synthetic` flag."""
    tables = {
        "district_poverty": district_poverty(con, source),
        "district_deprivation": district_deprivation(con, source),
        "district_flows": district_flows(con, source),
    }
    return {name: frame.assign(synthetic=bool(synthetic)) for name, frame in tables.items()}


def _counts(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """A query of group keys and counts, counts as int64 (DuckDB sums are HUGEINT)."""
    frame = con.sql(sql).df()
    counts = [c for c in frame.columns if c not in ("review_year", "previous_year", "district_code")]
    keys = [c for c in ("previous_year", "review_year") if c in frame.columns]
    return frame.astype({**{c: np.int64 for c in counts + keys}, "district_code": "str"})


def with_province(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """District rows of additive counts plus one province row per remaining key (district_code = PROVINCE_CODE)."""
    other = [k for k in keys if k != "district_code"]
    province = counts.groupby(other, as_index=False).sum(numeric_only=True).assign(district_code=PROVINCE_CODE)
    result = pd.concat([counts, province[counts.columns]], ignore_index=True)
    order = result["district_code"] == PROVINCE_CODE
    return (result.assign(_province=order).sort_values([*other, "_province", "district_code"], kind="stable")
            .drop(columns="_province").reset_index(drop=True))


def district_poverty(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """Households, recorded poor / near-poor / average, rates, anomalies and AF H, A, M0 per district-year."""
    counts = _counts(con, f"""
        SELECT review_year, district_code, count(*) AS households,
               count_if(recorded_class = 'poor') AS poor_hh, count_if(recorded_class = 'near_poor') AS near_poor_hh,
               count_if(recorded_class = 'average') AS average_hh, count_if(has_anomaly) AS anomaly_hh,
               count_if(deprivations >= {AF_CUTOFF}) AS af_poor_hh,
               sum(CASE WHEN deprivations >= {AF_CUTOFF} THEN deprivations ELSE 0 END) AS af_deprivations
        FROM (SELECT *, {DEPRIVATIONS} AS deprivations FROM {source})
        GROUP BY review_year, district_code ORDER BY review_year, district_code""")
    return poverty_rates(with_province(counts, GROUP))


def poverty_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Rates and AF ratios from the additive counts (so province figures are never averages of districts)."""
    n = table["households"].astype(float)
    q = table["af_poor_hh"].astype(float)
    deprivations = table["af_deprivations"].astype(float)
    return table.assign(
        standard=table["review_year"].map(ps.standard_for),
        poor_rate_pct=100 * table["poor_hh"] / n,
        near_poor_rate_pct=100 * table["near_poor_hh"] / n,
        af_h=q / n,
        af_a=(deprivations / (ps.N_INDICATORS * q)).where(q > 0),
        af_m0=deprivations / (ps.N_INDICATORS * n),
    ).drop(columns="af_deprivations")


def district_deprivation(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """Per district-year and indicator: headcount, among recorded poor / near-poor, censored headcount, contribution."""
    sums = []
    for code in INDICATORS:
        deprived = f"{code} = {ps.DEPRIVED}"
        sums += [f"count_if({deprived}) AS \"deprived_hh|{code}\"",
                 f"count_if({deprived} AND recorded_class = 'poor') AS \"deprived_poor_hh|{code}\"",
                 f"count_if({deprived} AND recorded_class = 'near_poor') AS \"deprived_near_poor_hh|{code}\"",
                 f"count_if({deprived} AND deprivations >= {AF_CUTOFF}) AS \"censored_hh|{code}\""]
    wide = _counts(con, f"""
        SELECT review_year, district_code, count(*) AS households, {", ".join(sums)}
        FROM (SELECT *, {DEPRIVATIONS} AS deprivations FROM {source})
        GROUP BY review_year, district_code ORDER BY review_year, district_code""")
    return deprivation_long(with_province(wide, GROUP))


def deprivation_long(wide: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator from the wide counts; percentages and contributions to M0."""
    parts = []
    for code in INDICATORS:
        part = wide[[*GROUP, "households"]].assign(indicator=code, indicator_name=REGISTER_INDICATORS[code])
        for measure in DEPRIVATION_MEASURES:
            part[measure] = wide[f"{measure}|{code}"].astype(np.int64)
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    long["households"] = long["households"].astype(np.int64)
    total_censored = long.groupby(GROUP)["censored_hh"].transform("sum").astype(float)
    n = long["households"].astype(float)
    long["deprived_pct"] = 100 * long["deprived_hh"] / n
    long["censored_pct"] = 100 * long["censored_hh"] / n
    long["contribution_pct"] = (100 * long["censored_hh"] / total_censored).where(total_censored > 0)
    order = {code: i for i, code in enumerate(INDICATORS)}
    long["_province"] = long["district_code"] == PROVINCE_CODE
    long["_order"] = long["indicator"].map(order)
    return (long.sort_values(["review_year", "_province", "district_code", "_order"], kind="stable")
            .drop(columns=["_province", "_order"]).reset_index(drop=True))


def contribution_check(deprivation: pd.DataFrame) -> pd.Series:
    """Σ contributions per district-year (100 where M0 > 0): M0 = Σ_j w_j CH_j, the AF decomposition."""
    return deprivation.groupby(GROUP)["contribution_pct"].sum(min_count=1)


# --- Flows ------------------------------------------------------------------------------------------------

# One state per household, district and year: poor / near_poor / above (average or none); when an id occurs
# twice in one district-year only its first row (in file order) is linked.
STATES = """
    SELECT review_year, district_code, household_key,
           arg_min(CASE WHEN recorded_class IN ('average', 'none') THEN 'above' ELSE recorded_class END, row_order) AS state
    FROM {source} GROUP BY review_year, district_code, household_key"""

ROUTES = {
    "poor_start": "a = 'poor'",
    "poor_stayed": "a = 'poor' AND b = 'poor'",
    "poor_to_near_poor": "a = 'poor' AND b = 'near_poor'",
    "poor_exited": "a = 'poor' AND b = 'above'",
    "poor_left": "a = 'poor' AND b = 'absent'",
    "near_poor_to_poor": "a = 'near_poor' AND b = 'poor'",
    "re_poor": "a = 'above' AND b = 'poor' AND poor_earlier",
    "new_poor": "a = 'above' AND b = 'poor' AND NOT poor_earlier",
    "new_household_poor": "a = 'absent' AND b = 'poor'",
    "poor_end": "b = 'poor'",
    "near_poor_start": "a = 'near_poor'",
    "near_poor_stayed": "a = 'near_poor' AND b = 'near_poor'",
    "near_poor_exited": "a = 'near_poor' AND b = 'above'",
    "near_poor_left": "a = 'near_poor' AND b = 'absent'",
    "above_to_near_poor": "a = 'above' AND b = 'near_poor'",
    "new_household_near_poor": "a = 'absent' AND b = 'near_poor'",
    "near_poor_end": "b = 'near_poor'",
}


def district_flows(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """Flows of poor and near-poor households between each pair of consecutive review years, per district.

    A household is linked by (district, household_key); `poor_earlier`: poor in a review before the earlier year.
    """
    routes = ", ".join(f"count_if({condition}) AS {name}" for name, condition in ROUTES.items())
    counts = _counts(con, f"""
        WITH states AS ({STATES.format(source=source)}),
        first_poor AS (SELECT district_code, household_key, min(review_year) AS first_poor_year
                       FROM states WHERE state = 'poor' GROUP BY district_code, household_key),
        years AS (SELECT DISTINCT review_year AS year FROM states),
        moves AS (
            SELECT coalesce(before.review_year + 1, after.review_year) AS year,
                   coalesce(before.district_code, after.district_code) AS district_code,
                   coalesce(before.state, 'absent') AS a, coalesce(after.state, 'absent') AS b,
                   coalesce(f.first_poor_year < coalesce(before.review_year, after.review_year - 1), false) AS poor_earlier
            FROM (SELECT * FROM states WHERE review_year + 1 IN (SELECT year FROM years)) before
            FULL JOIN (SELECT * FROM states WHERE review_year - 1 IN (SELECT year FROM years)) after
                 ON after.review_year = before.review_year + 1
                 AND after.district_code = before.district_code AND after.household_key = before.household_key
            LEFT JOIN first_poor f ON f.district_code = coalesce(before.district_code, after.district_code)
                 AND f.household_key = coalesce(before.household_key, after.household_key))
        SELECT year - 1 AS previous_year, year AS review_year, district_code, {routes}
        FROM moves GROUP BY year, district_code ORDER BY year, district_code""")
    if counts.empty:  # a single review year: no flows, an empty table of the right shape
        return pd.DataFrame(columns=[c for c in REGISTER_TABLES["district_flows"] if c != "synthetic"])
    table = with_province(counts, ["previous_year", "review_year", "district_code"])
    return flow_identities(table)


def flow_identities(table: pd.DataFrame) -> pd.DataFrame:
    """end − (start − outflows + inflows), for poor and near-poor: 0 when every household took one route."""
    def gap(end: str, start: str, out: tuple[str, ...], into: tuple[str, ...]) -> pd.Series:
        return table[end] - (table[start] - table[list(out)].sum(axis=1) + table[list(into)].sum(axis=1))

    return table.assign(poor_identity_gap=gap("poor_end", "poor_start", POOR_OUT, POOR_IN),
                        near_poor_identity_gap=gap("near_poor_end", "near_poor_start", NEAR_POOR_OUT, NEAR_POOR_IN))
