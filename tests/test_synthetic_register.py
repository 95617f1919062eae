"""The synthetic register generator: determinism, the contract, published totals, anomalies, realism, and
generation one district at a time for any multiplier K.

Most tests read the files of one small run (K = 0.02, ≈ 4k households a year) as any consumer would:
CSV text, Vietnamese headers and labels. Classes and B are checked with pipeline.registers.poverty_standard, never
with the generator's internals. End-to-end (marked e2e): two CLI runs in subprocesses (K = 0.5 and K = 2,
≈ 10 s together) check K > 1 and that peak memory follows the largest district, not the province; the K = 1
files are those `make sample-data` generated in the built project (the plan at K = 1 is checked in the fast tier).
"""
import csv
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
import unicodedata
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from pipeline import paths
from pipeline.registers import poverty_standard as ps
from pipeline.tools import synthetic_registers as sr

SCALE = 0.02
SEED = 7
YEARS = (2021, 2022, 2023, 2024)
DISTRICTS = ("178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189")
DUPLICATE = "duplicate_id_across_districts"
POOR_DISTRICTS = {2021: {"181", "184", "189"}, 2022: {"181", "184"}, 2023: {"181", "184"}, 2024: {"181", "184"}}
# Province targets at K = 1, by hand from the published end-2021 and end-2024 figures (news reports quoting the
# province's poverty-review results: trangtraiviet.danviet.vn 16/9/2025, vietnam.vn/en 26/11/2025, danviet.vn,
# tapchikinhtetaichinh.vn): total = poor / rate; 2022–2023 linear.
# 2021: 23,511 / 12.20 % = 192,713.1; 2024: 6,912 / 3.36 % = 205,714.3;
# 2022 = 2021 + (2024 − 2021) / 3, 2023 = 2021 + 2 (2024 − 2021) / 3, rounded half up.
TARGETS = {
    2021: (192_713, 23_511, 23_247),
    2022: (197_047, 17_978, 20_982),
    2023: (201_380, 12_445, 18_716),
    2024: (205_714, 6_912, 16_451),
}
# Canonical names in the contract's column order (docs/register_contract.md), written out by hand.
CANONICAL = ["review_year", "household_id", "district_code", "commune_code", "area", "household_size",
             "income_per_capita", "score_a", "d01", "d02", "d03", "d04", "d05", "d06", "d07", "d08", "d09", "d10",
             "d11", "d12", "score_b", "recorded_class", "ethnic_minority", "head_name", "id_number", "address"]
AREAS = {"Nông thôn": "rural", "Thành thị": "urban"}
CLASSES = {"Hộ nghèo": "poor", "Hộ cận nghèo": "near_poor", "Hộ có mức sống trung bình": "average",
           "Không thuộc diện": "none"}
INDICATORS = [f"d{i:02d}" for i in range(1, 13)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("registers")
    manifest = sr.generate(out, seed=SEED, scale=SCALE)
    return out, manifest


@pytest.fixture(scope="module")
def registers(run):
    """All rows of all files, canonical names and codes, with file and 1-based line (header = 1)."""
    out, _ = run
    frames = []
    for path in sorted(out.glob("*/ho_*.csv")):
        frame = read_register(path)
        frame["file"] = path.relative_to(out).as_posix()
        frame["line"] = np.arange(2, len(frame) + 2)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def read_register(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    raw.columns = CANONICAL
    frame = raw.copy()
    frame["area"] = raw["area"].map(AREAS)
    frame["recorded_class"] = raw["recorded_class"].map(CLASSES)
    for column in ["review_year", "household_size", "income_per_capita", "score_b", *INDICATORS]:
        frame[column] = pd.to_numeric(raw[column], errors="raise")
    frame["score_a"] = pd.to_numeric(raw["score_a"].replace("", None), errors="raise")
    return frame


def anomaly_keys(manifest) -> set[tuple[str, int]]:
    return {(a["file"], a["line"]) for a in manifest["anomalies"]}


def contract_header() -> str:
    text = (paths.DOCS / "register_contract.md").read_text(encoding="utf-8")
    return text.split("Example header row:", 1)[1].strip().splitlines()[0].strip()


def k_times(value: int, k: float) -> int:
    """K × value rounded half up, exactly (K read as written in decimal, as the generator documents)."""
    return math.floor(Fraction(value) * Fraction(str(k)) + Fraction(1, 2))


def run_cli(out: Path, k: float) -> int:
    """The generator's CLI in a child process of its own; returns the child's peak resident memory (KB)."""
    child = subprocess.Popen([sys.executable, "-m", "pipeline.tools.synthetic_registers", "--out", str(out),
                              "--scale", str(k), "--seed", str(SEED)], cwd=paths.ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, f"generator at K = {k} failed"
    return usage.ru_maxrss


# --- Determinism --------------------------------------------------------------------------------------

def test_same_seed_and_scale_give_identical_bytes(run, tmp_path):
    out, _ = run
    sr.generate(tmp_path, seed=SEED, scale=SCALE)
    first = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    second = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    assert first.keys() == second.keys()
    assert all(first[name] == second[name] for name in first), "a rerun changed some bytes"


def test_another_seed_gives_other_households_but_the_same_totals(run, tmp_path):
    out, manifest = run
    other = sr.generate(tmp_path, seed=SEED + 1, scale=SCALE)
    assert (tmp_path / "2022/ho_181_2022.csv").read_bytes() != (out / "2022/ho_181_2022.csv").read_bytes()
    for year in YEARS:
        ours, theirs = manifest["province_counts"][str(year)], other["province_counts"][str(year)]
        assert [theirs[k] for k in ("rows", "poor", "near_poor")] == [ours[k] for k in ("rows", "poor", "near_poor")]


# --- The contract ---------------------------------------------------------------------------------------

def test_one_file_per_year_and_district_named_as_the_contract_says(run):
    out, _ = run
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.csv"))
    assert names == sorted(f"{y}/ho_{d}_{y}.csv" for y in YEARS for d in DISTRICTS)


def test_header_row_is_the_contracts_example_exactly(run):
    out, _ = run
    header = contract_header()
    assert header.startswith("Năm rà soát,Mã hộ,") and header.endswith("Địa chỉ")
    for path in sorted(out.rglob("*.csv")):
        assert path.read_bytes().split(b"\n", 1)[0].decode("utf-8") == header, path.name


def test_files_are_exactly_what_csv_writer_writes_from_their_cells(run):
    """Minimal quoting, '\\n' line ends, nothing else: parsing and writing back with the csv module gives the same text."""
    out, _ = run
    for path in sorted(out.rglob("*.csv")):
        text = path.read_bytes().decode("utf-8")
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(csv.reader(io.StringIO(text, newline="")))
        assert buffer.getvalue() == text, path.name
        assert text.endswith("\n") and not text.endswith("\n\n")


def test_rows_are_sorted_by_commune_then_household_id(registers):
    for name, part in registers.groupby("file"):
        keys = list(zip(part["commune_code"], part["household_id"]))
        assert keys == sorted(keys), name


def test_year_and_district_of_every_row_match_the_file_name(registers):
    from_name = registers["file"].str.extract(r"^(\d{4})/ho_(\d{3})_(\d{4})\.csv$")
    assert (from_name[0] == from_name[2]).all()
    assert (registers["review_year"].astype(str) == from_name[0]).all()
    assert (registers["district_code"] == from_name[1]).all()


def test_vocabularies_and_text(run, registers):
    out, _ = run
    raw = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(out.rglob("*.csv"))])
    assert set(raw["Khu vực"]) == set(AREAS)
    assert set(raw["Phân loại"]) <= set(CLASSES)
    assert set(raw["Dân tộc thiểu số"]) == {"Có", "Không"}
    assert registers["recorded_class"].notna().all() and registers["area"].notna().all()
    for path in sorted(out.rglob("*.csv")):
        text = path.read_bytes().decode("utf-8")
        assert unicodedata.is_normalized("NFC", text), path.name
        assert "\r" not in text


def test_commune_codes_are_the_synthetic_units_of_the_district(registers):
    units = pd.read_csv(paths.RAW / "districts.csv", dtype=str).set_index("Mã huyện")
    for code, part in registers.groupby("district_code"):
        n_units = int(units.at[code, "Số xã"]) + int(units.at[code, "Số thị trấn"]) + int(units.at[code, "Số phường"])
        allowed = {f"9{code[-2:]}{i:02d}" for i in range(1, n_units + 1)}
        assert set(part["commune_code"]) <= allowed, code
        assert len(set(part["commune_code"])) >= n_units // 2, f"{code}: households spread over too few communes"


def test_every_review_year_2021_included_is_an_nd07_register(registers):
    """The end-2021 review classifies by NĐ 07/2021 (Art. 3; KH 177/KH-UBND of 17/8/2021): Điểm A is scored in
    every file, and above the A line households are average or none as in 2022–2024."""
    assert registers["score_a"].notna().all()
    for year in YEARS:
        classes = set(registers.loc[registers["review_year"] == year, "recorded_class"])
        assert classes == {"poor", "near_poor", "average", "none"}, year


def test_values_are_in_range_except_planted_impossible_values(run, registers):
    _, manifest = run
    planted = {(a["file"], a["line"]) for a in manifest["anomalies"] if a["kind"] == "impossible_value"}
    clean = registers[~pd.Series(list(zip(registers["file"], registers["line"]))).isin(planted).to_numpy()]
    assert clean["household_size"].between(1, 10).all()
    assert (clean["income_per_capita"] > 0).all()
    assert clean[INDICATORS].isin([0, 1]).all().all()
    assert clean["score_a"].dropna().between(1, 1000).all()
    assert ((clean["score_b"] % 10 == 0) & clean["score_b"].between(0, 120)).all()


# --- Totals ---------------------------------------------------------------------------------------------

def test_targets_at_full_scale_are_the_published_figures():
    targets = sr.province_targets(1.0)
    for year, (households, poor, near_poor) in TARGETS.items():
        assert (targets[year]["households"], targets[year]["poor"], targets[year]["near_poor"]) == \
            (households, poor, near_poor), year
    assert [targets[y]["kind"] for y in YEARS] == ["published", "interpolated", "interpolated", "published"]


def test_district_plan_at_full_scale_adds_up_to_the_published_figures():
    plan = sr.district_plan(sr.province_targets(1.0), sr.load_districts(paths.RAW / "districts.csv"))
    for year, (households, poor, near_poor) in TARGETS.items():
        assert sorted(plan[year]) == list(DISTRICTS)
        assert sum(d["households"] for d in plan[year].values()) == households
        assert sum(d["poor"] for d in plan[year].values()) == poor
        assert sum(d["near_poor"] for d in plan[year].values()) == near_poor


def test_recorded_classes_in_the_files_sum_to_the_scaled_targets(run, registers):
    _, manifest = run
    for year, (households, poor, near_poor) in TARGETS.items():
        rows = registers[registers["review_year"] == year]
        scaled = [int(x * SCALE + 0.5) for x in (households, poor, near_poor)]
        assert [len(rows), (rows["recorded_class"] == "poor").sum(), (rows["recorded_class"] == "near_poor").sum()] \
            == scaled, year
        target = manifest["targets"][str(year)]
        assert [target["households"], target["poor"], target["near_poor"]] == scaled


@pytest.mark.parametrize("k", [0.02, 2.5, 34])
def test_targets_and_district_plan_are_k_times_the_published_figures(k):
    targets = sr.province_targets(k)
    plan = sr.district_plan(targets, sr.load_districts(paths.RAW / "districts.csv"))
    for year, figures in TARGETS.items():
        expected = [k_times(x, k) for x in figures]
        assert [targets[year][key] for key in ("households", "poor", "near_poor")] == expected, year
        assert [sum(d[key] for d in plan[year].values()) for key in ("households", "poor", "near_poor")] == expected
        assert [targets[year]["unscaled"][key] for key in ("households", "poor", "near_poor")] == list(figures)


@pytest.mark.e2e
def test_k_of_two_writes_k_times_the_figures_in_about_the_memory_of_k_one_half(tmp_path):
    """The CLI at K = 0.5 and K = 2 (≈ 100k and ≈ 400k households a year), each run in a process of its own.

    The K = 2 files carry K times the published figures. Four times the households need little more memory
    when one district is in memory at a time (a generator holding the province would need about four times
    as much): peak RSS of each run's own process. One test, so that two test workers never both make the runs.
    """
    small, large = run_cli(tmp_path / "k0.5", 0.5), run_cli(tmp_path / "k2", 2)
    assert large <= 1.5 * small, f"peak RSS {small} KB at K = 0.5, {large} KB at K = 2"
    out = tmp_path / "k2"
    manifest = json.loads((out / "SYNTHETIC.json").read_text(encoding="utf-8"))
    assert manifest["scale"] == 2 and manifest["complete"] is True
    for year, figures in TARGETS.items():
        classes = pd.concat([pd.read_csv(path, usecols=["Phân loại"], dtype=str, engine="pyarrow")["Phân loại"]
                             for path in sorted((out / str(year)).glob("ho_*.csv"))])
        assert (len(classes), (classes == "Hộ nghèo").sum(), (classes == "Hộ cận nghèo").sum()) == \
            tuple(k_times(x, 2) for x in figures), year


@pytest.mark.parametrize("k", [0, -1, float("nan"), float("inf"), True])
def test_k_must_be_a_positive_multiplier(tmp_path, k):
    with pytest.raises(ValueError, match="multiplier"):
        sr.generate(tmp_path, scale=k)
    assert not any(tmp_path.iterdir())


def test_cli_rejects_k_of_zero(tmp_path, capsys):
    with pytest.raises(SystemExit):
        sr.main(["--out", str(tmp_path), "--scale", "0"])
    assert "multiplier" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.e2e
def test_full_scale_files_carry_the_published_figures(built_project):
    """The K = 1 files `make sample-data` generated in the built project."""
    out = built_project.root / "data" / "raw" / "registers"
    manifest = json.loads((out / "SYNTHETIC.json").read_text(encoding="utf-8"))
    assert manifest["scale"] == 1
    for year, (households, poor, near_poor) in TARGETS.items():
        counts = pd.Series(dtype=int)
        rows = 0
        for path in sorted((out / str(year)).glob("ho_*.csv")):
            classes = pd.read_csv(path, usecols=["Phân loại"], dtype=str, engine="pyarrow")["Phân loại"]
            counts = counts.add(classes.value_counts(), fill_value=0)
            rows += len(classes)
        assert (rows, counts["Hộ nghèo"], counts["Hộ cận nghèo"]) == (households, poor, near_poor), year
    assert manifest["complete"] is True


# --- Consistency and anomalies ----------------------------------------------------------------------------

def test_every_household_without_anomaly_follows_the_rules(run, registers):
    _, manifest = run
    planted = anomaly_keys(manifest)
    clean = registers[~pd.Series(list(zip(registers["file"], registers["line"]))).isin(planted).to_numpy()]
    assert len(clean) > 0.99 * len(registers)
    mismatched = clean[ps.expected_class(clean) != clean["recorded_class"]]
    assert mismatched.empty, mismatched[["file", "line"]].head()
    assert (ps.expected_score_b(clean[INDICATORS]) == clean["score_b"]).all()


def test_every_anomaly_is_at_its_line_and_breaks_its_rule(run, registers):
    _, manifest = run
    rows = registers.set_index(["file", "line"])
    assert manifest["anomalies"], "no anomaly planted"
    for anomaly in manifest["anomalies"]:
        row = rows.loc[(anomaly["file"], anomaly["line"])]
        assert row["household_id"] == anomaly["household_id"]
        assert (row["review_year"], row["district_code"]) == (anomaly["year"], anomaly["district_code"])
        assert anomaly["file"] == f"{anomaly['year']}/ho_{anomaly['district_code']}_{anomaly['year']}.csv"
        one = row.to_frame().T
        breaks = {
            "class_inconsistent": lambda: ps.expected_class(one).iloc[0] != row["recorded_class"],
            "score_b_mismatch": lambda: ps.expected_score_b(one[INDICATORS]).iloc[0] != row["score_b"],
            "duplicate_id_across_districts": lambda: _duplicated_elsewhere(rows, anomaly, row),
            "impossible_value": lambda: _impossible(row),
        }[anomaly["kind"]]
        assert breaks(), anomaly


def _duplicated_elsewhere(rows, anomaly, row) -> bool:
    other = rows.loc[(anomaly["also_in"]["file"], anomaly["also_in"]["line"])]
    return (other["household_id"] == row["household_id"] and other["district_code"] != row["district_code"]
            and other["review_year"] == row["review_year"])


def _impossible(row) -> bool:
    return bool(row["household_size"] < 1 or row["income_per_capita"] < 0 or row["score_a"] > 1000
                or not set(row[INDICATORS]) <= {0, 1})


def test_planted_value_is_what_the_file_holds(run, registers):
    _, manifest = run
    rows = registers.set_index(["file", "line"])
    for anomaly in manifest["anomalies"]:
        name = CANONICAL[[h for h, _ in sr.COLUMNS].index(anomaly["column"])]
        value = rows.loc[(anomaly["file"], anomaly["line"]), name]
        assert value == anomaly["planted"], anomaly
        assert anomaly["original"] != anomaly["planted"]


def test_each_kind_is_planted_every_year_at_a_small_rate(run, registers):
    _, manifest = run
    kinds = {"class_inconsistent", "score_b_mismatch", "duplicate_id_across_districts", "impossible_value"}
    assert set(manifest["anomaly_counts"]) == kinds
    for year in YEARS:
        n_rows = (registers["review_year"] == year).sum()
        for kind in kinds:
            count = sum(a["kind"] == kind and a["year"] == year for a in manifest["anomalies"])
            assert 1 <= count <= 0.005 * n_rows, (year, kind, count)
    details = {a["detail"] for a in manifest["anomalies"] if a["kind"] == "impossible_value"}
    assert details == {"household_size_zero", "negative_income", "indicator_value_2", "score_a_over_1000"}


def test_anomaly_counts_per_year_follow_the_rate_of_the_years_rows(run, registers):
    """max(1, round(rate × rows of the year)) per kind and year, whatever the number of districts."""
    _, manifest = run
    for year, rows in registers.groupby("review_year"):
        for kind, rate in sr.ANOMALY_RATES.items():
            count = sum(a["kind"] == kind and a["year"] == year for a in manifest["anomalies"])
            assert count == max(1, round(rate * len(rows))), (year, kind)


def test_anomalies_spread_over_districts_in_proportion_to_their_rows():
    """At K = 34 (the plan, no files): each district's share of a year's anomalies is its share of rows, within
    the spread of a random pick (4 standard deviations); every duplicate pair is lent by the district made first."""
    districts = sr.load_districts(paths.RAW / "districts.csv")
    plan = sr.district_plan(sr.province_targets(34), districts)
    quotas = sr.allocate_anomalies(plan, districts, np.random.default_rng(SEED))
    for year in YEARS:
        rows = {code: plan[year][code]["households"] for code in DISTRICTS}
        for kind in ("class_inconsistent", "score_b_mismatch"):
            counts = {code: quotas[year][code].counts[(kind, kind)] for code in DISTRICTS}
            total = sum(counts.values())
            assert total == max(1, round(sr.ANOMALY_RATES[kind] * sum(rows.values())))
            for code in DISTRICTS:
                share = rows[code] / sum(rows.values())
                assert abs(counts[code] - total * share) <= 4 * math.sqrt(total * share * (1 - share)) + 1, (year, code)
        lent = sorted(pair for code in DISTRICTS for pair in quotas[year][code].lends)
        borrowed = sorted(pair for code in DISTRICTS for pair in quotas[year][code].borrows)
        assert lent == borrowed == list(range(max(1, round(sr.ANOMALY_RATES[DUPLICATE] * sum(rows.values())))))
        lender = {pair: i for i, code in enumerate(DISTRICTS) for pair in quotas[year][code].lends}
        borrower = {pair: i for i, code in enumerate(DISTRICTS) for pair in quotas[year][code].borrows}
        assert all(lender[pair] < borrower[pair] for pair in lent)
        assert len({borrower[pair] for pair in lent}) > 5, "pairs should involve most districts"


def test_a_duplicated_id_comes_with_the_lenders_name_and_id_number_from_a_district_made_earlier(run, registers):
    _, manifest = run
    rows = registers.set_index(["file", "line"])
    duplicates = [a for a in manifest["anomalies"] if a["kind"] == DUPLICATE]
    assert duplicates
    for anomaly in duplicates:
        borrower = rows.loc[(anomaly["file"], anomaly["line"])]
        lender = rows.loc[(anomaly["also_in"]["file"], anomaly["also_in"]["line"])]
        assert anomaly["also_in"]["district_code"] == lender["district_code"] < borrower["district_code"]
        assert anomaly["also_in"]["file"] == f"{anomaly['year']}/ho_{lender['district_code']}_{anomaly['year']}.csv"
        for column in ("household_id", "head_name", "id_number"):
            assert borrower[column] == lender[column], column
        assert borrower["recorded_class"] == lender["recorded_class"] == "none"
        assert anomaly["planted"] == lender["household_id"] != anomaly["original"]


def test_duplicate_ids_are_the_only_ids_seen_twice_in_a_year(run, registers):
    _, manifest = run
    for year, rows in registers.groupby("review_year"):
        seen_twice = set(rows.loc[rows["household_id"].duplicated(), "household_id"])
        planted = {a["household_id"] for a in manifest["anomalies"]
                   if a["kind"] == "duplicate_id_across_districts" and a["year"] == year}
        assert seen_twice == planted
        assert manifest["province_counts"][str(year)]["distinct_household_ids"] == rows["household_id"].nunique()


# --- Realism ----------------------------------------------------------------------------------------------

def test_poor_districts_of_the_period_are_poorer_every_year(registers):
    for year, rows in registers.groupby("review_year"):
        rate = rows.groupby("district_code")["recorded_class"].apply(lambda c: (c == "poor").mean())
        poor = rate[rate.index.isin(POOR_DISTRICTS[year])]
        assert poor.min() > rate.drop(poor.index).max(), (year, rate.round(3).to_dict())


def test_poverty_falls_faster_in_poor_districts():
    """At full scale (the plan, no files): QĐ 353 districts ≥ 5 points a year; others with ≥ 12 % in 2021 ≥ 3."""
    plan = sr.district_plan(sr.province_targets(1.0), sr.load_districts(paths.RAW / "districts.csv"))
    rate = {y: {d: 100 * p["poor"] / p["households"] for d, p in plan[y].items()} for y in YEARS}
    for district in ("181", "184"):
        for year in YEARS[1:]:
            assert rate[year - 1][district] - rate[year][district] >= 5, (district, year)
    for district in set(DISTRICTS) - {"181", "184", "189"}:
        if rate[2021][district] >= 12:
            assert (rate[2021][district] - rate[2024][district]) / 3 >= 3, district


def test_households_persist_and_flows_exist(run, registers):
    _, manifest = run
    by_year = {y: rows.set_index("household_id")["recorded_class"] for y, rows in registers.groupby("review_year")}
    for year in YEARS[1:]:
        before, after = by_year[year - 1], by_year[year]
        before = before[~before.index.duplicated()]
        after = after[~after.index.duplicated()]
        common = before.index.intersection(after.index)
        assert len(common) > 0.9 * len(before)
        assert ((before[common] == "poor") & (after[common] != "poor")).sum() > 0, "no exit from poverty"
        assert ((before[common] == "near_poor") & (after[common] == "poor")).sum() > 0, "no near-poor → poor"
        assert ((before[common].isin(["average", "none"])) & (after[common] == "poor")).sum() > 0, "no new poor"
        assert len(after.index.difference(before.index)) > 0 and len(before.index.difference(after.index)) > 0
        flows = manifest["flows"][f"{year - 1}-{year}"]
        assert flows["poor_end"] == flows["poor_start"] - flows["poor_to_near_poor"] - flows["poor_exited"] \
            - flows["poor_left"] + flows["near_poor_to_poor"] + flows["re_poor"] + flows["new_poor"] \
            + flows["new_household_poor"]
    assert manifest["flows"]["2022-2023"]["re_poor"] > 0 or manifest["flows"]["2023-2024"]["re_poor"] > 0


def test_flows_start_and_end_at_the_files_counts(run, registers):
    """The province flows (sums of the districts') start and end where the files' recorded counts do."""
    _, manifest = run
    counts = registers.groupby(["review_year", "recorded_class"]).size()
    rows = registers.groupby("review_year").size()
    for year in YEARS[1:]:
        flows = manifest["flows"][f"{year - 1}-{year}"]
        assert (flows["poor_start"], flows["poor_end"]) == (counts[(year - 1, "poor")], counts[(year, "poor")])
        assert (flows["near_poor_start"], flows["near_poor_end"]) == \
            (counts[(year - 1, "near_poor")], counts[(year, "near_poor")])
        assert flows["households_new"] - flows["households_left"] == rows[year] - rows[year - 1]


def test_indicators_are_correlated_and_minorities_more_deprived(registers):
    flags = registers[INDICATORS].clip(upper=1)
    corr = flags.corr()
    for a, b in (("d07", "d08"), ("d09", "d10"), ("d11", "d12")):
        assert corr.at[a, b] > 0.2, (a, b)
        assert corr.at[a, b] > corr.at[a, "d04"]
    assert (corr.to_numpy()[np.triu_indices(12, 1)] > 0).all()
    minority = registers["ethnic_minority"] == "Có"
    assert registers.loc[minority, "score_b"].mean() > registers.loc[~minority, "score_b"].mean()
    poor = registers["recorded_class"] == "poor"
    assert poor[minority].mean() > poor[~minority].mean()


def test_household_sizes_and_urban_shares_are_plausible(registers):
    sizes = registers.loc[registers["household_size"] > 0, "household_size"]
    assert 3 <= sizes.mean() <= 4.5 and sizes.max() <= 10
    urban = registers.groupby("district_code")["area"].apply(lambda a: (a == "urban").mean())
    assert urban["178"] > 0.7
    assert (urban.drop("178") < 0.3).all() and (urban.drop("178") > 0).all()


def test_personal_fields_are_visibly_synthetic(registers, run):
    _, manifest = run
    duplicated = {(a["file"], a["line"]) for a in manifest["anomalies"] if a["kind"] == "duplicate_id_across_districts"}
    assert registers["id_number"].str.fullmatch(r"000\d{9}").all()
    assert (registers["address"] == "Thôn " + registers["address"].str.extract(r"^Thôn (\d+),")[0]
            + ", xã " + registers["commune_code"]).all()
    assert registers["head_name"].str.fullmatch(r"\w+ \w+ \w+").all()
    ids = registers["household_id"].str.extract(r"^HH-(\d{3})-\d{7}$")[0]
    assert ids.notna().all()
    own = ~pd.Series(list(zip(registers["file"], registers["line"]))).isin(duplicated).to_numpy()
    assert (ids[own] == registers.loc[own, "district_code"]).all()


def test_id_numbers_are_unique_in_the_province_except_the_planted_duplicates(run, registers):
    _, manifest = run
    for year, rows in registers.groupby("review_year"):
        seen_twice = set(rows.loc[rows["id_number"].duplicated(), "household_id"])
        assert seen_twice == {a["household_id"] for a in manifest["anomalies"]
                              if a["kind"] == DUPLICATE and a["year"] == year}


def test_household_ids_widen_only_when_a_district_outgrows_a_tenth_of_the_id_space():
    """7 serial digits while a district's households use at most a tenth of 10^7; one more per factor of ten."""
    assert [sr.household_id_digits(n) for n in (1, 10**6, 10**6 + 1, 10**7, 10**7 + 1)] == [7, 7, 8, 8, 9]
    districts = sr.load_districts(paths.RAW / "districts.csv")
    largest = {}
    for k in (1, 34):
        plan = sr.district_plan(sr.province_targets(k), districts)
        largest[k] = max(sr.ever_households([plan[y][d.code]["households"] for y in YEARS]) for d in districts)
    assert largest[1] * 10 < 10**7 < largest[34] * 10 < 10**8  # K = 1 keeps today's ids, national size widens
    assert sr.household_ids(np.array([181, 178]), np.array([42, 12345678]), 8).to_pylist() == \
        ["HH-181-00000042", "HH-178-12345678"]


def test_distinct_integers_are_distinct_in_range_and_uniform():
    rng = np.random.default_rng(SEED)
    draws = [sr.distinct_integers(20, 10, rng) for _ in range(2000)]
    assert all(len(set(d.tolist())) == 10 and d.min() >= 0 and d.max() < 20 for d in draws)
    frequency = np.bincount(np.concatenate(draws), minlength=20) / len(draws)
    np.testing.assert_allclose(frequency, 0.5, atol=0.05)  # each value in half of the draws
    first = np.bincount([d[0] for d in draws], minlength=20) / len(draws)
    np.testing.assert_allclose(first, 1 / 20, atol=0.02)  # and in random order
    with pytest.raises(ValueError):
        sr.distinct_integers(10, 6, rng)


# --- One district at a time -----------------------------------------------------------------------------

def test_calibration_gives_the_simulated_provinces_welfare_moments_and_2021_prevalence():
    """The exact mean/SD and cut-offs fixed before any district is drawn are what the simulated province shows:
    standardised welfare has mean 0 and SD 1, and each indicator's 2021 latent score exceeds its cut-off in
    the share INDICATOR_PREVALENCE_2021 says (before class constraints)."""
    districts = sr.load_districts(paths.RAW / "districts.csv")
    plan = sr.district_plan(sr.province_targets(0.5), districts)
    calibration = sr.calibrate(plan, districts)
    welfare, deprived = [], []
    for index, district in enumerate(districts):
        rng = np.random.default_rng(index)
        households = sr.simulate_households(district, [plan[y][district.code]["households"] for y in YEARS],
                                            calibration, index, len(districts), sr.MIN_ID_DIGITS, rng)
        welfare.append(households.welfare)
        first = households.first_year == YEARS[0]
        latent = sr.indicator_latent(households.indicator_base[first], households.propensity[first, 0],
                                     households.urban[first], YEARS[0], rng)
        deprived.append(latent > calibration.cutoffs)
    standard = (np.concatenate(welfare) - calibration.welfare_mean) / calibration.welfare_sd
    assert abs(standard.mean()) < 0.01 and abs(standard.std() - 1) < 0.01
    np.testing.assert_allclose(np.concatenate(deprived).mean(axis=0), sr.INDICATOR_PREVALENCE_2021, atol=0.004)


def test_mixture_quantile_inverts_the_mixture_distribution():
    assert sr.mixture_quantile(np.array([1.0]), np.array([0.3]), 1.7, 0.9) == \
        pytest.approx(NormalDist(0.3, 1.7).inv_cdf(0.9), abs=1e-9)
    weights, means = np.array([0.2, 0.8]), np.array([-2.0, 1.0])
    x = sr.mixture_quantile(weights, means, 0.7, 0.3)
    assert sum(w * NormalDist(m, 0.7).cdf(x) for w, m in zip(weights, means)) == pytest.approx(0.3, abs=1e-12)


# --- Manifest and safety -----------------------------------------------------------------------------------

def test_manifest_describes_the_run(run, registers):
    out, manifest = run
    assert json.loads((out / "SYNTHETIC.json").read_text(encoding="utf-8")) == manifest
    assert manifest["synthetic"] is True and manifest["complete"] is True
    assert (manifest["seed"], manifest["scale"]) == (SEED, SCALE)
    assert "multiplier" in manifest["scale_meaning"]
    assert manifest["generator_version"] == sr.GENERATOR_VERSION
    assert "giả lập" in manifest["notice_vi"] and "synthetic" in manifest["notice_en"]
    assert manifest["standard_by_year"] == {"2021": "nd07_2021", "2022": "nd07_2021", "2023": "nd07_2021",
                                            "2024": "nd07_2021"}
    assert {y: set(codes) for y, codes in manifest["poor_districts_by_year"].items()} == \
        {str(y): codes for y, codes in POOR_DISTRICTS.items()}
    assert "192713" in manifest["targets"]["2021"]["households_derivation"]
    for name, described in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == described["sha256"]
    for year in YEARS:
        counts = manifest["district_counts"][str(year)]
        rows = registers[registers["review_year"] == year]
        assert {d: c["rows"] for d, c in counts.items()} == rows.groupby("district_code").size().to_dict()
        assert sum(c["poor"] for c in counts.values()) == manifest["province_counts"][str(year)]["poor"]


def test_refuses_to_overwrite_registers_without_a_manifest(tmp_path):
    real = tmp_path / "2022" / "ho_181_2022.csv"
    real.parent.mkdir()
    real.write_text("real data", encoding="utf-8")
    with pytest.raises(FileExistsError, match="SYNTHETIC.json"):
        sr.generate(tmp_path, scale=0.005)
    assert real.read_text(encoding="utf-8") == "real data"
    assert not (tmp_path / "SYNTHETIC.json").exists()


def test_cli_writes_a_tiny_run(tmp_path, capsys):
    assert sr.main(["--out", str(tmp_path), "--scale", "0.005", "--seed", "3"]) == 0
    assert "synthetic" in capsys.readouterr().out
    assert len(list(tmp_path.rglob("ho_*.csv"))) == 44
    assert re.fullmatch(r"\d+\.\d+\.\d+", json.loads((tmp_path / "SYNTHETIC.json").read_text())["generator_version"])
