"""The data dictionary: raw Vietnamese headers, canonical snake_case columns, vocabularies.

This module is the single source for column names and meanings. docs/data_dictionary.md is
generated from it (`python -m pipeline dictionary`) and a test keeps the two in sync.

Raw tables are found as data/raw/<file_stem>*.csv or *.xlsx (several files are concatenated, so a
new year can arrive as a new file). Every processed row keeps `source_file` and `source_row`
(the 1-based line of the raw file, header = line 1) so that any later check can name them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Controlled vocabularies: Vietnamese label in the raw file -> canonical code.
FUNDING_SOURCES = {
    "Tổng các nguồn": "total",
    "Ngân sách trung ương": "central",
    "Ngân sách địa phương": "local",
    "Huy động khác": "other",
}
LINE_CAPITAL_TYPES = {"Đầu tư phát triển": "dtpt", "Sự nghiệp": "su_nghiep", "Không nêu": "unstated"}
TOTAL_CAPITAL_TYPES = {"Tất cả": "all", "Đầu tư phát triển": "dtpt", "Sự nghiệp": "su_nghiep"}
QUALIFIERS = {"": "exact", "khoảng": "about", "trên": "over", "từ": "at_least"}
YES_NO = {"Có": True, "Không": False}
POVERTY_STANDARDS = {"QĐ 59/2015/QĐ-TTg": "qd59_2015", "NĐ 07/2021/NĐ-CP": "nd07_2021"}
POVERTY_INDICATORS = {
    "Số hộ nghèo": "poor_hh",
    "Tỷ lệ hộ nghèo": "poor_rate_pct",
    "Số hộ cận nghèo": "near_poor_hh",
    "Tỷ lệ hộ cận nghèo": "near_poor_rate_pct",
    "Tổng số hộ": "total_hh",
    "Mức giảm tỷ lệ hộ nghèo": "poor_rate_fall_pp",
    "Số hộ nghèo giảm": "poor_hh_fall",
}
VALUE_KINDS = {"Chính thức": "official", "Tính toán": "derived", "Kế hoạch": "target", "Ước tính": "estimate"}
CONFIDENCE = {"H": "H", "M": "M", "L": "L"}

# Display labels (code -> Vietnamese) for reports.
FUNDING_SOURCE_LABELS = {code: label for label, code in FUNDING_SOURCES.items()}
CAPITAL_TYPE_LABELS = {"dtpt": "Đầu tư phát triển", "su_nghiep": "Sự nghiệp", "unstated": "Không nêu", "all": "Tất cả"}
QUALIFIER_LABELS = {code: label for label, code in QUALIFIERS.items()}
STANDARD_LABELS = {code: label for label, code in POVERTY_STANDARDS.items()}
INDICATOR_LABELS = {code: label for label, code in POVERTY_INDICATORS.items()}
VALUE_KIND_LABELS = {code: label for label, code in VALUE_KINDS.items()}
# A value's kind -> the status a report prints for it (pipeline.report.workbook.STATUS_KEYS), in this order.
STATUS_OF_VALUE_KIND = {"official": "official", "target": "plan", "estimate": "estimate", "derived": "computed"}


@dataclass(frozen=True)
class RawColumn:
    """One column of a raw table: its Vietnamese header and how to read it.

    kind: text | code (digits kept as text) | int | number (Vietnamese number, exact) | vocab
    """

    header: str
    name: str
    kind: str
    description: str
    required: bool = True
    vocabulary: dict | None = None


@dataclass(frozen=True)
class RawTable:
    name: str
    file_stem: str
    description: str
    columns: tuple[RawColumn, ...]
    key: tuple[str, ...] = field(default=())


def _c(header, name, kind, description, required=True, vocabulary=None):
    return RawColumn(header, name, kind, description, required, vocabulary)


_YEAR = _c("Năm", "year", "int", "Year the figure refers to")
_SECTION = _c("Mục văn bản", "section", "text",
              "Section of the plan document the figure is transcribed from (e.g. B.III.3.a); "
              "the transcription check looks for the value there", required=False)
_PROJECT = _c("Dự án", "project_code", "text", "Programme project DA1–DA7 (QĐ 90/QĐ-TTg)", required=False)
_SUBPROJECT = _c("Tiểu dự án", "subproject_code", "text", "Sub-project TDA1–TDA3 within the project", required=False)
_QUALIFIER = _c("Hạn định", "qualifier", "vocab",
                "How the document qualifies the number: exact, about (khoảng), over (trên), at_least (từ)",
                required=False, vocabulary=QUALIFIERS)

RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in (
        RawTable(
            "districts", "districts",
            "The 11 district-level units of Lạng Sơn (pre-1/7/2025) with GSO codes and poor-district flags per period",
            (
                _c("Mã huyện", "district_code", "code", "GSO administrative code, 3 digits as text (178, 180–189; no 179)"),
                _c("Tên đơn vị", "district_name", "text", "Official Vietnamese name (NFC)"),
                _c("Loại đơn vị", "district_type", "text", "thành phố or huyện"),
                _c("Huyện nghèo 2016–2020", "poor_2016_2020", "vocab", "Poor district (30a) in 2016–2020", vocabulary=YES_NO),
                _c("Huyện nghèo 2021–2025", "poor_2021_2025", "vocab", "Poor district under QĐ 353/QĐ-TTg for 2021–2025", vocabulary=YES_NO),
                _c("Số xã", "n_communes", "int", "Communes (xã) at 2025-01-04"),
                _c("Số thị trấn", "n_towns", "int", "Towns (thị trấn) at 2025-01-04"),
                _c("Số phường", "n_wards", "int", "Wards (phường) at 2025-01-04"),
                _c("Nguồn mã và số xã", "source_codes", "text", "Source of the code and commune counts"),
                _c("Nguồn huyện nghèo", "source_poor_flags", "text", "Source of the poor-district flags"),
            ),
            key=("district_code",),
        ),
        RawTable(
            "projects", "projects",
            "The programme's projects and sub-projects as the plan names them",
            (
                _c("Mã dự án", "project_code", "text", "DA1–DA7"),
                _c("Mã tiểu dự án", "subproject_code", "text", "TDA1–TDA3, empty for the project itself", required=False),
                _c("Tên", "name", "text", "Name as written in the plan (checked against the section's text)"),
                _SECTION,
                _c("Ghi chú nguồn", "source_note", "text", "Where the name or numbering comes from when not the plan", required=False),
            ),
            key=("project_code", "subproject_code"),
        ),
        RawTable(
            "budget_figures", "budget_figures",
            "Budget line items, one row per figure: the 2022 plan by project/sub-project/component × funding "
            "source, and the 2021 local-budget allocations (million VND)",
            (
                _YEAR,
                _c("Mã dòng", "line_id", "text", "Line identifier, year-prefixed and hierarchical (2022.DA3.TDA2)"),
                _c("Mã dòng cha", "parent_id", "text", "Node the line adds up into (2022.DA3, or the year for the grand total)"),
                _PROJECT,
                _SUBPROJECT,
                _c("Nội dung", "label", "text", "Component as the plan describes it"),
                _c("Mã huyện", "district_code", "code", "District the line is for, when the plan names one", required=False),
                _c("Nguồn vốn", "funding_source", "vocab", "total (all sources), central, local or other", vocabulary=FUNDING_SOURCES),
                _c("Loại vốn", "capital_type", "vocab", "Capital type of the line: dtpt (investment), su_nghiep (recurrent) or unstated",
                   vocabulary=LINE_CAPITAL_TYPES),
                _c("Số tiền (triệu đồng)", "amount_mvnd", "number", "Amount in million VND (triệu đồng)"),
                _c("Kỳ số liệu", "period", "text", "Period the figure covers"),
                _SECTION,
            ),
            key=("line_id", "funding_source"),
        ),
        RawTable(
            "budget_stated_totals", "budget_stated_totals",
            "Every budget total exactly as the document states it, kept apart from the line items",
            (
                _YEAR,
                _c("Mã tổng", "total_id", "text", "Identifier of the stated total"),
                _c("Mã nút", "node_id", "text", "Node of the line hierarchy the total covers (a parent_id or the year)"),
                _c("Nội dung", "label", "text", "The total as the document words it"),
                _c("Nguồn vốn", "funding_source", "vocab", "total, central, local or other", vocabulary=FUNDING_SOURCES),
                _c("Loại vốn", "capital_type", "vocab", "all, dtpt or su_nghiep", vocabulary=TOTAL_CAPITAL_TYPES),
                _c("Số tiền (triệu đồng)", "amount_mvnd", "number", "Amount in million VND"),
                _SECTION,
            ),
            key=("total_id",),
        ),
        RawTable(
            "policy_results", "policy_results",
            "Results of poverty policies (credit, electricity, health insurance, education, housing) with the period each covers",
            (
                _YEAR,
                _c("Mã chỉ tiêu", "indicator_id", "text", "Identifier of the figure"),
                _c("Lĩnh vực", "policy_area", "text", "Policy area"),
                _c("Chỉ tiêu", "indicator", "text", "What is counted"),
                _c("Nhóm đối tượng", "target_group", "text", "Who benefited"),
                _c("Giá trị", "value", "number", "The figure"),
                _c("Đơn vị", "unit", "text", "Unit (hộ, thẻ, triệu đồng, …)"),
                _QUALIFIER,
                _c("Kỳ số liệu", "period", "text", "Period the figure covers (9 months, up to end of September, year)"),
                _SECTION,
                _c("Cùng chỉ tiêu với", "same_as", "text",
                   "Id of another figure (any table) that states the same quantity; the two are compared", required=False),
            ),
            key=("indicator_id",),
        ),
        RawTable(
            "plan_targets", "plan_targets",
            "Physical targets of the plan (works, models, trainees, houses, …) and poverty-reduction targets",
            (
                _YEAR,
                _c("Mã chỉ tiêu", "target_id", "text", "Identifier of the target"),
                _PROJECT,
                _SUBPROJECT,
                _c("Chỉ tiêu", "indicator", "text", "What the target counts"),
                _c("Giá trị", "value", "number", "Target value"),
                _c("Đơn vị", "unit", "text", "Unit"),
                _QUALIFIER,
                _c("Mã huyện", "district_codes", "text", "Districts the plan names for this target, ';'-separated GSO codes",
                   required=False),
                _SECTION,
            ),
            key=("target_id",),
        ),
        RawTable(
            "poverty_series", "poverty_series",
            "Province poverty figures 2015–2025 under both poverty standards, one row per value with its source",
            (
                _c("Mã số liệu", "series_id", "text", "Identifier of the value"),
                _YEAR,
                _c("Chuẩn nghèo", "standard", "vocab", "Poverty standard: qd59_2015 (2015–2020, and results during "
                   "2021) or nd07_2021 (the 2022–2025 standard, from the end-2021 review on)", vocabulary=POVERTY_STANDARDS),
                _c("Chỉ tiêu", "indicator", "vocab", "poor_hh, poor_rate_pct, near_poor_hh, near_poor_rate_pct, total_hh, "
                   "poor_rate_fall_pp, poor_hh_fall", vocabulary=POVERTY_INDICATORS),
                _c("Giá trị", "value", "number", "The value"),
                _c("Đơn vị", "unit", "text", "hộ, % or điểm %"),
                _c("Loại giá trị", "value_kind", "vocab", "official, derived (arithmetic on sourced figures), target, estimate",
                   vocabulary=VALUE_KINDS),
                _c("Nguồn", "source", "text", "Source document or page of the value"),
                _c("Độ tin cậy", "confidence", "vocab", "H high, M medium, L low: how directly the source states the value", vocabulary=CONFIDENCE),
                _SECTION,
                _c("Cùng chỉ tiêu với", "same_as", "text", "Id of another value that states the same quantity", required=False),
            ),
            key=("series_id",),
        ),
    )
}

# Processed tables: name -> {column: (dtype, description)}. dtype is the pandas dtype written to parquet.
_PROV = {
    "source_file": ("str", "Raw file the row comes from (relative to data/raw)"),
    "source_row": ("int64", "Line of that file (header = 1)"),
}
PROCESSED_TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "districts": {
        "district_code": ("str", "GSO code, 3-digit text"),
        "district_name": ("str", "Vietnamese name, NFC"),
        "district_type": ("str", "thành phố / huyện"),
        "district_slug": ("str", "ASCII slug for file names (huyen-dinh-lap)"),
        "poor_2016_2020": ("bool", "Poor district 2016–2020"),
        "poor_2021_2025": ("bool", "Poor district 2021–2025 (QĐ 353/QĐ-TTg)"),
        "n_communes": ("int64", "Communes (xã)"),
        "n_towns": ("int64", "Towns (thị trấn)"),
        "n_wards": ("int64", "Wards (phường)"),
        "source_codes": ("str", "Source of codes and counts"),
        "source_poor_flags": ("str", "Source of poor flags"),
        **_PROV,
    },
    "projects": {
        "project_code": ("str", "DA1–DA7"),
        "subproject_code": ("str", "TDA1–TDA3 or empty"),
        "name": ("str", "Name as in the plan"),
        "section": ("str", "Plan section"),
        "source_note": ("str", "Source note when not the plan"),
        **_PROV,
    },
    "budget_figures": {
        "year": ("int64", "Year"),
        "line_id": ("str", "Line id"),
        "parent_id": ("str", "Parent node id"),
        "project_code": ("str", "DA1–DA7 or empty"),
        "subproject_code": ("str", "TDA1–TDA3 or empty"),
        "label": ("str", "Component"),
        "district_code": ("str", "GSO district code or empty"),
        "funding_source": ("str", "total / central / local / other"),
        "capital_type": ("str", "dtpt / su_nghiep / unstated"),
        "amount_mvnd": ("float64", "Million VND"),
        "period": ("str", "Period covered"),
        "section": ("str", "Plan section"),
        **_PROV,
    },
    "budget_lines": {
        "year": ("int64", "Year"),
        "line_id": ("str", "Line id"),
        "parent_id": ("str", "Parent node id"),
        "project_code": ("str", "DA1–DA7 or empty"),
        "subproject_code": ("str", "TDA1–TDA3 or empty"),
        "label": ("str", "Component"),
        "district_code": ("str", "GSO district code or empty"),
        "capital_type": ("str", "dtpt / su_nghiep / unstated"),
        "period": ("str", "Period covered"),
        "section": ("str", "Plan section"),
        "total_mvnd": ("float64", "Line total as stated (NaN when the plan gives only sources)"),
        "central_mvnd": ("float64", "Central budget (NSTW), NaN when not stated"),
        "local_mvnd": ("float64", "Local budget (NSĐP), NaN when not stated"),
        "other_mvnd": ("float64", "Other sources, NaN when not stated"),
        "sources_sum_mvnd": ("float64", "central + local + other over the sources stated; NaN when none is"),
        "source_file": ("str", "Raw file"),
        "source_rows": ("str", "Lines of the raw file that make up this line (e.g. 2-5)"),
    },
    "budget_stated_totals": {
        "year": ("int64", "Year"),
        "total_id": ("str", "Total id"),
        "node_id": ("str", "Node covered"),
        "label": ("str", "Wording of the total"),
        "funding_source": ("str", "total / central / local / other"),
        "capital_type": ("str", "all / dtpt / su_nghiep"),
        "amount_mvnd": ("float64", "Million VND"),
        "section": ("str", "Plan section"),
        **_PROV,
    },
    "policy_results": {
        "year": ("int64", "Year"),
        "indicator_id": ("str", "Figure id"),
        "policy_area": ("str", "Policy area"),
        "indicator": ("str", "What is counted"),
        "target_group": ("str", "Who benefited"),
        "value": ("float64", "Value"),
        "unit": ("str", "Unit"),
        "qualifier": ("str", "exact / about / over / at_least"),
        "period": ("str", "Period covered"),
        "section": ("str", "Plan section"),
        "same_as": ("str", "Id of a figure stating the same quantity, or empty"),
        **_PROV,
    },
    "plan_targets": {
        "year": ("int64", "Year"),
        "target_id": ("str", "Target id"),
        "project_code": ("str", "DA1–DA7 or empty"),
        "subproject_code": ("str", "TDA1–TDA3 or empty"),
        "indicator": ("str", "What the target counts"),
        "value": ("float64", "Target value"),
        "unit": ("str", "Unit"),
        "qualifier": ("str", "exact / about / over / at_least"),
        "district_codes": ("str", "';'-separated GSO codes named by the plan, or empty"),
        "section": ("str", "Plan section"),
        **_PROV,
    },
    "poverty_series": {
        "series_id": ("str", "Value id"),
        "year": ("int64", "Year (review at end of year)"),
        "standard": ("str", "qd59_2015 / nd07_2021"),
        "indicator": ("str", "poor_hh / poor_rate_pct / near_poor_hh / near_poor_rate_pct / total_hh / poor_rate_fall_pp / poor_hh_fall"),
        "value": ("float64", "Value"),
        "unit": ("str", "Unit"),
        "value_kind": ("str", "official / derived / target / estimate"),
        "source": ("str", "Source"),
        "confidence": ("str", "H / M / L"),
        "section": ("str", "Plan section when the source is the plan, else empty"),
        "same_as": ("str", "Id of a value stating the same quantity, or empty"),
        **_PROV,
    },
    "poverty_rate_checks": {
        "year": ("int64", "Year"),
        "standard": ("str", "Poverty standard"),
        "group": ("str", "poor / near_poor"),
        "count_hh": ("float64", "Households in the group"),
        "total_hh": ("float64", "Total households, from the same source"),
        "stated_rate_pct": ("float64", "Rate as stated"),
        "computed_rate_pct": ("float64", "100 × count / total"),
        "diff_pp": ("float64", "stated − computed, percentage points"),
        "source": ("str", "The source all three come from"),
    },
    "reconciliation": {
        "finding_id": ("str", "Stable id of the check"),
        "year": ("int64", "Year"),
        "check_kind": ("str", "stated_total_vs_lines / total_vs_breakdown / repeated_figure / poor_district_scope"),
        "subject": ("str", "What is compared, in Vietnamese"),
        "node_id": ("str", "Node or figure id"),
        "funding_source": ("str", "Funding source, or empty"),
        "capital_type": ("str", "Capital type, or empty"),
        "unit": ("str", "Unit of the amounts"),
        "stated_value": ("float64", "Value the document states"),
        "compared_value": ("float64", "Sum of the parts, or the other statement (NaN when undeterminable)"),
        "gap": ("float64", "stated − compared"),
        "status": ("str", "match / gap / undeterminable / warning"),
        "explanation": ("str", "Vietnamese text: which line(s) would explain the gap, or why it cannot be decided"),
        "parts": ("str", "Ids of the parts compared"),
        "sections": ("str", "Plan sections involved"),
    },
    "raw_inputs": {
        "file": ("str", "File under data/raw (README.md excluded)"),
        "sha256": ("str", "SHA-256 of the file's bytes"),
        "bytes": ("int64", "Size in bytes"),
    },
    "transcription_check": {
        "table": ("str", "Raw table checked"),
        "rows_checked": ("int64", "Rows whose value was looked up in the document"),
        "rows_found": ("int64", "Rows whose value was found under their section"),
        "document_amounts": ("int64", "Money amounts (triệu đồng) the document states, for budget tables"),
        "document_amounts_covered": ("int64", "Of those, amounts covered by a row"),
    },
}

# Written by the Great Expectations gate (pipeline/gate/validate.py) only when every expectation passes;
# reports refuse to render without it. Not itself validated.
GATE_TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "validation_results": {
        "table": ("str", "Processed table validated"),
        "expectation_type": ("str", "GX expectation"),
        "column": ("str", "Column(s) the expectation is about, empty for table-level"),
        "success": ("bool", "Passed"),
        "unexpected_count": ("int64", "Rows that broke it"),
        "failing_rows": ("str", "Raw file and line of the failing rows (first 10)"),
        "description": ("str", "The rule in Vietnamese"),
    },
}

# --- Household registers (rà soát hộ nghèo, issue 3; contract: docs/register_contract.md) --------------------
# The raw register is not in RAW_TABLES (build.py reads those row by row; registers are ~200k rows a year and
# are read, vectorised, by pipeline/registers/stage.py). Its files are data/raw/registers/<year>/ho_<district>_<year>.csv|xlsx.
REGISTER_YEARS = (2021, 2022, 2023, 2024)  # districts were abolished on 1/7/2025: no district register after 2024
REGISTER_DISTRICT_CODES = ("178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189")
REGISTER_AREAS = {"Nông thôn": "rural", "Thành thị": "urban"}
HOUSEHOLD_CLASSES = {
    "Hộ nghèo": "poor",
    "Hộ cận nghèo": "near_poor",
    "Hộ có mức sống trung bình": "average",
    "Không thuộc diện": "none",
}
HOUSEHOLD_CLASS_LABELS = {code: label for label, code in HOUSEHOLD_CLASSES.items()}
# The 12 deprivation indicators of NĐ 07/2021/NĐ-CP (Art. 3): canonical column -> Vietnamese name.
REGISTER_INDICATORS = {
    "d01": "Việc làm", "d02": "Người phụ thuộc trong hộ gia đình", "d03": "Dinh dưỡng", "d04": "Bảo hiểm y tế",
    "d05": "Trình độ giáo dục của người lớn", "d06": "Tình trạng đi học của trẻ em", "d07": "Chất lượng nhà ở",
    "d08": "Diện tích nhà ở bình quân đầu người", "d09": "Nguồn nước sinh hoạt", "d10": "Nhà tiêu hợp vệ sinh",
    "d11": "Sử dụng dịch vụ viễn thông", "d12": "Phương tiện phục vụ tiếp cận thông tin",
}
# Rules of the register audit (pipeline/registers/stage.py): rule code -> Vietnamese label for reports.
AUDIT_RULES = {
    "class_inconsistent": "Phân loại không khớp chuẩn nghèo (A, B, thu nhập)",
    "score_b_mismatch": "Điểm B khác 10 × số chỉ số thiếu hụt",
    "duplicate_id_across_districts": "Mã hộ trùng giữa hai huyện trong cùng năm",
    "duplicate_id_in_district": "Mã hộ lặp lại trong file của một huyện",
    "impossible_value": "Giá trị không thể có (ngoài khoảng cho phép)",
}
REGISTER_INPUT_KINDS = {"register": "District register file", "synthetic_manifest": "SYNTHETIC.json (generator manifest)"}
# household_key: the first 64 bits of HMAC-SHA256(key, household id), as 16 hex digits (pipeline.registers.contract).
# Collisions among ≈27 M households a year (a national review) have a chance of about 2 in 100 000.
HOUSEHOLD_KEY_HEX_DIGITS = 16
# Province rows of the register aggregates carry Lạng Sơn's GSO province code in district_code.
PROVINCE_CODE = "20"

REGISTER_RAW = RawTable(
    "household_register", "ho",
    "Household review register, one file per district and review year (docs/register_contract.md); "
    "personal columns are never read (names, ID numbers, addresses) and the household id is replaced by a keyed hash",
    (
        _c("Năm rà soát", "review_year", "int", "Review year 2021–2024; equals the year in the file name"),
        _c("Mã hộ", "household_id", "text", "Household id, persistent across years; replaced at ingestion by "
           "household_key (HMAC-SHA256) and never stored"),
        _c("Mã huyện", "district_code", "code", "3-digit GSO district code; equals the code in the file name"),
        _c("Mã xã", "commune_code", "code", "5-digit GSO commune code"),
        _c("Khu vực", "area", "vocab", "Area of the household", vocabulary=REGISTER_AREAS),
        _c("Số nhân khẩu", "household_size", "int", "Household members, 1–30"),
        _c("Thu nhập bình quân (đồng/người/tháng)", "income_per_capita", "number", "Income, VND per person per month"),
        _c("Điểm A", "score_a", "number", "Income proxy score (TT 07/2021), 0–1000; required in every review (all under NĐ 07/2021)"),
        *(_c(f"TH{i:02d} {name}", code, "int", f"Deprivation indicator {i} (1 = deprived, 0 = not)")
          for i, (code, name) in enumerate(REGISTER_INDICATORS.items(), start=1)),
        _c("Điểm B", "score_b", "number", "Deprivation score = 10 × number of indicators equal to 1 (0–120)"),
        _c("Phân loại", "recorded_class", "vocab", "Class the commune recorded", vocabulary=HOUSEHOLD_CLASSES),
        _c("Dân tộc thiểu số", "ethnic_minority", "vocab", "Ethnic-minority household", vocabulary=YES_NO),
        _c("Họ và tên chủ hộ", "head_name", "personal", "Head of household: personal, never read", required=False),
        _c("Số CCCD/CMND", "id_number", "personal", "ID number: personal, never read", required=False),
        _c("Địa chỉ", "address", "personal", "Address: personal, never read", required=False),
    ),
)

_REG_PROV = {
    "source_file": ("str", "Register file the row comes from, relative to data/raw (registers/2022/ho_181_2022.csv)"),
    "source_row": ("int64", "Line of that file (header = 1)"),
}
_SYNTHETIC = {"synthetic": ("bool", "True when the registers are the synthetic sample (data/raw/registers/SYNTHETIC.json)")}
_DISTRICT_OR_PROVINCE = ("str", f"GSO district code, or {PROVINCE_CODE} (Lạng Sơn) for the province row")
REGISTER_TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "register_households": {
        "household_key": ("str", "HMAC-SHA256 of the household id with the pseudonym key, first 16 hex digits; "
                                 "the same household has the same key every year"),
        "review_year": ("int64", "Review year (rà soát at the end of the year)"),
        "district_code": ("str", "GSO district code"),
        "commune_code": ("str", "Commune code as recorded (5 digits when valid)"),
        "area": ("str", "rural / urban"),
        "household_size": ("int64", "Household members as recorded"),
        "income_per_capita": ("float64", "Income, VND per person per month"),
        "score_a": ("float64", "Score A (income proxy)"),
        **{code: ("int64", f"Indicator {code[1:]} {name}: 1 deprived, 0 not (as recorded)")
           for code, name in REGISTER_INDICATORS.items()},
        "score_b": ("float64", "Score B as recorded"),
        "recorded_class": ("str", "poor / near_poor / average / none, as the commune recorded"),
        "ethnic_minority": ("bool", "Ethnic-minority household"),
        "standard": ("str", "Poverty standard of the review year: nd07_2021 (every review 2021–2024, the end-2021 one included)"),
        "expected_score_b": ("int64", "10 × number of indicators equal to 1 (pipeline.registers.poverty_standard)"),
        "expected_class": ("str", "Class the standard in force gives from area, income, A and B; '' if undecidable"),
        "has_anomaly": ("bool", "The row breaks at least one audit rule (see register_audit)"),
        **_REG_PROV,
    },
    "register_audit": {
        "review_year": ("int64", "Review year"),
        "district_code": ("str", "GSO district code"),
        "commune_code": ("str", "Commune code as recorded"),
        "household_key": ("str", "Pseudonymised household (never the household id)"),
        **_REG_PROV,
        "rule": ("str", "class_inconsistent / score_b_mismatch / duplicate_id_across_districts / "
                        "duplicate_id_in_district / impossible_value"),
        "column": ("str", "Vietnamese header of the column the rule is about"),
        "detail": ("str", "What is wrong, in Vietnamese, with the values involved (no personal values)"),
    },
    "district_poverty": {
        "review_year": ("int64", "Review year"),
        "district_code": _DISTRICT_OR_PROVINCE,
        "standard": ("str", "Poverty standard of the review year"),
        "households": ("int64", "Register rows (households as recorded; rows with anomalies included)"),
        "poor_hh": ("int64", "Households recorded poor"),
        "near_poor_hh": ("int64", "Households recorded near-poor"),
        "average_hh": ("int64", "Households recorded average living standard (NĐ 07/2021 Art. 3.3)"),
        "poor_rate_pct": ("float64", "100 × poor_hh / households"),
        "near_poor_rate_pct": ("float64", "100 × near_poor_hh / households"),
        "anomaly_hh": ("int64", "Rows with at least one audit finding (counted in the figures above)"),
        "af_poor_hh": ("int64", "Alkire–Foster multidimensionally poor: ≥ 3 of 12 indicators equal to 1 (B ≥ 30)"),
        "af_h": ("float64", "Alkire–Foster headcount ratio H = af_poor_hh / households (0–1)"),
        "af_a": ("float64", "Alkire–Foster intensity A = mean share of the 12 indicators among the AF poor (0–1; NaN if none)"),
        "af_m0": ("float64", "Adjusted headcount ratio M0 = H × A (0–1)"),
        **_SYNTHETIC,
    },
    "district_deprivation": {
        "review_year": ("int64", "Review year"),
        "district_code": _DISTRICT_OR_PROVINCE,
        "indicator": ("str", "d01 … d12"),
        "indicator_name": ("str", "Vietnamese name of the indicator (NĐ 07/2021)"),
        "households": ("int64", "Households of the district-year"),
        "deprived_hh": ("int64", "Households deprived in the indicator (cell = 1): the raw headcount"),
        "deprived_pct": ("float64", "100 × deprived_hh / households"),
        "deprived_poor_hh": ("int64", "Of those, households recorded poor"),
        "deprived_near_poor_hh": ("int64", "Of those, households recorded near-poor"),
        "censored_hh": ("int64", "Deprived in the indicator and multidimensionally poor (≥ 3 deprivations)"),
        "censored_pct": ("float64", "Censored headcount ratio, 100 × censored_hh / households"),
        "contribution_pct": ("float64", "Contribution to M0: 100 × (censored ratio × 1/12) / M0; sums to 100 over "
                                        "the 12 indicators; NaN when M0 = 0"),
        **_SYNTHETIC,
    },
    "district_flows": {
        "previous_year": ("int64", "Review year the flows start from"),
        "review_year": ("int64", "Review year they end in (previous_year + 1)"),
        "district_code": _DISTRICT_OR_PROVINCE,
        "poor_start": ("int64", "Poor at previous_year"),
        "poor_stayed": ("int64", "Poor at both reviews"),
        "poor_to_near_poor": ("int64", "Out: poor → near-poor (trở thành cận nghèo)"),
        "poor_exited": ("int64", "Out: poor → above the near-poor line, average or none (vượt chuẩn, thoát nghèo)"),
        "poor_left": ("int64", "Out, other: poor household no longer on the district's register (giảm khác)"),
        "near_poor_to_poor": ("int64", "In: near-poor → poor (từ cận nghèo thành nghèo)"),
        "re_poor": ("int64", "In: above the line at previous_year, poor again, poor in an earlier review (tái nghèo)"),
        "new_poor": ("int64", "In: above the line at previous_year, poor for the first time (phát sinh mới)"),
        "new_household_poor": ("int64", "In, other: poor household not on the previous register (new or moved in; tăng khác)"),
        "poor_end": ("int64", "Poor at review_year"),
        "poor_identity_gap": ("int64", "poor_end − (poor_start − outflows + inflows); always 0"),
        "near_poor_start": ("int64", "Near-poor at previous_year"),
        "near_poor_stayed": ("int64", "Near-poor at both reviews"),
        "near_poor_exited": ("int64", "Out: near-poor → average or none (thoát cận nghèo)"),
        "near_poor_left": ("int64", "Out, other: near-poor household no longer on the register"),
        "above_to_near_poor": ("int64", "In: average or none → near-poor"),
        "new_household_near_poor": ("int64", "In, other: near-poor household not on the previous register"),
        "near_poor_end": ("int64", "Near-poor at review_year"),
        "near_poor_identity_gap": ("int64", "near_poor_end − (near_poor_start − near_poor_to_poor − near_poor_exited − "
                                            "near_poor_left + poor_to_near_poor + above_to_near_poor + "
                                            "new_household_near_poor); always 0"),
        **_SYNTHETIC,
    },
    "register_inputs": {
        "file": ("str", "File under data/raw (registers/<year>/ho_<district>_<year>.csv, registers/SYNTHETIC.json)"),
        "kind": ("str", "register / synthetic_manifest"),
        "sha256": ("str", "SHA-256 of the file's bytes"),
        "bytes": ("int64", "Size in bytes"),
        "rows": ("int64", "Data rows read (0 for the manifest)"),
    },
}


# --- Structured constraints of the processed tables ------------------------------------------------------------
# What every value of a processed column must satisfy besides its dtype, which conform() below enforces when a
# stage writes the table. The GX gate turns each fact into one expectation, all the required columns of a table
# into one (pipeline/gate/suites.py writes them to expectations/<table>.generated.json, `python -m pipeline
# expectations`); docs/data_dictionary.md lists them.
# Rules that relate columns, hold under a condition, tolerate a share of rows or look at the whole table's
# values (a total equals its parts, a rate lies in 0–100, identity gaps are 0, the anomaly share) are business
# rules: they stay hand-written in expectations/<table>.json.

PROJECT_CODES = tuple(f"DA{i}" for i in range(1, 8))     # the programme's 7 projects (QĐ 90/QĐ-TTg)
SUBPROJECT_CODES = ("TDA1", "TDA2", "TDA3")
DISTRICT_TYPES = ("thành phố", "huyện")
RATE_GROUPS = ("poor", "near_poor")                       # poverty_rate_checks.group
RECONCILIATION_KINDS = ("stated_total_vs_lines", "total_vs_breakdown", "repeated_figure", "poor_district_scope")
RECONCILIATION_STATUSES = ("match", "gap", "undeterminable", "warning")
PROGRAMME_YEARS = (2021, 2025)    # first and last year of the programme: budget, plan and policy figures
SERIES_YEARS = (2015, 2025)       # poverty series back to the 2015 baseline of QĐ 59/2015
EMPTY = ""                        # an optional text cell that was left empty (never null)


@dataclass(frozen=True)
class Values:
    """What every value of one processed column satisfies (beyond its dtype, which conform enforces).

    required: never null (NaN). Not used on int64 and bool columns: they cannot hold nulls at all.
    allowed: the vocabulary, the only values the column holds (EMPTY among them when it may be left empty).
    low/high: inclusive bounds. pattern: a key of FORMATS, the regular expression the text matches.
    """

    required: bool = False
    allowed: tuple = ()
    low: int | float | None = None
    high: int | float | None = None
    pattern: str = ""


@dataclass(frozen=True)
class TableRules:
    """The table-wide facts: per-column Values, keys (each one column or a combination, unique over all rows),
    whether the table always has rows, and the columns whose value groups split a large table into partitions
    for the gate (read a group at a time, so memory does not grow with the country's size)."""

    columns: dict[str, Values]
    keys: tuple[tuple[str, ...], ...] = ()
    nonempty: bool = True
    partition_by: tuple[str, ...] = ()


def _district_list_regex(codes: tuple[str, ...]) -> str:
    """';'-separated district codes, or empty (plan_targets.district_codes)."""
    code = "(?:" + "|".join(codes) + ")"
    return f"^(?:{code}(?:;{code})*)?$"


_REGISTER_FILE = r"[0-9]{4}/ho_[0-9]{3}_[0-9]{4}\.(?:csv|xlsx)"
# Text formats: name -> (regular expression, what it means in Vietnamese, for the expectation's description).
FORMATS: dict[str, tuple[str, str]] = {
    "slug": (r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "chỉ gồm chữ thường không dấu, số và dấu gạch nối (dùng làm tên tệp)"),
    "district_list": (_district_list_regex(REGISTER_DISTRICT_CODES),
                      "là các mã huyện GSO cách nhau bởi dấu ';', hoặc rỗng"),
    "sha256": (r"^[0-9a-f]{64}$", "là mã băm SHA-256: 64 ký tự thập lục phân viết thường"),
    "household_key": (rf"^[0-9a-f]{{{HOUSEHOLD_KEY_HEX_DIGITS}}}$",
                      f"là {HOUSEHOLD_KEY_HEX_DIGITS} chữ số thập lục phân (mã hộ đã mã hóa), không bao giờ là mã hộ gốc"),
    "register_file": (rf"^registers/{_REGISTER_FILE}$", "có dạng registers/<năm>/ho_<mã huyện>_<năm>.csv hoặc .xlsx"),
    "register_input": (rf"^registers/(?:{_REGISTER_FILE}|SYNTHETIC\.json)$",
                       "là một sổ hộ registers/<năm>/ho_<mã huyện>_<năm>.csv|xlsx hoặc registers/SYNTHETIC.json"),
}

# Vietnamese names of processed columns that no raw header names (a raw column's label is its header).
LABELS_VI = {
    "source_file": "Tệp nguồn", "source_row": "Dòng trong tệp nguồn", "source_rows": "Các dòng trong tệp nguồn",
    "district_slug": "Tên tệp (slug)", "total_mvnd": "Tổng các nguồn (triệu đồng)",
    "central_mvnd": "Ngân sách trung ương (triệu đồng)", "local_mvnd": "Ngân sách địa phương (triệu đồng)",
    "other_mvnd": "Huy động khác (triệu đồng)", "sources_sum_mvnd": "Tổng các nguồn đã nêu (triệu đồng)",
    "group": "Nhóm hộ", "count_hh": "Số hộ của nhóm", "total_hh": "Tổng số hộ",
    "stated_rate_pct": "Tỷ lệ nêu trong nguồn (%)", "computed_rate_pct": "Tỷ lệ tính lại (%)",
    "diff_pp": "Chênh lệch (điểm %)", "finding_id": "Mã phát hiện", "check_kind": "Loại đối chiếu",
    "subject": "Nội dung đối chiếu", "status": "Kết quả", "file": "Tệp", "sha256": "Mã băm SHA-256",
    "bytes": "Kích thước (byte)", "table": "Bảng gốc", "rows_found": "Số dòng tìm thấy",
    "document_amounts_covered": "Số khoản tiền có dòng tương ứng",
    "household_key": "Mã hộ đã mã hóa", "expected_class": "Phân loại theo chuẩn",
    "expected_score_b": "Điểm B theo số chỉ số thiếu hụt", "rule": "Quy tắc kiểm tra", "column": "Cột của sổ hộ",
    "detail": "Chi tiết", "indicator_name": "Tên chỉ số", "households": "Số hộ", "poor_hh": "Số hộ nghèo",
    "near_poor_hh": "Số hộ cận nghèo", "average_hh": "Số hộ có mức sống trung bình",
    "anomaly_hh": "Số hộ có phát hiện kiểm tra", "af_poor_hh": "Số hộ nghèo đa chiều (Alkire–Foster)",
    "deprived_poor_hh": "Số hộ nghèo thiếu hụt chỉ số", "deprived_near_poor_hh": "Số hộ cận nghèo thiếu hụt chỉ số",
    "censored_hh": "Số hộ thiếu hụt chỉ số và nghèo đa chiều", "previous_year": "Năm rà soát đầu kỳ",
    "poor_start": "Hộ nghèo đầu kỳ", "poor_stayed": "Hộ vẫn nghèo", "poor_to_near_poor": "Hộ nghèo thành cận nghèo",
    "poor_exited": "Hộ thoát nghèo", "poor_left": "Hộ nghèo giảm khác", "near_poor_to_poor": "Hộ cận nghèo thành nghèo",
    "re_poor": "Hộ tái nghèo", "new_poor": "Hộ nghèo phát sinh mới", "new_household_poor": "Hộ nghèo tăng khác",
    "poor_end": "Hộ nghèo cuối kỳ", "near_poor_start": "Hộ cận nghèo đầu kỳ", "near_poor_stayed": "Hộ vẫn cận nghèo",
    "near_poor_exited": "Hộ thoát cận nghèo", "near_poor_left": "Hộ cận nghèo giảm khác",
    "above_to_near_poor": "Hộ trên chuẩn thành cận nghèo", "new_household_near_poor": "Hộ cận nghèo tăng khác",
    "near_poor_end": "Hộ cận nghèo cuối kỳ", "kind": "Loại tệp", "rows": "Số dòng dữ liệu",
}


def column_label(column: str) -> str:
    """The Vietnamese name users read for a processed column: LABELS_VI, else the raw header of that name."""
    if column in LABELS_VI:
        return LABELS_VI[column]
    for table in (*RAW_TABLES.values(), REGISTER_RAW):
        for raw in table.columns:
            if raw.name == column:
                return raw.header
    raise KeyError(f"no Vietnamese label for column {column!r}: add it to schema.LABELS_VI")


_REQUIRED = Values(required=True)
_PROVENANCE = {"source_file": _REQUIRED, "source_row": Values(low=2)}  # line 1 of a raw file is its header
_NONNEGATIVE = Values(low=0)
_REQUIRED_NONNEGATIVE = Values(required=True, low=0)
_PROGRAMME_YEAR = Values(low=PROGRAMME_YEARS[0], high=PROGRAMME_YEARS[1])
_SERIES_YEAR = Values(low=SERIES_YEARS[0], high=SERIES_YEARS[1])
_REVIEW_YEAR = Values(low=REGISTER_YEARS[0], high=REGISTER_YEARS[-1])
_DISTRICT = Values(required=True, allowed=REGISTER_DISTRICT_CODES)
_DISTRICT_OR_EMPTY = Values(allowed=(*REGISTER_DISTRICT_CODES, EMPTY))
_DISTRICT_OR_PROVINCE_CODE = Values(required=True, allowed=(*REGISTER_DISTRICT_CODES, PROVINCE_CODE))
_PROJECT_OR_EMPTY = Values(allowed=(*PROJECT_CODES, EMPTY))
_SUBPROJECT_OR_EMPTY = Values(allowed=(*SUBPROJECT_CODES, EMPTY))
_FUNDING = Values(required=True, allowed=tuple(FUNDING_SOURCES.values()))
_QUALIFIER = Values(required=True, allowed=tuple(QUALIFIERS.values()))
_STANDARD = Values(required=True, allowed=tuple(POVERTY_STANDARDS.values()))
_CLASS = Values(required=True, allowed=tuple(HOUSEHOLD_CLASSES.values()))
_HOUSEHOLD_KEY = Values(required=True, pattern="household_key")
_REGISTER_PROVENANCE = {"source_file": Values(required=True, pattern="register_file"), "source_row": Values(low=2)}
_FLOW_COUNTS = ("poor_start", "poor_stayed", "poor_to_near_poor", "poor_exited", "poor_left", "near_poor_to_poor",
                "re_poor", "new_poor", "new_household_poor", "poor_end", "near_poor_start", "near_poor_stayed",
                "near_poor_exited", "near_poor_left", "above_to_near_poor", "new_household_near_poor", "near_poor_end")

CONSTRAINTS: dict[str, TableRules] = {
    "districts": TableRules({
        "district_code": _DISTRICT, "district_name": _REQUIRED,
        "district_type": Values(required=True, allowed=DISTRICT_TYPES),
        "district_slug": Values(required=True, pattern="slug"),
        "n_communes": _NONNEGATIVE, "n_towns": _NONNEGATIVE, "n_wards": _NONNEGATIVE,
        "source_codes": _REQUIRED, "source_poor_flags": _REQUIRED, **_PROVENANCE,
    }, keys=(("district_code",), ("district_name",), ("district_slug",))),
    "projects": TableRules({
        "project_code": Values(required=True, allowed=PROJECT_CODES), "subproject_code": _SUBPROJECT_OR_EMPTY,
        "name": _REQUIRED, **_PROVENANCE,
    }, keys=(("project_code", "subproject_code"),)),
    "budget_figures": TableRules({
        "year": _PROGRAMME_YEAR, "line_id": _REQUIRED, "parent_id": _REQUIRED, "project_code": _PROJECT_OR_EMPTY,
        "subproject_code": _SUBPROJECT_OR_EMPTY, "label": _REQUIRED, "district_code": _DISTRICT_OR_EMPTY,
        "funding_source": _FUNDING,
        "capital_type": Values(required=True, allowed=tuple(LINE_CAPITAL_TYPES.values())),
        "amount_mvnd": _REQUIRED_NONNEGATIVE, "period": _REQUIRED, **_PROVENANCE,
    }, keys=(("line_id", "funding_source"),)),
    "budget_lines": TableRules({
        "year": _PROGRAMME_YEAR, "line_id": _REQUIRED, "parent_id": _REQUIRED, "project_code": _PROJECT_OR_EMPTY,
        "subproject_code": _SUBPROJECT_OR_EMPTY, "label": _REQUIRED, "district_code": _DISTRICT_OR_EMPTY,
        "capital_type": Values(required=True, allowed=tuple(LINE_CAPITAL_TYPES.values())), "period": _REQUIRED,
        **{c: _NONNEGATIVE for c in ("total_mvnd", "central_mvnd", "local_mvnd", "other_mvnd", "sources_sum_mvnd")},
        "source_file": _REQUIRED, "source_rows": _REQUIRED,
    }, keys=(("line_id",),)),
    "budget_stated_totals": TableRules({
        "year": _PROGRAMME_YEAR, "total_id": _REQUIRED, "node_id": _REQUIRED, "label": _REQUIRED,
        "funding_source": _FUNDING,
        "capital_type": Values(required=True, allowed=tuple(TOTAL_CAPITAL_TYPES.values())),
        "amount_mvnd": _REQUIRED_NONNEGATIVE, **_PROVENANCE,
    }, keys=(("total_id",),)),
    "policy_results": TableRules({
        "year": _PROGRAMME_YEAR, "indicator_id": _REQUIRED, "policy_area": _REQUIRED, "indicator": _REQUIRED,
        "target_group": _REQUIRED, "value": _REQUIRED_NONNEGATIVE, "unit": _REQUIRED, "qualifier": _QUALIFIER,
        "period": _REQUIRED, **_PROVENANCE,
    }, keys=(("indicator_id",),)),
    "plan_targets": TableRules({
        "year": _PROGRAMME_YEAR, "target_id": _REQUIRED, "project_code": _PROJECT_OR_EMPTY,
        "subproject_code": _SUBPROJECT_OR_EMPTY, "indicator": _REQUIRED, "value": _REQUIRED_NONNEGATIVE, "unit": _REQUIRED,
        "qualifier": _QUALIFIER, "district_codes": Values(pattern="district_list"), **_PROVENANCE,
    }, keys=(("target_id",),)),
    "poverty_series": TableRules({
        "series_id": _REQUIRED, "year": _SERIES_YEAR, "standard": _STANDARD,
        "indicator": Values(required=True, allowed=tuple(POVERTY_INDICATORS.values())), "value": _REQUIRED_NONNEGATIVE,
        "unit": _REQUIRED, "value_kind": Values(required=True, allowed=tuple(VALUE_KINDS.values())),
        "source": _REQUIRED, "confidence": Values(required=True, allowed=tuple(CONFIDENCE.values())),
        **_PROVENANCE,
    }, keys=(("series_id",),)),
    "poverty_rate_checks": TableRules({
        "year": _SERIES_YEAR, "standard": _STANDARD, "group": Values(required=True, allowed=RATE_GROUPS),
        "count_hh": _REQUIRED_NONNEGATIVE, "total_hh": _REQUIRED_NONNEGATIVE, "stated_rate_pct": _REQUIRED, "computed_rate_pct": _REQUIRED,
        "diff_pp": _REQUIRED, "source": _REQUIRED,
    }),
    "reconciliation": TableRules({
        "finding_id": _REQUIRED, "year": _SERIES_YEAR,
        "check_kind": Values(required=True, allowed=RECONCILIATION_KINDS), "subject": _REQUIRED,
        "funding_source": Values(allowed=(*FUNDING_SOURCES.values(), EMPTY)),
        "capital_type": Values(allowed=(*CAPITAL_TYPE_LABELS, EMPTY)),
        "status": Values(required=True, allowed=RECONCILIATION_STATUSES),
    }, keys=(("finding_id",),)),
    "raw_inputs": TableRules({
        "file": _REQUIRED, "sha256": Values(required=True, pattern="sha256"), "bytes": _NONNEGATIVE,
    }, keys=(("file",),)),
    "transcription_check": TableRules({
        "table": _REQUIRED, "rows_found": _NONNEGATIVE, "document_amounts_covered": _NONNEGATIVE,
    }, keys=(("table",),)),
    "register_households": TableRules({
        "household_key": _HOUSEHOLD_KEY, "review_year": _REVIEW_YEAR, "district_code": _DISTRICT,
        "commune_code": _REQUIRED, "area": Values(required=True, allowed=tuple(REGISTER_AREAS.values())),
        "recorded_class": _CLASS, "standard": _STANDARD, "expected_class": _CLASS,
        "expected_score_b": Values(allowed=tuple(range(0, 10 * len(REGISTER_INDICATORS) + 1, 10))),
        **_REGISTER_PROVENANCE,
    }, keys=(("source_file", "source_row"),), partition_by=("review_year", "district_code")),
    "register_audit": TableRules({
        "review_year": _REVIEW_YEAR, "district_code": _DISTRICT, "commune_code": _REQUIRED,
        "household_key": _HOUSEHOLD_KEY, **_REGISTER_PROVENANCE,
        "rule": Values(required=True, allowed=tuple(AUDIT_RULES)),
        "column": Values(required=True, allowed=tuple(c.header for c in REGISTER_RAW.columns if c.kind != "personal")),
        "detail": _REQUIRED,
    }, keys=(("source_file", "source_row", "rule", "column"),), nonempty=False),
    "district_poverty": TableRules({
        "review_year": _REVIEW_YEAR, "district_code": _DISTRICT_OR_PROVINCE_CODE, "standard": _REQUIRED,
        "households": Values(low=1),
        **{c: _NONNEGATIVE for c in ("poor_hh", "near_poor_hh", "average_hh", "anomaly_hh", "af_poor_hh")},
    }, keys=(("review_year", "district_code"),)),
    "district_deprivation": TableRules({
        "review_year": _REVIEW_YEAR, "district_code": _DISTRICT_OR_PROVINCE_CODE,
        "indicator": Values(required=True, allowed=tuple(REGISTER_INDICATORS)),
        "indicator_name": Values(required=True, allowed=tuple(REGISTER_INDICATORS.values())),
        "households": Values(low=1),
        **{c: _NONNEGATIVE for c in ("deprived_poor_hh", "deprived_near_poor_hh", "censored_hh")},
    }, keys=(("review_year", "district_code", "indicator"),)),
    "district_flows": TableRules({
        "previous_year": Values(low=REGISTER_YEARS[0], high=REGISTER_YEARS[-2]),
        "review_year": Values(low=REGISTER_YEARS[1], high=REGISTER_YEARS[-1]),
        "district_code": _DISTRICT_OR_PROVINCE_CODE, **{c: _NONNEGATIVE for c in _FLOW_COUNTS},
    }, keys=(("previous_year", "review_year", "district_code"),), nonempty=False),
    "register_inputs": TableRules({
        "file": Values(required=True, pattern="register_input"),
        "kind": Values(required=True, allowed=tuple(REGISTER_INPUT_KINDS)),
        "sha256": Values(required=True, pattern="sha256"), "bytes": Values(low=1), "rows": _NONNEGATIVE,
    }, keys=(("file",),)),
}


def conform(name: str, frame):
    """Exactly the data dictionary's columns for a processed table, in its order and with its dtypes.

    A missing column is a bug of the stage that built the frame, not bad input: AssertionError.
    """
    spec = {**PROCESSED_TABLES, **REGISTER_TABLES}[name]
    missing = [c for c in spec if c not in frame.columns]
    if missing:
        raise AssertionError(f"{name}: the stage did not produce columns {missing}")
    return frame[list(spec)].astype({c: dtype for c, (dtype, _) in spec.items()}).reset_index(drop=True)
