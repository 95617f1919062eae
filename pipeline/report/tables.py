"""Display-ready tables and sentences for the annual report: headers and numbers in the report's edition.

Every function takes frames from pipeline.report.report_data and returns a new DataFrame of strings (or a
Markdown string), so the HTML report and the XLSX workbook show the very same cells (pipeline.report.workbook
turns each cell back into the number it shows). Labels come from the edition's catalogue
(pipeline/report/labels_vi.py, labels_en.py: `ed`; Vietnamese by default), numbers from its formatter (vi 1.234,5; en 1,234.5).
Units are in the headers ("(triệu đồng)") or, where rows differ, in an "Đơn vị" column. Non-official values
(derived, target, estimate) always carry their kind in words.
"""
from __future__ import annotations

import functools
import html
import os
import platform
import re
from datetime import datetime, timezone
from decimal import Decimal

import matplotlib
import pandas as pd

from pipeline import schema, sources
from pipeline.registers import files as register_files
from pipeline.report import report_data
from pipeline.report.edition import VI, Edition
from pipeline.report import glossary
from pipeline.report.report_data import ReportData
from pipeline.vn import nfc

MISSING = "–"
STATUS_KEYS = ("match", "gap", "undeterminable", "warning")  # reconciliation statuses, labels "status.<key>"
FLAGGED_STATUSES = ("gap", "warning")
SOURCE_KEYS = ("central", "local", "other")  # the funding-source columns, headers "col.source.<key>"


def computed_mark(ed: Edition = VI) -> str:
    """After a number the pipeline computed rather than read: "265.293 (tính)", "265,293 (computed)"."""
    return ed.t("mark.computed")


def plan_document(ed: Edition = VI) -> str:
    """The plan as every source line names it (pipeline/sources.py); kept in Vietnamese, glossed in English."""
    return ed.t("plan_document", plan=sources.PLAN.cite())


def province_report_link(data: ReportData) -> str:
    """Relative link from a district report to the province report of the same year and edition."""
    folder = report_data.report_stem(data.year, data.district, data.edition.suffix).parent
    return report_data.report_href(folder, data.year, None, data.edition.suffix)


def source_headers(ed: Edition = VI) -> dict[str, str]:
    """Funding source -> its money column header."""
    return {s: ed.t(f"col.source.{s}") for s in SOURCE_KEYS}


def total_header(ed: Edition = VI) -> str:
    return ed.t("col.total_money")


@functools.cache
def _numeric_cell(ed: Edition) -> re.Pattern:
    """Numbers, possibly qualified ("trên 35.000"), marked ("265.293 (tính)") or suppressed ("<10"): right-aligned in HTML."""
    qualifiers = "|".join(re.escape(ed.t(f"qualifier.{q}")) for q in ("about", "over", "at_least"))
    t, d = re.escape(ed.thousands), re.escape(ed.decimal)
    return re.compile(rf"^(({qualifiers}) )?-?\d{{1,3}}({t}\d{{3}})*({d}\d+)?( %)?( {re.escape(computed_mark(ed))})?$"
                      rf"|^{MISSING}$|^<\d+$")


# --- number and label formatting ---------------------------------------------------------------


def number(value: object, max_decimals: int = 3, ed: Edition = VI) -> str:
    """A number with only the decimals it needs: 466028.0 -> "466.028" (en "466,028"), 3.01 -> "3,01" ("3.01")."""
    if value is None or pd.isna(value):
        return MISSING
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-max_decimals)).normalize()
    return ed.format_number(float(value), max(0, -exact.as_tuple().exponent))


def computed(value: object, ed: Edition = VI) -> str:
    """A number the pipeline computed, marked so: 265293.0 -> "265.293 (tính)"."""
    return f"{number(value, ed=ed)} {computed_mark(ed)}"


def rate(value: object, ed: Edition = VI) -> str:
    """A percentage with two decimals, as the sources write rates: 7.88 -> "7,88" (en "7.88")."""
    return MISSING if value is None or pd.isna(value) else ed.format_number(float(value), 2)


def by_unit(value: object, unit: str, ed: Edition = VI) -> str:
    """Rates (%) with two decimals, everything else with the decimals it needs."""
    return rate(value, ed) if unit == "%" else number(value, ed=ed)


def qualified(value: object, qualifier: object, ed: Edition = VI) -> str:
    """The value as the document qualifies it: "trên 35.000", "khoảng 1.000", "từ 3" (en "over 35,000")."""
    code = qualifier if isinstance(qualifier, str) and qualifier in schema.QUALIFIER_LABELS else "exact"
    return f"{ed.t(f'qualifier.{code}')} {number(value, ed=ed)}".strip()


def value_kind(kind: str, ed: Edition = VI) -> str:
    """Value kind in words; anything but an official value says so."""
    label = ed.t(f"value_kind.{kind}") if kind in schema.VALUE_KIND_LABELS else kind
    return label if kind == "official" else ed.t("value_kind.not_official", label=label)


def funding_source(code: object, ed: Edition = VI) -> object:
    return ed.t(f"funding.{code}") if code in schema.FUNDING_SOURCE_LABELS else code


def capital_type(code: object, ed: Edition = VI) -> object:
    return ed.t(f"capital.{code}") if code in schema.CAPITAL_TYPE_LABELS else code


def standard(code: object, ed: Edition = VI) -> object:
    return ed.t(f"standard.{code}") if code in schema.STANDARD_LABELS else code


def indicator(code: object, ed: Edition = VI) -> object:
    return ed.t(f"indicator.{code}") if code in schema.INDICATOR_LABELS else code


def unit(value: object, ed: Edition = VI) -> str:
    """A unit as the documents write it ("hộ"), in the edition's words ("households"); an unknown one as it is."""
    text = _text(value)
    return ed.t(f"unit.{text}") if f"unit.{text}" in ed.labels else text


def _text(value: object) -> str:
    """Text cell: NFC, missing as empty."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else nfc(str(value))


# --- titles and notes ---------------------------------------------------------------------------


def report_title(data: ReportData) -> str:
    """The report's heading, also the HTML <title>."""
    ed = data.edition
    place = f"{data.district.name}, {ed.t('province')}" if data.district else ed.t("province")
    return ed.t("title.report", place=place, year=data.year)


def intro_md(data: ReportData) -> str:
    """Where the figures come from and how to read them."""
    return data.edition.t("md.intro", plan=plan_document(data.edition))


def district_note_md(data: ReportData) -> str:
    """How a district report is laid out, and where the province-wide tables are."""
    d, ed = data.district, data.edition
    return ed.t("md.district_note", name=d.name, code=d.code, link=province_report_link(data))


def budget_summary_md(data: ReportData) -> str:
    """The year's total as stated, by funding source, next to the sum of the lines (district: its own lines)."""
    ed = data.edition
    groups = report_data.budget_groups(data.budget_lines, data.projects, data.stated_totals)
    lines_sum = number(groups["total"].sum(), ed=ed) if not groups.empty else MISSING
    link = province_report_link(data)
    if data.district is not None:
        if data.budget_lines.empty:
            return ed.t("md.budget_district_none", year=data.year, name=data.district.name, link=link)
        return ed.t("md.budget_district", year=data.year, name=data.district.name, sum=lines_sum,
                    lines=number(len(data.budget_lines), ed=ed), link=link)
    root = data.stated_totals[
        (data.stated_totals["node_id"] == str(data.year)) & (data.stated_totals["capital_type"] == "all")
    ] if not data.stated_totals.empty else data.stated_totals
    parts = [ed.t("md.budget_source", source=funding_source(row.funding_source, ed), amount=number(row.amount_mvnd, ed=ed))
             for row in root.itertuples()]
    stated = ("; ".join(parts) + ".") if parts else ed.t("md.budget_no_total")
    return ed.t("md.budget_province", year=data.year, stated=stated, sum=lines_sum)


def poverty_summary_md(data: ReportData) -> str:
    """Bullet list of the poverty figures of the year before and the report year, each with its kind."""
    ed = data.edition
    values = _in_display_order(report_data.poverty_values(data.poverty_series))
    chosen = values[values["year"].isin([data.year - 1, data.year])]
    bullets = []
    for (year, code), part in chosen.groupby(["year", "standard"], sort=False):
        items = [
            f"{indicator(r.indicator, ed)} **{by_unit(r.value, r.unit, ed)}** {unit(r.unit, ed)} "
            f"({value_kind(r.value_kind, ed).lower()})"
            for r in part.itertuples()
        ]
        bullets.append(ed.t("md.poverty_bullet", year=year, standard=standard(code, ed)) + "; ".join(items) + ".")
    return "\n".join(bullets) if bullets else ed.t("md.poverty_none", previous=data.year - 1, year=data.year)


def series_note_md(ed: Edition = VI) -> str:
    """Why the trend chart has two lines: two poverty standards."""
    return ed.t("md.series_note")


def district_register_files_table(data: ReportData) -> pd.DataFrame:
    """The district's register files of the year behind its figures, with their sha256."""
    ed = data.edition
    if data.district is None or data.register_inputs.empty:
        return pd.DataFrame()
    files = data.register_inputs[data.register_inputs["file"].str.contains(f"/{register_files.file_stem(data.district.code, data.year)}.", regex=False)]
    return pd.DataFrame({
        ed.t("col.raw_file"): files["file"],
        ed.t("col.rows"): files["rows"].map(lambda v: number(v, ed=ed)),
        "SHA-256": files["sha256"],
    }).reset_index(drop=True)


def province_quality_md(data: ReportData) -> str:
    """Where a district report's reader finds the province-wide checks."""
    return data.edition.t("md.province_quality", link=province_report_link(data))


def gate_page_md(data: ReportData) -> str:
    """Relative link to the gate's page (every expectation and its outcome) written next to the reports."""
    return data.edition.t("md.gate_page", href=data.gate_page_href)


def gx_status_md(results: pd.DataFrame, ed: Edition = VI) -> str:
    """One sentence: how many expectations passed (a report exists only once the gate has run)."""
    passed = int(results["success"].astype(bool).sum())
    failed = len(results) - passed
    verdict = ed.t("md.gx_all_passed") if failed == 0 else ed.t("md.gx_failed", failed=number(failed, ed=ed))
    return ed.t("md.gx_status", checked=number(len(results), ed=ed), tables=number(results["table"].nunique(), ed=ed),
                verdict=verdict)


def reconciliation_md(rec: pd.DataFrame, ed: Edition = VI) -> str:
    """Counts of findings by status, so a reader sees at once whether anything does not add up."""
    if rec.empty:
        return ed.t("md.reconciliation_none")
    counts = rec["status"].value_counts()
    parts = [f"{status_label(s, ed).lstrip('⚠ ').lower()}: {number(counts[s], ed=ed)}" for s in STATUS_KEYS if s in counts]
    return ed.t("md.reconciliation", count=number(len(rec), ed=ed), parts="; ".join(parts))


def status_label(status: str, ed: Edition = VI) -> str:
    """A reconciliation status in words ("⚠ Chênh lệch"); an unknown status as it is."""
    return ed.t(f"status.{status}") if status in STATUS_KEYS else status


# --- budget --------------------------------------------------------------------------------------


def budget_lines_table(lines: pd.DataFrame, projects: pd.DataFrame, totals: pd.DataFrame,
                       districts: pd.DataFrame | None = None, ed: Edition = VI) -> pd.DataFrame:
    """Every budget line as the document states it, a subtotal per project (computed) and a grand total."""
    if lines.empty:
        return pd.DataFrame()
    with_district = bool(lines["district_code"].fillna("").astype(bool).any())
    groups = report_data.budget_groups(lines, projects, totals).set_index("group")
    keyed = lines.assign(group=lines.apply(report_data.group_key, axis=1), line_total=report_data.line_totals(lines))
    rows = []
    for group, part in keyed.groupby("group", sort=False):
        rows.extend(_budget_line_row(line, districts, with_district, ed) for line in part.itertuples())
        label = groups.loc[group, "label"]
        if label == report_data.OTHER_CONTENTS:
            label = ed.t("budget.other_contents")
        rows.append(_budget_sum_row(ed.t("budget.subtotal", label=label), groups.loc[[group]], with_district, ed))
    rows.append(_budget_sum_row(ed.t("budget.total", year=int(lines["year"].iloc[0])), groups, with_district, ed))
    table = pd.DataFrame(rows)
    unused = [c for c in (ed.t("col.project"), ed.t("col.subproject")) if not table[c].astype(bool).any()]
    return table.drop(columns=unused)


def _budget_line_row(line, districts: pd.DataFrame | None, with_district: bool, ed: Edition) -> dict:
    """One line: sources as stated ("–" when the document does not split it), total and how it was read."""
    stated_sources = [getattr(line, col) for col in report_data.SOURCE_COLUMNS.values()]
    if pd.isna(line.total_mvnd):
        note = ed.t("budget.note_no_total")
    elif all(pd.isna(v) for v in stated_sources):
        note = ed.t("budget.note_total_only")
    else:
        note = ""
    row = {ed.t("col.line_id"): line.line_id, ed.t("col.project"): _text(line.project_code),
           ed.t("col.subproject"): _text(line.subproject_code), ed.t("col.content"): _text(line.label)}
    if with_district:
        row[ed.t("col.district")] = (report_data.district_names(districts, line.district_code) if districts is not None
                                     else _text(line.district_code))
    row[ed.t("col.capital_type")] = capital_type(line.capital_type, ed)
    headers = source_headers(ed)
    row.update({headers[s]: number(getattr(line, col), ed=ed) for s, col in report_data.SOURCE_COLUMNS.items()})
    row[total_header(ed)] = number(line.line_total, ed=ed)
    row[ed.t("col.note")] = note
    return row


def _budget_sum_row(label: str, groups: pd.DataFrame, with_district: bool, ed: Edition) -> dict:
    """A computed subtotal or total row over budget groups."""
    row = {ed.t("col.line_id"): "", ed.t("col.project"): "", ed.t("col.subproject"): "", ed.t("col.content"): label}
    if with_district:
        row[ed.t("col.district")] = ""
    row[ed.t("col.capital_type")] = ""
    headers = source_headers(ed)
    row.update({headers[s]: number(groups[s].sum(min_count=1), ed=ed) for s in report_data.SOURCE_COLUMNS})
    row[total_header(ed)] = number(groups["total"].sum(), ed=ed)
    unsplit = groups["unsplit"].sum()
    row[ed.t("col.note")] = ed.t("budget.note_unsplit", amount=number(unsplit, ed=ed)) if unsplit else ""
    return row


def budget_subtotal_rows(table: pd.DataFrame, ed: Edition = VI) -> pd.Series:
    """Which rows of budget_lines_table are computed (sub)totals, to set them in bold."""
    return table[ed.t("col.line_id")].eq("") if not table.empty else pd.Series(dtype=bool)


def capital_split_table(totals: pd.DataFrame, year: int, ed: Edition = VI) -> pd.DataFrame:
    """Investment (ĐTPT) vs recurrent (sự nghiệp) by funding source as stated; the column sums are computed."""
    split = report_data.capital_split(totals, year)
    if split.empty:
        return pd.DataFrame()
    headers = {c: ed.t(f"col.capital.{c}") for c in ("dtpt", "su_nghiep", "all")}
    source = ed.t("col.funding_source")
    rows = [{source: funding_source(s, ed), **{headers[c]: number(split.loc[s, c], ed=ed) for c in headers}}
            for s in split.index]
    root_total = totals[(totals["node_id"] == str(year)) & (totals["funding_source"] == "total") & (totals["capital_type"] == "all")]
    rows.append({
        source: ed.t("funding.total"),
        headers["dtpt"]: computed(split["dtpt"].sum(min_count=1), ed),
        headers["su_nghiep"]: computed(split["su_nghiep"].sum(min_count=1), ed),
        headers["all"]: (number(root_total["amount_mvnd"].iloc[0], ed=ed) if not root_total.empty
                         else computed(split["all"].sum(min_count=1), ed)),
    })
    return pd.DataFrame(rows)


def stated_totals_table(totals: pd.DataFrame, ed: Edition = VI) -> pd.DataFrame:
    """Every total exactly as the document states it (kept apart from the lines)."""
    if totals.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        ed.t("col.code"): totals["total_id"],
        ed.t("col.content_as_stated"): totals["label"].map(_text),
        ed.t("col.node"): totals["node_id"],
        ed.t("col.funding_source"): totals["funding_source"].map(lambda s: funding_source(s, ed)),
        ed.t("col.capital_type"): totals["capital_type"].map(lambda c: capital_type(c, ed)),
        ed.t("col.amount"): totals["amount_mvnd"].map(lambda v: number(v, ed=ed)),
        ed.t("col.section"): totals["section"].map(_text),
    })


# --- targets, poverty, policies ------------------------------------------------------------------


def targets_table(targets: pd.DataFrame, districts: pd.DataFrame, poverty: bool, ed: Edition = VI) -> pd.DataFrame:
    """Plan targets: poverty-reduction targets (no project) or the physical targets of each project."""
    if targets.empty:
        return pd.DataFrame()
    has_project = targets["project_code"].fillna("").astype(bool)
    chosen = targets[~has_project if poverty else has_project]
    if chosen.empty:
        return pd.DataFrame()
    named = ed.t("col.districts_named")
    table = pd.DataFrame({
        ed.t("col.project"): chosen["project_code"].map(_text),
        ed.t("col.subproject"): chosen["subproject_code"].map(_text),
        ed.t("col.indicator"): chosen["indicator"].map(_text),
        ed.t("col.value_plan"): [qualified(v, q, ed) for v, q in zip(chosen["value"], chosen["qualifier"])],
        ed.t("col.unit"): chosen["unit"].map(lambda u: unit(u, ed)),
        named: chosen["district_codes"].map(lambda c: report_data.district_names(districts, c)),
        ed.t("col.section"): chosen["section"].map(_text),
    })
    if poverty:
        table = table.drop(columns=[ed.t("col.project"), ed.t("col.subproject")])
    if not table[named].astype(bool).any():
        table = table.drop(columns=[named])
    return table.reset_index(drop=True)


def poverty_series_table(series: pd.DataFrame, ed: Edition = VI) -> pd.DataFrame:
    """The poverty series behind the trend chart: every value with its standard, kind, confidence and source."""
    values = _in_display_order(report_data.poverty_values(series))
    if values.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        ed.t("col.year"): values["year"].astype(int).astype(str),
        ed.t("col.standard"): values["standard"].map(lambda s: standard(s, ed)),
        ed.t("col.indicator"): values["indicator"].map(lambda i: indicator(i, ed)),
        ed.t("col.value"): [by_unit(v, u, ed) for v, u in zip(values["value"], values["unit"])],
        ed.t("col.unit"): values["unit"].map(lambda u: unit(u, ed)),
        ed.t("col.value_kind"): values["value_kind"].map(lambda k: value_kind(k, ed)),
        ed.t("col.confidence"): values["confidence"].map(_text),
        ed.t("col.source"): values["source"].map(_text),
    }).reset_index(drop=True)


def _in_display_order(values: pd.DataFrame) -> pd.DataFrame:
    """Poverty values by year, then the older standard first, then indicators in the dictionary's order."""
    standards = {code: i for i, code in enumerate(schema.STANDARD_LABELS)}
    indicators = {code: i for i, code in enumerate(schema.INDICATOR_LABELS)}
    keys = values.assign(_s=values["standard"].map(standards), _i=values["indicator"].map(indicators))
    return keys.sort_values(["year", "_s", "_i"], kind="stable").drop(columns=["_s", "_i"]).reset_index(drop=True)


def policy_results_table(policy: pd.DataFrame, ed: Edition = VI) -> pd.DataFrame:
    """Results of each poverty policy with the period it covers and the document's qualifier ("trên 35.000")."""
    if policy.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        ed.t("col.policy_area"): policy["policy_area"].map(_text),
        ed.t("col.indicator"): policy["indicator"].map(_text),
        ed.t("col.target_group"): policy["target_group"].map(_text),
        ed.t("col.value"): [qualified(v, q, ed) for v, q in zip(policy["value"], policy["qualifier"])],
        ed.t("col.unit"): policy["unit"].map(lambda u: unit(u, ed)),
        ed.t("col.period"): policy["period"].map(_text),
        ed.t("col.note"): policy["same_as"].map(lambda s: ed.t("policy.same_as", id=s) if _text(s) else ""),
    })


def credit_table(policy: pd.DataFrame, ed: Edition = VI) -> pd.DataFrame:
    """Preferential credit by household group; the last row adds the groups up (computed)."""
    credit = report_data.credit_by_group(policy)
    if credit.empty:
        return pd.DataFrame()
    group, households, amount, period = (ed.t(k) for k in ("col.household_group", "col.households_lent",
                                                           "col.amount_lent", "col.period"))
    rows = [{group: g.group, households: number(g.households, ed=ed), amount: number(g.amount_mvnd, ed=ed), period: g.period}
            for g in credit.itertuples()]
    rows.append({group: ed.t("credit.sum"), households: number(credit["households"].sum(min_count=1), ed=ed),
                 amount: number(credit["amount_mvnd"].sum(min_count=1), ed=ed), period: ""})
    return pd.DataFrame(rows)


# --- data quality and provenance -----------------------------------------------------------------


def transcription_table(check: pd.DataFrame, ed: Edition = VI) -> pd.DataFrame:
    """How many transcribed rows were found in the document under their section, per raw table."""
    if check.empty:
        return pd.DataFrame()
    complete = (check["rows_found"] == check["rows_checked"]) & (check["document_amounts_covered"] == check["document_amounts"])
    fmt = lambda v: number(v, ed=ed)  # noqa: E731
    return pd.DataFrame({
        ed.t("col.table"): check["table"],
        ed.t("col.rows_checked"): check["rows_checked"].map(fmt),
        ed.t("col.rows_found"): check["rows_found"].map(fmt),
        ed.t("col.document_amounts"): check["document_amounts"].map(fmt),
        ed.t("col.amounts_covered"): check["document_amounts_covered"].map(fmt),
        ed.t("col.result"): complete.map({True: ed.t("transcription.complete"), False: ed.t("transcription.missing")}),
    })


def gx_summary_table(results: pd.DataFrame, ed: Edition = VI) -> pd.DataFrame:
    """Per table: expectations checked, passed and failed."""
    if results.empty:
        return pd.DataFrame()
    ok = results["success"].astype(bool)
    summary = results.assign(ok=ok).groupby("table", sort=True)["ok"].agg(["size", "sum"])
    fmt = lambda v: number(v, ed=ed)  # noqa: E731
    return pd.DataFrame({
        ed.t("col.table"): summary.index,
        ed.t("col.expectations"): summary["size"].map(fmt),
        ed.t("col.passed"): summary["sum"].map(fmt),
        ed.t("col.failed"): (summary["size"] - summary["sum"]).map(fmt),
    }).reset_index(drop=True)


def gx_failures_table(results: pd.DataFrame, ed: Edition = VI) -> pd.DataFrame:
    """Every failed expectation with its failing rows (empty when all passed)."""
    if results.empty:
        return pd.DataFrame()
    failed = results[~results["success"].astype(bool)]
    if failed.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        ed.t("col.table"): failed["table"],
        ed.t("col.expectation"): failed["expectation_type"],
        ed.t("col.column"): failed["column"].map(_text),
        ed.t("col.unexpected"): failed["unexpected_count"].map(lambda v: number(v, ed=ed)),
        ed.t("col.failing_rows"): failed["failing_rows"].map(_text),
        ed.t("col.description"): failed["description"].map(_text),
    }).reset_index(drop=True)


def reconciliation_table(rec: pd.DataFrame, ed: Edition = VI) -> pd.DataFrame:
    """Every reconciliation finding (report year first): stated value, sum of parts, gap, status and explanation."""
    if rec.empty:
        return pd.DataFrame()
    undecided = rec["status"].eq("undeterminable") & rec["compared_value"].isna()
    return pd.DataFrame({
        ed.t("col.year"): rec["year"].astype(int).astype(str),
        ed.t("col.subject"): rec["subject"].map(_text),
        ed.t("col.unit"): rec["unit"].map(lambda u: unit(u, ed)),
        ed.t("col.as_stated"): [by_unit(v, u, ed) for v, u in zip(rec["stated_value"], rec["unit"])],
        ed.t("col.compared"): [
            ed.t("reconciliation.undeterminable") if u else by_unit(v, unit, ed)
            for v, unit, u in zip(rec["compared_value"], rec["unit"], undecided)
        ],
        ed.t("col.gap"): [by_unit(v, u, ed) for v, u in zip(rec["gap"], rec["unit"])],
        ed.t("col.status"): rec["status"].map(lambda s: status_label(s, ed)),
        ed.t("col.explanation"): rec["explanation"].map(_text),
        ed.t("col.section"): rec["sections"].map(_text),
    }).reset_index(drop=True)


def reconciliation_flags(rec: pd.DataFrame) -> pd.Series:
    """Rows to highlight: gaps and warnings."""
    return rec["status"].isin(FLAGGED_STATUSES).reset_index(drop=True) if not rec.empty else pd.Series(dtype=bool)


def district_flags_table(data: ReportData) -> pd.DataFrame:
    """The district's poor-district status in each programme period (only for district reports)."""
    if data.district is None:
        return pd.DataFrame()
    d, ed = data.district, data.edition
    row = data.districts[data.districts["district_code"] == d.code].iloc[0]
    yes_no = {True: ed.t("yes"), False: ed.t("no")}
    return pd.DataFrame({
        ed.t("col.period_programme"): ["2016–2020", "2021–2025"],
        ed.t("col.poor_district"): [yes_no[d.poor_2016_2020], yes_no[d.poor_2021_2025]],
        ed.t("col.source"): [_text(row["source_poor_flags"])] * 2,
    })


def raw_inputs_table(raw_inputs: pd.DataFrame, ed: Edition = VI) -> pd.DataFrame:
    """sha256 of every raw input file, so a reader can check the report was made from these files."""
    if raw_inputs.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        ed.t("col.raw_file"): raw_inputs["file"],
        ed.t("col.bytes"): raw_inputs["bytes"].map(lambda v: number(v, ed=ed)),
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
    ed = data.edition
    district = (f"{data.district.code} – {data.district.name} ({data.district.slug})" if data.district
                else ed.t("whole_province"))
    rows = [
        (ed.t("prov.report"), report_title(data)),
        (ed.t("prov.year"), str(data.year)),
        (ed.t("prov.district"), district),
    ]
    if ed.suffix:  # the Vietnamese record keeps its rows as ever; another edition says which it is
        rows.append((ed.t("prov.edition"), ed.code))
    rows += [
        (ed.t("prov.commit"), code_commit),
        (ed.t("prov.software"), f"Python {platform.python_version()}, pandas {pd.__version__}, matplotlib {matplotlib.__version__}"),
        (ed.t("prov.read_from"), ed.t("prov.processed")),
    ]
    date = generation_date(environ)
    if date:
        rows.append((ed.t("prov.date"), date))
    return pd.DataFrame(rows, columns=[ed.t("col.info"), ed.t("col.value")])


def glossary_table(ed: Edition) -> pd.DataFrame:
    """The programme's terms as Vietnamese documents write them, with their English gloss (pipeline/report/glossary.py)."""
    return pd.DataFrame(glossary.TERMS, columns=[ed.t("col.term_vi"), ed.t("col.term_gloss")])


# --- HTML ----------------------------------------------------------------------------------------


def to_html(table: pd.DataFrame, table_id: str, highlight: pd.Series | None = None,
            bold: pd.Series | None = None, ed: Edition = VI) -> str:
    """HTML of a display table: escaped, no index, fixed id, classes instead of inline styles.

    Written directly rather than with a pandas Styler (which gives every cell an id and a CSS rule): the
    report's stylesheet right-aligns numeric columns (class "num"), tints highlighted rows ("highlight")
    and bolds bold ones ("strong"), so the same table is the same bytes on every run and a third of the
    size. The table sits in a labelled container that scrolls sideways on screen when it is wide.
    `highlight` and `bold` are row masks in the table's row order.
    """
    numeric = [_numeric_column(table[column], ed) for column in table.columns]
    head = "".join(_cell("th", column, is_num, ' scope="col"') for column, is_num in zip(table.columns, numeric))
    rows = [
        f"<tr{row_class}>" + "".join(_cell("td", value, is_num) for value, is_num in zip(values, numeric)) + "</tr>"
        for values, row_class in zip(table.itertuples(index=False, name=None), _row_classes(table, highlight, bold))
    ]
    name = f"sheet.{table_id}.name"  # the table's name, as its workbook sheet is named
    label = html.escape(ed.t(name) if name in ed.labels else table_id)
    return (f'<div class="table-wrap" role="region" tabindex="0" aria-label="{label}">\n'
            f'<table id="T_{html.escape(table_id)}">\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table>\n</div>\n")


def _numeric_column(values: pd.Series, ed: Edition = VI) -> bool:
    """Every cell a number as the report writes it (or empty), and at least one not empty."""
    cells, pattern = values.astype(str), _numeric_cell(ed)
    return bool(cells.map(lambda v: v == "" or bool(pattern.match(v))).all() and cells.astype(bool).any())


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
