"""Charts of the annual report: functions that take report_data frames and return matplotlib Figures.

They never show or save: the notebook displays them (inline PNG). Figures are made with
matplotlib.figure.Figure (no pyplot state to leak between charts) on PaletteCanvas, whose PNG has a
palette of at most 256 colours: a third of the bytes of matplotlib's full-colour PNG, same look.
Labels come from the edition's catalogue (`ed`, Vietnamese by default), tick labels use its number format,
and each figure carries a short description (its label) that the notebook passes on as the image's alt text.
"""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from pipeline.report import report_data, tables
from pipeline.report.edition import VI, Edition
from pipeline.report.tables import number, rate

DPI = 100  # 9,5-inch-wide charts are 950 px: drawn 1:1 in the report's 960 px column
PNG_COLOURS = 256  # palette size of the charts' PNG
SOURCE_COLOURS = {"central": "#1f5f99", "local": "#e08a1e", "other": "#5b9e4d", "unsplit": "#b8b8b8"}
CAPITAL_COLOURS = {"dtpt": "#1f5f99", "su_nghiep": "#8fb8de"}
STANDARD_COLOURS = {"qd59_2015": "#1f5f99", "nd07_2021": "#c0392b"}
NEAR_POOR_COLOUR = "#e08a1e"
# Marker per value kind: official filled, derived hollow, target a cross, estimate a hollow diamond.
KIND_MARKERS = {"official": ("o", True), "derived": ("o", False), "target": ("X", True), "estimate": ("D", False)}
NON_OFFICIAL_LINE = (0, (1.5, 2.0))  # dotted: a segment that ends at a target or an estimate


def alt_metadata(fig: Figure) -> dict:
    """Display metadata carrying the figure's description as the PNG's alt text."""
    return {"image/png": {"alt": fig.get_label()}}


class PaletteCanvas(FigureCanvasAgg):
    """Agg canvas whose PNG is palette-based: median-cut colours, no dithering, drawn over white.

    Charts are flat colours and anti-aliased text, so 256 colours keep every pixel within a few levels of
    the full-colour image (white stays white, text stays crisp) at a third of the bytes. The same figure
    gives the same bytes: no clock, and no text chunk but the metadata asked for (none by default, so
    not even matplotlib's version).
    """

    def print_png(self, filename_or_obj, *, metadata: dict | None = None, pil_kwargs: dict | None = None,
                  **_applied) -> None:
        """Write the PNG; print_figure passes dpi, colours and orientation too, already applied to the figure."""
        FigureCanvasAgg.draw(self)
        rgba = Image.fromarray(np.asarray(self.buffer_rgba()))
        rgb = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
        info = PngInfo()
        for key, value in (metadata or {}).items():
            if value is not None:
                info.add_text(key, value)
        palette = rgb.quantize(PNG_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        palette.save(filename_or_obj, format="png", optimize=True, pnginfo=info, **(pil_kwargs or {}))


def _figure(width: float, height: float, description: str) -> Figure:
    """A new Figure with a fixed size and DPI (same PNG on every run), its palette PNG canvas and its description."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    PaletteCanvas(fig)
    fig.set_label(description)
    return fig


def _ticks(axis, ed: Edition, decimals: int = 0, suffix: str = "") -> None:
    """Tick labels in the edition's number format (vi 1.234,5; en 1,234.5)."""
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: ed.format_number(value, decimals) + suffix))


def _wrap(text: str, width: int = 42, lines: int = 2) -> str:
    """Long Vietnamese labels on at most `lines` lines."""
    return "\n".join(textwrap.wrap(text, width=width, max_lines=lines, placeholder=" …"))


def _no_data(fig: Figure, message: str) -> Figure:
    """A figure that says there is nothing to draw (instead of an empty frame)."""
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11)
    return fig


def budget_by_project(lines: pd.DataFrame, projects: pd.DataFrame, totals: pd.DataFrame, year: int,
                      ed: Edition = VI) -> Figure:
    """Stacked horizontal bars: each project's lines by funding source (plus the part not split by source)."""
    groups = report_data.budget_groups(lines, projects, totals)
    by = ed.t("chart.by_project") if lines["project_code"].fillna("").astype(bool).any() else ed.t("chart.by_group")
    title = ed.t("chart.budget", year=year, by=by)
    fig = _figure(9.5, 1.2 + 0.55 * max(len(groups), 2), ed.t("chart.alt_barh", title=title))
    if groups.empty:
        return _no_data(fig, ed.t("chart.no_budget"))
    names = {**{s: tables.funding_source(s, ed) for s in ("central", "local", "other")}, "unsplit": ed.t("chart.unsplit")}
    labels = [ed.t("budget.other_contents") if label == report_data.OTHER_CONTENTS else label for label in groups["label"]]
    ax = fig.add_subplot()
    positions = list(range(len(groups)))[::-1]
    left = pd.Series(0.0, index=groups.index)
    for source in ("central", "local", "other", "unsplit"):
        values = groups[source].fillna(0.0)
        if not values.any():
            continue
        ax.barh(positions, values, left=left, color=SOURCE_COLOURS[source], label=names[source],
                hatch="//" if source == "unsplit" else None, edgecolor="white", linewidth=0.5)
        left += values
    for y, total in zip(positions, groups["total"]):
        ax.annotate(number(total, ed=ed), (total, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.set_yticks(positions, [_wrap(label, 48, lines=3) for label in labels], fontsize=8.5)
    ax.set_xlim(0, groups["total"].max() * 1.14)
    _ticks(ax.xaxis, ed)
    ax.set_xlabel(ed.t("chart.money"))
    ax.set_title(title, fontsize=11, loc="left")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def capital_split(totals: pd.DataFrame, year: int, ed: Edition = VI) -> Figure:
    """Stacked bars per funding source: investment (ĐTPT) and recurrent (sự nghiệp) capital, as stated."""
    split = report_data.capital_split(totals, year)
    title = ed.t("chart.capital", year=year)
    fig = _figure(9.5, 3.2, ed.t("chart.alt_barh", title=title))
    if split.empty:
        return _no_data(fig, ed.t("chart.no_capital"))
    ax = fig.add_subplot()
    positions = list(range(len(split)))[::-1]
    left = pd.Series(0.0, index=split.index)
    for kind in ("dtpt", "su_nghiep"):
        values = split[kind].fillna(0.0)
        ax.barh(positions, values, left=left, color=CAPITAL_COLOURS[kind], label=tables.capital_type(kind, ed),
                edgecolor="white", linewidth=0.5)
        left += values
    for y, (source, row) in zip(positions, split.iterrows()):
        ax.annotate(f"{number(row['dtpt'], ed=ed)} + {number(row['su_nghiep'], ed=ed)}", (left[source], y), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8.5)
    ax.set_yticks(positions, [tables.funding_source(s, ed) for s in split.index], fontsize=9)
    ax.set_xlim(0, left.max() * 1.25)
    _ticks(ax.xaxis, ed)
    ax.set_xlabel(ed.t("chart.money"))
    ax.set_title(_wrap(title, 95), fontsize=11, loc="left")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def poverty_trend(series: pd.DataFrame, year: int | None = None, ed: Edition = VI) -> Figure:
    """Poor-household rate 2015–2025 under both standards, near-poor rate under the new one.

    The change of standard at the end-2021 review (the first under NĐ 07/2021, Art. 3; KH 177/KH-UBND of
    17/8/2021) is a dashed line between 2021 and 2022; targets and estimates have their
    own markers and are joined by dotted segments, so they are never read as official results.
    """
    values = report_data.poverty_values(series)
    title = ed.t("chart.trend")
    fig = _figure(9.5, 5.0, ed.t("chart.alt_line", title=title))
    rates = values[values["indicator"].isin(["poor_rate_pct", "near_poor_rate_pct"])] if not values.empty else values
    if rates.empty:
        return _no_data(fig, ed.t("chart.no_rates"))
    ax = fig.add_subplot()
    plotted = [
        ("qd59_2015", "poor_rate_pct", STANDARD_COLOURS["qd59_2015"], ed.t("chart.trend_poor_qd59"), 7),
        ("nd07_2021", "poor_rate_pct", STANDARD_COLOURS["nd07_2021"], ed.t("chart.trend_poor_nd07"), 7),
        ("nd07_2021", "near_poor_rate_pct", NEAR_POOR_COLOUR, ed.t("chart.trend_near_poor_nd07"), -13),
    ]
    handles = []
    for standard, indicator, colour, label, label_offset in plotted:
        points = rates[(rates["standard"] == standard) & (rates["indicator"] == indicator)].sort_values("year")
        if points.empty:
            continue
        _draw_series(ax, points, colour, label_offset, ed)
        handles.append(Line2D([], [], color=colour, linewidth=2, label=label))
    _mark_standard_change(ax, rates, ed)
    if year is not None:
        ax.axvspan(year - 0.4, year + 0.4, color="#f2e6a0", alpha=0.45, zorder=0)
        handles.append(Patch(color="#f2e6a0", alpha=0.7, label=ed.t("chart.report_year", year=year)))
    handles += _kind_legend(set(rates["value_kind"]), ed)
    years = range(int(rates["year"].min()), int(rates["year"].max()) + 1)
    ax.set_xticks(list(years), [str(y) for y in years], fontsize=9)
    ax.set_ylim(0, rates["value"].max() * 1.18)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _ticks(ax.yaxis, ed, suffix=" %")
    ax.set_ylabel(ed.t("chart.pct_households"))
    ax.set_title(title, fontsize=11, loc="left")
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True, framealpha=0.9, edgecolor="#dddddd")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _draw_series(ax, points: pd.DataFrame, colour: str, label_offset: int, ed: Edition) -> None:
    """One rate series: segments (dotted towards non-official values), kind markers and value labels."""
    official = {"official", "derived"}
    rows = list(points.itertuples())
    for a, b in zip(rows, rows[1:]):
        style = "-" if {a.value_kind, b.value_kind} <= official else NON_OFFICIAL_LINE
        ax.plot([a.year, b.year], [a.value, b.value], color=colour, linewidth=2, linestyle=style, zorder=2)
    for row in rows:
        marker, filled = KIND_MARKERS.get(row.value_kind, ("o", True))
        ax.plot(row.year, row.value, marker=marker, markersize=7, color=colour,
                markerfacecolor=colour if filled else "white", markeredgewidth=1.5, linestyle="none", zorder=3)
        ax.annotate(rate(row.value, ed), (row.year, row.value), xytext=(0, label_offset), textcoords="offset points",
                    ha="center", fontsize=8, color=colour)


def _mark_standard_change(ax, rates: pd.DataFrame, ed: Edition) -> None:
    """Dashed line between 2021 and 2022 where the poverty standard changes (at the end-2021 review), with a label."""
    years = set(rates["year"])
    if not (min(years) <= 2021 and max(years) >= 2022):
        return
    ax.axvline(2021.5, color="#555555", linestyle="--", linewidth=1.2, zorder=1)
    ax.text(2021.55, 0.97, ed.t("chart.standard_change"), transform=ax.get_xaxis_transform(),
            va="top", ha="left", fontsize=8, color="#333333")


def _kind_legend(kinds: set[str], ed: Edition) -> list[Line2D]:
    """Legend entries explaining the markers of the value kinds present."""
    entries = []
    for kind in ("official", "derived", "target", "estimate"):
        if kind not in kinds:
            continue
        marker, filled = KIND_MARKERS[kind]
        label = ed.t(f"value_kind.{kind}") + ("" if kind == "official" else ed.t("chart.not_official"))
        entries.append(Line2D([], [], marker=marker, color="#333333", markerfacecolor="#333333" if filled else "white",
                              linestyle="none", markersize=7, label=label))
    return entries


def credit_by_group(policy: pd.DataFrame, ed: Edition = VI) -> Figure:
    """Preferential credit by household group: amount lent (bars), households in the label."""
    credit = report_data.credit_by_group(policy)
    period = "; ".join(credit["period"].unique()) if not credit.empty else ""
    title = ed.t("chart.credit", period=period)
    fig = _figure(9.5, 2.8, ed.t("chart.alt_barh", title=title))
    if credit.empty:
        return _no_data(fig, ed.t("chart.no_credit"))
    ax = fig.add_subplot()
    positions = list(range(len(credit)))[::-1]
    ax.barh(positions, credit["amount_mvnd"], color=SOURCE_COLOURS["central"])
    for y, row in zip(positions, credit.itertuples()):
        ax.annotate(ed.t("chart.credit_label", amount=number(row.amount_mvnd, ed=ed), households=number(row.households, ed=ed)),
                    (row.amount_mvnd, y),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.set_yticks(positions, list(credit["group"]), fontsize=9)
    ax.set_xlim(0, credit["amount_mvnd"].max() * 1.45)
    _ticks(ax.xaxis, ed)
    ax.set_xlabel(ed.t("chart.money"))
    ax.set_title(title, fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig
