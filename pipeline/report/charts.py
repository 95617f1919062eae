"""Charts of the annual report: functions that take report_data frames and return matplotlib Figures.

They never show or save: the notebook displays them (inline PNG). Figures are made with
matplotlib.figure.Figure (no pyplot state to leak between charts) on PaletteCanvas, whose PNG has a
palette of at most 256 colours: a third of the bytes of matplotlib's full-colour PNG, same look.
Labels are Vietnamese, tick labels use Vietnamese number format, and each figure carries a short
description (its label) that the notebook passes on as the image's alt text.
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

from pipeline import schema
from pipeline.report import report_data
from pipeline.report.tables import number, rate
from pipeline.vn import format_vn_number

DPI = 100  # 9,5-inch-wide charts are 950 px: drawn 1:1 in the report's 960 px column
PNG_COLOURS = 256  # palette size of the charts' PNG
SOURCE_COLOURS = {"central": "#1f5f99", "local": "#e08a1e", "other": "#5b9e4d", "unsplit": "#b8b8b8"}
SOURCE_NAMES = {**{s: schema.FUNDING_SOURCE_LABELS[s] for s in ("central", "local", "other")},
                "unsplit": "Không chia theo nguồn (văn bản chỉ nêu tổng)"}
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


def _vn_ticks(axis, decimals: int = 0, suffix: str = "") -> None:
    """Tick labels in Vietnamese number format (1.234,5)."""
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: format_vn_number(value, decimals) + suffix))


def _wrap(text: str, width: int = 42, lines: int = 2) -> str:
    """Long Vietnamese labels on at most `lines` lines."""
    return "\n".join(textwrap.wrap(text, width=width, max_lines=lines, placeholder=" …"))


def _no_data(fig: Figure, message: str) -> Figure:
    """A figure that says there is nothing to draw (instead of an empty frame)."""
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11)
    return fig


def budget_by_project(lines: pd.DataFrame, projects: pd.DataFrame, totals: pd.DataFrame, year: int) -> Figure:
    """Stacked horizontal bars: each project's lines by funding source (plus the part not split by source)."""
    groups = report_data.budget_groups(lines, projects, totals)
    by = "dự án" if lines["project_code"].fillna("").astype(bool).any() else "nhóm nội dung"
    title = f"Kinh phí năm {year} theo {by} và nguồn vốn (triệu đồng, cộng từ các dòng)"
    fig = _figure(9.5, 1.2 + 0.55 * max(len(groups), 2), f"Biểu đồ thanh ngang: {title}.")
    if groups.empty:
        return _no_data(fig, "Không có dòng kinh phí")
    ax = fig.add_subplot()
    positions = list(range(len(groups)))[::-1]
    left = pd.Series(0.0, index=groups.index)
    for source in ("central", "local", "other", "unsplit"):
        values = groups[source].fillna(0.0)
        if not values.any():
            continue
        ax.barh(positions, values, left=left, color=SOURCE_COLOURS[source], label=SOURCE_NAMES[source],
                hatch="//" if source == "unsplit" else None, edgecolor="white", linewidth=0.5)
        left += values
    for y, total in zip(positions, groups["total"]):
        ax.annotate(number(total), (total, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.set_yticks(positions, [_wrap(label, 48, lines=3) for label in groups["label"]], fontsize=8.5)
    ax.set_xlim(0, groups["total"].max() * 1.14)
    _vn_ticks(ax.xaxis)
    ax.set_xlabel("triệu đồng")
    ax.set_title(title, fontsize=11, loc="left")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def capital_split(totals: pd.DataFrame, year: int) -> Figure:
    """Stacked bars per funding source: investment (ĐTPT) and recurrent (sự nghiệp) capital, as stated."""
    split = report_data.capital_split(totals, year)
    title = f"Kinh phí đề xuất năm {year}: vốn đầu tư phát triển và vốn sự nghiệp theo nguồn (triệu đồng, theo văn bản)"
    fig = _figure(9.5, 3.2, f"Biểu đồ thanh ngang: {title}.")
    if split.empty:
        return _no_data(fig, "Văn bản không chia vốn đầu tư phát triển / sự nghiệp")
    ax = fig.add_subplot()
    positions = list(range(len(split)))[::-1]
    left = pd.Series(0.0, index=split.index)
    for kind in ("dtpt", "su_nghiep"):
        values = split[kind].fillna(0.0)
        ax.barh(positions, values, left=left, color=CAPITAL_COLOURS[kind], label=schema.CAPITAL_TYPE_LABELS[kind],
                edgecolor="white", linewidth=0.5)
        left += values
    for y, (source, row) in zip(positions, split.iterrows()):
        ax.annotate(f"{number(row['dtpt'])} + {number(row['su_nghiep'])}", (left[source], y), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8.5)
    ax.set_yticks(positions, [schema.FUNDING_SOURCE_LABELS[s] for s in split.index], fontsize=9)
    ax.set_xlim(0, left.max() * 1.25)
    _vn_ticks(ax.xaxis)
    ax.set_xlabel("triệu đồng")
    ax.set_title(_wrap(title, 95), fontsize=11, loc="left")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def poverty_trend(series: pd.DataFrame, year: int | None = None) -> Figure:
    """Poor-household rate 2015–2025 under both standards, near-poor rate under the new one.

    The change of standard at the end-2021 review (the first under NĐ 07/2021, Art. 3; KH 177/KH-UBND of
    17/8/2021) is a dashed line between 2021 and 2022; targets and estimates have their
    own markers and are joined by dotted segments, so they are never read as official results.
    """
    values = report_data.poverty_values(series)
    title = "Tỷ lệ hộ nghèo và cận nghèo tỉnh Lạng Sơn theo chuẩn nghèo (%)"
    fig = _figure(9.5, 5.0, f"Biểu đồ đường: {title}; đường đứt nét đánh dấu việc đổi chuẩn nghèo giữa 2021 và 2022.")
    rates = values[values["indicator"].isin(["poor_rate_pct", "near_poor_rate_pct"])] if not values.empty else values
    if rates.empty:
        return _no_data(fig, "Không có số liệu tỷ lệ hộ nghèo")
    ax = fig.add_subplot()
    plotted = [
        ("qd59_2015", "poor_rate_pct", STANDARD_COLOURS["qd59_2015"], "Tỷ lệ hộ nghèo – chuẩn QĐ 59/2015/QĐ-TTg", 7),
        ("nd07_2021", "poor_rate_pct", STANDARD_COLOURS["nd07_2021"], "Tỷ lệ hộ nghèo – chuẩn NĐ 07/2021/NĐ-CP", 7),
        ("nd07_2021", "near_poor_rate_pct", NEAR_POOR_COLOUR, "Tỷ lệ hộ cận nghèo – chuẩn NĐ 07/2021/NĐ-CP", -13),
    ]
    handles = []
    for standard, indicator, colour, label, label_offset in plotted:
        points = rates[(rates["standard"] == standard) & (rates["indicator"] == indicator)].sort_values("year")
        if points.empty:
            continue
        _draw_series(ax, points, colour, label_offset)
        handles.append(Line2D([], [], color=colour, linewidth=2, label=label))
    _mark_standard_change(ax, rates)
    if year is not None:
        ax.axvspan(year - 0.4, year + 0.4, color="#f2e6a0", alpha=0.45, zorder=0)
        handles.append(Patch(color="#f2e6a0", alpha=0.7, label=f"Năm báo cáo ({year})"))
    handles += _kind_legend(set(rates["value_kind"]))
    years = range(int(rates["year"].min()), int(rates["year"].max()) + 1)
    ax.set_xticks(list(years), [str(y) for y in years], fontsize=9)
    ax.set_ylim(0, rates["value"].max() * 1.18)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _vn_ticks(ax.yaxis, suffix=" %")
    ax.set_ylabel("% số hộ")
    ax.set_title(title, fontsize=11, loc="left")
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True, framealpha=0.9, edgecolor="#dddddd")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _draw_series(ax, points: pd.DataFrame, colour: str, label_offset: int) -> None:
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
        ax.annotate(rate(row.value), (row.year, row.value), xytext=(0, label_offset), textcoords="offset points",
                    ha="center", fontsize=8, color=colour)


def _mark_standard_change(ax, rates: pd.DataFrame) -> None:
    """Dashed line between 2021 and 2022 where the poverty standard changes (at the end-2021 review), with a label."""
    years = set(rates["year"])
    if not (min(years) <= 2021 and max(years) >= 2022):
        return
    ax.axvline(2021.5, color="#555555", linestyle="--", linewidth=1.2, zorder=1)
    ax.text(2021.55, 0.97, "Đổi chuẩn nghèo:\nQĐ 59/2015 → NĐ 07/2021\n(từ rà soát cuối năm 2021)", transform=ax.get_xaxis_transform(),
            va="top", ha="left", fontsize=8, color="#333333")


def _kind_legend(kinds: set[str]) -> list[Line2D]:
    """Legend entries explaining the markers of the value kinds present."""
    entries = []
    for kind in ("official", "derived", "target", "estimate"):
        if kind not in kinds:
            continue
        marker, filled = KIND_MARKERS[kind]
        label = schema.VALUE_KIND_LABELS[kind] + ("" if kind == "official" else " (không chính thức)")
        entries.append(Line2D([], [], marker=marker, color="#333333", markerfacecolor="#333333" if filled else "white",
                              linestyle="none", markersize=7, label=label))
    return entries


def credit_by_group(policy: pd.DataFrame) -> Figure:
    """Preferential credit by household group: amount lent (bars), households in the label."""
    credit = report_data.credit_by_group(policy)
    period = "; ".join(credit["period"].unique()) if not credit.empty else ""
    title = f"Doanh số cho vay ưu đãi theo nhóm hộ, {period} (triệu đồng)"
    fig = _figure(9.5, 2.8, f"Biểu đồ thanh ngang: {title}.")
    if credit.empty:
        return _no_data(fig, "Không có số liệu tín dụng ưu đãi")
    ax = fig.add_subplot()
    positions = list(range(len(credit)))[::-1]
    ax.barh(positions, credit["amount_mvnd"], color=SOURCE_COLOURS["central"])
    for y, row in zip(positions, credit.itertuples()):
        ax.annotate(f"{number(row.amount_mvnd)} triệu đồng – {number(row.households)} hộ", (row.amount_mvnd, y),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.set_yticks(positions, list(credit["group"]), fontsize=9)
    ax.set_xlim(0, credit["amount_mvnd"].max() * 1.45)
    _vn_ticks(ax.xaxis)
    ax.set_xlabel("triệu đồng")
    ax.set_title(title, fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig
