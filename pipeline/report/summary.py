"""The top of every report: headline figures with status and source, a one-line data-quality verdict and the
table of contents; the index page shows the same headline figures for every report of the year.

A reader learns the few things that matter before scrolling: how many households are poor and near-poor,
how fast the poor rate fell against the plan's target, the year's budget, and whether the data passed
the gate. Every figure says what kind of number it is (STATUSES) and where it comes from.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from pipeline import schema
from pipeline.report import district_tables, report_data, tables, workbook
from pipeline.report.report_data import PROVINCE_CODE, ReportData
from pipeline.vn import format_vn_number

# What kind of number a figure is (official, plan, estimate, computed, projection, synthetic): the workbook's
# vocabulary, so a figure is labelled the same at the top of a report, in the index and in the XLSX.
STATUSES = workbook.STATUS_LABELS
# poverty_series value_kind -> status.
_SERIES_STATUS = {"official": "official", "derived": "computed", "target": "plan", "estimate": "estimate"}
# Headline keys in the order of the summary table and of the index's columns, with their index header.
HEADLINE_COLUMNS = {
    "poor": "Hộ nghèo",
    "near_poor": "Hộ cận nghèo",
    "poor_fall": "Giảm tỷ lệ nghèo so với kỳ trước",
    "m0": "M0",
    "published_poor_rate": "Tỷ lệ nghèo công bố",
    "budget": "Kinh phí theo kế hoạch",
}


@dataclass(frozen=True)
class Headline:
    key: str  # one of HEADLINE_COLUMNS
    label: str
    value: str  # as printed: Vietnamese number formatting, small cells suppressed
    status: str  # one of STATUSES
    source: str


# --- headline figures ----------------------------------------------------------------------------


def headline_figures(data: ReportData) -> list[Headline]:
    """The report's headline figures, in HEADLINE_COLUMNS order; a figure without data is left out."""
    figures = _register_figures(data) + _published_figures(data) + _budget_figures(data)
    order = list(HEADLINE_COLUMNS)
    return sorted(figures, key=lambda figure: order.index(figure.key))


def _scope_name(data: ReportData) -> str:
    return data.district.name if data.district else "toàn tỉnh"


def _register_rows(data: ReportData) -> pd.DataFrame:
    """The scope's register aggregates, one row per review year up to the report's year."""
    code = data.district.code if data.district else PROVINCE_CODE
    rows = data.district_poverty
    return rows[(rows["district_code"] == code) & (rows["review_year"] <= data.year)].sort_values("review_year")


def _register_source(data: ReportData, year: int) -> str:
    files = f"data/raw/registers/{year}/ho_{data.district.code}_{year}.*" if data.district else f"data/raw/registers/{year}/"
    kind = "sổ giả lập, make sample-data" if data.synthetic_registers else files
    return f"Sổ rà soát hộ nghèo, hộ cận nghèo cuối năm {year}, {_scope_name(data)} ({kind})"


def _register_figures(data: ReportData) -> list[Headline]:
    rows = _register_rows(data)
    if rows.empty or rows["review_year"].iloc[-1] != data.year:
        return []
    row = rows.iloc[-1]
    status = "synthetic" if data.synthetic_registers else "computed"
    source = _register_source(data, data.year)
    count, share = district_tables.count, district_tables.rate_of
    figures = [
        Headline("poor", f"Hộ nghèo ({_scope_name(data)}, rà soát cuối năm {data.year})",
                 f"{count(row['poor_hh'])} hộ; {share(row['poor_rate_pct'], row['poor_hh'])} % trong {count(row['households'])} hộ",
                 status, source),
        Headline("near_poor", f"Hộ cận nghèo ({_scope_name(data)})",
                 f"{count(row['near_poor_hh'])} hộ; {share(row['near_poor_rate_pct'], row['near_poor_hh'])} %", status, source),
        Headline("m0", "Chỉ số nghèo đa chiều M0 = H × A (Alkire–Foster)", format_vn_number(row["af_m0"], 3), status,
                 source),
    ]
    fall = _poor_fall(data, rows)
    if fall is not None:
        figures.append(fall)
    return figures


def _poor_fall(data: ReportData, rows: pd.DataFrame) -> Headline | None:
    """Fall of the poor rate since the previous review, against the plan's yearly target."""
    if len(rows) < 2 or rows["review_year"].iloc[-2] != data.year - 1:
        return None
    previous, current = rows.iloc[-2], rows.iloc[-1]
    status = "synthetic" if data.synthetic_registers else "computed"
    label = f"Giảm tỷ lệ hộ nghèo so với rà soát cuối năm {data.year - 1}"
    if previous["standard"] != current["standard"]:
        return Headline("poor_fall", label, "đổi chuẩn nghèo: không so sánh được", status, _register_source(data, data.year))
    if min(previous["poor_hh"], current["poor_hh"]) < district_tables.SUPPRESS_BELOW:
        value = district_tables.SUPPRESSED
    else:
        value = f"{tables.rate(previous['poor_rate_pct'] - current['poor_rate_pct'])} điểm %"
    source = f"Tính từ sổ rà soát cuối năm {data.year - 1} và {data.year}"
    target = report_data.fall_target(data)
    if target is not None and value != district_tables.SUPPRESSED:
        fell = previous["poor_rate_pct"] - current["poor_rate_pct"]
        verdict = "đạt" if round(fell, 2) >= float(target["value"]) else "chưa đạt"
        value += f" (mục tiêu {tables.qualified(target['value'], target['qualifier'])} điểm %/năm: {verdict})"
        source += f"; mục tiêu: {tables.PLAN_DOCUMENT}, mục {target['section']}"
    return Headline("poor_fall", label, value, status, source)


def _published_figures(data: ReportData) -> list[Headline]:
    """The province's published poor rate of the year (province report only)."""
    if data.district is not None or data.poverty_series.empty:
        return []
    series = data.poverty_series
    chosen = series[(series["year"] == data.year) & (series["indicator"] == "poor_rate_pct")]
    if chosen.empty:
        return []
    # The newest standard first (end-2021: the NĐ 07 baseline, not the QĐ 59 plan figure), then the firmest kind.
    newest = {code: -i for i, code in enumerate(schema.POVERTY_STANDARDS.values())}
    firmest = {kind: i for i, kind in enumerate(("official", "estimate", "derived", "target"))}
    row = chosen.assign(_s=chosen["standard"].map(newest), _k=chosen["value_kind"].map(firmest)).sort_values(
        ["_s", "_k"], kind="stable").iloc[0]
    standard = schema.STANDARD_LABELS.get(row["standard"], row["standard"])
    status = _SERIES_STATUS.get(row["value_kind"], "computed")
    return [Headline("published_poor_rate", f"Tỷ lệ hộ nghèo toàn tỉnh năm {data.year} đã công bố (chuẩn {standard})",
                     f"{tables.rate(row['value'])} %", status, tables._text(row["source"]))]


def _budget_figures(data: ReportData) -> list[Headline]:
    """The year's budget: the total the plan states (province) or the sum of the lines naming the district."""
    if data.district is None:
        totals = data.stated_totals
        root = totals[(totals["node_id"] == str(data.year)) & (totals["funding_source"] == "total")
                      & (totals["capital_type"] == "all")] if not totals.empty else totals
        if root.empty:
            return []
        row = root.iloc[0]
        return [Headline("budget", f"Tổng kinh phí năm {data.year} (mọi nguồn, theo kế hoạch)",
                         f"{tables.number(row['amount_mvnd'])} triệu đồng", "plan",
                         f"{tables.PLAN_DOCUMENT}, mục {row['section']}")]
    if data.budget_lines.empty:
        return []
    total = report_data.line_totals(data.budget_lines).sum()
    sections = ", ".join(sorted(set(data.budget_lines["section"].astype(str))))
    return [Headline("budget", f"Kinh phí năm {data.year} của các dòng kế hoạch nêu tên {data.district.name}",
                     f"{tables.number(total)} triệu đồng ({tables.number(len(data.budget_lines))} dòng)", "plan",
                     f"{tables.PLAN_DOCUMENT}, mục {sections}; cộng các dòng (tính)")]


def headline_table(figures: list[Headline]) -> pd.DataFrame:
    """The summary table of a report: figure, value, status, source."""
    return pd.DataFrame({
        "Chỉ tiêu": [f.label for f in figures],
        "Giá trị": [f.value for f in figures],
        "Loại số liệu": [STATUSES[f.status] for f in figures],
        "Nguồn": [f.source for f in figures],
    })


# --- data-quality verdict ------------------------------------------------------------------------


def quality_verdict(data: ReportData) -> str:
    """One line: gate result, reconciliation gaps of the year (province report) and audit findings."""
    results = data.validation_results
    failed = int((~results["success"].astype(bool)).sum()) if not results.empty else 0
    parts = [f"kiểm định GX {'đạt' if failed == 0 else 'KHÔNG ĐẠT'} ({tables.number(len(results) - failed)}/"
             f"{tables.number(len(results))} kỳ vọng)"]
    if data.district is None:
        rec = data.reconciliation
        gaps = rec[(rec["year"] == data.year) & rec["status"].isin(tables.FLAGGED_STATUSES)] if not rec.empty else rec
        parts.append(f"{tables.number(len(gaps))} chênh lệch hoặc cảnh báo khi đối chiếu số liệu năm {data.year} của văn bản")
    if not data.district_poverty.empty:
        households = data.register_audit["household_key"].nunique() if not data.register_audit.empty else 0
        parts.append(f"{tables.number(households)} hộ vi phạm quy tắc trong sổ rà soát năm {data.year}")
    return "Chất lượng dữ liệu: " + "; ".join(parts) + "."


# --- sections and table of contents ---------------------------------------------------------------


def sections(data: ReportData) -> dict[str, str]:
    """anchor -> heading of every top-level section the report shows, in order (the notebook shows exactly these)."""
    has_register = not data.district_poverty.empty and data.year in set(data.district_poverty["review_year"])
    if data.district is not None:
        name = data.district.name
        chosen = {"so-lieu-huyen": f"Số liệu của {name}"}
        if has_register:
            chosen["so-sanh"] = "So sánh với toàn tỉnh và các huyện khác"
        chosen["ke-hoach-huyen"] = f"Kế hoạch năm {data.year} nêu tên {name}"
        chosen["chat-luong"] = f"Chất lượng dữ liệu của {name}"
        chosen["nguon-goc"] = "Nguồn gốc báo cáo"
        return chosen
    chosen = {"ket-qua-giam-ngheo": "Kết quả giảm nghèo và mục tiêu"}
    if has_register:
        chosen["theo-huyen"] = f"Nghèo đa chiều theo huyện (sổ rà soát năm {data.year})"
    chosen["kinh-phi"] = "Kinh phí"
    if not tables.targets_table(data.plan_targets, data.districts, poverty=False).empty:
        chosen["chi-tieu-du-an"] = f"Chỉ tiêu kế hoạch theo dự án năm {data.year}"
    if not data.policy_results.empty:
        chosen["chinh-sach"] = f"Kết quả thực hiện các chính sách giảm nghèo năm {data.year} (toàn tỉnh)"
    if not data.poverty_series.empty:
        chosen["chuoi-so-lieu"] = "Tỷ lệ hộ nghèo qua các năm (toàn tỉnh)"
    chosen["chat-luong"] = "Chất lượng dữ liệu"
    chosen["nguon-goc"] = "Nguồn gốc báo cáo"
    return chosen


def heading_html(toc: dict[str, str], anchor: str) -> str:
    """A section heading with the anchor the table of contents links to."""
    return f'<h2 id="{anchor}">{html.escape(toc[anchor])}</h2>'


def toc_html(toc: dict[str, str]) -> str:
    """The table of contents: one link per section."""
    items = "".join(f'<li><a href="#{anchor}">{html.escape(title)}</a></li>' for anchor, title in toc.items())
    return f'<nav class="toc" aria-label="Mục lục"><p><b>Mục lục</b></p><ol>{items}</ol></nav>'


def verdict_html(data: ReportData) -> str:
    return f'<p class="verdict">{html.escape(quality_verdict(data))}</p>'
