"""What a report needs, read only from data/processed/: years, parameter checks and one ReportData.

The notebook and render.py both go through this module, so a report and its XLSX workbook see the
same frames. Every function reads the processed directory at call time (paths.PROCESSED, which
LANGSON_PROJECT_ROOT moves), so tests can point it at a temporary copy.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import paths, schema
from pipeline.errors import PipelineError
from pipeline.report import edition as editions
from pipeline.report.edition import Edition
from pipeline.vn import ascii_slug, clean_text

# Tables whose years define which reports exist (budget figures, policy results, plan targets).
YEAR_TABLES = ("budget_lines", "budget_figures", "policy_results", "plan_targets")
REGISTER_YEAR_TABLE = "district_poverty"  # its review years have district figures, so reports too
PROVINCE_CODE = "20"  # GSO code of Lạng Sơn: the province row of the register aggregates
# Produced by other steps; a report says "not available" instead of failing when they are absent.
SOURCE_COLUMNS = {"central": "central_mvnd", "local": "local_mvnd", "other": "other_mvnd"}
# The district level stopped operating on 1 July 2025 (NQ 1672/NQ-UBTVQH15 of 16/6/2025).
LAST_DISTRICT_YEAR = 2024
_YEAR_TEXT = re.compile(r"^\d{4}$")
# Plan targets for the yearly fall of the poor rate (ids <plan>.GN.TINH, <plan>.GN.HUYEN_NGHEO in
# data/raw/plan_targets_<year>.csv): the province's, and the one for the poor districts.
FALL_TARGET_PROVINCE = ".GN.TINH"
FALL_TARGET_POOR_DISTRICT = ".GN.HUYEN_NGHEO"


@dataclass(frozen=True)
class District:
    """The district a report is filtered to, with its poor-district flag per period."""

    code: str
    name: str
    slug: str
    poor_2016_2020: bool
    poor_2021_2025: bool


@dataclass(frozen=True)
class ReportData:
    """Every frame one report shows; year-specific tables are already filtered to the year (and district)."""

    year: int
    district: District | None
    districts: pd.DataFrame
    projects: pd.DataFrame
    budget_lines: pd.DataFrame
    stated_totals: pd.DataFrame
    policy_results: pd.DataFrame
    plan_targets: pd.DataFrame
    # The poor-rate fall targets of the latest plan up to the report's year (every scope: a district's
    # progress is measured against them even though they name no district).
    fall_targets: pd.DataFrame
    poverty_series: pd.DataFrame
    reconciliation: pd.DataFrame
    transcription_check: pd.DataFrame
    validation_results: pd.DataFrame
    raw_inputs: pd.DataFrame
    # Household-register data (empty when no registers): all years for the trend, the year for the rest.
    # A district report holds every district's figures (its comparison with the province and the other
    # districts is part of its own file) and its own district's audit findings.
    register_inputs: pd.DataFrame
    district_poverty: pd.DataFrame
    district_deprivation: pd.DataFrame
    district_flows: pd.DataFrame
    register_audit: pd.DataFrame
    # The language edition the report is written in (labels, number format, file names).
    edition: Edition = editions.VI

    @property
    def synthetic_registers(self) -> bool:
        """The district figures come from generated (synthetic) registers: every report must say so."""
        return bool(self.district_poverty["synthetic"].any()) if not self.district_poverty.empty else False

    @property
    def gate_page_href(self) -> str:
        """Relative link from the report's HTML to the gate page (districts sit one level deeper)."""
        return gate_page_href(paths.report_dir(self.year) / ("districts" if self.district else ""))


PROVINCE_REPORT_NAME = "annual_report"  # the province report's file name; a district report is named by its slug


def report_stem(year: int, district: District | None, edition_suffix: str) -> Path:
    """reports/<year>/annual_report or reports/<year>/districts/<slug>, then the edition's suffix (".en"; vi none):
    the one place a report's files are named (render writes them, the index and the district reports link them)."""
    if district is None:
        return paths.report_dir(year) / f"{PROVINCE_REPORT_NAME}{edition_suffix}"
    return paths.report_dir(year) / "districts" / f"{district.slug}{edition_suffix}"


def report_href(folder: Path, year: int, district: District | None, edition_suffix: str) -> str:
    """Relative link from a page in `folder` to a report's HTML."""
    return Path(os.path.relpath(report_stem(year, district, edition_suffix), folder)).as_posix() + ".html"


def gate_page_href(folder: Path) -> str:
    """Relative link from a page in `folder` to the gate page (paths.GATE_PAGE)."""
    return Path(os.path.relpath(paths.GATE_PAGE, folder)).as_posix()


# --- reading -----------------------------------------------------------------------------------


def _processed_dir(processed: Path | None) -> Path:
    """The processed directory, looked up at call time so LANGSON_PROJECT_ROOT / monkeypatching apply."""
    return Path(processed) if processed is not None else paths.PROCESSED


def _read(name: str, processed: Path | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """Read one processed table; a missing required table is a user error (run `make data`)."""
    path = _processed_dir(processed) / f"{name}.parquet"
    if path.exists():
        return pd.read_parquet(path, columns=columns)
    step = "make validate" if name in schema.GATE_TABLES else "make data"
    raise PipelineError(
        f"Thiếu bảng đã xử lý {path.name} trong {path.parent}. Hãy chạy `{step}` trước. "
        f"/ Processed table {path.name} is missing; run `{step}` first."
    )


def available_years(processed: Path | None = None) -> list[int]:
    """Years with budget figures, policy results or plan targets: the years a report can be made for."""
    folder = _processed_dir(processed)
    found = [folder / f"{name}.parquet" for name in YEAR_TABLES if (folder / f"{name}.parquet").exists()]
    if not found:
        raise PipelineError(
            f"Chưa có dữ liệu đã xử lý trong {folder}. Hãy chạy `make data` trước. "
            f"/ No processed data in {folder}; run `make data` first."
        )
    years: set[int] = set()
    for path in found:
        years.update(int(y) for y in pd.read_parquet(path, columns=["year"])["year"].dropna().unique())
    register = folder / f"{REGISTER_YEAR_TABLE}.parquet"
    if register.exists():
        years.update(int(y) for y in pd.read_parquet(register, columns=["review_year"])["review_year"].unique())
    return sorted(years)


# --- parameters --------------------------------------------------------------------------------


def _parse_year(year: object) -> int | None:
    """An int, or a text of four digits; anything else (bool, 2022.5, "abc") is None."""
    if isinstance(year, bool):
        return None
    if isinstance(year, int):
        return year
    if isinstance(year, str) and _YEAR_TEXT.match(year.strip()):
        return int(year.strip())
    return None


def _check_year(year: object, processed: Path | None = None) -> int:
    """The year as an int when processed data has it, else a PipelineError listing the valid years."""
    years = available_years(processed)
    listed = ", ".join(str(y) for y in years)
    parsed = _parse_year(year)
    if parsed is None:
        raise PipelineError(
            f"Năm «{year}» không phải là một số nguyên. Các năm có dữ liệu: {listed}. "
            f"/ Year '{year}' is not an integer. Years with data: {listed}."
        )
    if parsed not in years:
        raise PipelineError(
            f"Không có dữ liệu cho năm {parsed}. Các năm có dữ liệu: {listed}. "
            f"/ No data for year {parsed}. Years with data: {listed}."
        )
    return parsed


def _district_list(districts: pd.DataFrame) -> str:
    """'178 – Thành phố Lạng Sơn – thanh-pho-lang-son; …' for error messages."""
    rows = districts.sort_values("district_code")
    return "; ".join(f"{r.district_code} – {r.district_name} – {r.district_slug}" for r in rows.itertuples())


def resolve_district(value: object, processed: Path | None = None, districts: pd.DataFrame | None = None) -> str | None:
    """GSO code for a code, slug, short slug or name ("189", "huyen-dinh-lap", "dinh-lap", "Huyện Đình Lập").

    None when no district is given.

    An unknown value raises PipelineError listing the valid ones, so a typo never gives a province report.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    table = districts if districts is not None else _read("districts", processed)
    text = clean_text(str(value))
    by_code = table.loc[table["district_code"] == text, "district_code"]
    slug = ascii_slug(text)
    short_slugs = table["district_slug"].str.replace(r"^(huyen|thanh-pho)-", "", regex=True)
    by_slug = table.loc[(table["district_slug"] == slug) | (short_slugs == slug), "district_code"]
    match = pd.concat([by_code, by_slug]).unique()
    if len(match) == 1:
        return str(match[0])
    valid = _district_list(table)
    raise PipelineError(
        f"Không có huyện/thành phố «{value}» / unknown district. "
        f"Các đơn vị hợp lệ / valid ones (mã – tên – slug): {valid}."
    )


def check_params(year: object, district: object = None, processed: Path | None = None) -> tuple[int, str | None]:
    """Check YEAR and DISTRICT against data/processed before any work; returns (year, district code or None)."""
    parsed = _parse_year(year)
    if district not in (None, "") and parsed is not None and parsed > LAST_DISTRICT_YEAR:
        raise PipelineError(
            f"Không có báo cáo cấp huyện cho năm {parsed}: cấp huyện chấm dứt hoạt động từ ngày 1/7/2025 "
            f"(chính quyền hai cấp; NQ 202/2025/QH15, NQ 1672/NQ-UBTVQH15). Báo cáo huyện có cho các năm rà soát đến "
            f"{LAST_DISTRICT_YEAR}; từ năm 2025 chỉ có báo cáo toàn tỉnh. / Districts were abolished on 1 July 2025: "
            f"district reports exist for review years up to {LAST_DISTRICT_YEAR}."
        )
    return _check_year(year, processed), resolve_district(district, processed)


def district_codes_for(year: int, processed: Path | None = None) -> list[str]:
    """Districts that have a report in this year: all 11 up to 2024, none after the 2025 reform."""
    if year > LAST_DISTRICT_YEAR:
        return []
    return sorted(_read("districts", processed)["district_code"])


# --- loading -----------------------------------------------------------------------------------


def load(year: object, district: object = None, processed: Path | None = None, edition: object = None) -> ReportData:
    """All frames of one report, read from data/processed only and filtered to the year (and district), in an edition
    ("vi", the default, or "en")."""
    year, code = check_params(year, district, processed)
    districts = _read("districts", processed).sort_values("district_code", ignore_index=True)
    lines = _of_year(_read("budget_lines", processed), year)
    all_targets = _read("plan_targets", processed)
    targets = _of_year(all_targets, year)
    chosen = None
    if code is not None:
        chosen = _district(districts, code)
        lines = lines[lines["district_code"] == code].reset_index(drop=True)
        named = targets["district_codes"].map(lambda codes: code in _split_codes(codes)).astype(bool)
        targets = targets.loc[named].reset_index(drop=True)
    register = {name: _read_register(name, processed) for name in REGISTER_FRAMES}
    return ReportData(
        year=year,
        district=chosen,
        districts=districts,
        projects=_read("projects", processed),
        budget_lines=lines,
        stated_totals=_of_year(_read("budget_stated_totals", processed), year),
        policy_results=_of_year(_read("policy_results", processed), year),
        plan_targets=targets,
        fall_targets=_fall_targets(all_targets, year),
        poverty_series=_read("poverty_series", processed).sort_values(["standard", "year", "series_id"], ignore_index=True),
        reconciliation=_year_first(_read("reconciliation", processed), year),
        transcription_check=_read("transcription_check", processed),
        validation_results=_read("validation_results", processed),
        raw_inputs=_read("raw_inputs", processed).sort_values("file", ignore_index=True),
        register_inputs=register["register_inputs"].sort_values("file", ignore_index=True),
        district_poverty=register["district_poverty"],
        district_deprivation=_of_review_year(register["district_deprivation"], year),
        district_flows=_of_review_year(register["district_flows"], year),
        register_audit=_of_district(_of_review_year(register["register_audit"], year), code),
        edition=editions.get(edition),
    )


def _fall_targets(targets: pd.DataFrame, year: int) -> pd.DataFrame:
    """The poor-rate fall targets (province, poor districts) of the latest plan year not after `year`."""
    ids = targets["target_id"].astype(str) if not targets.empty else pd.Series(dtype=str)
    falls = targets[ids.str.endswith(FALL_TARGET_PROVINCE) | ids.str.endswith(FALL_TARGET_POOR_DISTRICT)]
    falls = falls[falls["year"] <= year]
    return falls[falls["year"] == falls["year"].max()].reset_index(drop=True) if not falls.empty else falls


def fall_target(data: "ReportData") -> pd.Series | None:
    """The fall target that applies to the report's scope (poor district or not), or None without a plan."""
    suffix = FALL_TARGET_POOR_DISTRICT if data.district is not None and data.district.poor_2021_2025 else FALL_TARGET_PROVINCE
    chosen = data.fall_targets[data.fall_targets["target_id"].astype(str).str.endswith(suffix)]
    return chosen.iloc[0] if not chosen.empty else None


def meets_fall_target(fall: float, target: pd.Series) -> bool:
    """Whether a fall of the poor rate meets the plan's target, judged on the fall as printed (two decimals) and as
    the plan qualifies the target: "trên" (over) strictly above, "từ" (at least) or a bare value at or above."""
    shown = round(float(fall), 2)
    return shown > float(target["value"]) if target["qualifier"] == "over" else shown >= float(target["value"])


# Register tables a report reads (register_households, ~800k rows, is never read by a report).
REGISTER_FRAMES = ("register_inputs", "district_poverty", "district_deprivation", "district_flows", "register_audit")
def _of_district(frame: pd.DataFrame, code: str | None) -> pd.DataFrame:
    """A district report's own rows; the province report keeps every district."""
    if code is None:
        return frame
    return frame[frame["district_code"] == code].reset_index(drop=True)


def _read_register(name: str, processed: Path | None) -> pd.DataFrame:
    """A register table, or an empty one with its columns when the project has no household registers."""
    path = _processed_dir(processed) / f"{name}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    return pd.DataFrame({c: pd.Series(dtype=dtype) for c, (dtype, _) in schema.REGISTER_TABLES[name].items()})


def _of_review_year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    return frame[frame["review_year"] == year].reset_index(drop=True)


def _of_year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of one year, in file order (an empty optional table stays empty)."""
    if frame.empty:
        return frame
    return frame[frame["year"] == year].reset_index(drop=True)


def _year_first(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Every row, the report's year first: data quality covers the whole document, not one year of it."""
    return frame.sort_values("year", key=lambda y: y != year, kind="stable", ignore_index=True)


def _split_codes(codes: object) -> list[str]:
    """'189;181;184' -> ['189', '181', '184']; empty or missing -> []."""
    if not isinstance(codes, str):
        return []
    return [c.strip() for c in codes.split(";") if c.strip()]


def _district(districts: pd.DataFrame, code: str) -> District:
    """The District record of a resolved code."""
    row = districts.loc[districts["district_code"] == code].iloc[0]
    return District(
        code=code,
        name=row["district_name"],
        slug=row["district_slug"],
        poor_2016_2020=bool(row["poor_2016_2020"]),
        poor_2021_2025=bool(row["poor_2021_2025"]),
    )


def district_names(districts: pd.DataFrame, codes: object) -> str:
    """'189;181' -> 'Huyện Đình Lập, Huyện Bình Gia' (unknown codes are shown as they are)."""
    names = dict(zip(districts["district_code"], districts["district_name"]))
    return ", ".join(names.get(c, c) for c in _split_codes(codes))


# --- derived numbers shared by tables and charts -------------------------------------------------


def budget_groups(lines: pd.DataFrame, projects: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Per project (or, without one, per parent node) sums of the lines by funding source, in file order.

    `unsplit` is the part of line totals the document does not split by source (e.g. DA1's 9.000 for
    maintenance), so central + local + other + unsplit = total and a stacked bar adds up to the total.
    Columns: group, label, central, local, other, unsplit, total, n_lines. Sums use only stated values.
    """
    columns = ["group", "label", "central", "local", "other", "unsplit", "total", "n_lines"]
    if lines.empty:
        return pd.DataFrame(columns=columns)
    frame = lines.assign(group=lines.apply(group_key, axis=1), line_total=line_totals(lines))
    frame["unsplit"] = frame["line_total"] - frame["sources_sum_mvnd"].fillna(0.0)
    rows = []
    for group, part in frame.groupby("group", sort=False):
        rows.append(
            {
                "group": group,
                "label": group_label(group, part, projects, totals),
                **{s: part[col].sum(min_count=1) for s, col in SOURCE_COLUMNS.items()},
                "unsplit": part["unsplit"].sum(),
                "total": part["line_total"].sum(),
                "n_lines": len(part),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def line_totals(lines: pd.DataFrame) -> pd.Series:
    """The line's total as stated, or the sum of its stated sources when the document gives no total."""
    return lines["total_mvnd"].fillna(lines["sources_sum_mvnd"])


def group_key(line: pd.Series) -> str:
    """A line belongs to its project (DA1…) or, when it has none, to its parent node (2021.30A)."""
    return line["project_code"] if isinstance(line["project_code"], str) and line["project_code"] else line["parent_id"]


OTHER_CONTENTS = "Các nội dung khác"  # the group of lines hanging from the year itself (tables translate it)


def group_label(group: str, part: pd.DataFrame, projects: pd.DataFrame, totals: pd.DataFrame) -> str:
    """Display name of a group: the project's name, the stated total's wording for a node, or the line's label."""
    named = projects[(projects["project_code"] == group) & (projects["subproject_code"].fillna("") == "")]
    if not named.empty:
        return f"{group} – {named['name'].iloc[0]}"
    is_root = group == str(part["year"].iloc[0])  # lines hanging from the year itself: no group name
    stated = totals[(totals["node_id"] == group) & (totals["capital_type"] == "all")] if not totals.empty else totals
    if not stated.empty and not is_root:
        return str(stated["label"].iloc[0])
    if len(part) == 1:
        return str(part["label"].iloc[0])
    return OTHER_CONTENTS if is_root else group


def capital_split(totals: pd.DataFrame, year: int) -> pd.DataFrame:
    """Stated totals of the whole year by funding source (rows) and capital type (dtpt, su_nghiep, all).

    Only what the document states: a cell it does not state is NaN. Empty when the year has no split.
    """
    columns = ["dtpt", "su_nghiep", "all"]
    root = totals[totals["node_id"] == str(year)] if not totals.empty else totals
    if root.empty or not root["capital_type"].isin(["dtpt", "su_nghiep"]).any():
        return pd.DataFrame(columns=columns)
    table = root.pivot_table(index="funding_source", columns="capital_type", values="amount_mvnd", aggfunc="first")
    order = [s for s in schema.FUNDING_SOURCE_LABELS if s in table.index and s != "total"]
    return table.reindex(index=order, columns=columns).rename_axis(index=None, columns=None)


def poverty_values(series: pd.DataFrame) -> pd.DataFrame:
    """Poverty series without repeated statements (a row whose same_as names a row with the same value)."""
    if series.empty:
        return series
    values = dict(zip(series["series_id"], series["value"]))
    repeated = series.apply(lambda r: bool(r["same_as"]) and values.get(r["same_as"]) == r["value"], axis=1)
    return series.loc[~repeated.astype(bool)].reset_index(drop=True)


CREDIT_AREA = "Tín dụng ưu đãi"  # policy_area of the preferential-credit figures (per household group)


def credit_by_group(policy: pd.DataFrame) -> pd.DataFrame:
    """Preferential credit per household group: households (hộ) and amount lent (triệu đồng), in file order."""
    columns = ["group", "households", "amount_mvnd", "period"]
    credit = policy[policy["policy_area"] == CREDIT_AREA] if not policy.empty else policy
    if credit.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for group, part in credit.groupby("target_group", sort=False):
        by_unit = dict(zip(part["unit"], part["value"]))
        rows.append({"group": group, "households": by_unit.get("hộ"), "amount_mvnd": by_unit.get("triệu đồng"),
                     "period": "; ".join(part["period"].unique())})
    return pd.DataFrame(rows, columns=columns)
