"""The rule audit of the registers: which household rows break a rule (SQL), and why, in Vietnamese (Python).

Rules (docs/register_contract.md): values no household can have (impossible_value, one finding per column),
score B ≠ 10 × the number of indicators equal to 1 (score_b_mismatch, only where B itself is possible), a
recorded class other than the standard in force gives (class_inconsistent), and a household id (key) seen
twice in one review year, in two districts or in one district's file (duplicate_id_across_districts /
duplicate_id_in_district; every row involved is reported, since the data cannot tell which household the
id belongs to). A row breaking any rule has has_anomaly = true.

Each rule is SQL over the household rows; a row's flags are computed once, where the row is read. Only the
few rows that break a rule are fetched and get their Vietnamese detail, one by one.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.registers import poverty_standard as ps
from pipeline.registers.contract import HEADER, INDICATORS
from pipeline.schema import HOUSEHOLD_CLASS_LABELS, REGISTER_TABLES
from pipeline.vn import format_vn_number

AUDIT_COLUMNS = list(REGISTER_TABLES["register_audit"])
HOUSEHOLD_SIZE_RANGE = (1, 30)
SCORE_A_RANGE = (0, 1000)
SCORE_B_VALUES = tuple(range(0, ps.MAX_SCORE_B + 1, ps.POINTS_PER_DEPRIVATION))
INDICATOR_VALUES = (0, 1)
COMMUNE_CODE = "[0-9]{5}"
STANDARD_LABELS = {ps.QD59: "QĐ 59/2015/QĐ-TTg", ps.ND07: "NĐ 07/2021/NĐ-CP"}
_B_VALUES = ", ".join(map(str, SCORE_B_VALUES))

# (column, SQL true when the value is impossible, why in Vietnamese)
IMPOSSIBLE_VALUES = (
    ("household_size", f"household_size NOT BETWEEN {HOUSEHOLD_SIZE_RANGE[0]} AND {HOUSEHOLD_SIZE_RANGE[1]}",
     f"ngoài khoảng {HOUSEHOLD_SIZE_RANGE[0]}–{HOUSEHOLD_SIZE_RANGE[1]} người"),
    ("income_per_capita", "income_per_capita < 0", "thu nhập âm"),
    ("score_a", f"score_a NOT BETWEEN {SCORE_A_RANGE[0]} AND {SCORE_A_RANGE[1]}",
     f"ngoài khoảng {SCORE_A_RANGE[0]}–{SCORE_A_RANGE[1]} điểm"),
    ("score_b", f"score_b NOT IN ({_B_VALUES})", f"không phải bội số của 10 trong khoảng 0–{ps.MAX_SCORE_B}"),
    *((code, f"{code} NOT IN (0, 1)", "chỉ số thiếu hụt chỉ nhận 0 hoặc 1") for code in INDICATORS),
    ("commune_code", f"NOT regexp_full_match(commune_code, '{COMMUNE_CODE}')", "mã xã phải gồm 5 chữ số"),
)
SCORE_B_MISMATCH = f"score_b IN ({_B_VALUES}) AND score_b <> expected_score_b"
CLASS_INCONSISTENT = "recorded_class IS DISTINCT FROM expected_class"


def _row_flags() -> dict[str, str]:
    """SQL of one boolean per rule a row breaks on its own (per column for impossible values), over a row with
    expected_score_b and expected_class; NULL comparisons count as false."""
    flags = {f"impossible|{column}": f"coalesce({sql}, false)" for column, sql, _ in IMPOSSIBLE_VALUES}
    return flags | {"score_b_mismatch": f"coalesce({SCORE_B_MISMATCH}, false)",
                    "class_inconsistent": CLASS_INCONSISTENT}


def rules_broken() -> str:
    """SQL: the row breaks a rule on its own (every rule but duplicate ids, which needs the whole year)."""
    return "(" + " OR ".join(_row_flags().values()) + ")"


def flag_columns() -> str:
    """SQL of the row's flags as named columns (for the few rows with an anomaly: their details)."""
    return ", ".join(f"{sql} AS \"{name}\"" for name, sql in _row_flags().items())


def flag_names() -> list[str]:
    return [*_row_flags(), "duplicate_id"]


def audit_table(flagged: pd.DataFrame) -> pd.DataFrame:
    """One row per broken rule per household (and per column for impossible values), from the flagged rows.

    `flagged` holds every row with an anomaly, in file order, with its values, expected_score_b,
    expected_class, standard, source_file, source_row and the flags of flag_columns.
    """
    parts = [impossible_values(flagged), score_b_mismatches(flagged), class_inconsistencies(flagged),
             duplicate_ids(flagged)]
    parts = [p for p in parts if len(p)]
    audit = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=AUDIT_COLUMNS)
    return audit.sort_values(["review_year", "district_code", "commune_code", "source_file", "source_row", "rule",
                              "column"], kind="stable", ignore_index=True)


def findings(frame: pd.DataFrame, mask: np.ndarray, rule: str, column: str, details: list[str]) -> pd.DataFrame:
    """Audit rows for the rows in `mask` (details: one Vietnamese text per flagged row, in order)."""
    part = frame.loc[mask, ["review_year", "district_code", "commune_code", "household_key", "source_file",
                            "source_row"]].copy()
    part["rule"], part["column"], part["detail"] = rule, column, details
    return part


def impossible_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Values no household can have: size outside 1–30, negative income, indicator not 0/1, A outside
    0–1000, B outside 0–120 or not a multiple of 10, commune code not 5 digits."""
    parts = []
    for name, _, why in IMPOSSIBLE_VALUES:
        mask = frame[f"impossible|{name}"].to_numpy(dtype=bool)
        if mask.any():
            details = [f"«{HEADER[name]}» = {_value_text(v)}: {why}" for v in frame.loc[mask, name]]
            parts.append(findings(frame, mask, "impossible_value", HEADER[name], details))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=AUDIT_COLUMNS)


def score_b_mismatches(frame: pd.DataFrame) -> pd.DataFrame:
    """B ≠ 10 × number of indicators equal to 1 (only where B itself is a possible value)."""
    mask = frame["score_b_mismatch"].to_numpy(dtype=bool)
    expected = frame.loc[mask, "expected_score_b"]
    details = [f"Điểm B = {_value_text(b)} nhưng có {e // ps.POINTS_PER_DEPRIVATION} chỉ số thiếu hụt = 1, nên B phải là {e}"
               for b, e in zip(frame.loc[mask, "score_b"], expected)]
    return findings(frame, mask, "score_b_mismatch", HEADER["score_b"], details)


def class_inconsistencies(frame: pd.DataFrame) -> pd.DataFrame:
    """Recorded class ≠ the class the standard in force gives (pipeline.registers.poverty_standard)."""
    mask = frame["class_inconsistent"].to_numpy(dtype=bool)
    details = [_class_detail(row) for row in frame.loc[mask].itertuples(index=False)]
    return findings(frame, mask, "class_inconsistent", HEADER["recorded_class"], details)


def _class_detail(row) -> str:
    """'Ghi «Hộ nghèo»; theo NĐ 07/2021/NĐ-CP (nông thôn, A = 150, B = 40, thu nhập 1.800.000 đồng) phải là
    «Hộ có mức sống trung bình»': every value the class depends on (under NĐ 07, which every review year of the
    contract uses, A and B decide poor / near-poor and income decides average / none above the A line)."""
    area = "thành thị" if row.area == ps.URBAN else "nông thôn"
    expected = row.expected_class
    should = f"phải là «{HOUSEHOLD_CLASS_LABELS[expected]}»" if expected else "không xác định được phân loại"
    return (f"Ghi «{HOUSEHOLD_CLASS_LABELS[row.recorded_class]}»; theo {STANDARD_LABELS[row.standard]} "
            f"({area}, A = {_value_text(row.score_a)}, B = {_value_text(row.score_b)}, "
            f"thu nhập {_value_text(row.income_per_capita)} đồng) {should}")


def duplicate_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Every row whose household key occurs again in the same year, naming the other file(s) and line(s)."""
    same_year = frame["duplicate_id"].to_numpy(dtype=bool)
    if not same_year.any():
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    rows = frame.loc[same_year, ["review_year", "household_key", "district_code", "source_file", "source_row"]]
    rows = rows.assign(position=np.flatnonzero(same_year))
    pairs = rows.merge(rows, on=["review_year", "household_key"], suffixes=("", "_other"))
    pairs = pairs[pairs["position"] != pairs["position_other"]]
    parts = []
    for rule, same_district, wording in (("duplicate_id_across_districts", False, "Mã hộ trùng với"),
                                         ("duplicate_id_in_district", True, "Mã hộ lặp lại ở")):
        chosen = pairs[(pairs["district_code"] == pairs["district_code_other"]).to_numpy() == same_district]
        if chosen.empty:
            continue
        places = (chosen["source_file_other"] + " dòng " + chosen["source_row_other"].astype("str")) \
            .groupby(chosen["position"].to_numpy()).agg("; ".join)  # sorted by position = file order
        mask = np.zeros(len(frame), dtype=bool)
        mask[places.index.to_numpy()] = True
        years = frame["review_year"].to_numpy()[mask]
        details = [f"{wording} {p} (cùng năm {y})" for p, y in zip(places.tolist(), years)]
        parts.append(findings(frame, mask, rule, HEADER["household_id"], details))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=AUDIT_COLUMNS)


def _value_text(value: float | str) -> str:
    """A number as Vietnamese readers write it: 1.500.000, 35,5; a code as it is; 'trống' when empty."""
    if isinstance(value, str):
        return f"«{value}»"
    if pd.isna(value):
        return "trống"
    return format_vn_number(value, 0 if float(value).is_integer() else 2)
