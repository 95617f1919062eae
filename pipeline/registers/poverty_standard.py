"""Poverty classification rules of the household review (rà soát hộ nghèo), one place for every threshold.

Pure and vectorised: frames in, Series out, no I/O. The rules are those of docs/register_contract.md:
NĐ 07/2021/NĐ-CP from the end-2021 review on (extended through 2026 by NĐ 351/2025/NĐ-CP), the 2016–2020
standard (QĐ 59/2015/QĐ-TTg) for the reviews of 2016–2020. Areas are the canonical codes "rural" / "urban";
classes are "poor", "near_poor", "average", "none". A household whose class cannot be decided (a value
the rule needs is missing, or the area is not rural/urban) gets None rather than a guess.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

QD59 = "qd59_2015"
ND07 = "nd07_2021"

# Review years each standard governs. NĐ 07/2021/NĐ-CP Art. 3 sets the 2022–2025 standard, and the review at
# the end of 2021 already classified households by it, to fix the start of that period (the province's review
# plan KH 177/KH-UBND of 17/8/2021, UBND tỉnh Lạng Sơn, for 2022–2025): review year 2021 is NĐ 07, and so is the
# published end-2021 baseline. QĐ 59/2015/QĐ-TTg governs the reviews of 2016–2020 (and the results reported
# during 2021, which come from no NĐ 07 review). NĐ 351/2025/NĐ-CP keeps NĐ 07's standard through 31/12/2026
# and sets new lines from 2027.
QD59_FIRST_REVIEW_YEAR = 2016
ND07_FIRST_REVIEW_YEAR = 2021
ND07_LAST_REVIEW_YEAR = 2026

RURAL = "rural"
URBAN = "urban"
CLASSES = ("poor", "near_poor", "average", "none")

# NĐ 07/2021 + TT 07/2021/TT-BLĐTBXH (Phụ lục III): score A is the income proxy; 140 points ≡ the rural
# line 1,500,000 VND, 175 points ≡ the urban line 2,000,000 VND. A ≤ threshold: poor or near-poor.
ND07_SCORE_A_THRESHOLD = {RURAL: 140, URBAN: 175}
# NĐ 07/2021 Art. 3.3: average living standard = income above the poverty line and at most
# 2,250,000 (rural) / 3,000,000 (urban) VND per person per month.
ND07_AVERAGE_INCOME_CEILING = {RURAL: 2_250_000, URBAN: 3_000_000}

# QĐ 59/2015/QĐ-TTg Art. 2: poor = income ≤ 700,000 (rural) / ≤ 900,000 (urban) VND per person per month,
# or income up to the near-poor line with ≥ 3 deprivations; near-poor = income ≤ 1,000,000 / 1,300,000
# and < 3 deprivations. QĐ 59 defines no average-living-standard class: those households are "none".
QD59_POOR_INCOME_LINE = {RURAL: 700_000, URBAN: 900_000}
QD59_NEAR_POOR_INCOME_LINE = {RURAL: 1_000_000, URBAN: 1_300_000}

# Score B (TT 07/2021): 10 points per deprived indicator, 12 indicators (NĐ 07/2021 Art. 3.1.b).
# Both standards call a household multidimensionally deprived from 3 deprivations, i.e. B ≥ 30.
POINTS_PER_DEPRIVATION = 10
N_INDICATORS = 12
POOR_MIN_SCORE_B = 3 * POINTS_PER_DEPRIVATION
MAX_SCORE_B = N_INDICATORS * POINTS_PER_DEPRIVATION
INDICATOR_COLUMNS = tuple(f"d{i:02d}" for i in range(1, N_INDICATORS + 1))
DEPRIVED = 1  # only a cell equal to 1 counts as a deprivation (contract: "number of indicators = 1")


def standard_for(review_year: int) -> str:
    """The standard the review of that year classifies by: qd59_2015 (2016–2020) or nd07_2021 (2021–2026)."""
    year = int(review_year)
    if QD59_FIRST_REVIEW_YEAR <= year < ND07_FIRST_REVIEW_YEAR:
        return QD59
    if ND07_FIRST_REVIEW_YEAR <= year <= ND07_LAST_REVIEW_YEAR:
        return ND07
    raise ValueError(f"no poverty standard is implemented for review year {year} "
                     f"(known: {QD59_FIRST_REVIEW_YEAR}–{ND07_LAST_REVIEW_YEAR}; 2027+ needs NĐ 351/2025 lines)")


def expected_class(frame: pd.DataFrame) -> pd.Series:
    """Class each household must carry given (review_year, area, income_per_capita, score_a, score_b).

    Returns an object Series on the frame's index: poor / near_poor / average / none, or None when the
    rule needs a value the row lacks (A or income missing, B missing where it decides, unknown area).
    """
    years = pd.to_numeric(frame["review_year"], errors="raise").astype(int)
    standards = years.map({y: standard_for(y) for y in years.unique()})
    area = frame["area"]
    income = pd.to_numeric(frame["income_per_capita"], errors="coerce").astype(float).to_numpy()
    score_a = pd.to_numeric(frame["score_a"], errors="coerce").astype(float).to_numpy()
    score_b = pd.to_numeric(frame["score_b"], errors="coerce").astype(float).to_numpy()
    nd07 = _nd07_class(area, income, score_a, score_b)
    qd59 = _qd59_class(area, income, score_b)
    result = np.where((standards == ND07).to_numpy(), nd07, qd59)
    return pd.Series(result, index=frame.index, dtype=object, name="expected_class")


def expected_score_b(deprivation_flags: pd.DataFrame) -> pd.Series:
    """B = 10 × number of indicator cells equal to 1; <NA> when any of the 12 cells is missing.

    Takes the 12 columns d01 … d12 (or any frame of exactly 12 indicator columns). A cell holding
    anything other than 0 or 1 is not a deprivation here; ranges are checked elsewhere.
    """
    flags = deprivation_flags[list(INDICATOR_COLUMNS)] if set(INDICATOR_COLUMNS) <= set(deprivation_flags.columns) \
        else deprivation_flags
    if flags.shape[1] != N_INDICATORS:
        raise ValueError(f"expected {N_INDICATORS} indicator columns, got {flags.shape[1]}")
    values = flags.apply(pd.to_numeric, errors="coerce")
    score = (values == DEPRIVED).sum(axis=1) * POINTS_PER_DEPRIVATION
    return score.astype("Int64").mask(values.isna().any(axis=1)).rename("expected_score_b")


def _by_area(area: pd.Series, table: dict[str, int]) -> np.ndarray:
    """Per-row threshold from a {rural, urban} table; NaN where the area is neither (one lookup per distinct area)."""
    codes, areas = pd.factorize(pd.Series(area), use_na_sentinel=False)
    return np.array([table.get(a, np.nan) for a in areas], dtype=float)[codes]


def _nd07_class(area: pd.Series, income: np.ndarray, score_a: np.ndarray, score_b: np.ndarray) -> np.ndarray:
    """NĐ 07/2021: A ≤ threshold → poor (B ≥ 30) or near-poor; above it → average (income ≤ ceiling) or none."""
    threshold = _by_area(area, ND07_SCORE_A_THRESHOLD)
    ceiling = _by_area(area, ND07_AVERAGE_INCOME_CEILING)
    below = score_a <= threshold
    above = score_a > threshold
    conditions = [
        below & (score_b >= POOR_MIN_SCORE_B),
        below & (score_b < POOR_MIN_SCORE_B),
        above & (income <= ceiling),
        above & (income > ceiling),
    ]
    return _first_match(conditions, CLASSES)


def _qd59_class(area: pd.Series, income: np.ndarray, score_b: np.ndarray) -> np.ndarray:
    """QĐ 59/2015: income ≤ poor line → poor; ≤ near-poor line → poor if B ≥ 30 else near-poor; above → none."""
    poor_line = _by_area(area, QD59_POOR_INCOME_LINE)
    near_line = _by_area(area, QD59_NEAR_POOR_INCOME_LINE)
    band = (income > poor_line) & (income <= near_line)
    conditions = [
        income <= poor_line,
        band & (score_b >= POOR_MIN_SCORE_B),
        band & (score_b < POOR_MIN_SCORE_B),
        income > near_line,
    ]
    return _first_match(conditions, ("poor", "poor", "near_poor", "none"))


def _first_match(conditions: list[np.ndarray], labels: tuple[str, ...]) -> np.ndarray:
    """Label of the first true condition per row, None where none holds (NaN comparisons are all false)."""
    result = np.full(len(conditions[0]), None, dtype=object)
    for condition, label in reversed(list(zip(conditions, labels))):
        result[condition] = label
    return result


# --- The same rules in SQL (the register stage runs them in DuckDB), from the same constants -------------
# tests/test_poverty_standard.py checks both forms give the same class on every side of every threshold.

def _sql_by_area(table: dict[str, int], area: str = "area") -> str:
    return f"CASE {area} WHEN '{RURAL}' THEN {table[RURAL]} WHEN '{URBAN}' THEN {table[URBAN]} END"


def expected_score_b_sql(indicators: tuple[str, ...] = INDICATOR_COLUMNS) -> str:
    """SQL of expected_score_b over the 12 indicator columns (NULL when any is NULL)."""
    return f"{POINTS_PER_DEPRIVATION} * (" + " + ".join(f"({c} = {DEPRIVED})::INTEGER" for c in indicators) + ")"


def standard_sql(year: str = "review_year") -> str:
    """SQL of standard_for: the standard a review year classifies by (NULL outside the years implemented)."""
    return (f"CASE WHEN {year} BETWEEN {QD59_FIRST_REVIEW_YEAR} AND {ND07_FIRST_REVIEW_YEAR - 1} THEN '{QD59}' "
            f"WHEN {year} BETWEEN {ND07_FIRST_REVIEW_YEAR} AND {ND07_LAST_REVIEW_YEAR} THEN '{ND07}' END")


def expected_class_sql(year: str = "review_year", area: str = "area", income: str = "income_per_capita",
                       score_a: str = "score_a", score_b: str = "score_b") -> str:
    """SQL of expected_class: poor / near_poor / average / none, NULL when undecidable (as None there)."""
    threshold, ceiling = _sql_by_area(ND07_SCORE_A_THRESHOLD, area), _sql_by_area(ND07_AVERAGE_INCOME_CEILING, area)
    poor_line, near_line = _sql_by_area(QD59_POOR_INCOME_LINE, area), _sql_by_area(QD59_NEAR_POOR_INCOME_LINE, area)
    nd07 = (f"CASE WHEN {score_a} <= {threshold} AND {score_b} >= {POOR_MIN_SCORE_B} THEN 'poor' "
            f"WHEN {score_a} <= {threshold} AND {score_b} < {POOR_MIN_SCORE_B} THEN 'near_poor' "
            f"WHEN {score_a} > {threshold} AND {income} <= {ceiling} THEN 'average' "
            f"WHEN {score_a} > {threshold} AND {income} > {ceiling} THEN 'none' END")
    band = f"{income} > {poor_line} AND {income} <= {near_line}"
    qd59 = (f"CASE WHEN {income} <= {poor_line} THEN 'poor' "
            f"WHEN {band} AND {score_b} >= {POOR_MIN_SCORE_B} THEN 'poor' "
            f"WHEN {band} AND {score_b} < {POOR_MIN_SCORE_B} THEN 'near_poor' "
            f"WHEN {income} > {near_line} THEN 'none' END")
    standard = standard_sql(year)
    return f"CASE {standard} WHEN '{ND07}' THEN {nd07} WHEN '{QD59}' THEN {qd59} END"
