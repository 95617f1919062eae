"""Register aggregates by review year and district: poverty counts and rates, deprivations, Alkire–Foster M0,
flows between consecutive reviews. Pure functions: a register_households frame in, tables out, no I/O.

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
  contributions sum to 100. The AF measure is computed for 2021 too, though 2021 was classified by
  QĐ 59/2015 (income) and the recorded classes there do not follow it.
* Flows link a household between two consecutive reviews by (district, household_key). poor_start and
  poor_end are the recorded poor of the two years; each poor household of the earlier year leaves by one
  route (to near-poor, above the near-poor line = average/none, off the district's register) or stays;
  each poor household of the later year arrives by one route (stayed, from near-poor, re-poor = above at
  the earlier review but poor in a review before it, new poor = above and never poor before in the
  registers read, new household = not on the earlier register). Hence, exactly,
  poor_end = poor_start − poor_to_near_poor − poor_exited − poor_left + near_poor_to_poor + re_poor
  + new_poor + new_household_poor (domain.md §2.4 "diễn biến"), and the same for near-poor. A household
  moving to another district counts as left in one and new in the other, so province flows are the sums
  of the districts'. When an id occurs twice in one district-year only its first row is linked.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.registers import poverty_standard as ps
from pipeline.schema import PROVINCE_CODE, REGISTER_INDICATORS, REGISTER_TABLES

INDICATORS = ps.INDICATOR_COLUMNS
AF_CUTOFF = ps.POOR_MIN_SCORE_B // ps.POINTS_PER_DEPRIVATION   # k = 3 deprivations (B ≥ 30)
AF_WEIGHT = 1 / ps.N_INDICATORS                                # equal weights
ABOVE = ("average", "none")                                    # above the near-poor line
GROUP = ["review_year", "district_code"]
POOR_OUT = ("poor_to_near_poor", "poor_exited", "poor_left")
POOR_IN = ("near_poor_to_poor", "re_poor", "new_poor", "new_household_poor")
NEAR_POOR_OUT = ("near_poor_to_poor", "near_poor_exited", "near_poor_left")
NEAR_POOR_IN = ("poor_to_near_poor", "above_to_near_poor", "new_household_near_poor")


def aggregate(households: pd.DataFrame, synthetic: bool) -> dict[str, pd.DataFrame]:
    """district_poverty, district_deprivation and district_flows, each with the `synthetic` flag."""
    deprived = deprivation_matrix(households)
    tables = {
        "district_poverty": district_poverty(households, deprived),
        "district_deprivation": district_deprivation(households, deprived),
        "district_flows": district_flows(households),
    }
    return {name: frame.assign(synthetic=bool(synthetic)) for name, frame in tables.items()}


def deprivation_matrix(households: pd.DataFrame) -> np.ndarray:
    """Rows × 12 booleans: indicator cell equal to 1 (the only value that is a deprivation)."""
    return households[list(INDICATORS)].to_numpy() == ps.DEPRIVED


def group_sums(keys: pd.DataFrame, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Sum of each 0/1 or integer array per distinct row of `keys` (sorted): one factorisation, one bincount each.

    pandas' groupby on ~50 boolean columns of 800k rows takes about a second; this takes a tenth of that.
    """
    codes = keys.groupby(list(keys.columns), sort=True).ngroup().to_numpy()
    result = keys.drop_duplicates().sort_values(list(keys.columns), kind="stable").reset_index(drop=True)
    for name, column in values.items():
        result[name] = np.bincount(codes, weights=column, minlength=len(result)).round().astype(np.int64)
    return result


def with_province(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """District rows of additive counts plus one province row per remaining key (district_code = PROVINCE_CODE)."""
    other = [k for k in keys if k != "district_code"]
    province = counts.groupby(other, as_index=False).sum(numeric_only=True).assign(district_code=PROVINCE_CODE)
    result = pd.concat([counts, province[counts.columns]], ignore_index=True)
    order = result["district_code"] == PROVINCE_CODE
    return (result.assign(_province=order).sort_values([*other, "_province", "district_code"], kind="stable")
            .drop(columns="_province").reset_index(drop=True))


def district_poverty(households: pd.DataFrame, deprived: np.ndarray) -> pd.DataFrame:
    """Households, recorded poor / near-poor / average, rates, anomalies and AF H, A, M0 per district-year."""
    count = deprived.sum(axis=1)
    af_poor = count >= AF_CUTOFF
    recorded = households["recorded_class"].to_numpy()
    counts = group_sums(households[GROUP], {
        "households": np.ones(len(households)),
        "poor_hh": recorded == "poor",
        "near_poor_hh": recorded == "near_poor",
        "average_hh": recorded == "average",
        "anomaly_hh": households["has_anomaly"].to_numpy(),
        "af_poor_hh": af_poor,
        "af_deprivations": np.where(af_poor, count, 0),
    })
    table = with_province(counts, GROUP)
    return poverty_rates(table)


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


def district_deprivation(households: pd.DataFrame, deprived: np.ndarray) -> pd.DataFrame:
    """Per district-year and indicator: headcount, among recorded poor / near-poor, censored headcount, contribution."""
    af_poor = (deprived.sum(axis=1) >= AF_CUTOFF)[:, None]
    poor = (households["recorded_class"] == "poor").to_numpy()[:, None]
    near = (households["recorded_class"] == "near_poor").to_numpy()[:, None]
    measures = {"deprived_hh": deprived, "deprived_poor_hh": deprived & poor,
                "deprived_near_poor_hh": deprived & near, "censored_hh": deprived & af_poor}
    columns = {f"{m}|{code}": values[:, j] for m, values in measures.items() for j, code in enumerate(INDICATORS)}
    wide = with_province(group_sums(households[GROUP], {"households": np.ones(len(households)), **columns}), GROUP)
    return deprivation_long(wide)


def deprivation_long(wide: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator from the wide counts; percentages and contributions to M0."""
    parts = []
    for code in INDICATORS:
        part = wide[[*GROUP, "households"]].assign(indicator=code, indicator_name=REGISTER_INDICATORS[code])
        for measure in ("deprived_hh", "deprived_poor_hh", "deprived_near_poor_hh", "censored_hh"):
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

def household_states(households: pd.DataFrame) -> pd.DataFrame:
    """(review_year, district_code, link, state poor / near_poor / above), one row per id and district-year.

    link: one integer per (household_key, district_code), so that joining two years is an integer join.
    """
    keys = pd.factorize(households["household_key"])[0].astype(np.int64)
    districts, _ = pd.factorize(households["district_code"])
    recorded = households["recorded_class"].to_numpy()
    states = pd.DataFrame({
        "review_year": households["review_year"].to_numpy(),
        "district_code": households["district_code"].to_numpy(),
        "link": keys * (districts.max() + 1) + districts,
        "state": np.where(np.isin(recorded, ABOVE), "above", recorded),
    })
    return states.drop_duplicates(["review_year", "link"], keep="first")


def district_flows(households: pd.DataFrame) -> pd.DataFrame:
    """Flows of poor and near-poor households between each pair of consecutive review years, per district."""
    states = household_states(households)
    first_poor = states[states["state"] == "poor"].groupby("link")["review_year"].min().rename("first_poor_year")
    years = sorted(states["review_year"].unique())
    parts = [year_flows(states, first_poor, int(y)) for y in years if y - 1 in years]
    if not parts:  # a single review year: no flows, an empty table of the right shape
        return pd.DataFrame(columns=[c for c in REGISTER_TABLES["district_flows"] if c != "synthetic"])
    counts = pd.concat(parts, ignore_index=True)
    table = with_province(counts, ["previous_year", "review_year", "district_code"])
    return flow_identities(table)


def year_flows(states: pd.DataFrame, first_poor: pd.Series, year: int) -> pd.DataFrame:
    """Counts of every route from the review of year − 1 to that of `year`, per district."""
    before = states.loc[states["review_year"] == year - 1, ["link", "district_code", "state"]]
    after = states.loc[states["review_year"] == year, ["link", "district_code", "state"]]
    merged = before.merge(after, on=["link", "district_code"], how="outer", suffixes=("_before", "_after"))
    merged = merged.join(first_poor, on="link")
    a = merged["state_before"].fillna("absent").to_numpy()
    b = merged["state_after"].fillna("absent").to_numpy()
    poor_earlier = (merged["first_poor_year"] < year - 1).to_numpy()
    routes = {
        "poor_start": a == "poor",
        "poor_stayed": (a == "poor") & (b == "poor"),
        "poor_to_near_poor": (a == "poor") & (b == "near_poor"),
        "poor_exited": (a == "poor") & (b == "above"),
        "poor_left": (a == "poor") & (b == "absent"),
        "near_poor_to_poor": (a == "near_poor") & (b == "poor"),
        "re_poor": (a == "above") & (b == "poor") & poor_earlier,
        "new_poor": (a == "above") & (b == "poor") & ~poor_earlier,
        "new_household_poor": (a == "absent") & (b == "poor"),
        "poor_end": b == "poor",
        "near_poor_start": a == "near_poor",
        "near_poor_stayed": (a == "near_poor") & (b == "near_poor"),
        "near_poor_exited": (a == "near_poor") & (b == "above"),
        "near_poor_left": (a == "near_poor") & (b == "absent"),
        "above_to_near_poor": (a == "above") & (b == "near_poor"),
        "new_household_near_poor": (a == "absent") & (b == "near_poor"),
        "near_poor_end": b == "near_poor",
    }
    counts = group_sums(merged[["district_code"]], routes)
    counts.insert(0, "review_year", year)
    counts.insert(0, "previous_year", year - 1)
    return counts


def flow_identities(table: pd.DataFrame) -> pd.DataFrame:
    """end − (start − outflows + inflows), for poor and near-poor: 0 when every household took one route."""
    def gap(end: str, start: str, out: tuple[str, ...], into: tuple[str, ...]) -> pd.Series:
        return table[end] - (table[start] - table[list(out)].sum(axis=1) + table[list(into)].sum(axis=1))

    return table.assign(poor_identity_gap=gap("poor_end", "poor_start", POOR_OUT, POOR_IN),
                        near_poor_identity_gap=gap("near_poor_end", "near_poor_start", NEAR_POOR_OUT, NEAR_POOR_IN))
