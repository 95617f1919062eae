"""The top of every report: headline figures with status and source, a one-line data-quality verdict and the
table of contents; the index page shows the same headline figures for every report of the year.

A reader learns the few things that matter before scrolling: how many households are poor and near-poor,
how fast the poor rate fell against the plan's target, the year's budget, and whether the data passed
the gate. Every figure says what kind of number it is (workbook.status_labels) and where it comes from.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from pipeline import schema
from pipeline.registers import files as register_files
from pipeline.report import district_tables, report_data, tables, workbook
from pipeline.report.edition import Edition
from pipeline.report.report_data import PROVINCE_CODE, ReportData

# What kind of number a figure is (official, plan, estimate, computed, projection, synthetic): the workbook's
# vocabulary (workbook.status_labels), so a figure is labelled the same at the top of a report, in the index
# and in the XLSX.
# poverty_series value_kind -> status.
# Headline keys in the order of the summary table and of the index's columns (index header: "headline.<key>").
HEADLINE_KEYS = ("poor", "near_poor", "poor_fall", "m0", "published_poor_rate", "budget")


def headline_columns(ed: Edition) -> dict[str, str]:
    """Headline key -> the index's column header."""
    return {key: ed.t(f"headline.{key}") for key in HEADLINE_KEYS}


@dataclass(frozen=True)
class Headline:
    key: str  # one of HEADLINE_KEYS
    label: str
    value: str  # as printed: the edition's number formatting, small cells suppressed
    status: str  # a key of workbook.STATUS_KEYS
    source: str


# --- headline figures ----------------------------------------------------------------------------


def headline_figures(data: ReportData) -> list[Headline]:
    """The report's headline figures, in HEADLINE_KEYS order; a figure without data is left out."""
    figures = _register_figures(data) + _published_figures(data) + _budget_figures(data)
    order = list(HEADLINE_KEYS)
    return sorted(figures, key=lambda figure: order.index(figure.key))


def _scope_name(data: ReportData) -> str:
    return data.district.name if data.district else data.edition.t("target.province")


def _register_rows(data: ReportData) -> pd.DataFrame:
    """The scope's register aggregates, one row per review year up to the report's year."""
    code = data.district.code if data.district else PROVINCE_CODE
    rows = data.district_poverty
    return rows[(rows["district_code"] == code) & (rows["review_year"] <= data.year)].sort_values("review_year")


def _register_source(data: ReportData, year: int) -> str:
    files = f"data/raw/registers/{year}/{register_files.file_stem(data.district.code, year)}.*" if data.district else f"data/raw/registers/{year}/"
    kind = data.edition.t("headline.synthetic_registers") if data.synthetic_registers else files
    return data.edition.t("headline.register_source", year=year, scope=_scope_name(data), kind=kind)


def _register_figures(data: ReportData) -> list[Headline]:
    rows, ed = _register_rows(data), data.edition
    if rows.empty or rows["review_year"].iloc[-1] != data.year:
        return []
    row = rows.iloc[-1]
    status = "synthetic" if data.synthetic_registers else "computed"
    source = _register_source(data, data.year)

    def count(value):
        return district_tables.count(value, ed)

    def share(value, base):
        return district_tables.rate_of(value, base, ed)

    figures = [
        Headline("poor", ed.t("headline.poor_label", scope=_scope_name(data), year=data.year),
                 ed.t("headline.poor_value", poor=count(row["poor_hh"]), rate=share(row["poor_rate_pct"], row["poor_hh"]),
                      households=count(row["households"])),
                 status, source),
        Headline("near_poor", ed.t("headline.near_poor_label", scope=_scope_name(data)),
                 ed.t("headline.near_poor_value", near_poor=count(row["near_poor_hh"]),
                      rate=share(row["near_poor_rate_pct"], row["near_poor_hh"])), status, source),
        Headline("m0", ed.t("headline.m0_label"), ed.format_number(row["af_m0"], 3), status, source),
    ]
    fall = _poor_fall(data, rows)
    if fall is not None:
        figures.append(fall)
    return figures


def _poor_fall(data: ReportData, rows: pd.DataFrame) -> Headline | None:
    """Fall of the poor rate since the previous review, against the plan's yearly target."""
    if len(rows) < 2 or rows["review_year"].iloc[-2] != data.year - 1:
        return None
    previous, current, ed = rows.iloc[-2], rows.iloc[-1], data.edition
    status = "synthetic" if data.synthetic_registers else "computed"
    label = ed.t("headline.fall_label", previous=data.year - 1)
    if previous["standard"] != current["standard"]:
        return Headline("poor_fall", label, ed.t("verdict.standard_changed"), status, _register_source(data, data.year))
    if min(previous["poor_hh"], current["poor_hh"]) < district_tables.SUPPRESS_BELOW:
        value = district_tables.SUPPRESSED
    else:
        value = ed.t("headline.fall_value", fall=tables.rate(previous["poor_rate_pct"] - current["poor_rate_pct"], ed))
    source = ed.t("headline.fall_source", previous=data.year - 1, year=data.year)
    target = report_data.fall_target(data)
    if target is not None and value != district_tables.SUPPRESSED:
        fell = previous["poor_rate_pct"] - current["poor_rate_pct"]
        verdict = ed.t("verdict.met") if report_data.meets_fall_target(fell, target) else ed.t("verdict.not_met")
        value += ed.t("headline.fall_target", target=tables.qualified(target["value"], target["qualifier"], ed), verdict=verdict)
        source += ed.t("headline.fall_target_source", plan=tables.plan_document(ed), section=target["section"])
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
    ed = data.edition
    standard = tables.standard(row["standard"], ed)
    status = schema.STATUS_OF_VALUE_KIND.get(row["value_kind"], "computed")
    return [Headline("published_poor_rate", ed.t("headline.published_label", year=data.year, standard=standard),
                     f"{tables.rate(row['value'], ed)} %", status, tables._text(row["source"]))]


def _budget_figures(data: ReportData) -> list[Headline]:
    """The year's budget: the total the plan states (province) or the sum of the lines naming the district."""
    ed = data.edition
    if data.district is None:
        totals = data.stated_totals
        root = totals[(totals["node_id"] == str(data.year)) & (totals["funding_source"] == "total")
                      & (totals["capital_type"] == "all")] if not totals.empty else totals
        if root.empty:
            return []
        row = root.iloc[0]
        return [Headline("budget", ed.t("headline.budget_label", year=data.year),
                         ed.t("headline.budget_value", amount=tables.number(row["amount_mvnd"], ed=ed)), "plan",
                         ed.t("headline.budget_source", plan=tables.plan_document(ed), section=row["section"]))]
    if data.budget_lines.empty:
        return []
    total = report_data.line_totals(data.budget_lines).sum()
    sections = ", ".join(sorted(set(data.budget_lines["section"].astype(str))))
    return [Headline("budget", ed.t("headline.district_budget_label", year=data.year, name=data.district.name),
                     ed.t("headline.district_budget_value", amount=tables.number(total, ed=ed),
                          lines=tables.number(len(data.budget_lines), ed=ed)), "plan",
                     ed.t("headline.district_budget_source", plan=tables.plan_document(ed), sections=sections))]


def headline_table(figures: list[Headline], ed: Edition) -> pd.DataFrame:
    """The summary table of a report: figure, value, status, source."""
    statuses = workbook.status_labels(ed)
    return pd.DataFrame({
        ed.t("col.indicator"): [f.label for f in figures],
        ed.t("col.value"): [f.value for f in figures],
        ed.t("col.data_kind"): [statuses[f.status] for f in figures],
        ed.t("col.source"): [f.source for f in figures],
    })


# --- data-quality verdict ------------------------------------------------------------------------


def quality_verdict(data: ReportData) -> str:
    """One line: gate result, reconciliation gaps of the year (province report) and audit findings."""
    results, ed = data.validation_results, data.edition
    failed = int((~results["success"].astype(bool)).sum()) if not results.empty else 0
    parts = [ed.t("quality.gx", verdict=ed.t("quality.passed") if failed == 0 else ed.t("quality.failed"),
                  passed=tables.number(len(results) - failed, ed=ed), total=tables.number(len(results), ed=ed))]
    if data.district is None:
        rec = data.reconciliation
        gaps = rec[(rec["year"] == data.year) & rec["status"].isin(tables.FLAGGED_STATUSES)] if not rec.empty else rec
        parts.append(ed.t("quality.gaps", gaps=tables.number(len(gaps), ed=ed), year=data.year))
    if not data.district_poverty.empty:
        households = data.register_audit["household_key"].nunique() if not data.register_audit.empty else 0
        parts.append(ed.t("quality.audit", households=tables.number(households, ed=ed), year=data.year))
    return quality_prefix(ed) + "; ".join(parts) + "."


def quality_prefix(ed: Edition) -> str:
    """What the one-line verdict starts with ("Chất lượng dữ liệu: "): the index leaves it out."""
    return ed.t("quality.prefix")


# --- sections and table of contents ---------------------------------------------------------------


def sections(data: ReportData) -> dict[str, str]:
    """anchor -> heading of every top-level section the report shows, in order (the notebook shows exactly these)."""
    has_register = not data.district_poverty.empty and data.year in set(data.district_poverty["review_year"])
    ed, year = data.edition, data.year
    if data.district is not None:
        name = data.district.name
        chosen = {"so-lieu-huyen": ed.t("section.district_figures", name=name)}
        if has_register:
            chosen["so-sanh"] = ed.t("section.comparison")
        chosen["ke-hoach-huyen"] = ed.t("section.district_plan", year=year, name=name)
        chosen["chat-luong"] = ed.t("section.district_quality", name=name)
        chosen["nguon-goc"] = ed.t("section.provenance")
    else:
        chosen = {"ket-qua-giam-ngheo": ed.t("section.poverty")}
        if has_register:
            chosen["theo-huyen"] = ed.t("section.by_district", year=year)
        chosen["kinh-phi"] = ed.t("section.budget")
        if not tables.targets_table(data.plan_targets, data.districts, poverty=False).empty:
            chosen["chi-tieu-du-an"] = ed.t("section.project_targets", year=year)
        if not data.policy_results.empty:
            chosen["chinh-sach"] = ed.t("section.policies", year=year)
        if not data.poverty_series.empty:
            chosen["chuoi-so-lieu"] = ed.t("section.series")
        chosen["chat-luong"] = ed.t("section.quality")
        chosen["nguon-goc"] = ed.t("section.provenance")
    if ed.suffix:  # the English edition explains the Vietnamese terms it keeps
        chosen["glossary"] = ed.t("section.glossary")
    return chosen


def heading_html(toc: dict[str, str], anchor: str) -> str:
    """A section heading with the anchor the table of contents links to."""
    return f'<h2 id="{anchor}">{html.escape(toc[anchor])}</h2>'


def toc_html(toc: dict[str, str], ed: Edition) -> str:
    """The table of contents: one link per section."""
    items = "".join(f'<li><a href="#{anchor}">{html.escape(title)}</a></li>' for anchor, title in toc.items())
    contents = html.escape(ed.t("toc"))
    return f'<nav class="toc" aria-label="{contents}"><p><b>{contents}</b></p><ol>{items}</ol></nav>'


def verdict_html(data: ReportData) -> str:
    return f'<p class="verdict">{html.escape(quality_verdict(data))}</p>'
