"""Display tables and charts of the household-register sections (districts, deprivations, flows, audit).

Published tables suppress small cells: a count of fewer than SUPPRESS_BELOW households is shown as
"<10", and so is any rate computed from it, so no small group of households can be singled out.
"""
from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from pipeline import schema
from pipeline.report import charts, report_data, tables
from pipeline.report.report_data import PROVINCE_CODE, ReportData
from pipeline.report.tables import number, rate
from pipeline.vn import format_vn_number

SUPPRESS_BELOW = 10
SUPPRESSED = f"<{SUPPRESS_BELOW}"
FLOW_LABELS = {
    "poor_start": "Hộ nghèo đầu kỳ", "poor_to_near_poor": "Thoát nghèo, thành cận nghèo",
    "poor_exited": "Thoát nghèo, vượt chuẩn cận nghèo", "poor_left": "Không còn trong sổ (chuyển đi, tách, nhập…)",
    "near_poor_to_poor": "Từ cận nghèo thành nghèo", "re_poor": "Tái nghèo", "new_poor": "Phát sinh nghèo mới",
    "new_household_poor": "Hộ mới có trong sổ, là hộ nghèo", "poor_end": "Hộ nghèo cuối kỳ",
}


def count(value: object) -> str:
    return SUPPRESSED if pd.notna(value) and value < SUPPRESS_BELOW else number(value)


def rate_of(value: object, base: object) -> str:
    return SUPPRESSED if pd.notna(base) and base < SUPPRESS_BELOW else rate(value)


def synthetic_notice_md(data: ReportData) -> str:
    if not data.synthetic_registers:
        return ""
    return ("**⚠ SỐ LIỆU TỔNG HỢP (SYNTHETIC), KHÔNG PHẢI SỐ LIỆU CHÍNH THỨC.** Số liệu cấp huyện, xã và hộ trong phần "
            "này được tính từ sổ rà soát giả lập (`make sample-data`) để chạy thử quy trình; chỉ tổng số hộ nghèo, cận "
            "nghèo toàn tỉnh năm 2021 và 2024 bằng số đã công bố, năm 2022–2023 là nội suy. Ô dưới "
            f"{SUPPRESS_BELOW} hộ được ẩn (ghi «{SUPPRESSED}»).")


def _year_rows(data: ReportData) -> pd.DataFrame:
    return data.district_poverty[data.district_poverty["review_year"] == data.year]


def comparison_table(data: ReportData) -> pd.DataFrame:
    """Every district of the year beside the province: households, poor and near-poor counts and rates, M0."""
    rows = _year_rows(data)
    if rows.empty:
        return pd.DataFrame()
    names = dict(zip(data.districts["district_code"], data.districts["district_name"]))
    flags = dict(zip(data.districts["district_code"], data.districts["poor_2021_2025" if data.year > 2020 else "poor_2016_2020"]))
    ordered = pd.concat([rows[rows["district_code"] != PROVINCE_CODE].sort_values("district_code"),
                         rows[rows["district_code"] == PROVINCE_CODE]])
    return pd.DataFrame({
        "Mã": ordered["district_code"],
        "Đơn vị": [names.get(c, "Toàn tỉnh") for c in ordered["district_code"]],
        "Huyện nghèo": ["Có" if flags.get(c) else ("" if c == PROVINCE_CODE else "Không") for c in ordered["district_code"]],
        "Số hộ": ordered["households"].map(count),
        "Hộ nghèo": ordered["poor_hh"].map(count),
        "Tỷ lệ nghèo (%)": [rate_of(r, n) for r, n in zip(ordered["poor_rate_pct"], ordered["poor_hh"])],
        "Hộ cận nghèo": ordered["near_poor_hh"].map(count),
        "Tỷ lệ cận nghèo (%)": [rate_of(r, n) for r, n in zip(ordered["near_poor_rate_pct"], ordered["near_poor_hh"])],
        "M0 (Alkire–Foster)": [format_vn_number(v, 3) for v in ordered["af_m0"]],
    }).reset_index(drop=True)


def comparison_highlight(table: pd.DataFrame, data: ReportData) -> pd.Series:
    """The province row of the comparison, and the report's own district."""
    return table["Mã"].eq(PROVINCE_CODE) | table["Mã"].eq(data.district.code if data.district else None)


def own_row(table: pd.DataFrame, data: ReportData) -> pd.DataFrame:
    """The district report's own row of the comparison."""
    return table[table["Mã"] == data.district.code].reset_index(drop=True)


def deprivation_table(data: ReportData) -> pd.DataFrame:
    """The 12 indicators for the report's district (or the province): shares deprived, censored, contribution to M0."""
    code = data.district.code if data.district else PROVINCE_CODE
    own = data.district_deprivation[data.district_deprivation["district_code"] == code]
    if own.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Chỉ số": own["indicator"].str.upper(),
        "Tên chỉ số": own["indicator_name"],
        "Hộ thiếu hụt": own["deprived_hh"].map(count),
        "Tỷ lệ thiếu hụt (%)": [rate_of(r, n) for r, n in zip(own["deprived_pct"], own["deprived_hh"])],
        "Thiếu hụt ở hộ nghèo đa chiều (%)": [rate_of(r, n) for r, n in zip(own["censored_pct"], own["censored_hh"])],
        "Đóng góp vào M0 (%)": own["contribution_pct"].map(rate),
    }).reset_index(drop=True)


def target_md(data: ReportData) -> str:
    """The plan's poor-rate fall target that applies to the scope, with its source (a province-wide target)."""
    target = report_data.fall_target(data)
    if target is None:
        return f"data/raw chưa có kế hoạch nào đến năm {data.year} nêu mục tiêu giảm tỷ lệ hộ nghèo."
    whom = "các huyện nghèo" if data.district is not None and data.district.poor_2021_2025 else "toàn tỉnh"
    where = f" (chỉ tiêu chung của tỉnh, xem [báo cáo toàn tỉnh]({tables.PROVINCE_REPORT_LINK}))" if data.district else ""
    return (f"Mục tiêu của kế hoạch cho {whom}: {target['indicator']} **{tables.qualified(target['value'], target['qualifier'])} "
            f"{target['unit']}** ({tables.PLAN_DOCUMENT}, mục {target['section']}){where}.")


def progress_table(data: ReportData) -> pd.DataFrame:
    """Poor rate per review year up to the report's year, and each year's fall against the plan's target.

    The target is read from plan_targets (the latest plan up to the year: 3 points a year for the province,
    5 for a poor district in the 2022 plan, B.II.2); without a plan the target column says so.
    """
    code = data.district.code if data.district else PROVINCE_CODE
    rows = data.district_poverty[(data.district_poverty["district_code"] == code)
                                 & (data.district_poverty["review_year"] <= data.year)].sort_values("review_year")
    if rows.empty:
        return pd.DataFrame()
    target_row = report_data.fall_target(data)
    target = None if target_row is None else float(target_row["value"])
    falls = -rows["poor_rate_pct"].diff()
    standard_changed = rows["standard"].ne(rows["standard"].shift())
    verdicts = []
    for position, (fall, changed) in enumerate(zip(falls, standard_changed)):
        if position == 0:
            verdicts.append("")
        elif changed:
            verdicts.append("đổi chuẩn nghèo: không so sánh được")
        elif target is None:
            verdicts.append("không có mục tiêu trong kế hoạch")
        else:
            verdicts.append("đạt" if fall >= target else "chưa đạt")
    target_text = "" if target is None else f"{rate(target)} (kế hoạch năm {int(target_row['year'])}, mục {target_row['section']})"
    return pd.DataFrame({
        "Năm rà soát": rows["review_year"].astype(str),
        "Chuẩn nghèo": rows["standard"].map(schema.STANDARD_LABELS),
        "Tỷ lệ nghèo (%)": [rate_of(r, n) for r, n in zip(rows["poor_rate_pct"], rows["poor_hh"])],
        "Giảm so với năm trước (điểm %)": [rate(f) if i else "" for i, f in enumerate(falls)],
        "Mục tiêu giảm (điểm %/năm)": [target_text if i else "" for i in range(len(rows))],
        "Đánh giá": verdicts,
    })


def flows_table(data: ReportData) -> pd.DataFrame:
    """Diễn biến hộ nghèo from the previous review to this one (end = start − outflows + inflows)."""
    code = data.district.code if data.district else PROVINCE_CODE
    rows = data.district_flows[data.district_flows["district_code"] == code]
    if rows.empty:
        return pd.DataFrame()
    row = rows.iloc[0]
    return pd.DataFrame({"Diễn biến hộ nghèo": list(FLOW_LABELS.values()),
                         f"{int(row['previous_year'])} → {int(row['review_year'])}": [count(row[c]) for c in FLOW_LABELS]})


def audit_table(data: ReportData) -> pd.DataFrame:
    """Households breaking a rule, by rule and commune (district report) or by district (province report)."""
    audit = data.register_audit
    by = "commune_code"
    if data.district is not None:
        audit = audit[audit["district_code"] == data.district.code]
    else:
        by = "district_code"
    if audit.empty:
        return pd.DataFrame()
    counts = audit.groupby([by, "rule"])["household_key"].nunique().unstack(fill_value=0)
    counts = counts.reindex(columns=[r for r in schema.AUDIT_RULES if r in counts.columns])
    table = counts.rename(columns=schema.AUDIT_RULES).map(number).reset_index()
    return table.rename(columns={"commune_code": "Mã xã", "district_code": "Mã huyện"})


def comparison_chart(data: ReportData) -> Figure:
    """Poor rate of every district in the year, the province as a line, the report's own district in red."""
    rows = _year_rows(data)
    districts = rows[rows["district_code"] != PROVINCE_CODE].sort_values("poor_rate_pct")
    province = rows[rows["district_code"] == PROVINCE_CODE]["poor_rate_pct"]
    names = dict(zip(data.districts["district_code"], data.districts["district_name"]))
    title = f"Tỷ lệ hộ nghèo theo huyện, rà soát năm {data.year} (%)"
    fig = charts._figure(9.5, 3.6, f"Biểu đồ thanh ngang: {title}.")
    ax = fig.add_subplot()
    own = data.district.code if data.district else None
    ax.barh([names.get(c, c) for c in districts["district_code"]], districts["poor_rate_pct"],
            color=["#c0392b" if c == own else "#1f5f99" for c in districts["district_code"]])
    if not province.empty:
        ax.axvline(province.iloc[0], color="#333", linestyle="--", linewidth=1)
        ax.text(province.iloc[0], len(districts) - 0.4, f" Toàn tỉnh {rate(province.iloc[0])} %", fontsize=8, va="top")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    charts._vn_ticks(ax.xaxis, 0, " %")
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def deprivation_chart(data: ReportData) -> Figure:
    """Share of households deprived per indicator (the report's district, or the province)."""
    table = data.district_deprivation
    code = data.district.code if data.district else PROVINCE_CODE
    own = table[table["district_code"] == code].set_index("indicator")
    label = data.district.name if data.district else "Toàn tỉnh"
    title = f"Tỷ lệ hộ thiếu hụt theo 12 chỉ số, {label}, rà soát năm {data.year} (%)"
    fig = charts._figure(9.5, 3.8, f"Biểu đồ cột: {title}.")
    ax = fig.add_subplot()
    ax.bar(range(len(own)), own["deprived_pct"], width=0.6, color="#c0392b" if data.district else "#1f5f99")
    ax.set_xticks(list(range(len(own))), [i.upper() for i in own.index], fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    charts._vn_ticks(ax.yaxis, 0, " %")
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig

