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
from pipeline.report.edition import VI, Edition
from pipeline.report.report_data import PROVINCE_CODE, ReportData
from pipeline.report.tables import number, rate

SUPPRESS_BELOW = 10
SUPPRESSED = f"<{SUPPRESS_BELOW}"
# Flows of poor households between two reviews, in table order (labels "flow.<key>").
FLOW_KEYS = ("poor_start", "poor_to_near_poor", "poor_exited", "poor_left", "near_poor_to_poor", "re_poor", "new_poor",
             "new_household_poor", "poor_end")


def count(value: object, ed: Edition = VI) -> str:
    return SUPPRESSED if pd.notna(value) and value < SUPPRESS_BELOW else number(value, ed=ed)


def rate_of(value: object, base: object, ed: Edition = VI) -> str:
    return SUPPRESSED if pd.notna(base) and base < SUPPRESS_BELOW else rate(value, ed)


def synthetic_notice_md(data: ReportData) -> str:
    if not data.synthetic_registers:
        return ""
    return data.edition.t("md.synthetic_notice", below=SUPPRESS_BELOW, suppressed=SUPPRESSED)


def _year_rows(data: ReportData) -> pd.DataFrame:
    return data.district_poverty[data.district_poverty["review_year"] == data.year]


def comparison_table(data: ReportData) -> pd.DataFrame:
    """Every district of the year beside the province: households, poor and near-poor counts and rates, M0."""
    rows, ed = _year_rows(data), data.edition
    if rows.empty:
        return pd.DataFrame()
    names = dict(zip(data.districts["district_code"], data.districts["district_name"]))
    flags = dict(zip(data.districts["district_code"], data.districts["poor_2021_2025" if data.year > 2020 else "poor_2016_2020"]))
    ordered = pd.concat([rows[rows["district_code"] != PROVINCE_CODE].sort_values("district_code"),
                         rows[rows["district_code"] == PROVINCE_CODE]])
    whole, yes, no = ed.t("whole_province"), ed.t("yes"), ed.t("no")
    return pd.DataFrame({
        ed.t("col.code"): ordered["district_code"],
        ed.t("col.unit_area"): [names.get(c, whole) for c in ordered["district_code"]],
        ed.t("col.poor_district"): [yes if flags.get(c) else ("" if c == PROVINCE_CODE else no) for c in ordered["district_code"]],
        ed.t("col.households"): ordered["households"].map(lambda v: count(v, ed)),
        ed.t("col.poor_hh"): ordered["poor_hh"].map(lambda v: count(v, ed)),
        ed.t("col.poor_rate"): [rate_of(r, n, ed) for r, n in zip(ordered["poor_rate_pct"], ordered["poor_hh"])],
        ed.t("col.near_poor_hh"): ordered["near_poor_hh"].map(lambda v: count(v, ed)),
        ed.t("col.near_poor_rate"): [rate_of(r, n, ed) for r, n in zip(ordered["near_poor_rate_pct"], ordered["near_poor_hh"])],
        "M0 (Alkire–Foster)": [ed.format_number(v, 3) for v in ordered["af_m0"]],
    }).reset_index(drop=True)


def comparison_highlight(table: pd.DataFrame, data: ReportData) -> pd.Series:
    """The province row of the comparison, and the report's own district."""
    codes = table[data.edition.t("col.code")]
    return codes.eq(PROVINCE_CODE) | codes.eq(data.district.code if data.district else None)


def own_row(table: pd.DataFrame, data: ReportData) -> pd.DataFrame:
    """The district report's own row of the comparison."""
    return table[table[data.edition.t("col.code")] == data.district.code].reset_index(drop=True)


def deprivation_table(data: ReportData) -> pd.DataFrame:
    """The 12 indicators for the report's district (or the province): shares deprived, censored, contribution to M0."""
    code, ed = data.district.code if data.district else PROVINCE_CODE, data.edition
    own = data.district_deprivation[data.district_deprivation["district_code"] == code]
    if own.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        ed.t("col.deprivation_code"): own["indicator"].str.upper(),
        ed.t("col.deprivation_name"): [ed.t(f"deprivation.{i}") if f"deprivation.{i}" in ed.labels else name
                                       for i, name in zip(own["indicator"], own["indicator_name"])],
        ed.t("col.deprived_hh"): own["deprived_hh"].map(lambda v: count(v, ed)),
        ed.t("col.deprived_pct"): [rate_of(r, n, ed) for r, n in zip(own["deprived_pct"], own["deprived_hh"])],
        ed.t("col.censored_pct"): [rate_of(r, n, ed) for r, n in zip(own["censored_pct"], own["censored_hh"])],
        ed.t("col.contribution_pct"): own["contribution_pct"].map(lambda v: rate(v, ed)),
    }).reset_index(drop=True)


def target_md(data: ReportData) -> str:
    """The plan's poor-rate fall target that applies to the scope, with its source (a province-wide target)."""
    target, ed = report_data.fall_target(data), data.edition
    if target is None:
        return ed.t("md.target_none", year=data.year)
    whom = ed.t("target.poor_districts") if data.district is not None and data.district.poor_2021_2025 else ed.t("target.province")
    where = ed.t("target.where", link=tables.province_report_link(data)) if data.district else ""
    return ed.t("md.target", whom=whom, indicator=target["indicator"], value=tables.qualified(target["value"], target["qualifier"], ed),
                unit=tables.unit(target["unit"], ed), plan=tables.plan_document(ed), section=target["section"], where=where)


def progress_table(data: ReportData) -> pd.DataFrame:
    """Poor rate per review year up to the report's year, and each year's fall against the plan's target.

    The target is read from plan_targets (the latest plan up to the year: 3 points a year for the province,
    5 for a poor district in the 2022 plan, B.II.2); without a plan the target column says so.
    """
    code, ed = data.district.code if data.district else PROVINCE_CODE, data.edition
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
            verdicts.append(ed.t("verdict.standard_changed"))
        elif target is None:
            verdicts.append(ed.t("verdict.no_target"))
        else:
            met = report_data.meets_fall_target(fall, target_row)
            verdicts.append(ed.t("verdict.met") if met else ed.t("verdict.not_met"))
    target_text = "" if target is None else ed.t("progress.target", rate=rate(target, ed), year=int(target_row["year"]),
                                                  section=target_row["section"])
    return pd.DataFrame({
        ed.t("col.review_year"): rows["review_year"].astype(str),
        ed.t("col.standard"): rows["standard"].map(lambda s: tables.standard(s, ed)),
        ed.t("col.poor_rate"): [rate_of(r, n, ed) for r, n in zip(rows["poor_rate_pct"], rows["poor_hh"])],
        ed.t("col.fall"): [rate(f, ed) if i else "" for i, f in enumerate(falls)],
        ed.t("col.fall_target"): [target_text if i else "" for i in range(len(rows))],
        ed.t("col.verdict"): verdicts,
    })


def flows_table(data: ReportData) -> pd.DataFrame:
    """Diễn biến hộ nghèo from the previous review to this one (end = start − outflows + inflows)."""
    code, ed = data.district.code if data.district else PROVINCE_CODE, data.edition
    rows = data.district_flows[data.district_flows["district_code"] == code]
    if rows.empty:
        return pd.DataFrame()
    row = rows.iloc[0]
    return pd.DataFrame({ed.t("col.flows"): [ed.t(f"flow.{c}") for c in FLOW_KEYS],
                         f"{int(row['previous_year'])} → {int(row['review_year'])}": [count(row[c], ed) for c in FLOW_KEYS]})


def audit_table(data: ReportData) -> pd.DataFrame:
    """Households breaking a rule, by rule and commune (district report) or by district (province report)."""
    audit, ed = data.register_audit, data.edition
    by = "commune_code"
    if data.district is not None:
        audit = audit[audit["district_code"] == data.district.code]
    else:
        by = "district_code"
    if audit.empty:
        return pd.DataFrame()
    counts = audit.groupby([by, "rule"])["household_key"].nunique().unstack(fill_value=0)
    counts = counts.reindex(columns=[r for r in schema.AUDIT_RULES if r in counts.columns])
    table = counts.rename(columns={r: ed.t(f"audit_rule.{r}") for r in counts.columns}).map(lambda v: number(v, ed=ed)).reset_index()
    return table.rename(columns={"commune_code": ed.t("col.commune_code"), "district_code": ed.t("col.district_code")})


def comparison_chart(data: ReportData) -> Figure:
    """Poor rate of every district in the year, the province as a line, the report's own district in red."""
    rows, ed = _year_rows(data), data.edition
    districts = rows[rows["district_code"] != PROVINCE_CODE].sort_values("poor_rate_pct")
    province = rows[rows["district_code"] == PROVINCE_CODE]["poor_rate_pct"]
    names = dict(zip(data.districts["district_code"], data.districts["district_name"]))
    title = ed.t("chart.comparison", year=data.year)
    fig = charts._figure(9.5, 3.6, ed.t("chart.alt_barh", title=title))
    ax = fig.add_subplot()
    own = data.district.code if data.district else None
    ax.barh([names.get(c, c) for c in districts["district_code"]], districts["poor_rate_pct"],
            color=["#c0392b" if c == own else "#1f5f99" for c in districts["district_code"]])
    if not province.empty:
        ax.axvline(province.iloc[0], color="#333", linestyle="--", linewidth=1)
        ax.text(province.iloc[0], len(districts) - 0.4, f" {ed.t('whole_province')} {rate(province.iloc[0], ed)} %",
                fontsize=8, va="top")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    charts._ticks(ax.xaxis, ed, 0, " %")
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def deprivation_chart(data: ReportData) -> Figure:
    """Share of households deprived per indicator (the report's district, or the province)."""
    table, ed = data.district_deprivation, data.edition
    code = data.district.code if data.district else PROVINCE_CODE
    own = table[table["district_code"] == code].set_index("indicator")
    label = data.district.name if data.district else ed.t("whole_province")
    title = ed.t("chart.deprivation", label=label, year=data.year)
    fig = charts._figure(9.5, 3.8, ed.t("chart.alt_bar", title=title))
    ax = fig.add_subplot()
    ax.bar(range(len(own)), own["deprived_pct"], width=0.6, color="#c0392b" if data.district else "#1f5f99")
    ax.set_xticks(list(range(len(own))), [i.upper() for i in own.index], fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    charts._ticks(ax.yaxis, ed, 0, " %")
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig

