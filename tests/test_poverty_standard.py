"""Classification rules at every threshold edge, both standards, rural and urban.

Every expected value below is written by hand from docs/register_contract.md (QĐ 59/2015 for the reviews of
2016–2020, NĐ 07/2021 from the end-2021 review on: NĐ 07/2021/NĐ-CP Art. 3, KH 177/KH-UBND of 17/8/2021 of
UBND tỉnh Lạng Sơn), never computed by the code under test.
"""
import pandas as pd
import pytest

from pipeline.registers import poverty_standard as ps
from pipeline.schema import REGISTER_YEARS

# (review_year, area, income_per_capita, score_a, score_b, expected class, why)
ND07_CASES = [
    # score A at the rural threshold 140 / 141
    (2022, "rural", 1_400_000, 140, 30, "poor", "A = 140 rural is at the line; B = 30 is poor"),
    (2022, "rural", 1_400_000, 140, 20, "near_poor", "A = 140 rural, B = 20 < 30"),
    (2022, "rural", 1_400_000, 141, 30, "average", "A = 141 rural is above; income ≤ 2.25M"),
    (2022, "rural", 2_500_000, 141, 90, "none", "above the A line, deprivations do not matter"),
    # score A at the urban threshold 175 / 176
    (2023, "urban", 1_900_000, 175, 30, "poor", "A = 175 urban is at the line"),
    (2023, "urban", 1_900_000, 175, 0, "near_poor", "A = 175 urban, B = 0"),
    (2023, "urban", 1_900_000, 176, 30, "average", "A = 176 urban is above"),
    (2023, "urban", 3_500_000, 176, 30, "none", "A above, income above the urban ceiling"),
    # the same A scored rural vs urban
    (2024, "rural", 1_800_000, 150, 40, "average", "150 > 140 rural"),
    (2024, "urban", 1_800_000, 150, 40, "poor", "150 ≤ 175 urban, B = 40"),
    (2024, "rural", 1_800_000, 160, 10, "average", "160 > 140 rural"),
    (2024, "urban", 1_800_000, 160, 10, "near_poor", "160 ≤ 175 urban, B = 10"),
    # B at 20 / 30, and the extremes
    (2022, "rural", 900_000, 100, 20, "near_poor", "B = 20"),
    (2022, "rural", 900_000, 100, 30, "poor", "B = 30"),
    (2022, "urban", 900_000, 100, 120, "poor", "B = 120"),
    (2022, "urban", 900_000, 100, 0, "near_poor", "B = 0"),
    # average-standard income ceilings 2,250,000 rural / 3,000,000 urban
    (2022, "rural", 2_250_000, 200, 0, "average", "income = 2,250,000 rural is average"),
    (2022, "rural", 2_250_001, 200, 0, "none", "income = 2,250,001 rural is above"),
    (2022, "urban", 3_000_000, 200, 0, "average", "income = 3,000,000 urban is average"),
    (2022, "urban", 3_000_001, 200, 0, "none", "income = 3,000,001 urban is above"),
    (2022, "urban", 2_250_001, 200, 0, "average", "a rural 'none' income is average in town"),
    # A decides poor/near-poor whatever the income (income only separates average from none)
    (2024, "rural", 5_000_000, 120, 40, "poor", "A ≤ 140: income is not a criterion"),
    (2024, "rural", 100_000, 300, 40, "average", "A > 140 with a very low income"),
    # the end-2021 review classifies by NĐ 07 too: A and B, and an average class
    (2021, "rural", 1_400_000, 140, 30, "poor", "2021: A = 140 rural is at the line, B = 30"),
    (2021, "rural", 1_400_000, 140, 20, "near_poor", "2021: A = 140 rural, B = 20"),
    (2021, "urban", 1_900_000, 176, 30, "average", "2021: A = 176 urban is above; an average class exists"),
    (2021, "urban", 3_000_001, 176, 30, "none", "2021: above the A line and the urban ceiling"),
    (2021, "rural", 600_000, 200, 50, "average", "2021: income under QĐ 59's poor line, but A > 140"),
    (2021, "rural", 1_200_000, 100, 0, "near_poor", "2021: above QĐ 59's near-poor line, but A ≤ 140"),
]

QD59_CASES = [
    # rural poor line 700,000 / 700,001
    (2016, "rural", 700_000, None, 0, "poor", "income = 700,000 rural is poor whatever B"),
    (2020, "rural", 700_001, None, 20, "near_poor", "700,001 rural with B = 20"),
    (2020, "rural", 700_001, None, 30, "poor", "700,001 rural with B = 30"),
    # rural near-poor line 1,000,000 / 1,000,001
    (2020, "rural", 1_000_000, None, 30, "poor", "1,000,000 rural with B = 30"),
    (2020, "rural", 1_000_000, None, 20, "near_poor", "1,000,000 rural with B = 20"),
    (2020, "rural", 1_000_001, None, 120, "none", "above 1,000,000 rural: none however deprived"),
    (2020, "rural", 1_000_001, None, 0, "none", "above 1,000,000 rural"),
    # urban lines 900,000 / 1,300,000 / 1,300,001
    (2020, "urban", 900_000, None, 0, "poor", "900,000 urban is poor whatever B"),
    (2020, "urban", 900_001, None, 20, "near_poor", "900,001 urban, B = 20"),
    (2020, "urban", 900_001, None, 30, "poor", "900,001 urban, B = 30"),
    (2020, "urban", 1_300_000, None, 30, "poor", "1,300,000 urban, B = 30"),
    (2020, "urban", 1_300_000, None, 20, "near_poor", "1,300,000 urban, B = 20"),
    (2020, "urban", 1_300_001, None, 30, "none", "1,300,001 urban is above"),
    # the same income rural vs urban
    (2020, "rural", 800_000, None, 0, "near_poor", "800,000 rural is between the rural lines"),
    (2020, "urban", 800_000, None, 0, "poor", "800,000 urban is under the urban poor line"),
    (2020, "rural", 1_200_000, None, 0, "none", "1,200,000 rural is above the rural near-poor line"),
    (2020, "urban", 1_200_000, None, 0, "near_poor", "1,200,000 urban is between the urban lines"),
    # QĐ 59 has no average class; A (if present) is ignored
    (2020, "rural", 2_000_000, None, 0, "none", "no average class under QĐ 59"),
    (2020, "rural", 2_000_000, 100, 50, "none", "A plays no part under QĐ 59"),
    (2020, "rural", 600_000, 500, 0, "poor", "A plays no part under QĐ 59"),
]

UNDECIDABLE_CASES = [
    (2022, "rural", 1_000_000, None, 30, None, "NĐ 07 needs A"),
    (2022, "rural", 1_000_000, 100, None, None, "A ≤ 140 needs B"),
    (2022, "rural", None, 200, 30, None, "A > 140 needs income"),
    (2020, "rural", None, None, 30, None, "QĐ 59 needs income"),
    (2020, "rural", 800_000, None, None, None, "the 700k–1M band needs B"),
    (2021, "rural", 600_000, None, 30, None, "the end-2021 review is NĐ 07: it needs A"),
    (2022, "Nông thôn", 1_000_000, 100, 30, None, "raw labels are not canonical areas"),
]


def frame(cases):
    columns = ["review_year", "area", "income_per_capita", "score_a", "score_b"]
    return pd.DataFrame([case[:5] for case in cases], columns=columns)


@pytest.mark.parametrize("case", ND07_CASES + QD59_CASES + UNDECIDABLE_CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[6]}")
def test_expected_class_one_household(case):
    assert ps.expected_class(frame([case])).iloc[0] == case[5]


def test_expected_class_vectorised_keeps_the_index_and_order():
    cases = ND07_CASES + QD59_CASES + UNDECIDABLE_CASES
    households = frame(cases)
    households.index = range(1000, 1000 + len(cases))
    result = ps.expected_class(households)
    assert list(result.index) == list(households.index)
    assert result.tolist() == [case[5] for case in cases]


def test_expected_class_accepts_text_numbers_as_read_from_csv():
    households = pd.DataFrame({"review_year": ["2022", "2020"], "area": ["urban", "rural"],
                               "income_per_capita": ["3000000", "700001"], "score_a": ["176", ""],
                               "score_b": ["0", "30"]})
    assert ps.expected_class(households).tolist() == ["average", "poor"]


@pytest.mark.parametrize("year, standard", [(2016, "qd59_2015"), (2020, "qd59_2015"), (2021, "nd07_2021"),
                                            (2022, "nd07_2021"), (2024, "nd07_2021"), (2026, "nd07_2021")])
def test_standard_for(year, standard):
    assert ps.standard_for(year) == standard


def test_every_register_review_year_is_an_nd07_review():
    """The register contract requires Điểm A in every file: that holds because each of its review years,
    the end-2021 one included, classifies by NĐ 07/2021, whose class needs A."""
    assert [ps.standard_for(year) for year in REGISTER_YEARS] == ["nd07_2021"] * 4


@pytest.mark.parametrize("year", [2015, 2027])
def test_standard_for_unknown_year_raises(year):
    with pytest.raises(ValueError, match=str(year)):
        ps.standard_for(year)


def test_thresholds_are_the_legal_figures():
    assert ps.ND07_SCORE_A_THRESHOLD == {"rural": 140, "urban": 175}
    assert ps.ND07_AVERAGE_INCOME_CEILING == {"rural": 2_250_000, "urban": 3_000_000}
    assert ps.QD59_POOR_INCOME_LINE == {"rural": 700_000, "urban": 900_000}
    assert ps.QD59_NEAR_POOR_INCOME_LINE == {"rural": 1_000_000, "urban": 1_300_000}
    assert ps.POOR_MIN_SCORE_B == 30


FLAG_CASES = [
    ([0] * 12, 0),
    ([1] * 12, 120),
    ([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 10),
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 10),
    ([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 20),
    ([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0], 30),
    ([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0], 60),
    ([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0),   # "2" is not a deprivation (an impossible value)
    ([2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 20),
]


def test_expected_score_b():
    flags = pd.DataFrame([row for row, _ in FLAG_CASES], columns=ps.INDICATOR_COLUMNS)
    assert ps.expected_score_b(flags).tolist() == [b for _, b in FLAG_CASES]


def test_expected_score_b_picks_the_indicator_columns_and_flags_missing_cells():
    flags = pd.DataFrame([[1] * 12, [1] * 11 + [None]], columns=ps.INDICATOR_COLUMNS)
    flags["score_b"] = 999  # other columns are ignored
    result = ps.expected_score_b(flags)
    assert result.iloc[0] == 120
    assert result.isna().tolist() == [False, True]


def test_expected_score_b_reads_text_cells():
    flags = pd.DataFrame([["1", "0", "1", "1"] + ["0"] * 8], columns=ps.INDICATOR_COLUMNS)
    assert ps.expected_score_b(flags).tolist() == [30]


def test_expected_score_b_refuses_a_wrong_number_of_columns():
    with pytest.raises(ValueError, match="12"):
        ps.expected_score_b(pd.DataFrame([[1] * 11]))


# ---------------------------------------------------------------- the same rules in SQL (the register stage's)

def sql_of(frame_: pd.DataFrame, expression: str) -> list:
    """`expression` evaluated by DuckDB on every row of the frame."""
    import duckdb

    con = duckdb.connect()
    con.register("households", frame_)
    return [row[0] for row in con.execute(f"SELECT {expression} FROM households").fetchall()]


def sql_classes(cases) -> list:
    return sql_of(frame(cases), ps.expected_class_sql())


def test_expected_class_sql_gives_the_hand_written_class_of_every_case():
    cases = ND07_CASES + QD59_CASES + UNDECIDABLE_CASES
    assert sql_classes(cases) == [case[5] for case in cases]


def test_expected_score_b_sql_counts_only_cells_equal_to_one():
    flags = pd.DataFrame([row for row, _ in FLAG_CASES], columns=ps.INDICATOR_COLUMNS)
    assert sql_of(flags, ps.expected_score_b_sql()) == [b for _, b in FLAG_CASES]


@pytest.mark.parametrize("year, standard", [(2016, "qd59_2015"), (2020, "qd59_2015"), (2021, "nd07_2021"),
                                            (2026, "nd07_2021"), (2015, None), (2027, None)])
def test_standard_sql(year, standard):
    import duckdb

    assert duckdb.sql(f"SELECT {ps.standard_sql(str(year))}").fetchall()[0][0] == standard
