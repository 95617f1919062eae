"""Synthetic household review registers (rà soát hộ nghèo) for Lạng Sơn, review years 2021–2024.

Inputs: data/raw/districts.csv (codes, poor-district flags per period, commune counts) and the published
province figures of shared/reference/domain.md §7.1 (constants below). Output: one CSV per district and
year, exactly as docs/register_contract.md describes, plus SYNTHETIC.json, the generator manifest (targets,
counts, flows and every planted anomaly with file and line). Same seed and scale give byte-identical files.

Everything below the province totals is SYNTHETIC: district shares and rates, communes, households, names,
ID numbers and addresses are made up. Only the recorded province counts of 2021 and 2024 (at scale 1.0)
equal published figures; 2022 and 2023 are linear interpolations.

How it works, in short: households live in a district and commune for a span of years; each year a
latent welfare (AR(1) over years) ranks them, the poorest get the district's poor + near-poor quota and,
among those, the most deprived are poor. Values (income, score A, 12 indicators) are then drawn so that
the class the rules of pipeline.registers.poverty_standard give equals that quota exactly. Anomalies are planted
last and each breaks exactly one rule.

CLI: python -m pipeline.tools.synthetic_registers [--out data/raw/registers] [--scale 1.0] [--seed N]
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import paths
from pipeline.registers import poverty_standard as ps
from pipeline.atomic import write_bytes
from pipeline.vn import nfc

GENERATOR_VERSION = "1.0.0"
DEFAULT_SEED = 20211231
REVIEW_YEARS = (2021, 2022, 2023, 2024)
DEFAULT_OUT = paths.RAW / "registers"
MANIFEST_NAME = "SYNTHETIC.json"
DISTRICTS_FILE = paths.RAW / "districts.csv"

NOTICE_VI = ("Dữ liệu giả lập: số liệu cấp huyện, xã và hộ là giả lập, không phải số liệu chính thức. "
             "Chỉ tổng số hộ nghèo, cận nghèo toàn tỉnh năm 2021 và 2024 khớp số liệu công bố; 2022, 2023 là nội suy.")
NOTICE_EN = ("Synthetic data: district, commune and household figures are synthetic, not official. Only the "
             "province poor and near-poor totals of 2021 and 2024 equal published figures; 2022 and 2023 are interpolated.")

# --- Published province figures (shared/reference/domain.md §7.1, 2022–2025 standard table) -------------
# Total households are not published for these years: they are derived from the same source's count and
# rate, total = round(poor / rate), as domain.md §0.4 does (≈192.7k for 2021, ≈205.7k for 2024).
PUBLISHED = {
    2021: {"poor": 23_511, "near_poor": 23_247, "poor_rate_pct": "12.20",
           "source": "domain.md §7.1: end-2021 baseline, trangtraiviet.danviet.vn (16/9/2025); vietnam.vn/en (26/11/2025) [M]"},
    2024: {"poor": 6_912, "near_poor": 16_451, "poor_rate_pct": "3.36",
           "source": "domain.md §7.1: end-2024, danviet.vn; tapchikinhtetaichinh.vn [M]"},
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
WELFARE_TRANSITORY_SD = 0.8
URBAN_WELFARE = 0.5          # urban households are better off …
MINORITY_WELFARE = -0.45     # … ethnic-minority households worse off (and more deprived, below)
NEW_HOUSEHOLD_WELFARE = -0.2 # newly split households start a little poorer
MINORITY_DEPRIVATION = 0.3
URBAN_DEPRIVATION = -0.2
WELFARE_ON_DEPRIVATION = -0.6
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
IMPOSSIBLE_KINDS_QD59 = ("household_size_zero", "negative_income", "indicator_value_2")
IMPOSSIBLE_KINDS_ND07 = IMPOSSIBLE_KINDS_QD59 + ("score_a_over_1000",)

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
MAX_VILLAGE = 18


@dataclass(frozen=True)
class Population:
    """Every household ever on a register (one row each) and its fixed indicator components (rows × 12)."""
    households: pd.DataFrame
    indicator_base: np.ndarray


@dataclass(frozen=True)
class District:
    code: str
    name: str
    poor_2016_2020: bool
    poor_2021_2025: bool
    n_urban_units: int  # phường + thị trấn: rows there are "Thành thị"
    n_rural_units: int  # xã: "Nông thôn"

    def is_poor(self, year: int) -> bool:
        """Poor district of the period of that review: 30a set for 2021, QĐ 353/QĐ-TTg set from 2022."""
        return self.poor_2016_2020 if year < ps.ND07_FIRST_REVIEW_YEAR else self.poor_2021_2025

    def commune_codes(self) -> list[str]:
        """Synthetic 5-digit codes "9" + last two digits of the district + index; urban units come first."""
        return [f"9{self.code[-2:]}{i:02d}" for i in range(1, self.n_urban_units + self.n_rural_units + 1)]


def generate(out_dir: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict:
    """Write the 44 register files and SYNTHETIC.json into out_dir; return the manifest."""
    # Load inputs
    out_dir = Path(out_dir)
    _refuse_real_registers(out_dir)
    districts = load_districts(DISTRICTS_FILE)
    rng = np.random.default_rng(seed)

    # Process data
    targets = province_targets(scale)
    plan = district_plan(targets, districts)
    population = simulate_population(plan, districts, rng)
    manifest = _manifest_head(seed, scale, targets, districts)

    # Save outputs: the manifest first (marked incomplete), so the directory is known to be synthetic
    # even if the run stops half-way; then each year's files as soon as they are checked.
    _write_manifest(out_dir, manifest)
    previous, cutoffs, poor_before = None, None, set()
    for year in REVIEW_YEARS:
        frame, cutoffs = classify_year(population, plan, year, rng, cutoffs)
        _check_consistent(frame, "generated values")
        if previous is not None:
            manifest["flows"][f"{year - 1}-{year}"] = flow_counts(previous, frame, poor_before)
            poor_before |= set(previous.loc[previous["recorded_class"] == "poor", "key"].tolist())
        previous = frame[["key", "recorded_class"]]
        frame, planted = plant_anomalies(frame, year, rng)
        year_files, anomalies, counts = render_year(frame, planted, year)
        manifest["anomalies"].extend(anomalies)
        manifest["district_counts"][str(year)] = counts
        manifest["province_counts"][str(year)] = _province_counts(counts, anomalies)
        _check_totals(manifest["province_counts"][str(year)], targets[year], year)
        for name, content in year_files.items():
            write_bytes(out_dir / name, content)
            manifest["files"][name] = {"sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}
    manifest["anomaly_counts"] = _anomaly_counts(manifest["anomalies"])
    manifest["complete"] = True
    _write_manifest(out_dir, manifest)
    return manifest


def _write_manifest(out_dir: Path, manifest: dict) -> None:
    """SYNTHETIC.json: UTF-8, readable Vietnamese, stable key order (so reruns are byte-identical)."""
    write_bytes(out_dir / MANIFEST_NAME, (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


# --- Targets ------------------------------------------------------------------------------------------

def province_targets(scale: float = 1.0) -> dict[int, dict]:
    """Households, poor and near-poor per review year: published (2021, 2024) or linear interpolation."""
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
        plan[year] = {d.code: {"households": int(h), "poor": int(p), "near_poor": int(n)}
                      for d, h, p, n in zip(districts, households, poor, near)}
    return plan


# --- Population ---------------------------------------------------------------------------------------

def load_districts(path: Path) -> list[District]:
    """The 11 districts from data/raw/districts.csv (commune counts and poor flags per period)."""
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


def simulate_population(plan: dict, districts: list[District], rng: np.random.Generator) -> Population:
    """Every household ever on a register: fixed attributes, the years it is present, latent states per year."""
    parts = [_district_households(d, plan, rng) for d in districts]
    households = pd.concat(parts, ignore_index=True)
    households["key"] = np.arange(len(households))
    indicator_base = _add_latent_states(households, rng)
    _add_personal_fields(households, rng)
    return Population(households, indicator_base)


def _district_households(district: District, plan: dict, rng: np.random.Generator) -> pd.DataFrame:
    """A district's households with first/last review year: some leave each year, new ones arrive."""
    counts = [plan[y][district.code]["households"] for y in REVIEW_YEARS]
    first = [REVIEW_YEARS[0]] * counts[0]
    last: list[int] = [REVIEW_YEARS[-1]] * counts[0]
    for i, year in enumerate(REVIEW_YEARS[1:], start=1):
        alive = np.flatnonzero(np.array(last) == REVIEW_YEARS[-1])
        exits = max(round(EXIT_RATE * counts[i - 1]), counts[i - 1] - counts[i])
        for index in rng.choice(alive, size=exits, replace=False):
            last[index] = year - 1
        arrivals = counts[i] - counts[i - 1] + exits
        first += [year] * arrivals
        last += [REVIEW_YEARS[-1]] * arrivals
    n = len(first)
    _, urban_share, minority_share = DISTRICT_PROFILE[district.code][:3]
    urban = rng.random(n) < urban_share if district.n_urban_units else np.zeros(n, dtype=bool)
    commune = np.where(urban, rng.integers(0, max(district.n_urban_units, 1), n),
                       district.n_urban_units + rng.integers(0, district.n_rural_units, n))
    serials = rng.choice(10**7, size=n, replace=False)
    return pd.DataFrame({
        "district_code": district.code,
        "household_id": [f"HH-{district.code}-{s:07d}" for s in serials],
        "commune_code": np.array(district.commune_codes())[commune],
        "urban": urban,
        "minority": rng.random(n) < minority_share,
        "village": rng.integers(1, MAX_VILLAGE + 1, n),
        "first_year": np.array(first),
        "last_year": np.array(last),
    })


def _add_latent_states(households: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Welfare (ranks the class), deprivation propensity (drives the 12 indicators) and size, per year.

    Welfare = permanent part (area, ethnicity, household effect) + AR(1) transitory part, so that most
    poor households stay poor next year but some leave and some fall in: flows exist. Returns the fixed
    part of the indicator scores (shared group component + own component), rows × 12.
    """
    n = len(households)
    urban = households["urban"].to_numpy()
    minority = households["minority"].to_numpy()
    new = (households["first_year"] > REVIEW_YEARS[0]).to_numpy()
    permanent = (WELFARE_PERMANENT_SD * rng.standard_normal(n) + URBAN_WELFARE * urban
                 + MINORITY_WELFARE * minority + NEW_HOUSEHOLD_WELFARE * new)
    innovation_sd = np.sqrt(1 - WELFARE_PERSISTENCE**2)
    own_sd = np.sqrt(1 - DEPRIVATION_PERSISTENCE**2)
    transitory = rng.standard_normal(n)
    own = rng.standard_normal(n)
    size = 1 + rng.binomial(8, 0.30 + 0.06 * minority)
    for i, year in enumerate(REVIEW_YEARS):
        if i:
            transitory = WELFARE_PERSISTENCE * transitory + innovation_sd * rng.standard_normal(n)
            own = DEPRIVATION_PERSISTENCE * own + own_sd * rng.standard_normal(n)
            step = (rng.random(n) < SIZE_CHANGE_PROB) * rng.choice([-1, 1], n)
            size = np.clip(size + step, 1, MAX_HOUSEHOLD_SIZE)
        welfare = permanent + WELFARE_TRANSITORY_SD * transitory
        standard = (welfare - welfare.mean()) / welfare.std()
        households[f"welfare_{year}"] = welfare
        households[f"propensity_{year}"] = (WELFARE_ON_DEPRIVATION * standard + 0.8 * own
                                            + MINORITY_DEPRIVATION * minority + URBAN_DEPRIVATION * urban)
        households[f"size_{year}"] = size
    groups = rng.standard_normal((n, N_GROUPS))[:, INDICATOR_GROUP]
    own_indicator = rng.standard_normal((n, ps.N_INDICATORS))
    return LOADING_GROUP * groups + LOADING_OWN * own_indicator


def _add_personal_fields(households: pd.DataFrame, rng: np.random.Generator) -> None:
    """Synthetic head names, ID numbers "000…" and addresses "Thôn n, xã <code>"; NFC."""
    n = len(households)
    female = rng.random(n) < FEMALE_HEAD_SHARE
    minority = households["minority"].to_numpy()
    surname = np.where(minority, np.array(MINORITY_SURNAMES)[rng.integers(0, len(MINORITY_SURNAMES), n)],
                       np.array(KINH_SURNAMES)[rng.integers(0, len(KINH_SURNAMES), n)])
    middle = np.where(female, np.array(FEMALE_MIDDLE)[rng.integers(0, len(FEMALE_MIDDLE), n)],
                      np.array(MALE_MIDDLE)[rng.integers(0, len(MALE_MIDDLE), n)])
    given = np.where(female, np.array(FEMALE_GIVEN)[rng.integers(0, len(FEMALE_GIVEN), n)],
                     np.array(MALE_GIVEN)[rng.integers(0, len(MALE_GIVEN), n)])
    households["head_name"] = [nfc(f"{a} {b} {c}") for a, b, c in zip(surname, middle, given)]
    numbers = rng.choice(10**9, size=n, replace=False)
    households["id_number"] = [f"{ID_NUMBER_PREFIX}{x:09d}" for x in numbers]
    households["address"] = [nfc(f"Thôn {v}, xã {c}") for v, c in zip(households["village"], households["commune_code"])]


# --- One review year ------------------------------------------------------------------------------------

def classify_year(population: Population, plan: dict, year: int, rng: np.random.Generator,
                  cutoffs: np.ndarray | None) -> tuple[pd.DataFrame, np.ndarray]:
    """The year's register as canonical columns: class quotas by welfare rank, then values that fit the class.

    cutoffs: indicator cut-offs fixed on the first year (None then); returned for the following years.
    """
    households = population.households
    present = ((households["first_year"] <= year) & (households["last_year"] >= year)).to_numpy()
    frame = households.loc[present, ["key", "district_code", "household_id", "commune_code", "urban", "minority",
                                     "head_name", "id_number", "address"]].reset_index(drop=True)
    welfare = households.loc[present, f"welfare_{year}"].to_numpy()
    propensity = households.loc[present, f"propensity_{year}"].to_numpy()
    frame["review_year"] = year
    frame["area"] = np.where(frame["urban"], ps.URBAN, ps.RURAL)
    frame["household_size"] = households.loc[present, f"size_{year}"].to_numpy()
    quota, rank_in_group = _assign_quota(frame, welfare, propensity, plan[year])
    latent = _indicator_latent(population.indicator_base[present], propensity, frame["urban"].to_numpy(), year, rng)
    if cutoffs is None:
        cutoffs = np.array([np.quantile(latent[:, j], 1 - INDICATOR_PREVALENCE_2021[j]) for j in range(ps.N_INDICATORS)])
    standard = ps.standard_for(year)
    flags = _constrain_flags(latent > cutoffs, latent, quota, standard)
    for column, values in zip(ps.INDICATOR_COLUMNS, flags.T):
        frame[column] = values.astype(np.int64)
    frame["score_b"] = flags.sum(axis=1) * ps.POINTS_PER_DEPRIVATION
    if standard == ps.ND07:
        frame["income_per_capita"], frame["score_a"] = _nd07_values(frame["area"].to_numpy(), quota, rank_in_group, rng)
    else:
        frame["income_per_capita"] = _qd59_income(frame["area"].to_numpy(), quota, rank_in_group,
                                                  flags.sum(axis=1), rng)
        frame["score_a"] = pd.array([pd.NA] * len(frame), dtype="Int64")  # A is not scored in the 2021 review
    frame["recorded_class"] = ps.expected_class(frame)
    _check_quota(frame, quota, year)
    return frame, cutoffs


def _assign_quota(frame: pd.DataFrame, welfare: np.ndarray, propensity: np.ndarray,
                  district_plan_year: dict) -> tuple[np.ndarray, np.ndarray]:
    """'poor' / 'near_poor' / 'above' per row, and the row's welfare percentile within its group (0 = poorest).

    The district's poor + near-poor quota goes to its lowest-welfare households; among them the most
    deprived (highest propensity) are poor. Ties break by row order, so the result is deterministic.
    """
    quota = np.full(len(frame), "above", dtype=object)
    percentile = np.zeros(len(frame))
    for code, rows in frame.groupby("district_code").indices.items():
        target = district_plan_year[code]
        below = rows[np.lexsort((rows, welfare[rows]))][: target["poor"] + target["near_poor"]]
        by_deprivation = below[np.lexsort((below, -propensity[below]))]
        quota[by_deprivation[: target["poor"]]] = "poor"
        quota[by_deprivation[target["poor"]:]] = "near_poor"
        for group in (below, np.setdiff1d(rows, below)):
            ordered = group[np.lexsort((group, welfare[group]))]
            percentile[ordered] = np.arange(len(ordered)) / max(len(ordered) - 1, 1)
    return quota, percentile


def _indicator_latent(base: np.ndarray, propensity: np.ndarray, urban: np.ndarray, year: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Latent score per indicator: propensity + fixed group/own parts + yearly noise − drift (urban less deprived)."""
    noise = rng.standard_normal(base.shape)
    return (LOADING_PROPENSITY * propensity[:, None] + base + LOADING_NOISE * noise
            + URBAN_INDICATOR_SHIFT[None, :] * urban[:, None] - DEPRIVATION_DRIFT * (year - REVIEW_YEARS[0]))


def _constrain_flags(flags: np.ndarray, latent: np.ndarray, quota: np.ndarray, standard: str) -> np.ndarray:
    """Make the indicator count fit the class: near-poor at most 2; poor at least 3 under NĐ 07.

    Adds or keeps the indicators with the highest latent score, so correlations survive.
    """
    order = np.argsort(-latent, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(ps.N_INDICATORS), order.shape), axis=1)
    minimum = ps.POOR_MIN_SCORE_B // ps.POINTS_PER_DEPRIVATION
    near = quota == "near_poor"
    flags = flags.copy()
    flags[near] &= rank[near] < minimum - 1
    if standard == ps.ND07:
        poor = quota == "poor"
        flags[poor] |= rank[poor] < minimum
    return flags


def _nd07_values(area: np.ndarray, quota: np.ndarray, percentile: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Income and score A under NĐ 07: below-line rows get A ≤ threshold, the rest A above it."""
    n = len(area)
    threshold = np.where(area == ps.URBAN, ps.ND07_SCORE_A_THRESHOLD[ps.URBAN], ps.ND07_SCORE_A_THRESHOLD[ps.RURAL])
    line = np.where(area == ps.URBAN, ND07_POVERTY_LINE[ps.URBAN], ND07_POVERTY_LINE[ps.RURAL])
    below = quota != "above"
    score_low = np.round(threshold * (LOW_A_SHARE + (1 - LOW_A_SHARE) * percentile)) - rng.integers(0, 5, n)
    score_low = np.maximum(score_low, MIN_SCORE_A)  # the best-off below-line households score exactly the threshold
    income_low = line * score_low / threshold * np.exp(0.12 * rng.standard_normal(n))
    ratio_high = 1.0 + 3.0 * percentile**1.6  # income / line above the line, before household noise
    income_high = np.maximum(line * ratio_high * np.exp(0.10 * rng.standard_normal(n)), MIN_INCOME)
    score_high = threshold + 1 + np.round(0.8 * threshold * (ratio_high - 1)) + rng.integers(0, 8, n)
    score_high = np.minimum(score_high, MAX_SCORE_A)
    income = _round_income(np.where(below, np.maximum(income_low, MIN_INCOME), income_high))
    score = np.where(below, score_low, score_high).astype(np.int64)
    return income, pd.array(score, dtype="Int64")


def _qd59_income(area: np.ndarray, quota: np.ndarray, percentile: np.ndarray, deprivations: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """Income under QĐ 59: poor ≤ poor line (or ≤ near-poor line with ≥ 3 deprivations), near-poor between."""
    n = len(area)
    poor_line = np.where(area == ps.URBAN, ps.QD59_POOR_INCOME_LINE[ps.URBAN], ps.QD59_POOR_INCOME_LINE[ps.RURAL])
    near_line = np.where(area == ps.URBAN, ps.QD59_NEAR_POOR_INCOME_LINE[ps.URBAN],
                         ps.QD59_NEAR_POOR_INCOME_LINE[ps.RURAL])
    deprived = deprivations * ps.POINTS_PER_DEPRIVATION >= ps.POOR_MIN_SCORE_B
    step = 0.40 + 0.60 * percentile
    poor_cap = np.where(deprived, near_line, poor_line)
    poor = _floor_income(poor_cap * step)
    near = poor_line + INCOME_ROUNDING + _floor_income((near_line - poor_line - INCOME_ROUNDING) * percentile)
    above = near_line * (1.03 + 3.5 * percentile**1.6) * np.exp(0.10 * rng.standard_normal(n))
    above = np.maximum(_round_income(above), near_line + INCOME_ROUNDING)
    return np.select([quota == "poor", quota == "near_poor"], [poor, near], above).astype(np.int64)


def _round_income(values: np.ndarray) -> np.ndarray:
    """To the nearest 1,000 đồng, as forms record incomes."""
    return (np.round(values / INCOME_ROUNDING) * INCOME_ROUNDING).astype(np.int64)


def _floor_income(values: np.ndarray) -> np.ndarray:
    """Down to 1,000 đồng: keeps an income at or under the line it was drawn below."""
    return (np.floor(values / INCOME_ROUNDING) * INCOME_ROUNDING).astype(np.int64)


def _check_quota(frame: pd.DataFrame, quota: np.ndarray, year: int) -> None:
    """The rules must give back the quota for every below-line household; a mismatch is a generator bug."""
    below = quota != "above"
    wrong = below & (frame["recorded_class"].to_numpy() != quota)
    if wrong.any() or frame["recorded_class"].isna().any():
        raise RuntimeError(f"{year}: {int(wrong.sum())} generated households do not classify as planned")


def _check_consistent(frame: pd.DataFrame, what: str, rows: np.ndarray | None = None) -> None:
    """Recorded class and B agree with pipeline.registers.poverty_standard (on all rows, or the rows given)."""
    part = frame if rows is None else frame.loc[rows]
    bad_class = (ps.expected_class(part) != part["recorded_class"]).to_numpy()
    bad_b = (ps.expected_score_b(part).astype(float).to_numpy() != part["score_b"].astype(float).to_numpy())
    if bad_class.any() or bad_b.any():
        raise RuntimeError(f"{what}: {int(bad_class.sum())} class and {int(bad_b.sum())} score B inconsistencies")


def flow_counts(previous: pd.DataFrame, current: pd.DataFrame, poor_before: set[int]) -> dict:
    """Movements of poor households between two reviews (domain.md §2.4 'diễn biến'), by true identity.

    poor_end = poor_start − to_near_poor − exited − left + near_poor_to_poor + re_poor + new_poor
    + new_household_poor. re_poor: poor again after at least one review above the line, having been poor
    in an earlier review (poor_before: keys poor in any review before `previous`). Counted before anomalies.
    """
    merged = previous.merge(current[["key", "recorded_class"]], on="key", how="outer", suffixes=("_before", "_after"))
    before, after = merged["recorded_class_before"], merged["recorded_class_after"]
    above_before = before.isin(["average", "none"])
    became_poor = above_before & (after == "poor")
    earlier = merged["key"].isin(list(poor_before))
    return {
        "households_left": int(after.isna().sum()),
        "households_new": int(before.isna().sum()),
        "poor_start": int((before == "poor").sum()),
        "poor_to_near_poor": int(((before == "poor") & (after == "near_poor")).sum()),
        "poor_exited": int(((before == "poor") & after.isin(["average", "none"])).sum()),
        "poor_left": int(((before == "poor") & after.isna()).sum()),
        "near_poor_to_poor": int(((before == "near_poor") & (after == "poor")).sum()),
        "re_poor": int((became_poor & earlier).sum()),
        "new_poor": int((became_poor & ~earlier).sum()),
        "new_household_poor": int((before.isna() & (after == "poor")).sum()),
        "poor_end": int((after == "poor").sum()),
        "near_poor_start": int((before == "near_poor").sum()),
        "near_poor_end": int((after == "near_poor").sum()),
        "above_to_near_poor": int((above_before & (after == "near_poor")).sum()),
    }


# --- Anomalies ------------------------------------------------------------------------------------------

def plant_anomalies(frame: pd.DataFrame, year: int, rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict]]:
    """Plant each kind in its own rows; each planted row breaks exactly the rule of its kind.

    Recorded classes are never changed, so class counts stay equal to the targets. Returns the frame and
    the anomalies (row keys, not yet file lines: those are known after sorting).
    """
    frame = frame.copy()
    taken = np.zeros(len(frame), dtype=bool)
    planted: list[dict] = []
    for kind, planter in (("class_inconsistent", _plant_class), ("score_b_mismatch", _plant_score_b),
                          ("duplicate_id_across_districts", _plant_duplicates), ("impossible_value", _plant_impossible)):
        count = max(1, round(ANOMALY_RATES[kind] * len(frame)))
        planted += planter(frame, count, taken, year, rng)
    _verify_planted(frame, planted)
    return frame, planted


def _pick(eligible: np.ndarray, taken: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Random free rows among the eligible ones, marked as taken."""
    candidates = np.flatnonzero(eligible & ~taken)
    if len(candidates) < count:
        raise RuntimeError(f"only {len(candidates)} rows can take {count} anomalies; raise the scale")
    rows = np.sort(rng.choice(candidates, size=count, replace=False))
    taken[rows] = True
    return rows


def _anomaly(frame, row, kind, detail, column, original, planted, rule, **extra) -> dict:
    """One manifest entry, keyed by the household's row key until the file line is known."""
    return {"kind": kind, "detail": detail, "key": int(frame.at[row, "key"]), "column": HEADER_OF[column],
            "original": _plain(original), "planted": _plain(planted), "rule": rule, **extra}


def _plain(value):
    """JSON-ready scalar (numpy ints and pandas NA become int / None)."""
    if value is None or value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def _thresholds(frame: pd.DataFrame, row: int, table: dict) -> int:
    """The row's value of a {rural, urban} threshold table."""
    return table[frame.at[row, "area"]]


def _plant_class(frame, count, taken, year, rng) -> list[dict]:
    """Move A (NĐ 07) or income (QĐ 59) across the line so the recorded class no longer follows; class kept."""
    rows = _pick(np.ones(len(frame), dtype=bool), taken, count, rng)
    result = []
    nd07 = ps.standard_for(year) == ps.ND07
    for row in rows:
        below = frame.at[row, "recorded_class"] in ("poor", "near_poor")
        if nd07:
            threshold = _thresholds(frame, row, ps.ND07_SCORE_A_THRESHOLD)
            value = threshold + int(rng.integers(1, 31)) if below else threshold - int(rng.integers(0, 41))
            column = "score_a"
        else:
            column = "income_per_capita"
            if below:
                value = _thresholds(frame, row, ps.QD59_NEAR_POOR_INCOME_LINE) + INCOME_ROUNDING * int(rng.integers(1, 301))
            else:
                value = _thresholds(frame, row, ps.QD59_POOR_INCOME_LINE) - INCOME_ROUNDING * int(rng.integers(0, 201))
        original = frame.at[row, column]
        frame.at[row, column] = value
        result.append(_anomaly(frame, row, "class_inconsistent", f"{column} moved across the line", column, original,
                               value, "recorded class differs from the class A, B and income give"))
    expected = ps.expected_class(frame.loc[rows])
    for entry, row in zip(result, rows):
        entry["recorded_class"] = frame.at[row, "recorded_class"]
        entry["expected_class"] = expected[row]
    return result


def _plant_score_b(frame, count, taken, year, rng) -> list[dict]:
    """B off by 10 points, staying on the same side of 30 so the class still follows from B and from the flags."""
    rows = _pick(np.ones(len(frame), dtype=bool), taken, count, rng)
    result = []
    for row in rows:
        original = int(frame.at[row, "score_b"])
        if original >= ps.POOR_MIN_SCORE_B:
            value = original + ps.POINTS_PER_DEPRIVATION if original < ps.MAX_SCORE_B else original - ps.POINTS_PER_DEPRIVATION
        else:
            value = original - ps.POINTS_PER_DEPRIVATION if original > 0 else original + ps.POINTS_PER_DEPRIVATION
        frame.at[row, "score_b"] = value
        result.append(_anomaly(frame, row, "score_b_mismatch", "B = 10 × deprivations ± 10", "score_b", original, value,
                               "B differs from 10 × the number of indicators equal to 1"))
    return result


def _plant_duplicates(frame, count, taken, year, rng) -> list[dict]:
    """A household of district Y carries the id (and head name and ID number) of a household of district X.

    Both are "Không thuộc diện" households, so poor and near-poor counts are right whichever copy a
    deduplicating reader keeps; the row count (households) is one too high per pair.
    """
    eligible = (frame["recorded_class"] == "none").to_numpy()
    targets = _pick(eligible, taken, count, rng)
    result = []
    districts = frame["district_code"].to_numpy(dtype=np.int64)
    for row in targets:
        donor = _pick(eligible & (districts != districts[row]), taken, 1, rng)[0]
        original = frame.at[row, "household_id"]
        for column in ("household_id", "head_name", "id_number"):
            frame.at[row, column] = frame.at[donor, column]
        result.append(_anomaly(frame, row, "duplicate_id_across_districts", "id of a household of another district",
                               "household_id", original, frame.at[donor, "household_id"],
                               "the same household id appears in two districts in one review year",
                               partner_key=int(frame.at[donor, "key"])))
    return result


def _plant_impossible(frame, count, taken, year, rng) -> list[dict]:
    """Out-of-range values, each in a row where it leaves class and B consistent, kinds in turn."""
    nd07 = ps.standard_for(year) == ps.ND07
    kinds = IMPOSSIBLE_KINDS_ND07 if nd07 else IMPOSSIBLE_KINDS_QD59
    per_kind = [count // len(kinds) + (i < count % len(kinds)) for i in range(len(kinds))]
    recorded = frame["recorded_class"].to_numpy()
    flags = frame[list(ps.INDICATOR_COLUMNS)].to_numpy()
    eligible = {
        "household_size_zero": np.ones(len(frame), dtype=bool),
        "negative_income": np.isin(recorded, ["poor", "near_poor"] if nd07 else ["poor"]),
        "indicator_value_2": (flags == 0).any(axis=1),
        "score_a_over_1000": np.isin(recorded, ["average", "none"]),
    }
    result = []
    for kind, n in zip(kinds, per_kind):
        for row in _pick(eligible[kind], taken, n, rng) if n else []:
            result.append(_plant_one_impossible(frame, row, kind, rng))
    return result


def _plant_one_impossible(frame, row, kind, rng) -> dict:
    """One out-of-range value: size 0, negative income, an indicator 2 (where it was 0), A × 10 (> 1000)."""
    if kind == "household_size_zero":
        column, value = "household_size", 0
    elif kind == "negative_income":
        column, value = "income_per_capita", -int(frame.at[row, "income_per_capita"])
    elif kind == "indicator_value_2":
        zeros = [c for c in ps.INDICATOR_COLUMNS if frame.at[row, c] == 0]
        column, value = zeros[int(rng.integers(0, len(zeros)))], 2
    else:
        column, value = "score_a", int(frame.at[row, "score_a"]) * 10
    original = frame.at[row, column]
    frame.at[row, column] = value
    return _anomaly(frame, row, "impossible_value", kind, column, original, value,
                    "value outside its possible range (size 1–30, income ≥ 0, indicator 0/1, A ≤ 1000)")


def _verify_planted(frame: pd.DataFrame, planted: list[dict]) -> None:
    """Each planted row breaks its own rule and only it; every other row is consistent."""
    position = pd.Series(np.arange(len(frame)), index=frame["key"].to_numpy())
    rows = {kind: position[[a["key"] for a in planted if a["kind"] == kind]].to_numpy()
            for kind in ANOMALY_RATES}
    clean = np.setdiff1d(np.arange(len(frame)), np.concatenate(list(rows.values())))
    _check_consistent(frame, "rows without anomaly", clean)
    for kind in ("score_b_mismatch", "duplicate_id_across_districts", "impossible_value"):
        part = frame.iloc[rows[kind]]
        if kind != "score_b_mismatch":
            _check_consistent(frame, kind, part.index.to_numpy())
        elif (ps.expected_class(part) != part["recorded_class"]).any() or \
                (ps.expected_score_b(part).to_numpy() == part["score_b"].to_numpy()).any():
            raise RuntimeError("a score_b_mismatch anomaly breaks another rule or none")
    part = frame.iloc[rows["class_inconsistent"]]
    if (ps.expected_class(part) == part["recorded_class"]).any() or \
            (ps.expected_score_b(part).to_numpy() != part["score_b"].to_numpy()).any():
        raise RuntimeError("a class_inconsistent anomaly breaks another rule or none")


# --- Files and manifest -----------------------------------------------------------------------------------

def render_year(frame: pd.DataFrame, planted: list[dict], year: int) -> tuple[dict[str, bytes], list[dict], dict]:
    """One CSV per district (rows sorted by commune then id), the anomalies with file and line, counts."""
    files, counts, line_of = {}, {}, {}
    for code, part in frame.groupby("district_code", sort=True):
        part = part.sort_values(["commune_code", "household_id"], kind="stable")
        name = f"{year}/ho_{code}_{year}.csv"
        files[name] = _csv_bytes(part)
        line_of.update({int(key): (name, code, line) for key, line in zip(part["key"], range(2, len(part) + 2))})
        classes = part["recorded_class"].value_counts()
        counts[code] = {"file": name, "rows": len(part), **{c: int(classes.get(c, 0)) for c in ps.CLASSES}}
    id_of = dict(zip(frame["key"].tolist(), frame["household_id"].tolist()))
    anomalies = []
    for entry in (dict(e) for e in planted):
        key = entry.pop("key")
        name, code, line = line_of[key]
        located = {"kind": entry.pop("kind"), "year": year, "district_code": code, "file": name, "line": line,
                   "household_id": id_of[key]}
        partner = entry.pop("partner_key", None)
        if partner is not None:
            p_name, p_code, p_line = line_of[partner]
            entry["also_in"] = {"district_code": p_code, "file": p_name, "line": p_line}
        anomalies.append({**located, **entry})
    anomalies.sort(key=lambda a: (a["file"], a["line"]))
    return files, anomalies, counts


def _csv_bytes(part: pd.DataFrame) -> bytes:
    """The district file: contract headers in order, Vietnamese labels, integers, '\\n' line ends, UTF-8."""
    labels = {"area": AREA_LABELS, "recorded_class": CLASS_LABELS}
    columns = []
    for _, name in COLUMNS:
        if name in labels:
            columns.append([labels[name][v] for v in part[name].tolist()])
        elif name == "ethnic_minority":
            columns.append([YES_NO_LABELS[v] for v in part["minority"].tolist()])
        elif name == "score_a":
            columns.append([None if v is pd.NA else v for v in part[name].tolist()])  # empty cell
        else:
            columns.append(part[name].tolist())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([header for header, _ in COLUMNS])
    writer.writerows(zip(*columns))
    return buffer.getvalue().encode("utf-8")


def _manifest_head(seed: int, scale: float, targets: dict, districts: list[District]) -> dict:
    """Everything about the run that is known before any household is drawn."""
    return {
        "synthetic": True,
        "complete": False,
        "notice_vi": NOTICE_VI,
        "notice_en": NOTICE_EN,
        "generator": "pipeline.tools.synthetic_registers",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": scale,
        "contract": "docs/register_contract.md",
        "review_years": list(REVIEW_YEARS),
        "standard_by_year": {str(y): ps.standard_for(y) for y in REVIEW_YEARS},
        "targets": {str(y): t for y, t in targets.items()},
        "poor_districts_by_year": {str(y): [d.code for d in districts if d.is_poor(y)] for y in REVIEW_YEARS},
        "decisions": _decisions(),
        "synthetic_identifiers": {
            "household_id": "HH-<district code>-<7 random digits>; synthetic, persistent across years",
            "commune_code": "9 + last two digits of the district code + 2-digit index (e.g. 98101); synthetic, "
                            "not GSO codes (real GSO commune codes are below 33000). Urban units (phường, thị trấn) "
                            "come first and are 'Thành thị', xã are 'Nông thôn'; counts from data/raw/districts.csv",
            "head_name": "drawn from short lists of common Tày, Nùng and Kinh syllables",
            "id_number": "12 digits starting 000 (no province has code 000)",
            "address": "Thôn <1–18>, xã <synthetic commune code>",
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
        "class_inconsistent: A (2022–2024) or income (2021) is moved across the line, the recorded class is kept.",
        "score_b_mismatch: B moves by 10 points and stays on the same side of 30, so the class agrees with B "
        "and with the indicators; only B ≠ 10 × deprivations is broken.",
        "duplicate_id_across_districts: a 'Không thuộc diện' household of district Y gets the id, head name and "
        "ID number of a 'Không thuộc diện' household of district X (same year). Row counts are unchanged; a reader "
        "that drops duplicate ids sees one household fewer per pair, and poor/near-poor counts unchanged. The "
        "Y household's own id is missing that year only.",
        "impossible_value: household size 0, negative income (in rows whose class does not depend on income), an "
        "indicator 2 where it was 0 (so B still counts the 1s), A × 10 > 1000 (only in rows above the A line, "
        "2022–2024). Class and B stay consistent in those rows.",
        "2021 is classified by QĐ 59/2015 (income and B); Điểm A is empty in 2021 files. The 2021 published "
        "baseline is stated under the new standard (domain.md §7.1); it is used as the 2021 target anyway.",
        "Total households: round(poor / published poor rate), from the same source (2021: 192,713; 2024: 205,714).",
        "2022 and 2023: households, poor and near-poor interpolated linearly between 2021 and 2024, rounded half up.",
        "Flows ('flows', keyed '<year-1>-<year>') are counted by true household identity before anomalies are "
        "planted; poor_end = poor_start − poor_to_near_poor − poor_exited − poor_left + near_poor_to_poor + re_poor "
        "+ new_poor + new_household_poor (domain.md §2.4 'diễn biến'). re_poor needs an earlier review, so it is 0 "
        "for 2021-2022.",
        "Addresses are written 'Thôn <n>, xã <code>' in every unit, wards and towns included (synthetic shape).",
    ]


def _province_counts(counts: dict, planted: list[dict]) -> dict:
    """Rows and classes over the year's files; duplicate pairs make distinct ids fewer than rows."""
    totals = {c: sum(d[c] for d in counts.values()) for c in ("rows",) + ps.CLASSES}
    pairs = sum(a["kind"] == "duplicate_id_across_districts" for a in planted)
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
    parser.add_argument("--scale", type=float, default=1.0, help="share of the province's households (default 1.0)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    started = time.perf_counter()
    manifest = generate(args.out, seed=args.seed, scale=args.scale)
    size = sum(f["bytes"] for f in manifest["files"].values())
    print(f"{len(manifest['files'])} synthetic registers in {args.out} ({size / 1e6:.1f} MB, "
          f"{time.perf_counter() - started:.1f} s); manifest {args.out / MANIFEST_NAME}")
    for year, counts in manifest["province_counts"].items():
        print(f"  {year}: {counts['rows']:,} households, {counts['poor']:,} poor, {counts['near_poor']:,} near-poor "
              f"({manifest['targets'][year]['kind']})")
    print("  anomalies: " + ", ".join(f"{k} {v['total']}" for k, v in manifest["anomaly_counts"].items()))
    print(f"  {NOTICE_EN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
