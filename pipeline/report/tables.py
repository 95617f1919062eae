"""Display-ready tables and sentences for the annual report: Vietnamese headers, numbers as Vietnamese text.

Every function takes frames from pipeline.report.report_data and returns a new DataFrame of strings (or a
Markdown string), so the HTML report and the XLSX workbook show the very same cells (pipeline.report.workbook
turns each cell back into the number it shows). Units are in
the headers ("(triệu đồng)") or, where rows differ, in an "Đơn vị" column. Non-official values
(derived, target, estimate) always carry their kind in words.
"""
from __future__ import annotations

import html
import os
import platform
import re
from datetime import datetime, timezone
from decimal import Decimal

import matplotlib
import pandas as pd

from pipeline import schema, sources
from pipeline.report import report_data
from pipeline.report.report_data import ReportData
from pipeline.vn import format_vn_number, nfc

MISSING = "–"
COMPUTED = "(tính)"  # after a number the pipeline computed rather than read: "265.293 (tính)"
MONEY = "(triệu đồng)"
PROVINCE = "tỉnh Lạng Sơn"
PROVINCE_REPORT_LINK = "../annual_report.html"  # from a district report (reports/<year>/districts/)
PLAN_DOCUMENT = sources.PLAN.cite()  # the plan as every source line names it (pipeline/sources.py)
STATUS_LABELS = {
    "match": "Khớp",
    "gap": "⚠ Chênh lệch",
    "undeterminable": "Không xác định được",
    "warning": "⚠ Cảnh báo",
}
FLAGGED_STATUSES = ("gap", "warning")
SOURCE_HEADERS = {
    "central": f"NS trung ương {MONEY}",
    "local": f"NS địa phương {MONEY}",
    "other": f"Huy động khác {MONEY}",
}
TOTAL_HEADER = f"Tổng {MONEY}"
# Numbers, possibly qualified ("trên 35.000"), marked ("265.293 (tính)") or suppressed ("<10"): right-aligned in HTML.
_NUMERIC_CELL = re.compile(rf"^((khoảng|trên|từ) )?-?\d{{1,3}}(\.\d{{3}})*(,\d+)?( %)?( {re.escape(COMPUTED)})?$|^{MISSING}$|^<\d+$")


# --- number and label formatting ---------------------------------------------------------------


def number(value: object, max_decimals: int = 3) -> str:
    """Vietnamese number with only the decimals it needs: 466028.0 -> "466.028", 3.01 -> "3,01"."""
    if value is None or pd.isna(value):
        return MISSING
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-max_decimals)).normalize()
    return format_vn_number(float(value), max(0, -exact.as_tuple().exponent))


def computed(value: object) -> str:
    """A number the pipeline computed, marked so: 265293.0 -> "265.293 (tính)"."""
    return f"{number(value)} {COMPUTED}"


def rate(value: object) -> str:
    """A percentage with two decimals, as the sources write rates: 7.88 -> "7,88"."""
    return MISSING if value is None or pd.isna(value) else format_vn_number(float(value), 2)


def by_unit(value: object, unit: str) -> str:
    """Rates (%) with two decimals, everything else with the decimals it needs."""
    return rate(value) if unit == "%" else number(value)


def qualified(value: object, qualifier: object) -> str:
    """The value as the document qualifies it: "trên 35.000", "khoảng 1.000", "từ 3"."""
    word = schema.QUALIFIER_LABELS.get(qualifier if isinstance(qualifier, str) else "exact", "")
    return f"{word} {number(value)}".strip()


def value_kind(kind: str) -> str:
    """Value kind in words; anything but an official value says so."""
    label = schema.VALUE_KIND_LABELS.get(kind, kind)
    return label if kind == "official" else f"{label} – không phải số chính thức"


def _text(value: object) -> str:
    """Text cell: NFC, missing as empty."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else nfc(str(value))


# --- titles and notes ---------------------------------------------------------------------------


def report_title(data: ReportData) -> str:
    """The report's heading, also the HTML <title>."""
    place = f"{data.district.name}, {PROVINCE}" if data.district else PROVINCE
    return f"Báo cáo thực hiện Chương trình MTQG giảm nghèo bền vững – {place} – năm {data.year}"


def intro_md(data: ReportData) -> str:
    """Where the figures come from and how to read them."""
    return (
        f"Số liệu chép từ văn bản *{PLAN_DOCUMENT}* (gọi tắt: văn bản) và các nguồn ghi trong từng bảng; "
        "báo cáo chỉ đọc dữ liệu đã xử lý và kiểm định của dự án.\n\n"
        "Cách đọc: tiền tính bằng **triệu đồng**; số viết theo cách Việt Nam (dấu chấm phân cách hàng nghìn, "
        "dấu phẩy thập phân). Giá trị không chính thức được ghi rõ loại: *Tính toán* (suy ra bằng phép tính từ số "
        "có nguồn), *Kế hoạch* (chỉ tiêu, chưa phải kết quả), *Ước tính*."
    )


def district_note_md(data: ReportData) -> str:
    """How a district report is laid out, and where the province-wide tables are."""
    d = data.district
    return (
        f"**Báo cáo cấp huyện – {d.name} (mã {d.code}).** Trước hết là số liệu của huyện (từ sổ rà soát hộ nghèo), "
        "sau đó so sánh với toàn tỉnh và các huyện khác, các dòng kinh phí và chỉ tiêu của kế hoạch nêu tên huyện, "
        "cuối cùng là chất lượng dữ liệu. Bảng toàn tỉnh chỉ có ở đây khi cần để hiểu một số liệu của huyện; các bảng "
        f"còn lại (kinh phí, chính sách, đối chiếu văn bản) ở [báo cáo toàn tỉnh]({PROVINCE_REPORT_LINK}).\n\n"
        "Cách đọc: tiền tính bằng **triệu đồng**; số viết theo cách Việt Nam (dấu chấm phân cách hàng nghìn, "
        "dấu phẩy thập phân)."
    )


def budget_summary_md(data: ReportData) -> str:
    """The year's total as stated, by funding source, next to the sum of the lines (district: its own lines)."""
    groups = report_data.budget_groups(data.budget_lines, data.projects, data.stated_totals)
    lines_sum = number(groups["total"].sum()) if not groups.empty else MISSING
    if data.district is not None:
        if data.budget_lines.empty:
            return (f"Kế hoạch năm {data.year} không có dòng kinh phí nào nêu tên {data.district.name}. Kinh phí toàn tỉnh: "
                    f"[báo cáo toàn tỉnh]({PROVINCE_REPORT_LINK}).")
        return (f"Các dòng kinh phí của kế hoạch năm {data.year} nêu tên {data.district.name} cộng lại: **{lines_sum}** "
                f"triệu đồng ({number(len(data.budget_lines))} dòng). Tổng kinh phí toàn tỉnh và đối chiếu: [báo cáo toàn tỉnh]({PROVINCE_REPORT_LINK}).")
    root = data.stated_totals[
        (data.stated_totals["node_id"] == str(data.year)) & (data.stated_totals["capital_type"] == "all")
    ] if not data.stated_totals.empty else data.stated_totals
    parts = []
    for row in root.itertuples():
        source = schema.FUNDING_SOURCE_LABELS.get(row.funding_source, row.funding_source)
        parts.append(f"{source}: **{number(row.amount_mvnd)}** triệu đồng")
    stated = ("; ".join(parts) + ".") if parts else "văn bản không nêu tổng của năm."
    return (
        f"Tổng kinh phí năm {data.year} theo văn bản (đúng như văn bản nêu): {stated}\n\n"
        f"Cộng từ các dòng kinh phí trong bảng dưới: **{lines_sum}** triệu đồng. "
        "Chênh lệch giữa tổng theo văn bản và cộng các dòng (nếu có) được liệt kê ở phần đối chiếu."
    )


def poverty_summary_md(data: ReportData) -> str:
    """Bullet list of the poverty figures of the year before and the report year, each with its kind."""
    values = _in_display_order(report_data.poverty_values(data.poverty_series))
    chosen = values[values["year"].isin([data.year - 1, data.year])]
    bullets = []
    for (year, standard), part in chosen.groupby(["year", "standard"], sort=False):
        items = [
            f"{schema.INDICATOR_LABELS.get(r.indicator, r.indicator)} **{by_unit(r.value, r.unit)}** {r.unit} "
            f"({value_kind(r.value_kind).lower()})"
            for r in part.itertuples()
        ]
        standard_label = schema.STANDARD_LABELS.get(standard, standard)
        bullets.append(f"- Năm {year}, chuẩn nghèo {standard_label}: " + "; ".join(items) + ".")
    return "\n".join(bullets) if bullets else f"Không có số liệu nghèo cho năm {data.year - 1} và {data.year}."


def series_note_md() -> str:
    """Why the trend chart has two lines: two poverty standards."""
    return (
        "Hai chuẩn nghèo khác nhau nên hai đường không nối với nhau: chuẩn QĐ 59/2015/QĐ-TTg (giai đoạn 2016–2020; "
        "các kết quả thực hiện trong năm 2021 vẫn theo chuẩn này) và chuẩn đa chiều NĐ 07/2021/NĐ-CP (giai đoạn "
        "2022–2025; kỳ rà soát cuối năm 2021 đã phân loại hộ theo chuẩn mới và là mốc đầu kỳ). Giá trị kế hoạch và "
        "ước tính vẽ bằng ký hiệu riêng, nối bằng đường chấm."
    )


def district_register_files_table(data: ReportData) -> pd.DataFrame:
    """The district's register files of the year behind its figures, with their sha256."""
    if data.district is None or data.register_inputs.empty:
        return pd.DataFrame()
    files = data.register_inputs[data.register_inputs["file"].str.contains(f"/ho_{data.district.code}_{data.year}.", regex=False)]
    return pd.DataFrame({
        "Tệp (data/raw)": files["file"],
        "Số dòng": files["rows"].map(number),
        "SHA-256": files["sha256"],
    }).reset_index(drop=True)


def province_quality_md(data: ReportData) -> str:
    """Where a district report's reader finds the province-wide checks."""
    return (f"Kiểm tra chép số liệu từ văn bản, đối chiếu tổng và các phần của kế hoạch, danh sách mọi tệp gốc: "
            f"[báo cáo toàn tỉnh]({PROVINCE_REPORT_LINK}), phần «Chất lượng dữ liệu». Ô dưới 10 hộ được ẩn (ghi «<10»).")


def gate_page_md(data: ReportData) -> str:
    """Relative link to the gate's page (every expectation and its outcome) written next to the reports."""
    return f"Chi tiết từng kỳ vọng (expectation) và dòng lỗi: [trang kiểm định dữ liệu (Great Expectations)]({data.gate_page_href})."


def gx_status_md(results: pd.DataFrame) -> str:
    """One sentence: how many expectations passed (a report exists only once the gate has run)."""
    passed = int(results["success"].astype(bool).sum())
    failed = len(results) - passed
    verdict = "tất cả đều đạt" if failed == 0 else f"**{number(failed)} kỳ vọng không đạt** (liệt kê dưới đây)"
    return f"Great Expectations đã kiểm {number(len(results))} kỳ vọng trên {number(results['table'].nunique())} bảng: {verdict}."


def reconciliation_md(rec: pd.DataFrame) -> str:
    """Counts of findings by status, so a reader sees at once whether anything does not add up."""
    if rec.empty:
        return "Không có phép đối chiếu nào: văn bản không nêu tổng nào có các phần để so sánh."
    counts = rec["status"].value_counts()
    parts = [f"{STATUS_LABELS.get(s, s).lstrip('⚠ ').lower()}: {number(counts[s])}" for s in STATUS_LABELS if s in counts]
    return (
        f"{number(len(rec))} phép đối chiếu ({'; '.join(parts)}). "
        "Các dòng chênh lệch và cảnh báo được tô màu; số theo văn bản giữ nguyên, không sửa."
    )


# --- budget --------------------------------------------------------------------------------------


def budget_lines_table(lines: pd.DataFrame, projects: pd.DataFrame, totals: pd.DataFrame,
                       districts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every budget line as the document states it, a subtotal per project (computed) and a grand total."""
    if lines.empty:
        return pd.DataFrame()
    with_district = bool(lines["district_code"].fillna("").astype(bool).any())
    groups = report_data.budget_groups(lines, projects, totals).set_index("group")
    keyed = lines.assign(group=lines.apply(report_data.group_key, axis=1), line_total=report_data.line_totals(lines))
    rows = []
    for group, part in keyed.groupby("group", sort=False):
        rows.extend(_budget_line_row(line, districts, with_district) for line in part.itertuples())
        rows.append(_budget_sum_row(f"Cộng: {groups.loc[group, 'label']} (tính từ các dòng)", groups.loc[[group]], with_district))
    rows.append(_budget_sum_row(f"Tổng cộng năm {int(lines['year'].iloc[0])} (tính từ các dòng)", groups, with_district))
    table = pd.DataFrame(rows)
    unused = [c for c in ("Dự án", "Tiểu dự án") if not table[c].astype(bool).any()]
    return table.drop(columns=unused)


def _budget_line_row(line, districts: pd.DataFrame | None, with_district: bool) -> dict:
    """One line: sources as stated ("–" when the document does not split it), total and how it was read."""
    stated_sources = [getattr(line, col) for col in report_data.SOURCE_COLUMNS.values()]
    if pd.isna(line.total_mvnd):
        note = "Văn bản không nêu tổng; tổng = cộng các nguồn"
    elif all(pd.isna(v) for v in stated_sources):
        note = "Văn bản chỉ nêu tổng, không chia theo nguồn"
    else:
        note = ""
    row = {"Mã dòng": line.line_id, "Dự án": _text(line.project_code), "Tiểu dự án": _text(line.subproject_code),
           "Nội dung": _text(line.label)}
    if with_district:
        row["Huyện"] = report_data.district_names(districts, line.district_code) if districts is not None else _text(line.district_code)
    row["Loại vốn"] = schema.CAPITAL_TYPE_LABELS.get(line.capital_type, line.capital_type)
    row.update({SOURCE_HEADERS[s]: number(getattr(line, col)) for s, col in report_data.SOURCE_COLUMNS.items()})
    row[TOTAL_HEADER] = number(line.line_total)
    row["Ghi chú"] = note
    return row


def _budget_sum_row(label: str, groups: pd.DataFrame, with_district: bool) -> dict:
    """A computed subtotal or total row over budget groups."""
    row = {"Mã dòng": "", "Dự án": "", "Tiểu dự án": "", "Nội dung": label}
    if with_district:
        row["Huyện"] = ""
    row["Loại vốn"] = ""
    row.update({SOURCE_HEADERS[s]: number(groups[s].sum(min_count=1)) for s in report_data.SOURCE_COLUMNS})
    row[TOTAL_HEADER] = number(groups["total"].sum())
    unsplit = groups["unsplit"].sum()
    row["Ghi chú"] = f"Trong đó {number(unsplit)} triệu đồng không chia theo nguồn" if unsplit else ""
    return row


def budget_subtotal_rows(table: pd.DataFrame) -> pd.Series:
    """Which rows of budget_lines_table are computed (sub)totals, to set them in bold."""
    return table["Mã dòng"].eq("") if not table.empty else pd.Series(dtype=bool)


def capital_split_table(totals: pd.DataFrame, year: int) -> pd.DataFrame:
    """Investment (ĐTPT) vs recurrent (sự nghiệp) by funding source as stated; the column sums are computed."""
    split = report_data.capital_split(totals, year)
    if split.empty:
        return pd.DataFrame()
    headers = {"dtpt": f"Đầu tư phát triển {MONEY}", "su_nghiep": f"Sự nghiệp {MONEY}", "all": f"Tổng theo văn bản {MONEY}"}
    rows = [{"Nguồn vốn": schema.FUNDING_SOURCE_LABELS[s], **{headers[c]: number(split.loc[s, c]) for c in headers}}
            for s in split.index]
    root_total = totals[(totals["node_id"] == str(year)) & (totals["funding_source"] == "total") & (totals["capital_type"] == "all")]
    rows.append({
        "Nguồn vốn": "Tổng các nguồn",
        headers["dtpt"]: computed(split["dtpt"].sum(min_count=1)),
        headers["su_nghiep"]: computed(split["su_nghiep"].sum(min_count=1)),
        headers["all"]: number(root_total["amount_mvnd"].iloc[0]) if not root_total.empty else computed(split["all"].sum(min_count=1)),
    })
    return pd.DataFrame(rows)


def stated_totals_table(totals: pd.DataFrame) -> pd.DataFrame:
    """Every total exactly as the document states it (kept apart from the lines)."""
    if totals.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Mã": totals["total_id"],
        "Nội dung (theo văn bản)": totals["label"].map(_text),
        "Nút": totals["node_id"],
        "Nguồn vốn": totals["funding_source"].map(schema.FUNDING_SOURCE_LABELS),
        "Loại vốn": totals["capital_type"].map(schema.CAPITAL_TYPE_LABELS),
        f"Số tiền {MONEY}": totals["amount_mvnd"].map(number),
        "Mục văn bản": totals["section"].map(_text),
    })


# --- targets, poverty, policies ------------------------------------------------------------------


def targets_table(targets: pd.DataFrame, districts: pd.DataFrame, poverty: bool) -> pd.DataFrame:
    """Plan targets: poverty-reduction targets (no project) or the physical targets of each project."""
    if targets.empty:
        return pd.DataFrame()
    has_project = targets["project_code"].fillna("").astype(bool)
    chosen = targets[~has_project if poverty else has_project]
    if chosen.empty:
        return pd.DataFrame()
    table = pd.DataFrame({
        "Dự án": chosen["project_code"].map(_text),
        "Tiểu dự án": chosen["subproject_code"].map(_text),
        "Chỉ tiêu": chosen["indicator"].map(_text),
        "Giá trị (kế hoạch)": [qualified(v, q) for v, q in zip(chosen["value"], chosen["qualifier"])],
        "Đơn vị": chosen["unit"].map(_text),
        "Huyện được nêu": chosen["district_codes"].map(lambda c: report_data.district_names(districts, c)),
        "Mục văn bản": chosen["section"].map(_text),
    })
    if poverty:
        table = table.drop(columns=["Dự án", "Tiểu dự án"])
    if not table["Huyện được nêu"].astype(bool).any():
        table = table.drop(columns=["Huyện được nêu"])
    return table.reset_index(drop=True)


def poverty_series_table(series: pd.DataFrame) -> pd.DataFrame:
    """The poverty series behind the trend chart: every value with its standard, kind, confidence and source."""
    values = _in_display_order(report_data.poverty_values(series))
    if values.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Năm": values["year"].astype(int).astype(str),
        "Chuẩn nghèo": values["standard"].map(schema.STANDARD_LABELS),
        "Chỉ tiêu": values["indicator"].map(schema.INDICATOR_LABELS),
        "Giá trị": [by_unit(v, u) for v, u in zip(values["value"], values["unit"])],
        "Đơn vị": values["unit"].map(_text),
        "Loại giá trị": values["value_kind"].map(value_kind),
        "Độ tin cậy": values["confidence"].map(_text),
        "Nguồn": values["source"].map(_text),
    }).reset_index(drop=True)


def _in_display_order(values: pd.DataFrame) -> pd.DataFrame:
    """Poverty values by year, then the older standard first, then indicators in the dictionary's order."""
    standards = {code: i for i, code in enumerate(schema.STANDARD_LABELS)}
    indicators = {code: i for i, code in enumerate(schema.INDICATOR_LABELS)}
    keys = values.assign(_s=values["standard"].map(standards), _i=values["indicator"].map(indicators))
    return keys.sort_values(["year", "_s", "_i"], kind="stable").drop(columns=["_s", "_i"]).reset_index(drop=True)


def policy_results_table(policy: pd.DataFrame) -> pd.DataFrame:
    """Results of each poverty policy with the period it covers and the document's qualifier ("trên 35.000")."""
    if policy.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Lĩnh vực": policy["policy_area"].map(_text),
        "Chỉ tiêu": policy["indicator"].map(_text),
        "Nhóm đối tượng": policy["target_group"].map(_text),
        "Giá trị": [qualified(v, q) for v, q in zip(policy["value"], policy["qualifier"])],
        "Đơn vị": policy["unit"].map(_text),
        "Kỳ số liệu": policy["period"].map(_text),
        "Ghi chú": policy["same_as"].map(lambda s: f"Cùng đại lượng với {s} (xem phần đối chiếu)" if _text(s) else ""),
    })


def credit_table(policy: pd.DataFrame) -> pd.DataFrame:
    """Preferential credit by household group; the last row adds the groups up (computed)."""
    credit = report_data.credit_by_group(policy)
    if credit.empty:
        return pd.DataFrame()
    rows = [{"Nhóm hộ": g.group, "Số hộ được vay (hộ)": number(g.households),
             f"Doanh số cho vay {MONEY}": number(g.amount_mvnd), "Kỳ số liệu": g.period} for g in credit.itertuples()]
    rows.append({"Nhóm hộ": "Cộng các nhóm (tính)", "Số hộ được vay (hộ)": number(credit["households"].sum(min_count=1)),
                 f"Doanh số cho vay {MONEY}": number(credit["amount_mvnd"].sum(min_count=1)), "Kỳ số liệu": ""})
    return pd.DataFrame(rows)


# --- data quality and provenance -----------------------------------------------------------------


def transcription_table(check: pd.DataFrame) -> pd.DataFrame:
    """How many transcribed rows were found in the document under their section, per raw table."""
    if check.empty:
        return pd.DataFrame()
    complete = (check["rows_found"] == check["rows_checked"]) & (check["document_amounts_covered"] == check["document_amounts"])
    return pd.DataFrame({
        "Bảng": check["table"],
        "Số dòng đã kiểm": check["rows_checked"].map(number),
        "Số dòng tìm thấy trong văn bản": check["rows_found"].map(number),
        "Số khoản tiền văn bản nêu": check["document_amounts"].map(number),
        "Số khoản tiền có dòng tương ứng": check["document_amounts_covered"].map(number),
        "Kết quả": complete.map({True: "Đủ", False: "⚠ Thiếu"}),
    })


def gx_summary_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per table: expectations checked, passed and failed."""
    if results.empty:
        return pd.DataFrame()
    ok = results["success"].astype(bool)
    summary = results.assign(ok=ok).groupby("table", sort=True)["ok"].agg(["size", "sum"])
    return pd.DataFrame({
        "Bảng": summary.index,
        "Số kỳ vọng": summary["size"].map(number),
        "Đạt": summary["sum"].map(number),
        "Không đạt": (summary["size"] - summary["sum"]).map(number),
    }).reset_index(drop=True)


def gx_failures_table(results: pd.DataFrame) -> pd.DataFrame:
    """Every failed expectation with its failing rows (empty when all passed)."""
    if results.empty:
        return pd.DataFrame()
    failed = results[~results["success"].astype(bool)]
    if failed.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Bảng": failed["table"],
        "Kỳ vọng": failed["expectation_type"],
        "Cột": failed["column"].map(_text),
        "Số giá trị sai": failed["unexpected_count"].map(number),
        "Dòng lỗi": failed["failing_rows"].map(_text),
        "Mô tả": failed["description"].map(_text),
    }).reset_index(drop=True)


def reconciliation_table(rec: pd.DataFrame) -> pd.DataFrame:
    """Every reconciliation finding (report year first): stated value, sum of parts, gap, status and explanation."""
    if rec.empty:
        return pd.DataFrame()
    undecided = rec["status"].eq("undeterminable") & rec["compared_value"].isna()
    return pd.DataFrame({
        "Năm": rec["year"].astype(int).astype(str),
        "Nội dung đối chiếu": rec["subject"].map(_text),
        "Đơn vị": rec["unit"].map(_text),
        "Theo văn bản": [by_unit(v, u) for v, u in zip(rec["stated_value"], rec["unit"])],
        "Cộng các phần / số so sánh": [
            "không xác định được" if u else by_unit(v, unit) for v, unit, u in zip(rec["compared_value"], rec["unit"], undecided)
        ],
        "Chênh lệch": [by_unit(v, u) for v, u in zip(rec["gap"], rec["unit"])],
        "Trạng thái": rec["status"].map(lambda s: STATUS_LABELS.get(s, s)),
        "Giải thích": rec["explanation"].map(_text),
        "Mục văn bản": rec["sections"].map(_text),
    }).reset_index(drop=True)


def reconciliation_flags(rec: pd.DataFrame) -> pd.Series:
    """Rows to highlight: gaps and warnings."""
    return rec["status"].isin(FLAGGED_STATUSES).reset_index(drop=True) if not rec.empty else pd.Series(dtype=bool)


def district_flags_table(data: ReportData) -> pd.DataFrame:
    """The district's poor-district status in each programme period (only for district reports)."""
    if data.district is None:
        return pd.DataFrame()
    d = data.district
    row = data.districts[data.districts["district_code"] == d.code].iloc[0]
    yes_no = {True: "Có", False: "Không"}
    return pd.DataFrame({
        "Giai đoạn": ["2016–2020", "2021–2025"],
        "Huyện nghèo": [yes_no[d.poor_2016_2020], yes_no[d.poor_2021_2025]],
        "Nguồn": [_text(row["source_poor_flags"])] * 2,
    })


def raw_inputs_table(raw_inputs: pd.DataFrame) -> pd.DataFrame:
    """sha256 of every raw input file, so a reader can check the report was made from these files."""
    if raw_inputs.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Tệp (data/raw)": raw_inputs["file"],
        "Kích thước (byte)": raw_inputs["bytes"].map(number),
        "SHA-256": raw_inputs["sha256"],
    })


def generation_date(environ: dict | None = None) -> str:
    """dd/mm/yyyy (UTC) from SOURCE_DATE_EPOCH, never the clock; empty when the variable is not set."""
    epoch = (environ if environ is not None else os.environ).get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        return ""
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%d/%m/%Y")


def provenance_table(data: ReportData, code_commit: str, environ: dict | None = None) -> pd.DataFrame:
    """Report parameters, code commit, software versions and (when given) the SOURCE_DATE_EPOCH date."""
    district = f"{data.district.code} – {data.district.name} ({data.district.slug})" if data.district else "Toàn tỉnh"
    rows = [
        ("Báo cáo", report_title(data)),
        ("Tham số: năm (year)", str(data.year)),
        ("Tham số: huyện (district)", district),
        ("Mã nguồn (git commit)", code_commit),
        ("Phần mềm", f"Python {platform.python_version()}, pandas {pd.__version__}, matplotlib {matplotlib.__version__}"),
        ("Dữ liệu đọc từ", "data/processed/ (bảng parquet đã kiểm định)"),
    ]
    date = generation_date(environ)
    if date:
        rows.append(("Ngày tạo (theo SOURCE_DATE_EPOCH)", date))
    return pd.DataFrame(rows, columns=["Thông tin", "Giá trị"])


# --- HTML ----------------------------------------------------------------------------------------


def to_html(table: pd.DataFrame, table_id: str, highlight: pd.Series | None = None,
            bold: pd.Series | None = None) -> str:
    """HTML of a display table: escaped, no index, fixed id, classes instead of inline styles.

    Written directly rather than with a pandas Styler (which gives every cell an id and a CSS rule): the
    report's stylesheet right-aligns numeric columns (class "num"), tints highlighted rows ("highlight")
    and bolds bold ones ("strong"), so the same table is the same bytes on every run and a third of the
    size. The table sits in a labelled container that scrolls sideways on screen when it is wide.
    `highlight` and `bold` are row masks in the table's row order.
    """
    numeric = [_numeric_column(table[column]) for column in table.columns]
    head = "".join(_cell("th", column, is_num, ' scope="col"') for column, is_num in zip(table.columns, numeric))
    rows = [
        f"<tr{row_class}>" + "".join(_cell("td", value, is_num) for value, is_num in zip(values, numeric)) + "</tr>"
        for values, row_class in zip(table.itertuples(index=False, name=None), _row_classes(table, highlight, bold))
    ]
    from pipeline.report.workbook import CATALOGUE  # the table's name (workbook imports this module: no cycle at import)

    label = html.escape(CATALOGUE[table_id].name if table_id in CATALOGUE else table_id)
    return (f'<div class="table-wrap" role="region" tabindex="0" aria-label="{label}">\n'
            f'<table id="T_{html.escape(table_id)}">\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table>\n</div>\n")


def _numeric_column(values: pd.Series) -> bool:
    """Every cell a number as the report writes it (or empty), and at least one not empty."""
    cells = values.astype(str)
    return bool(cells.map(lambda v: v == "" or bool(_NUMERIC_CELL.match(v))).all() and cells.astype(bool).any())


def _cell(tag: str, value: object, numeric: bool, attributes: str = "") -> str:
    """One escaped <th>/<td>; numeric columns carry class "num"."""
    num = ' class="num"' if numeric else ""
    return f"<{tag}{attributes}{num}>{html.escape(str(value), quote=False)}</{tag}>"


def _row_classes(table: pd.DataFrame, highlight: pd.Series | None, bold: pd.Series | None) -> list[str]:
    """' class="…"' of each row ("strong", "highlight", both or none) from row masks of the table's length."""
    names = [[] for _ in range(len(table))]
    for argument, mask, name in (("bold", bold, "strong"), ("highlight", highlight, "highlight")):
        if mask is None:
            continue
        if len(mask) != len(table):
            raise ValueError(f"{argument} mask has {len(mask)} rows, the table {len(table)}")
        for row, flagged in zip(names, mask):
            if flagged:
                row.append(name)
    return [f' class="{" ".join(row)}"' if row else "" for row in names]
