"""Synthetic household review registers (rà soát hộ nghèo) for Lạng Sơn, review years 2021–2024.

Inputs: data/raw/districts.csv (codes, poor-district flags per period, commune counts) and the published
province figures (constants below). Output: one CSV per district and year, exactly as
docs/register_contract.md describes, plus SYNTHETIC.json, the generator manifest (targets, counts, flows and
every planted anomaly with file and line). Same seed and K give byte-identical files and manifest.

K (`--scale`, `scale=`) is a multiplier of households per district: 0.02 for small tests, 1 the province,
34 about national size (≈ 27 M household rows over the four years); distributions stay the same, ids are new.

Everything below the province totals is SYNTHETIC: district shares and rates, communes, households, names,
ID numbers and addresses are made up. Only the recorded province counts of 2021 and 2024 at K = 1 equal
published figures; 2022 and 2023 are linear interpolations; at other K the totals are K times these, rounded.

How it works, in short: households live in a district and commune for a span of years; each year a
latent welfare (AR(1) over years) ranks them, the poorest get the district's poor + near-poor quota and,
among those, the most deprived are poor. Values (income, score A, 12 indicators) are then drawn so that
the class the rules of pipeline.registers.poverty_standard give equals that quota exactly. Every review year
2021–2024 is classified under NĐ 07/2021/NĐ-CP (A and B), the end-2021 review included (Art. 3; the
province's review plan KH 177/KH-UBND of 17/8/2021, UBND tỉnh Lạng Sơn): its totals are the published end-2021
baseline, a figure under that standard. Anomalies are planted last and each breaks exactly one rule.

Memory and speed: districts are generated one at a time (all their years, one year's file at a time), each
from its own random stream, so memory grows with the largest district, not with the province. What used to
be computed over the whole province is fixed before any district is drawn: the welfare standardisation and
the 2021 indicator cut-offs (exact population values of the model, `calibrate`), the anomaly counts per
district (`allocate_anomalies`) and the district pairs of duplicated ids, whose donor is always a district
generated earlier. Files are rendered column-wise with pyarrow, never row by row in Python.

CLI: python -m pipeline.tools.synthetic_registers [--out data/raw/registers] [--scale K] [--seed N]
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import paths, sources
from pipeline.atomic import temporary_beside, write_bytes
from pipeline.registers import files as register_files
from pipeline.registers import poverty_standard as ps
from pipeline.vn import nfc

GENERATOR_VERSION = "3.0.0"  # 3: the 2021 review under NĐ 07/2021 (A and B), as 2022–2024
DEFAULT_SEED = 20211231
REVIEW_YEARS = (2021, 2022, 2023, 2024)
DEFAULT_OUT = paths.RAW / "registers"
MANIFEST_NAME = "SYNTHETIC.json"
DISTRICTS_FILE = paths.RAW / "districts.csv"

NOTICE_VI = ("Dữ liệu giả lập: số liệu cấp huyện, xã và hộ là giả lập, không phải số liệu chính thức. "
             "Với hệ số K = 1, chỉ tổng số hộ nghèo, cận nghèo toàn tỉnh năm 2021 và 2024 khớp số liệu công bố "
             "(với K khác: K lần số công bố, làm tròn); 2022, 2023 là nội suy.")
NOTICE_EN = ("Synthetic data: district, commune and household figures are synthetic, not official. At K = 1 only the "
             "province poor and near-poor totals of 2021 and 2024 equal published figures (at other K: K times them, "
             "rounded); 2022 and 2023 are interpolated.")

# --- Published province figures (NĐ 07/2021 standard, as the province's poverty-review results were reported) --
# Total households are not published for these years: they are derived from the same reports' count and
# rate, total = round(poor / rate) (≈192.7k for 2021, ≈205.7k for 2024).
PUBLISHED = {
    2021: {"poor": 23_511, "near_poor": 23_247, "poor_rate_pct": "12.20",
           "source": f"end-2021 baseline: {sources.DANVIET_2025.cite()}; {sources.VIETNAM_VN_2025.cite()}"},
    2024: {"poor": 6_912, "near_poor": 16_451, "poor_rate_pct": "3.36",
           "source": f"end-2024: {sources.DANVIET_2024.cite()}; {sources.TCKTTC_2025.cite()}"},
}

# --- The register's columns, exactly as docs/register_contract.md lists them ---------------------------
INDICATOR_HEADERS = (
    "TH01 Việc làm", "TH02 Người phụ thuộc trong hộ gia đình", "TH03 Dinh dưỡng", "TH04 Bảo hiểm y tế",
    "TH05 Trình độ giáo dục của người lớn", "TH06 Tình trạng đi học của trẻ em", "TH07 Chất lượng nhà ở",
    "TH08 Diện tích nhà ở bình quân đầu người", "TH09 Nguồn nước sinh hoạt", "TH10 Nhà tiêu hợp vệ sinh",
    "TH11 Sử dụng dịch vụ viễn thông", "TH12 Phương tiện phục vụ tiếp cận thông tin",
)
COLUMNS = (
    ("Năm rà soát", "review_year"), ("Mã hộ", "household_id"), ("Mã huyện", "district_code"),
    ("Mã xã", "commune_code"), ("Khu vực", "area"), ("Số nhân khẩu", "household_size"),
    ("Thu nhập bình quân (đồng/người/tháng)", "income_per_capita"), ("Điểm A", "score_a"),
    *zip(INDICATOR_HEADERS, ps.INDICATOR_COLUMNS),
    ("Điểm B", "score_b"), ("Phân loại", "recorded_class"), ("Dân tộc thiểu số", "ethnic_minority"),
    ("Họ và tên chủ hộ", "head_name"), ("Số CCCD/CMND", "id_number"), ("Địa chỉ", "address"),
)
HEADER_OF = {name: header for header, name in COLUMNS}
AREA_LABELS = {ps.RURAL: "Nông thôn", ps.URBAN: "Thành thị"}
CLASS_LABELS = {"poor": "Hộ nghèo", "near_poor": "Hộ cận nghèo", "average": "Hộ có mức sống trung bình",
                "none": "Không thuộc diện"}
YES_NO_LABELS = {True: "Có", False: "Không"}

# --- Synthetic district profile (NOT official: shapes chosen to be plausible, then scaled) --------------
# code: (share of province households, urban share, ethnic-minority share,
#        poor rate % 2021, poor rate % 2024, near-poor rate % 2021, near-poor rate % 2024).
# Rates are relative shapes: each year they are multiplied by one factor so the province sums hit the targets.
# Poor districts (30a set in 2021, QĐ 353 set from 2022) start far higher and fall ≥ 5 points a year;
# Đình Lập leaves the set in 2022 and falls fastest; the others fall about 3 points a year where their
# 2021 rate allows it.
DISTRICT_PROFILE = {
    "178": (0.140, 0.85, 0.45, 2.0, 0.5, 3.5, 2.5),
    "180": (0.080, 0.08, 0.92, 14.0, 3.5, 13.0, 9.0),
    "181": (0.066, 0.07, 0.95, 27.0, 9.5, 22.0, 17.0),
    "182": (0.065, 0.08, 0.93, 13.0, 3.2, 13.0, 9.0),
    "183": (0.105, 0.14, 0.85, 10.0, 2.5, 11.0, 7.5),
    "184": (0.068, 0.07, 0.94, 26.0, 8.5, 24.0, 18.0),
    "185": (0.088, 0.08, 0.85, 15.0, 3.8, 14.0, 9.0),
    "186": (0.155, 0.09, 0.55, 9.0, 2.0, 10.0, 6.5),
    "187": (0.095, 0.13, 0.75, 11.0, 2.8, 12.0, 8.0),
    "188": (0.103, 0.11, 0.90, 14.0, 3.5, 13.0, 9.0),
    "189": (0.035, 0.16, 0.80, 25.0, 4.5, 20.0, 11.0),
}

# --- Household dynamics (synthetic) --------------------------------------------------------------------
EXIT_RATE = 0.012            # share of a district's households that leave the register each year
WELFARE_PERSISTENCE = 0.70   # AR(1) coefficient of transitory welfare year to year
DEPRIVATION_PERSISTENCE = 0.75
WELFARE_PERMANENT_SD = 0.6
WELFARE_TRANSITORY_SD = 0.8  # transitory part is stationary N(0, 1) every year, scaled by this
URBAN_WELFARE = 0.5          # urban households are better off …
MINORITY_WELFARE = -0.45     # … ethnic-minority households worse off (and more deprived, below)
NEW_HOUSEHOLD_WELFARE = -0.2 # newly split households start a little poorer
MINORITY_DEPRIVATION = 0.3
URBAN_DEPRIVATION = -0.2
WELFARE_ON_DEPRIVATION = -0.6
OWN_DEPRIVATION = 0.8        # weight of the household's own AR(1) deprivation shock (stationary N(0, 1))
SIZE_CHANGE_PROB = 0.08      # chance a household gains or loses one member in a year
MAX_HOUSEHOLD_SIZE = 10

# Indicator model: S = 0.6·propensity + 0.45·group + 0.35·own + 0.4·yearly noise − drift·(year − 2021);
# the pairs sharing a group component are correlated (housing quality ↔ area, water ↔ toilet, …).
INDICATOR_GROUP = np.array([0, 0, 1, 2, 3, 3, 4, 4, 5, 5, 6, 6])  # TH01+02, TH03, TH04, TH05+06, TH07+08, TH09+10, TH11+12
N_GROUPS = 7
LOADING_PROPENSITY, LOADING_GROUP, LOADING_OWN, LOADING_NOISE = 0.6, 0.45, 0.35, 0.4
DEPRIVATION_DRIFT = 0.10     # deprivations become rarer each year
URBAN_INDICATOR_SHIFT = np.array([0, 0, 0, 0, 0, 0, 0, 0, -0.5, -0.5, -0.5, 0])  # water, toilet, telecom
# Share of 2021 households deprived in each indicator (synthetic, plausible for a mountain province).
INDICATOR_PREVALENCE_2021 = np.array([0.10, 0.12, 0.06, 0.04, 0.12, 0.03, 0.09, 0.08, 0.14, 0.22, 0.18, 0.07])

# Values drawn for a class (VND, points). Incomes are rounded to 1,000 đồng, as forms record them.
INCOME_ROUNDING = 1_000
MIN_INCOME = 150_000
MIN_SCORE_A = 35
MAX_SCORE_A = 480
LOW_A_SHARE = 0.42           # the poorest below-line household scores ≈ 42 % of the A threshold
ND07_POVERTY_LINE = {ps.RURAL: 1_500_000, ps.URBAN: 2_000_000}  # NĐ 07/2021 Art. 3.1.a (≡ 140 / 175 points)

# --- Planted anomalies: share of a year's rows per kind (at least one per kind and year) ---------------
ANOMALY_RATES = {
    "class_inconsistent": 0.0010,
    "score_b_mismatch": 0.0010,
    "duplicate_id_across_districts": 0.0005,  # pairs
    "impossible_value": 0.0015,
}
IMPOSSIBLE_KINDS = ("household_size_zero", "negative_income", "indicator_value_2", "score_a_over_1000")
DUPLICATE = "duplicate_id_across_districts"

# --- Synthetic personal fields: realistic shape, obviously fake values --------------------------------
MINORITY_SURNAMES = ("Hoàng", "Nông", "Lương", "Vi", "Hà", "Lộc", "Lăng", "Triệu", "Mã", "Chu", "Hứa", "Dương",
                     "Lành", "Tô", "Đinh")
KINH_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Vũ", "Đỗ", "Bùi", "Ngô", "Đặng", "Phan")
MALE_MIDDLE = ("Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh")
FEMALE_MIDDLE = ("Thị", "Thị", "Ngọc", "Thanh")  # "Thị" twice: it is the most common
MALE_GIVEN = ("Hùng", "Tuấn", "Hải", "Dũng", "Bình", "Sơn", "Thắng", "Cường", "Phúc", "Lực", "Quân", "Tùng",
              "Khánh", "Long", "Nam", "Thành")
FEMALE_GIVEN = ("Lan", "Hoa", "Mai", "Hương", "Nga", "Hạnh", "Tâm", "Thảo", "Yến", "Liên", "Huệ", "Thu")
FEMALE_HEAD_SHARE = 0.22
ID_NUMBER_PREFIX = "000"     # no Vietnamese province has code 000: every ID number is visibly fake
ID_NUMBER_DIGITS = 9         # after the prefix: 12 digits in all, as a CCCD number
MAX_VILLAGE = 18
ADDRESS_PARTS = ("Thôn ", ", xã ")  # "Thôn <village>, xã <commune code>"
NAME_PARTS = (MINORITY_SURNAMES + KINH_SURNAMES, MALE_MIDDLE + FEMALE_MIDDLE, MALE_GIVEN + FEMALE_GIVEN)
# Every surname × middle × given combination (7,000), NFC: a head name is stored as its position here.
NAME_VOCABULARY = tuple(nfc(f"{a} {b} {c}") for a in NAME_PARTS[0] for b in NAME_PARTS[1] for c in NAME_PARTS[2])
HOUSEHOLD_ID_PREFIX = "HH-"  # "HH-<district code>-<serial>": visibly synthetic
DISTRICT_CODE_DIGITS = 3     # the contract's district codes
COMMUNE_CODE_DIGITS = 5      # District.commune_codes(): "9" + 2 + 2 digits
MIN_ID_DIGITS = 7            # serial digits at K ≤ ~30 (the ids of earlier versions)
ID_SPARSITY = 10             # a district's households use at most a tenth of the serial space, so ids look random

QD353_FIRST_REVIEW_YEAR = 2022  # first review after QĐ 353/QĐ-TTg of 15/3/2022 (poor districts 2021–2025)

CSV_CHUNK_ROWS = 1 << 18     # rows rendered at once: bounds the memory of the text columns
PROVINCE_STREAM, DISTRICT_STREAM = 0, 1  # spawn keys: province-level draws; one stream per district


@dataclass(frozen=True)
class District:
    code: str
    name: str
    poor_2016_2020: bool
    poor_2021_2025: bool
    n_urban_units: int  # phường + thị trấn: rows there are "Thành thị"
    n_rural_units: int  # xã: "Nông thôn"

    def is_poor(self, year: int) -> bool:
        """Poor district at that review: the 30a set until QĐ 353/QĐ-TTg (15/3/2022) listed 2021–2025's, so the
        30a set for the end-2021 review, QĐ 353's from 2022."""
        return self.poor_2016_2020 if year < QD353_FIRST_REVIEW_YEAR else self.poor_2021_2025

    def commune_codes(self) -> list[str]:
        """Synthetic 5-digit codes "9" + last two digits of the district + index; urban units come first."""
        return [f"9{self.code[-2:]}{i:02d}" for i in range(1, self.n_urban_units + self.n_rural_units + 1)]

    def urban_share(self) -> float:
        """Share of households in urban units: the profile's share, or 0 where the district has none."""
        return DISTRICT_PROFILE[self.code][1] if self.n_urban_units else 0.0

    def minority_share(self) -> float:
        return DISTRICT_PROFILE[self.code][2]


@dataclass(frozen=True)
class Calibration:
    """Province-wide constants fixed before any district is drawn (see calibrate)."""
    welfare_mean: float
    welfare_sd: float
    cutoffs: np.ndarray  # indicator cut-offs of the latent scores, fixed on 2021


@dataclass(frozen=True)
class Households:
    """Every household ever on one district's registers (row = key): fixed attributes and per-year states.

    Identity and personal fields are kept as numbers (id serial, name parts, ID number, village) and become
    text only when a file is rendered, so a district of a million households stays small in memory.
    """
    first_year: np.ndarray
    last_year: np.ndarray
    urban: np.ndarray
    minority: np.ndarray
    commune: np.ndarray         # position in District.commune_codes() (so also in code order)
    village: np.ndarray
    id_serial: np.ndarray       # digits of HH-<district>-<serial>
    name_code: np.ndarray       # position in NAME_VOCABULARY
    id_number: np.ndarray       # digits after ID_NUMBER_PREFIX
    welfare: np.ndarray         # rows × years
    propensity: np.ndarray      # rows × years
    size: np.ndarray            # rows × years
    indicator_base: np.ndarray  # rows × 12: fixed group + own components of the indicator scores


@dataclass(frozen=True)
class Province:
    """Everything province-wide, fixed before any household is drawn, that each district's generation reads."""
    districts: list[District]
    plan: dict            # district_plan: year -> district -> households, poor, near-poor
    calibration: Calibration
    id_digits: int        # serial digits of every household id of the run
    quotas: dict          # allocate_anomalies: year -> district -> AnomalyQuota


@dataclass(frozen=True)
class AnomalyQuota:
    """What one district-year must plant: rows per (kind, detail), ids it lends and the loans it copies."""
    counts: dict[tuple[str, str], int]
    lends: list[int]    # pair numbers for which this district-year lends a household's id
    borrows: list[int]  # pair numbers for which one of its households carries another district's id


def generate(out_dir: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict:
    """Write the 44 register files and SYNTHETIC.json into out_dir; return the manifest.

    scale is K, a multiplier of households per district (K > 0; 1 = the province's published totals).
    """
    # Load inputs
    out_dir = Path(out_dir)
    _check_multiplier(scale)
    _check_standard()
    _refuse_real_registers(out_dir)
    districts = load_districts(DISTRICTS_FILE)

    # Everything province-wide, fixed before any household is drawn
    targets = province_targets(scale)
    plan = district_plan(targets, districts)
    province = Province(districts, plan, calibrate(plan, districts),
                        household_id_digits(max(ever_households(_counts(plan, d.code)) for d in districts)),
                        allocate_anomalies(plan, districts, _stream(seed, PROVINCE_STREAM)))
    manifest = _manifest_head(seed, scale, targets, districts, province.id_digits)

    # Save outputs: the manifest first (marked incomplete), so the directory is known to be synthetic
    # even if the run stops half-way; then each district's files, one year at a time, as soon as checked.
    _write_manifest(out_dir, manifest)
    loans: dict[tuple[int, int], dict] = {}  # (year, pair) -> the lending household's identity and place
    results = []
    for index, district in enumerate(districts):
        results.append(generate_district(out_dir, province, index, loans, _stream(seed, DISTRICT_STREAM, int(district.code))))
        manifest["files"].update(results[-1]["files"])
    _fill_manifest(manifest, results, targets)
    _write_manifest(out_dir, manifest)
    return manifest


def _check_multiplier(scale: float) -> None:
    """K must be a positive finite number (a K so small that a district gets no household fails in district_plan)."""
    if isinstance(scale, bool) or not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale (K) must be a positive multiplier of households, got {scale!r}")


def _check_standard() -> None:
    """Values are drawn the NĐ 07/2021 way (A and B) only: every review year must classify by it."""
    other = [year for year in REVIEW_YEARS if ps.standard_for(year) != ps.ND07]
    if other:
        raise ValueError(f"review years {other} are not classified under NĐ 07/2021; the generator draws no other standard")


def _stream(seed: int, *key: int) -> np.random.Generator:
    """An independent random stream per purpose: same seed and key, same draws, whatever runs before."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _counts(plan: dict, code: str) -> list[int]:
    """A district's households per review year."""
    return [plan[year][code]["households"] for year in REVIEW_YEARS]


def _write_manifest(out_dir: Path, manifest: dict) -> None:
    """SYNTHETIC.json: UTF-8, readable Vietnamese, stable key order (so reruns are byte-identical)."""
    write_bytes(out_dir / MANIFEST_NAME, manifest_text(manifest).encode("utf-8"))


def manifest_text(manifest: dict) -> str:
    """JSON indented by one space per level, except the anomalies: one per line, which reads better and keeps
    the text fast to write at large K (json's C encoder only works without indent)."""
    members = []
    for key, value in manifest.items():
        if key == "anomalies" and value:
            text = "[\n" + ",\n".join(" " + json.dumps(entry, ensure_ascii=False) for entry in value) + "\n]"
        else:
            text = json.dumps(value, ensure_ascii=False, indent=1)
        members.append(f" {json.dumps(key)}: {text.replace(chr(10), chr(10) + ' ')}")
    return "{\n" + ",\n".join(members) + "\n}\n"


# --- Targets ------------------------------------------------------------------------------------------

def province_targets(scale: float = 1.0) -> dict[int, dict]:
    """Households, poor and near-poor per review year: published (2021, 2024) or linear interpolation, × K.

    K × the unscaled figure, rounded half up exactly (K is read as its decimal text, so 0.02 is 1/50).
    """
    published = {year: _published_year(year) for year in PUBLISHED}
    first, last = min(published), max(published)
    targets = {}
    for year in REVIEW_YEARS:
        if year in published:
            values = published[year]
        else:
            weight = Fraction(year - first, last - first)
            values = {key: _round_half_up(published[first][key] + weight * (published[last][key] - published[first][key]))
                      for key in ("households", "poor", "near_poor")}
            values |= {"kind": "interpolated",
                       "source": f"linear interpolation between {first} and {last} (no published figure)"}
        scaled = {key: _round_half_up(Fraction(values[key]) * Fraction(str(scale))) for key in ("households", "poor", "near_poor")}
        targets[year] = {**scaled, "unscaled": {k: values[k] for k in ("households", "poor", "near_poor")},
                         **{k: v for k, v in values.items() if k not in ("households", "poor", "near_poor")}}
    return targets


def _published_year(year: int) -> dict:
    """One published year, with total households = round(poor / rate) and the derivation spelled out."""
    figures = PUBLISHED[year]
    households = _round_half_up(Fraction(figures["poor"]) * 100 / Fraction(figures["poor_rate_pct"]))
    return {"households": households, "poor": figures["poor"], "near_poor": figures["near_poor"], "kind": "published",
            "source": figures["source"],
            "households_derivation": f"round({figures['poor']} / {figures['poor_rate_pct']} %) = {households}"}


def _round_half_up(value: Fraction | int) -> int:
    """Exact rounding, halves up (no float artefacts in published-figure arithmetic)."""
    return int(Fraction(value) + Fraction(1, 2)) if value >= 0 else -_round_half_up(-Fraction(value))


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to weights summing exactly to total (largest remainder, ties by position)."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    base = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return base


def district_plan(targets: dict[int, dict], districts: list[District]) -> dict[int, dict[str, dict]]:
    """Per year and district: households, poor, near-poor. Province sums equal the targets exactly."""
    profile = np.array([DISTRICT_PROFILE[d.code] for d in districts])
    shares = profile[:, 0]
    plan = {}
    for year in REVIEW_YEARS:
        t = (year - REVIEW_YEARS[0]) / (REVIEW_YEARS[-1] - REVIEW_YEARS[0])
        households = allocate(targets[year]["households"], shares)
        poor_shape = profile[:, 3] + t * (profile[:, 4] - profile[:, 3])
        near_shape = profile[:, 5] + t * (profile[:, 6] - profile[:, 5])
        poor = allocate(targets[year]["poor"], households * poor_shape)
        near = allocate(targets[year]["near_poor"], households * near_shape)
        if np.any(poor + near > households):
            raise ValueError(f"{year}: poor + near-poor exceed households in a district; check DISTRICT_PROFILE")
        if np.any(households == 0):
            raise ValueError(f"{year}: a district gets no household at this K; use a larger K")
        plan[year] = {d.code: {"households": int(h), "poor": int(p), "near_poor": int(n)}
                      for d, h, p, n in zip(districts, households, poor, near)}
    return plan


def load_districts(path: Path) -> list[District]:
    """The 11 districts from data/raw/districts.csv (commune counts and poor flags per period), by code."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    districts = [District(code=row["Mã huyện"], name=nfc(row["Tên đơn vị"]),
                          poor_2016_2020=row["Huyện nghèo 2016–2020"] == "Có",
                          poor_2021_2025=row["Huyện nghèo 2021–2025"] == "Có",
                          n_urban_units=int(row["Số thị trấn"]) + int(row["Số phường"]),
                          n_rural_units=int(row["Số xã"])) for row in rows]
    missing = set(DISTRICT_PROFILE) ^ {d.code for d in districts}
    if missing:
        raise ValueError(f"districts.csv and DISTRICT_PROFILE disagree on codes {sorted(missing)}")
    return sorted(districts, key=lambda d: d.code)


# --- Household turnover and ids --------------------------------------------------------------------------

def turnover(before: int, after: int) -> tuple[int, int]:
    """(exits, arrivals) between two reviews: EXIT_RATE of the households leave, or more if the count falls."""
    exits = max(round(EXIT_RATE * before), before - after)
    return exits, after - before + exits


def ever_households(counts: list[int]) -> int:
    """Households ever on a district's registers: the first year's, plus every later arrival."""
    return counts[0] + sum(turnover(a, b)[1] for a, b in zip(counts, counts[1:]))


def household_id_digits(largest_district: int) -> int:
    """Serial digits of HH-<district>-<serial> for a run: MIN_ID_DIGITS, or more once the largest district's
    households exceed a tenth of the space (K ≳ 30), so ids stay unique and sparse at any K."""
    digits = MIN_ID_DIGITS
    while 10**digits < ID_SPARSITY * largest_district:
        digits += 1
    return digits


# --- Calibration: what used to be sample statistics of the whole province -------------------------------

def calibrate(plan: dict, districts: list[District]) -> Calibration:
    """Welfare mean and SD over every household ever registered, and the 2021 indicator cut-offs, exactly.

    The single-pass generator took them from the simulated province (sample mean/SD of welfare; the
    1 − prevalence quantile of each latent score among 2021 households). Generating one district at a time
    needs them first, so they are the model's population values, which those sample figures estimated:
    within a cell (district × urban × minority × new) welfare and every latent score are normal, so the
    province is a mixture of normals with known weights. Same distributions, no extra draw, any K.
    """
    cells = _welfare_cells(plan, districts)
    shift = _welfare_shift(cells["urban"], cells["minority"], cells["new"])
    mean = float(np.sum(cells["ever_weight"] * shift))
    within = WELFARE_PERMANENT_SD**2 + WELFARE_TRANSITORY_SD**2
    sd = math.sqrt(within + float(np.sum(cells["ever_weight"] * shift**2)) - mean**2)
    first = cells["new"] == 0  # 2021 households are never new
    propensity = _propensity((shift[first] - mean) / sd, 0.0, cells["minority"][first], cells["urban"][first])
    latent_sd = math.sqrt(LOADING_PROPENSITY**2 * (WELFARE_ON_DEPRIVATION**2 * within / sd**2 + OWN_DEPRIVATION**2)
                          + LOADING_GROUP**2 + LOADING_OWN**2 + LOADING_NOISE**2)
    weights = cells["first_weight"][first]
    cutoffs = [mixture_quantile(weights, LOADING_PROPENSITY * propensity + URBAN_INDICATOR_SHIFT[j] * cells["urban"][first],
                                latent_sd, 1 - INDICATOR_PREVALENCE_2021[j]) for j in range(ps.N_INDICATORS)]
    return Calibration(mean, sd, np.array(cutoffs))


def _welfare_cells(plan: dict, districts: list[District]) -> dict[str, np.ndarray]:
    """Every (district, urban, minority, new) cell with its share of ever-registered and of 2021 households."""
    rows = []
    for district in districts:
        counts = _counts(plan, district.code)
        ever = ever_households(counts)
        for urban in (0, 1):
            for minority in (0, 1):
                p = (district.urban_share() if urban else 1 - district.urban_share()) * \
                    (district.minority_share() if minority else 1 - district.minority_share())
                for new, households in ((0, counts[0]), (1, ever - counts[0])):
                    rows.append((urban, minority, new, p * households, p * counts[0] * (1 - new)))
    table = np.array(rows, dtype=float)
    return {"urban": table[:, 0], "minority": table[:, 1], "new": table[:, 2],
            "ever_weight": table[:, 3] / table[:, 3].sum(), "first_weight": table[:, 4] / table[:, 4].sum()}


def mixture_quantile(weights: np.ndarray, means: np.ndarray, sd: float, probability: float) -> float:
    """x with Σ wᵢ·Φ((x − μᵢ)/σ) = probability (weights summing to 1), by bisection to float precision."""
    cdf = NormalDist().cdf
    low, high = float(np.min(means)) - 12 * sd, float(np.max(means)) + 12 * sd
    while True:
        middle = (low + high) / 2
        if middle in (low, high):
            return middle
        below = sum(w * cdf((middle - m) / sd) for w, m in zip(weights.tolist(), means.tolist()))
        low, high = (middle, high) if below < probability else (low, middle)


def _welfare_shift(urban, minority, new):
    """The deterministic part of welfare: area, ethnicity and newly split households."""
    return URBAN_WELFARE * urban + MINORITY_WELFARE * minority + NEW_HOUSEHOLD_WELFARE * new


def _propensity(standard_welfare, own, minority, urban):
    """Deprivation propensity: poorer (standardised welfare), own shock, ethnicity and area."""
    return (WELFARE_ON_DEPRIVATION * standard_welfare + OWN_DEPRIVATION * own
            + MINORITY_DEPRIVATION * minority + URBAN_DEPRIVATION * urban)


# --- Anomaly counts per district, fixed before any district is drawn ----------------------------------

def allocate_anomalies(plan: dict, districts: list[District], rng: np.random.Generator) -> dict[int, dict[str, AnomalyQuota]]:
    """Per year and district: rows to plant per (kind, detail), and the duplicate-id pairs lent and borrowed.

    Year counts as ever: max(1, round(rate × the year's rows)) per kind (impossible values split over their
    details in turn). Each is spread over districts as a random draw of that many rows among the rows that
    can carry it (multivariate hypergeometric on the planned counts): how a province-wide pick would fall.
    Duplicate pairs: see duplicate_pairs.
    """
    codes = [d.code for d in districts]
    quotas = {}
    for year in REVIEW_YEARS:
        rows = sum(plan[year][code]["households"] for code in codes)
        counts = {code: {} for code in codes}
        for kind, detail, weights in _anomaly_cells(plan[year], codes):
            count = _year_count(kind, detail, rows)
            drawn = rng.multivariate_hypergeometric(weights, count) if count else np.zeros(len(codes), dtype=np.int64)
            for code, n in zip(codes, drawn.tolist()):
                counts[code][(kind, detail)] = n
        above = np.array([plan[year][c]["households"] - plan[year][c]["poor"] - plan[year][c]["near_poor"] for c in codes])
        pairs = duplicate_pairs(above, _year_count(DUPLICATE, DUPLICATE, rows), rng)
        quotas[year] = {code: AnomalyQuota(counts[code], lends=np.flatnonzero(pairs[:, 0] == i).tolist(),
                                           borrows=np.flatnonzero(pairs[:, 1] == i).tolist())
                        for i, code in enumerate(codes)}
    return quotas


def _anomaly_cells(plan_year: dict, codes: list[str]) -> list[tuple[str, str, np.ndarray]]:
    """(kind, detail, rows per district that can carry it) in planting order; duplicates are paired apart."""
    households = np.array([plan_year[c]["households"] for c in codes])
    poor = np.array([plan_year[c]["poor"] for c in codes])
    near_poor = np.array([plan_year[c]["near_poor"] for c in codes])
    eligible = {  # negative income only where the class does not depend on income; A × 10 only above the A line
        "household_size_zero": households, "indicator_value_2": households,
        "negative_income": poor + near_poor, "score_a_over_1000": households - poor - near_poor,
    }
    cells = [("class_inconsistent", "class_inconsistent", households), ("score_b_mismatch", "score_b_mismatch", households)]
    return cells + [("impossible_value", detail, eligible[detail]) for detail in IMPOSSIBLE_KINDS]


def _year_count(kind: str, detail: str, rows: int) -> int:
    """Province rows of a (kind, detail) in a year: max(1, round(rate × rows)); impossible details share theirs in turn."""
    count = max(1, round(ANOMALY_RATES[kind] * rows))
    if kind != "impossible_value":
        return count
    i = IMPOSSIBLE_KINDS.index(detail)
    return count // len(IMPOSSIBLE_KINDS) + (i < count % len(IMPOSSIBLE_KINDS))


def duplicate_pairs(weights: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """count × (lending district, borrowing district) positions, the lender always generated first.

    The two districts of a pair are drawn as a province-wide pick would draw them: one ∝ its households
    above the lines, the other likewise among the rest (Gumbel top-2 = successive sampling). The one
    generated first lends its id, since the other can only copy an id that has been drawn.
    """
    with np.errstate(divide="ignore"):
        keys = np.log(np.asarray(weights, dtype=float))[None, :] + rng.gumbel(size=(count, len(weights)))
    return np.sort(np.argsort(-keys, axis=1, kind="stable")[:, :2], axis=1)


# --- One district, all its years -----------------------------------------------------------------------

def generate_district(out_dir: Path, province: Province, index: int, loans: dict, rng: np.random.Generator) -> dict:
    """Simulate the province's index-th district, then classify, plant, check and write its register of each
    year in turn.

    loans: ids lent by districts generated earlier, keyed (year, pair); this district adds the ones it lends.
    Returns what the manifest needs: files, counts, located anomalies and flows per year.
    """
    district, plan, id_digits = province.districts[index], province.plan, province.id_digits
    households = simulate_households(district, _counts(plan, district.code), province.calibration, index,
                                     len(province.districts), id_digits, rng)
    result = {"code": district.code, "files": {}, "counts": {}, "anomalies": {}, "flows": {}}
    classes = np.full(len(households.first_year), -1, dtype=np.int8)  # recorded class code last year (−1: absent)
    poor_earlier = np.zeros(len(classes), dtype=bool)                 # poor in a review before last year
    for year in REVIEW_YEARS:
        register = classify_year(households, district.code, plan[year][district.code], province.calibration.cutoffs,
                                 year, rng)
        current = np.full(len(classes), -1, dtype=np.int8)
        current[register["key"]] = register["class_code"]
        if year > REVIEW_YEARS[0]:
            result["flows"][year] = flow_counts(classes, current, poor_earlier)
            poor_earlier |= classes == POOR
        classes = current
        quota = province.quotas[year][district.code]
        planted, lent = plant_anomalies(register, quota, [loans[(year, pair)] for pair in quota.borrows],
                                        id_digits, rng)
        name = f"{year}/{register_files.file_stem(district.code, year)}.csv"
        order = file_order(register, id_digits)
        line = np.empty(len(order), dtype=np.int64)
        line[order] = np.arange(2, len(order) + 2)
        result["files"][name] = write_csv(out_dir / name, register_csv(register, order, district, id_digits))
        for pair, row in zip(quota.lends, lent):
            loans[(year, pair)] = _loan(register, row, id_digits, district.code, name, int(line[row]))
        result["anomalies"][year] = locate_anomalies(register, planted, year, district.code, name, line, id_digits)
        by_class = np.bincount(register["class_code"], minlength=len(ps.CLASSES)).tolist()
        result["counts"][year] = {"file": name, "rows": len(order), **dict(zip(ps.CLASSES, by_class))}
        del register, order, line  # before the next year's are drawn: one register in memory at a time
    return result


def _loan(register: dict, row: int, id_digits: int, code: str, name: str, line: int) -> dict:
    """A lent household's identity (what the borrower copies) and its place (what the manifest's also_in says)."""
    identity = {column: register[column][row].copy() for column in IDENTITY_COLUMNS}
    household_id = household_ids(register["id_district"][[row]], register["id_serial"][[row]], id_digits)[0].as_py()
    return {"identity": identity, "household_id": household_id,
            "also_in": {"district_code": code, "file": name, "line": line}}


# --- Population ---------------------------------------------------------------------------------------

def simulate_households(district: District, counts: list[int], calibration: Calibration, index: int,
                        n_districts: int, id_digits: int, rng: np.random.Generator) -> Households:
    """Every household ever on the district's registers: years present, place, identity, latent states."""
    first, last = household_spans(counts, rng)
    n = len(first)
    urban = rng.random(n) < district.urban_share()
    commune = np.where(urban, rng.integers(0, max(district.n_urban_units, 1), n),
                       district.n_urban_units + rng.integers(0, district.n_rural_units, n))
    minority = rng.random(n) < district.minority_share()
    village = rng.integers(1, MAX_VILLAGE + 1, n)
    id_serial = distinct_integers(10**id_digits, n, rng)
    welfare, propensity, size, indicator_base = _latent_states(urban, minority, first > REVIEW_YEARS[0],
                                                               calibration, rng)
    return Households(
        first_year=first, last_year=last, urban=urban, minority=minority,
        commune=commune, village=village, id_serial=id_serial,
        name_code=_name_codes(minority, rng), id_number=id_numbers(n, index, n_districts, rng),
        welfare=welfare, propensity=propensity, size=size, indicator_base=indicator_base)


def household_spans(counts: list[int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """First and last review year of each household: some leave each year (at random), new ones arrive."""
    first = np.full(counts[0], REVIEW_YEARS[0])
    last = np.full(counts[0], REVIEW_YEARS[-1])
    for i, year in enumerate(REVIEW_YEARS[1:], start=1):
        exits, arrivals = turnover(counts[i - 1], counts[i])
        last[rng.choice(np.flatnonzero(last == REVIEW_YEARS[-1]), size=exits, replace=False)] = year - 1
        first = np.concatenate([first, np.full(arrivals, year)])
        last = np.concatenate([last, np.full(arrivals, REVIEW_YEARS[-1])])
    return first, last


def _latent_states(urban: np.ndarray, minority: np.ndarray, new: np.ndarray, calibration: Calibration,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Welfare (ranks the class), deprivation propensity (drives the 12 indicators) and size, per year.

    Welfare = permanent part (area, ethnicity, household effect) + AR(1) transitory part, so that most
    poor households stay poor next year but some leave and some fall in: flows exist. It is standardised
    with the province's exact mean and SD (calibrate). Also returns the fixed part of the indicator scores
    (shared group component + own component), rows × 12.
    """
    n = len(urban)
    permanent = WELFARE_PERMANENT_SD * rng.standard_normal(n) + _welfare_shift(urban, minority, new)
    innovation_sd = np.sqrt(1 - WELFARE_PERSISTENCE**2)
    own_sd = np.sqrt(1 - DEPRIVATION_PERSISTENCE**2)
    transitory = rng.standard_normal(n)
    own = rng.standard_normal(n)
    size = 1 + rng.binomial(8, 0.30 + 0.06 * minority)
    welfare = np.empty((n, len(REVIEW_YEARS)))
    propensity = np.empty((n, len(REVIEW_YEARS)))
    sizes = np.empty((n, len(REVIEW_YEARS)), dtype=np.int64)
    for i in range(len(REVIEW_YEARS)):
        if i:
            transitory = WELFARE_PERSISTENCE * transitory + innovation_sd * rng.standard_normal(n)
            own = DEPRIVATION_PERSISTENCE * own + own_sd * rng.standard_normal(n)
            step = (rng.random(n) < SIZE_CHANGE_PROB) * rng.choice([-1, 1], n)
            size = np.clip(size + step, 1, MAX_HOUSEHOLD_SIZE)
        welfare[:, i] = permanent + WELFARE_TRANSITORY_SD * transitory
        standard = (welfare[:, i] - calibration.welfare_mean) / calibration.welfare_sd
        propensity[:, i] = _propensity(standard, own, minority, urban)
        sizes[:, i] = size
    indicator_base = rng.standard_normal((n, N_GROUPS))[:, INDICATOR_GROUP]  # the group components
    indicator_base *= LOADING_GROUP
    own_indicator = rng.standard_normal((n, ps.N_INDICATORS))
    own_indicator *= LOADING_OWN
    indicator_base += own_indicator
    return welfare, propensity, sizes, indicator_base


def _name_codes(minority: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Head names as positions in NAME_VOCABULARY: Tày/Nùng surnames for minority households, else Kinh;
    middle and given names by the head's sex."""
    n = len(minority)
    female = rng.random(n) < FEMALE_HEAD_SHARE
    surname = np.where(minority, rng.integers(0, len(MINORITY_SURNAMES), n),
                       len(MINORITY_SURNAMES) + rng.integers(0, len(KINH_SURNAMES), n))
    middle = np.where(female, len(MALE_MIDDLE) + rng.integers(0, len(FEMALE_MIDDLE), n),
                      rng.integers(0, len(MALE_MIDDLE), n))
    given = np.where(female, len(MALE_GIVEN) + rng.integers(0, len(FEMALE_GIVEN), n),
                     rng.integers(0, len(MALE_GIVEN), n))
    return (surname * len(NAME_PARTS[1]) + middle) * len(NAME_PARTS[2]) + given


def id_numbers(n: int, index: int, n_districts: int, rng: np.random.Generator) -> np.ndarray:
    """ID-number digits unique in the province without seeing other districts: district i draws, without
    replacement, among the numbers ≡ i modulo the number of districts."""
    return distinct_integers(10**ID_NUMBER_DIGITS // n_districts, n, rng) * n_districts + index


def distinct_integers(space: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct integers drawn uniformly from [0, space), in random order, in memory O(n) whatever the space.

    numpy's choice(replace=False) builds a table of the whole space once n passes a fiftieth of it (hundreds of
    MB for ids at large K). Here: draw, drop repeats, draw the shortfall again; the set is uniform by symmetry.
    """
    if 2 * n > space:
        raise ValueError(f"{n} distinct values asked from only {space}; use a smaller K")
    drawn = np.unique(rng.integers(0, space, size=n))
    while len(drawn) < n:
        drawn = np.unique(np.concatenate([drawn, rng.integers(0, space, size=n - len(drawn))]))
    return rng.permutation(drawn)


# --- One review year of one district --------------------------------------------------------------------

IDENTITY_COLUMNS = ("id_district", "id_serial", "name_code", "id_number")  # what a duplicated id carries along
CLASS_CODE = {c: i for i, c in enumerate(ps.CLASSES)}  # classes kept as small integers: cheap to compare and count
CLASS_NAMES = np.array(ps.CLASSES, dtype=object)
POOR, NEAR_POOR, ABOVE_LINE = CLASS_CODE["poor"], CLASS_CODE["near_poor"], -1  # a household's quota
AREA_NAMES = np.array([ps.RURAL, ps.URBAN], dtype=object)  # by urban flag

def classify_year(households: Households, code: str, target: dict, cutoffs: np.ndarray, year: int,
                  rng: np.random.Generator) -> dict:
    """The district's register of the year as arrays, one row per present household: class quotas by welfare
    rank, then values that fit the class. Canonical names where the contract has one; "flags" holds d01 … d12.
    """
    present = np.flatnonzero((households.first_year <= year) & (households.last_year >= year))
    i = REVIEW_YEARS.index(year)
    urban = households.urban[present]
    propensity = households.propensity[present, i]
    quota, percentile = assign_quota(households.welfare[present, i], propensity, target)
    latent = indicator_latent(households.indicator_base[present], propensity, urban, year, rng)
    flags = constrain_flags(latent > cutoffs, latent, quota)
    income, score_a = _nd07_values(urban, quota, percentile, rng)
    register = {
        "review_year": year, "key": present, "id_district": np.full(len(present), int(code)),
        "id_serial": households.id_serial[present], "name_code": households.name_code[present],
        "id_number": households.id_number[present], "urban": urban, "minority": households.minority[present],
        "commune": households.commune[present], "village": households.village[present],
        "household_size": households.size[present, i], "income_per_capita": income, "score_a": score_a,
        "flags": flags.astype(np.int8), "score_b": flags.sum(axis=1) * ps.POINTS_PER_DEPRIVATION,
        "class_code": recorded_class_codes(quota, urban, income),
    }
    return register


def recorded_class_codes(quota: np.ndarray, urban: np.ndarray, income: np.ndarray) -> np.ndarray:
    """The class each household is recorded with: its quota below the line; above it, average where NĐ 07's
    income ceiling allows, else none. Every row is checked against pipeline.registers.poverty_standard before
    its file is written (_verify_planted)."""
    codes = quota.copy()
    above = quota == ABOVE_LINE
    codes[above] = CLASS_CODE["none"]
    codes[above & (income <= _by_urban(urban, ps.ND07_AVERAGE_INCOME_CEILING))] = CLASS_CODE["average"]
    return codes


def rules_frame(register: dict, rows: np.ndarray | None = None) -> pd.DataFrame:
    """The columns pipeline.registers.poverty_standard reads, for all rows or the rows given."""
    rows = slice(None) if rows is None else rows
    urban = register["urban"][rows]
    flags = register["flags"][rows]
    return pd.DataFrame({
        "review_year": np.full(len(urban), register["review_year"]),
        "area": pd.Series(AREA_NAMES[urban.astype(np.int8)], dtype=object),
        "income_per_capita": register["income_per_capita"][rows], "score_a": register["score_a"][rows],
        "score_b": register["score_b"][rows], **{name: flags[:, j] for j, name in enumerate(ps.INDICATOR_COLUMNS)}})


def assign_quota(welfare: np.ndarray, propensity: np.ndarray, target: dict) -> tuple[np.ndarray, np.ndarray]:
    """POOR / NEAR_POOR / ABOVE_LINE per row, and the row's welfare percentile within its group (0 = poorest).

    The district's poor + near-poor quota goes to its lowest-welfare households; among them the most
    deprived (highest propensity) are poor. Ties break by row order, so the result is deterministic.
    """
    by_welfare = np.argsort(welfare, kind="stable")
    below = by_welfare[: target["poor"] + target["near_poor"]]
    by_deprivation = below[np.lexsort((below, -propensity[below]))]
    quota = np.full(len(welfare), ABOVE_LINE, dtype=np.int8)
    quota[by_deprivation[: target["poor"]]] = POOR
    quota[by_deprivation[target["poor"]:]] = NEAR_POOR
    percentile = np.zeros(len(welfare))
    for ordered in (below, by_welfare[len(below):]):  # each in welfare order already
        percentile[ordered] = np.arange(len(ordered)) / max(len(ordered) - 1, 1)
    return quota, percentile


def indicator_latent(base: np.ndarray, propensity: np.ndarray, urban: np.ndarray, year: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Latent score per indicator: propensity + fixed group/own parts + yearly noise − drift (urban less deprived)."""
    latent = rng.standard_normal(base.shape)
    latent *= LOADING_NOISE
    latent += base
    latent += (LOADING_PROPENSITY * propensity - DEPRIVATION_DRIFT * (year - REVIEW_YEARS[0]))[:, None]
    latent += URBAN_INDICATOR_SHIFT[None, :] * urban[:, None]
    return latent


def constrain_flags(flags: np.ndarray, latent: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Make the indicator count fit the class under NĐ 07: near-poor at most 2, poor at least 3.

    Adds or keeps the indicators with the highest latent score, so correlations survive. Only the
    below-line rows are ranked (the others keep their flags), which keeps the cost off the bulk.
    """
    minimum = ps.POOR_MIN_SCORE_B // ps.POINTS_PER_DEPRIVATION
    flags = flags.copy()
    near = np.flatnonzero(quota == NEAR_POOR)
    flags[near] &= _rank_in_row(latent[near]) < minimum - 1
    poor = np.flatnonzero(quota == POOR)
    flags[poor] |= _rank_in_row(latent[poor]) < minimum
    return flags


def _rank_in_row(latent: np.ndarray) -> np.ndarray:
    """Rank of each indicator within its row, highest latent score first (0), ties by position."""
    order = np.argsort(-latent, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(latent.shape[1]), order.shape), axis=1)
    return rank


def _by_urban(urban: np.ndarray, table: dict) -> np.ndarray:
    """The row's value of a {rural, urban} threshold table."""
    return np.where(urban, table[ps.URBAN], table[ps.RURAL])


def _nd07_values(urban: np.ndarray, quota: np.ndarray, percentile: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Income and score A under NĐ 07: below-line rows get A ≤ threshold, the rest A above it."""
    n = len(urban)
    threshold = _by_urban(urban, ps.ND07_SCORE_A_THRESHOLD)
    line = _by_urban(urban, ND07_POVERTY_LINE)
    below = quota != ABOVE_LINE
    score_low = np.round(threshold * (LOW_A_SHARE + (1 - LOW_A_SHARE) * percentile)) - rng.integers(0, 5, n)
    score_low = np.maximum(score_low, MIN_SCORE_A)  # the best-off below-line households score exactly the threshold
    income_low = line * score_low / threshold * np.exp(0.12 * rng.standard_normal(n))
    ratio_high = 1.0 + 3.0 * percentile**1.6  # income / line above the line, before household noise
    income_high = np.maximum(line * ratio_high * np.exp(0.10 * rng.standard_normal(n)), MIN_INCOME)
    score_high = threshold + 1 + np.round(0.8 * threshold * (ratio_high - 1)) + rng.integers(0, 8, n)
    score_high = np.minimum(score_high, MAX_SCORE_A)
    income = _round_income(np.where(below, np.maximum(income_low, MIN_INCOME), income_high))
    return income, np.where(below, score_low, score_high).astype(float)


def _round_income(values: np.ndarray) -> np.ndarray:
    """To the nearest 1,000 đồng, as forms record incomes."""
    return (np.round(values / INCOME_ROUNDING) * INCOME_ROUNDING).astype(np.int64)


def rule_breaks(register: dict, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: does the recorded class differ from the rules' class, does B differ from 10 × deprivations,
    and the rules' class; all by pipeline.registers.poverty_standard, on all rows or the rows given."""
    frame = rules_frame(register, rows)
    codes = register["class_code"] if rows is None else register["class_code"][rows]
    expected = ps.expected_class(frame).to_numpy()
    wrong_b = ps.expected_score_b(frame).astype(float).to_numpy() != frame["score_b"].to_numpy(dtype=float)
    return expected != CLASS_NAMES[codes], wrong_b, expected


def flow_counts(before: np.ndarray, after: np.ndarray, poor_earlier: np.ndarray) -> dict:
    """Movements of poor households between two reviews (the review's 'diễn biến'), by true identity.

    before, after: class codes (CLASS_CODE, −1 when not on that register) of the same households, in the same
    order. poor_end = poor_start − to_near_poor − exited − left + near_poor_to_poor + re_poor + new_poor
    + new_household_poor. re_poor: poor again after at least one review above the line, having been poor
    in an earlier review (poor_earlier: poor in any review before `before`). Counted before anomalies.
    """
    poor, near, absent = POOR, NEAR_POOR, -1
    above_before = (before == CLASS_CODE["average"]) | (before == CLASS_CODE["none"])
    above_after = (after == CLASS_CODE["average"]) | (after == CLASS_CODE["none"])
    became_poor = above_before & (after == poor)
    count = lambda mask: int(np.count_nonzero(mask))  # noqa: E731
    return {
        "households_left": count((before != absent) & (after == absent)),
        "households_new": count((before == absent) & (after != absent)),
        "poor_start": count(before == poor),
        "poor_to_near_poor": count((before == poor) & (after == near)),
        "poor_exited": count((before == poor) & above_after),
        "poor_left": count((before == poor) & (after == absent)),
        "near_poor_to_poor": count((before == near) & (after == poor)),
        "re_poor": count(became_poor & poor_earlier),
        "new_poor": count(became_poor & ~poor_earlier),
        "new_household_poor": count((before == absent) & (after == poor)),
        "poor_end": count(after == poor),
        "near_poor_start": count(before == near),
        "near_poor_end": count(after == near),
        "above_to_near_poor": count(above_before & (after == near)),
    }


# --- Anomalies ------------------------------------------------------------------------------------------

def plant_anomalies(register: dict, quota: AnomalyQuota, borrowed: list[dict], id_digits: int,
                    rng: np.random.Generator) -> tuple[list[dict], np.ndarray]:
    """Plant each kind in its own rows; each planted row breaks exactly the rule of its kind.

    Recorded classes are never changed, so class counts stay equal to the targets. Returns the anomalies
    (by row, not yet file lines: those are known after sorting) and the rows whose ids are lent to districts
    generated later (kept free of any other anomaly, like every planted row).
    """
    taken = np.zeros(len(register["key"]), dtype=bool)
    planted = _plant_class(register, quota.counts[("class_inconsistent", "class_inconsistent")], taken, rng)
    planted += _plant_score_b(register, quota.counts[("score_b_mismatch", "score_b_mismatch")], taken, rng)
    planted += _plant_borrowed_ids(register, borrowed, taken, id_digits, rng)
    lent = _pick(register["class_code"] == CLASS_CODE["none"], taken, len(quota.lends), rng)
    for detail in IMPOSSIBLE_KINDS:
        planted += _plant_impossible(register, detail, quota.counts[("impossible_value", detail)], taken, rng)
    expected = _verify_planted(register, planted)
    for entry in planted:
        if entry["kind"] == "class_inconsistent":
            entry["expected_class"] = expected[entry["row"]]
    return planted, lent


def _pick(eligible: np.ndarray, taken: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Random free rows among the eligible ones, marked as taken."""
    candidates = np.flatnonzero(eligible & ~taken)
    if len(candidates) < count:
        raise RuntimeError(f"only {len(candidates)} rows can take {count} anomalies; use a larger K")
    rows = np.sort(rng.choice(candidates, size=count, replace=False))
    taken[rows] = True
    return rows


def _entries(kind: str, detail: str, rows: np.ndarray, columns: str | list[str], original, planted,
             rule: str) -> list[dict]:
    """Manifest entries for rows planted alike (one column for all, or one per row), keyed by row until the
    file line is known."""
    columns = [columns] * len(rows) if isinstance(columns, str) else columns
    return [{"kind": kind, "detail": detail, "row": row, "column": HEADER_OF[column], "original": before,
             "planted": after, "rule": rule}
            for row, column, before, after in zip(rows.tolist(), columns, np.asarray(original).tolist(),
                                                  np.asarray(planted).tolist())]


def _plant_class(register, count, taken, rng) -> list[dict]:
    """Move A across the NĐ 07 line so the recorded class no longer follows; class kept."""
    rows = _pick(np.ones(len(taken), dtype=bool), taken, count, rng)
    urban = register["urban"][rows]
    below = register["class_code"][rows] <= NEAR_POOR
    column, threshold = "score_a", _by_urban(urban, ps.ND07_SCORE_A_THRESHOLD)
    value = np.where(below, threshold + rng.integers(1, 31, count), threshold - rng.integers(0, 41, count))
    original = register[column][rows].astype(np.int64)
    register[column][rows] = value
    entries = _entries("class_inconsistent", f"{column} moved across the line", rows, column, original, value,
                       "recorded class differs from the class A, B and income give")
    for entry, recorded in zip(entries, register["class_code"][rows].tolist()):
        entry["recorded_class"] = ps.CLASSES[recorded]  # expected_class: added once verified
    return entries


def _plant_score_b(register, count, taken, rng) -> list[dict]:
    """B off by 10 points, staying on the same side of 30 so the class still follows from B and from the flags."""
    rows = _pick(np.ones(len(taken), dtype=bool), taken, count, rng)
    original = register["score_b"][rows].copy()
    step = ps.POINTS_PER_DEPRIVATION
    deprived = original >= ps.POOR_MIN_SCORE_B
    value = np.where(deprived, np.where(original < ps.MAX_SCORE_B, original + step, original - step),
                     np.where(original > 0, original - step, original + step))
    register["score_b"][rows] = value
    return _entries("score_b_mismatch", "B = 10 × deprivations ± 10", rows, "score_b", original, value,
                    "B differs from 10 × the number of indicators equal to 1")


def _plant_borrowed_ids(register, borrowed: list[dict], taken, id_digits: int, rng) -> list[dict]:
    """A household of this district carries the id (and head name and ID number) of a household of a district
    generated earlier, same year.

    Both are "Không thuộc diện" households, so poor and near-poor counts are right whichever copy a
    deduplicating reader keeps; the row count (households) is one too high per pair.
    """
    rows = _pick(register["class_code"] == CLASS_CODE["none"], taken, len(borrowed), rng)
    own_ids = household_ids(register["id_district"][rows], register["id_serial"][rows], id_digits).to_pylist()
    entries = _entries(DUPLICATE, "id of a household of another district", rows, "household_id", own_ids,
                       [loan["household_id"] for loan in borrowed],
                       "the same household id appears in two districts in one review year")
    for entry, row, loan in zip(entries, rows.tolist(), borrowed):
        entry["also_in"] = loan["also_in"]
        for column, value in loan["identity"].items():
            register[column][row] = value
    return entries


def _plant_impossible(register, detail: str, count: int, taken, rng) -> list[dict]:
    """Out-of-range values, each in a row where it leaves class and B consistent: size 0, negative income
    (where the class does not depend on income), an indicator 2 where it was 0 (B still counts the 1s),
    A × 10 > 1000 (only above the A line)."""
    code = register["class_code"]
    eligible = {
        "household_size_zero": lambda: np.ones(len(taken), dtype=bool),
        "negative_income": lambda: code <= NEAR_POOR,
        "indicator_value_2": lambda: (register["flags"] == 0).any(axis=1),
        "score_a_over_1000": lambda: code >= CLASS_CODE["average"],
    }[detail]()
    rows = _pick(eligible, taken, count, rng)
    if detail == "indicator_value_2":  # one of the row's 0 indicators, at random
        zeros = register["flags"][rows] == 0
        j = np.argmax(np.where(zeros, rng.random(zeros.shape), -1.0), axis=1)
        original = register["flags"][rows, j].astype(np.int64)
        register["flags"][rows, j] = 2
        return _entries("impossible_value", detail, rows, [ps.INDICATOR_COLUMNS[k] for k in j.tolist()], original,
                        np.full(count, 2), _IMPOSSIBLE_RULE)
    column = {"household_size_zero": "household_size", "negative_income": "income_per_capita",
              "score_a_over_1000": "score_a"}[detail]
    original = register[column][rows].astype(np.int64)
    value = {"household_size_zero": np.zeros(count, dtype=np.int64), "negative_income": -original,
             "score_a_over_1000": original * 10}[detail]
    register[column][rows] = value
    return _entries("impossible_value", detail, rows, column, original, value, _IMPOSSIBLE_RULE)


_IMPOSSIBLE_RULE = "value outside its possible range (size 1–30, income ≥ 0, indicator 0/1, A ≤ 1000)"


def _verify_planted(register: dict, planted: list[dict]) -> np.ndarray:
    """Each planted row breaks its own rule and only it; every other row (lent ids included) follows the rules.
    Returns the rules' class of every row."""
    wrong_class, wrong_b, expected = rule_breaks(register)
    planted_class, planted_b = np.zeros_like(wrong_class), np.zeros_like(wrong_b)
    planted_class[[a["row"] for a in planted if a["kind"] == "class_inconsistent"]] = True
    planted_b[[a["row"] for a in planted if a["kind"] == "score_b_mismatch"]] = True
    bad = np.flatnonzero((wrong_class != planted_class) | (wrong_b != planted_b))
    if len(bad):
        raise RuntimeError(f"{len(bad)} rows break another rule than the one planted there, or none; a generator bug")
    return expected


# --- Files ------------------------------------------------------------------------------------------------

def file_order(register: dict, id_digits: int) -> np.ndarray:
    """Rows sorted by commune code, then household id as text (HH-<3 digits>-<fixed-width digits> sorts as
    the pair of numbers does), by one integer key: commune position, district code, serial (unique in a file)."""
    key = (register["commune"] * 10**DISTRICT_CODE_DIGITS + register["id_district"]) * 10**id_digits + register["id_serial"]
    return np.argsort(key)


def household_ids(district: np.ndarray, serial: np.ndarray, digits: int) -> pa.Array:
    """HH-<district code>-<serial, zero-padded to the run's width>."""
    return _fixed_width_text(_household_id_chars(district, serial, digits))


def _household_id_chars(district: np.ndarray, serial: np.ndarray, digits: int) -> list[np.ndarray]:
    n = len(serial)
    return [_ascii(HOUSEHOLD_ID_PREFIX, n), _ascii_digits(district, DISTRICT_CODE_DIGITS), _ascii("-", n),
            _ascii_digits(serial, digits)]


def id_number_text(numbers: np.ndarray) -> pa.Array:
    """000 + 9 digits."""
    return _fixed_width_text([_ascii(ID_NUMBER_PREFIX, len(numbers)), _ascii_digits(numbers, ID_NUMBER_DIGITS)])


def register_csv(register: dict, order: np.ndarray, district: District, id_digits: int) -> Iterator[pa.Buffer | bytes]:
    """The district file in pieces: header row, then rows in `order`, rendered CSV_CHUNK_ROWS at a time."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([header for header, _ in COLUMNS])
    yield buffer.getvalue().encode("utf-8")
    communes = district.commune_codes()
    places = {"commune": np.array([int(code) for code in communes]),
              "address": _cells_of([f"{ADDRESS_PARTS[0]}{village}{ADDRESS_PARTS[1]}{commune}"
                                    for commune in communes for village in range(1, MAX_VILLAGE + 1)])}
    for start in range(0, len(order), CSV_CHUNK_ROWS):
        yield csv_lines(_csv_pieces(register, order[start:start + CSV_CHUNK_ROWS], district.code, id_digits, places))


def _csv_pieces(register: dict, rows: np.ndarray, code: str, id_digits: int, places: dict) -> list:
    """The rows' cells in contract order (COLUMNS), one piece per column except where widths are fixed (year,
    id, district, commune; the 12 indicators): integers as digits (Điểm A too: whole points), labels, personal
    fields made from their numeric parts (digits, or positions in a vocabulary)."""
    n = len(rows)
    commune = register["commune"][rows]
    year_id_district_commune = _fixed_width_text([
        _ascii(f"{register['review_year']},", n),
        *_household_id_chars(register["id_district"][rows], register["id_serial"][rows], id_digits),
        _ascii(f",{code},", n), _ascii_digits(places["commune"][commune], COMMUNE_CODE_DIGITS)])
    return [
        year_id_district_commune,
        _AREA_CELLS.take(register["urban"][rows].astype(np.int8)),
        _text(register["household_size"][rows]),
        _text(register["income_per_capita"][rows]),
        _text(register["score_a"][rows].astype(np.int64)),
        _indicator_cells(register["flags"][rows]),
        _text(register["score_b"][rows]),
        _CLASS_CELLS.take(register["class_code"][rows]),
        _MINORITY_CELLS.take(register["minority"][rows].astype(np.int8)),
        _NAME_CELLS.take(register["name_code"][rows]),
        id_number_text(register["id_number"][rows]),
        places["address"].take(commune * MAX_VILLAGE + register["village"][rows] - 1),
    ]


def _cells_of(labels: list[str]) -> pa.Array:
    """A vocabulary as CSV cells (NFC, quoted where needed), to be taken by position."""
    return csv_field(pa.array([nfc(label) for label in labels]))


def _indicator_cells(flags: np.ndarray) -> pa.Array:
    """The 12 indicator cells of each row as one text 'd,d,…,d' (values are single digits: 0, 1 or a planted 2)."""
    chars = np.full((len(flags), 2 * flags.shape[1] - 1), ord(","), dtype=np.uint8)
    chars[:, ::2] = flags + ord("0")
    return _fixed_width_text([chars])


def _text(values: np.ndarray) -> pa.Array:
    """Integers as digits (no thousands separator, '-' for negatives)."""
    return pc.cast(pa.array(values), pa.string())


def _ascii(text: str, n: int) -> np.ndarray:
    """The same ASCII text on n rows, as an (n, len) array of codes."""
    return np.broadcast_to(np.frombuffer(text.encode("ascii"), dtype=np.uint8), (n, len(text)))


def _ascii_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded decimal digits, an (n, width) array of ASCII codes."""
    chars = np.empty((len(values), width), dtype=np.uint8)
    rest = np.asarray(values, dtype=np.uint64)
    for position in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        chars[:, position] = digit
    return chars + np.uint8(ord("0"))


def _fixed_width_text(columns: list[np.ndarray]) -> pa.Array:
    """Equal-width ASCII pieces side by side, each row one string (built without any per-row work)."""
    chars = np.ascontiguousarray(np.concatenate(columns, axis=1), dtype=np.uint8)
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])


def csv_field(text: pa.Array) -> pa.Array:
    """Text cells as csv.writer (QUOTE_MINIMAL) writes them: in quotes, inner quotes doubled, only when they
    hold a comma, a quote or a line break."""
    needs = pc.match_substring_regex(text, '[,"\r\n]')
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)


# The labels and names as cells, taken by position: area by urban flag, class by code, minority by flag, name by code.
_AREA_CELLS = _cells_of([AREA_LABELS[ps.RURAL], AREA_LABELS[ps.URBAN]])
_CLASS_CELLS = _cells_of([CLASS_LABELS[c] for c in ps.CLASSES])
_MINORITY_CELLS = _cells_of([YES_NO_LABELS[False], YES_NO_LABELS[True]])
_NAME_CELLS = _cells_of(NAME_VOCABULARY)


def csv_lines(pieces: list) -> pa.Buffer:
    """Pieces joined by ',' and each row ended by '\\n', as one UTF-8 buffer (no copy of the joined text)."""
    pieces = [*pieces[:-1], pc.binary_join_element_wise(pieces[-1], "\n", "")]
    lines = pc.binary_join_element_wise(*pieces, ",")
    if lines.null_count:
        raise RuntimeError(f"{lines.null_count} rows with a missing cell; a generator bug")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=4 * lines.offset)
    return lines.buffers()[2][int(offsets[0]):int(offsets[-1])]


def write_csv(path: Path, pieces: Iterable[pa.Buffer | bytes]) -> dict:
    """Write the pieces to path atomically (temporary file beside it, then rename); sha256 and size on the way."""
    digest, size = hashlib.sha256(), 0
    temporary = temporary_beside(path)
    try:
        with temporary.open("wb") as handle:
            for piece in pieces:
                view = memoryview(piece)
                digest.update(view)
                handle.write(view)
                size += view.nbytes
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return {"sha256": digest.hexdigest(), "bytes": size}


def locate_anomalies(register: dict, planted: list[dict], year: int, code: str, name: str, line: np.ndarray,
                     id_digits: int) -> list[dict]:
    """The manifest's entries: kind, year, district, file, line and the id the file shows there, then the rest."""
    rows = np.array([entry["row"] for entry in planted], dtype=np.int64)
    shown = household_ids(register["id_district"][rows], register["id_serial"][rows], id_digits).to_pylist()
    located = []
    for entry, household_id in zip(planted, shown):
        rest = {k: v for k, v in entry.items() if k not in ("kind", "row")}
        located.append({"kind": entry["kind"], "year": year, "district_code": code, "file": name,
                        "line": int(line[entry["row"]]), "household_id": household_id, **rest})
    return sorted(located, key=lambda a: a["line"])


# --- Manifest -----------------------------------------------------------------------------------------------

def _manifest_head(seed: int, scale: float, targets: dict, districts: list[District], id_digits: int) -> dict:
    """Everything about the run that is known before any household is drawn."""
    return {
        "synthetic": True,
        "complete": False,
        "notice_vi": NOTICE_VI,
        "notice_en": NOTICE_EN,
        "generator": "pipeline.tools.synthetic_registers",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": float(scale),
        "scale_meaning": "K, a multiplier of households per district: 1 = the province (published totals), "
                         "34 ≈ national size; targets are K × the unscaled figures, rounded half up",
        "contract": "docs/register_contract.md",
        "review_years": list(REVIEW_YEARS),
        "standard_by_year": {str(y): ps.standard_for(y) for y in REVIEW_YEARS},
        "targets": {str(y): t for y, t in targets.items()},
        "poor_districts_by_year": {str(y): [d.code for d in districts if d.is_poor(y)] for y in REVIEW_YEARS},
        "decisions": _decisions(),
        "synthetic_identifiers": {
            "household_id": f"{HOUSEHOLD_ID_PREFIX}<district code>-<{id_digits} random digits>; synthetic, persistent "
                            f"across years, unique in a district-year; {MIN_ID_DIGITS} digits, more when the largest "
                            f"district has over 10^digits / {ID_SPARSITY} households (K ≳ 30)",
            "commune_code": "9 + last two digits of the district code + 2-digit index (e.g. 98101); synthetic, "
                            "not GSO codes (real GSO commune codes are below 33000). Urban units (phường, thị trấn) "
                            "come first and are 'Thành thị', xã are 'Nông thôn'; counts from data/raw/districts.csv",
            "head_name": "drawn from short lists of common Tày, Nùng and Kinh syllables",
            "id_number": f"{len(ID_NUMBER_PREFIX) + ID_NUMBER_DIGITS} digits starting {ID_NUMBER_PREFIX} (no province "
                         f"has code {ID_NUMBER_PREFIX}); unique in the province",
            "address": f"{ADDRESS_PARTS[0]}<1–{MAX_VILLAGE}>{ADDRESS_PARTS[1]}<synthetic commune code>",
        },
        "district_profile": {code: dict(zip(("household_share", "urban_share", "ethnic_minority_share",
                                             "poor_rate_shape_2021", "poor_rate_shape_2024",
                                             "near_poor_rate_shape_2021", "near_poor_rate_shape_2024"), values))
                             for code, values in DISTRICT_PROFILE.items()},
        "anomaly_rates": ANOMALY_RATES,
        "district_counts": {},
        "province_counts": {},
        "flows": {},
        "anomaly_counts": {},
        "anomalies": [],
        "files": {},
    }


def _decisions() -> list[str]:
    """The judgment calls, written into the manifest so that every consumer can read them."""
    return [
        "Recorded class counts (all rows of all files) equal the targets exactly; anomalies never change a recorded class.",
        "K (scale) multiplies households per district: province targets are K × the figures below, rounded half up, "
        "then shared over districts as at K = 1. Same distributions at any K; ids are new draws.",
        "Districts are generated one after another (all their years, one year's file at a time), each from its own "
        "random stream (numpy SeedSequence spawned from the seed and the district code): same seed and K, same bytes.",
        "Welfare is standardised with its exact population mean and SD over every household ever registered in the "
        "province, and the 2021 indicator cut-offs are the exact (1 − prevalence) quantiles of the province's latent "
        "scores (a mixture of normals over district × urban × minority cells): the values a single pass over the "
        "whole simulated province would estimate.",
        "Anomalies per kind and year: max(1, round(rate × the year's rows)), spread over districts as a random pick "
        "of that many rows among the rows that can carry them (multivariate hypergeometric on the planned counts).",
        "class_inconsistent: A is moved across the NĐ 07 line (140 rural / 175 urban), the recorded class is kept.",
        "score_b_mismatch: B moves by 10 points and stays on the same side of 30, so the class agrees with B "
        "and with the indicators; only B ≠ 10 × deprivations is broken.",
        "duplicate_id_across_districts: a 'Không thuộc diện' household of district Y gets the id, head name and "
        "ID number of a 'Không thuộc diện' household of district X (same year). The two districts of a pair are drawn "
        "∝ their households above the lines (the second among the rest); X is the one generated first (lower code), "
        "since Y can only copy an id already drawn; the X household is reserved when X is generated. Row counts are "
        "unchanged; a reader that drops duplicate ids sees one household fewer per pair, and poor/near-poor counts "
        "unchanged. The Y household's own id is missing that year only.",
        "impossible_value: household size 0, negative income (in rows whose class does not depend on income), an "
        "indicator 2 where it was 0 (so B still counts the 1s), A × 10 > 1000 (only in rows above the A line). "
        "Class and B stay consistent in those rows.",
        "Every review year, 2021 included, is classified by NĐ 07/2021/NĐ-CP (A and B; Điểm A filled in every file): "
        "the end-2021 review used the new standard (NĐ 07/2021 Art. 3; KH 177/KH-UBND of 17/8/2021, UBND tỉnh Lạng "
        "Sơn), so the published end-2021 baseline, the 2021 target, is a figure under the same standard as the "
        "2021 files. QĐ 59/2015 governed the results reported during 2021, which no file represents.",
        "Total households: round(poor / published poor rate), from the same reports (at K = 1: 2021 192,713; "
        "2024 205,714).",
        "2022 and 2023: households, poor and near-poor interpolated linearly between 2021 and 2024, rounded half up.",
        "Flows ('flows', keyed '<year-1>-<year>') are counted by true household identity before anomalies are "
        "planted, per district and summed (households never move between districts); poor_end = poor_start − "
        "poor_to_near_poor − poor_exited − poor_left + near_poor_to_poor + re_poor + new_poor + new_household_poor "
        "(the review's 'diễn biến'). re_poor needs an earlier review, so it is 0 for 2021-2022.",
        "Addresses are written 'Thôn <n>, xã <code>' in every unit, wards and towns included (synthetic shape).",
    ]


def _fill_manifest(manifest: dict, results: list[dict], targets: dict) -> None:
    """Province figures as sums of the districts' (no household moves between districts), checked against the
    targets; anomalies in file order; the run marked complete."""
    for year in REVIEW_YEARS:
        counts = {r["code"]: r["counts"][year] for r in sorted(results, key=lambda r: r["code"])}
        anomalies = sorted((a for r in results for a in r["anomalies"][year]), key=lambda a: (a["file"], a["line"]))
        manifest["district_counts"][str(year)] = counts
        manifest["province_counts"][str(year)] = _province_counts(counts, anomalies)
        _check_totals(manifest["province_counts"][str(year)], targets[year], year)
        manifest["anomalies"].extend(anomalies)
        if year > REVIEW_YEARS[0]:
            flows = [r["flows"][year] for r in results]
            manifest["flows"][f"{year - 1}-{year}"] = {key: sum(f[key] for f in flows) for key in flows[0]}
    manifest["files"] = dict(sorted(manifest["files"].items()))
    manifest["anomaly_counts"] = _anomaly_counts(manifest["anomalies"])
    manifest["complete"] = True


def _province_counts(counts: dict, anomalies: list[dict]) -> dict:
    """Rows and classes over the year's files; duplicate pairs make distinct ids fewer than rows."""
    totals = {c: sum(d[c] for d in counts.values()) for c in ("rows",) + ps.CLASSES}
    pairs = sum(a["kind"] == DUPLICATE for a in anomalies)
    return {**totals, "duplicate_id_pairs": pairs, "distinct_household_ids": totals["rows"] - pairs}


def _check_totals(got: dict, target: dict, year: int) -> None:
    """A year's files must carry exactly the target counts; anything else is a generator bug."""
    if (got["rows"], got["poor"], got["near_poor"]) != (target["households"], target["poor"], target["near_poor"]):
        raise RuntimeError(f"{year}: counts {got} differ from targets {target}")


def _anomaly_counts(anomalies: list[dict]) -> dict:
    """Anomalies per kind: total, per year and per detail (the summary tests and reports quote)."""
    counts: dict[str, dict] = {}
    for entry in anomalies:
        kind = counts.setdefault(entry["kind"], {"total": 0, "by_year": {}, "by_detail": {}})
        kind["total"] += 1
        kind["by_year"][str(entry["year"])] = kind["by_year"].get(str(entry["year"]), 0) + 1
        kind["by_detail"][entry["detail"]] = kind["by_detail"].get(entry["detail"], 0) + 1
    return {k: counts[k] for k in sorted(counts)}


def _refuse_real_registers(out_dir: Path) -> None:
    """Never overwrite real registers: a directory holding register files must carry SYNTHETIC.json."""
    if (out_dir / MANIFEST_NAME).is_file():
        return
    existing = sorted(p for pattern in ("*/ho_*.csv", "*/ho_*.xlsx") for p in out_dir.glob(pattern))
    if existing:
        raise FileExistsError(f"{out_dir} holds register files ({existing[0].name}, …) and no {MANIFEST_NAME}: "
                              "they may be real registers; write the synthetic ones elsewhere")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.tools.synthetic_registers", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default data/raw/registers)")
    parser.add_argument("--scale", type=float, default=1.0, metavar="K",
                        help="multiplier of households per district, K > 0 (default 1 = the province's published "
                             "totals; 0.02 for small tests; 34 ≈ national size, ≈ 27 M rows, ≈ 4.4 GB)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    if not (math.isfinite(args.scale) and args.scale > 0):
        parser.error("--scale must be a multiplier K > 0 (1 = the province)")
    started = time.perf_counter()
    manifest = generate(args.out, seed=args.seed, scale=args.scale)
    size = sum(f["bytes"] for f in manifest["files"].values())
    print(f"{len(manifest['files'])} synthetic registers in {args.out} ({size / 1e6:.1f} MB, "
          f"{time.perf_counter() - started:.1f} s, K = {args.scale:g}); manifest {args.out / MANIFEST_NAME}")
    times = "" if args.scale == 1 else f" × {args.scale:g}"
    for year, counts in manifest["province_counts"].items():
        print(f"  {year}: {counts['rows']:,} households, {counts['poor']:,} poor, {counts['near_poor']:,} near-poor "
              f"({manifest['targets'][year]['kind']}{times})")
    print("  anomalies: " + ", ".join(f"{k} {v['total']}" for k, v in manifest["anomaly_counts"].items()))
    print(f"  {NOTICE_EN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
