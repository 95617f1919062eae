"""Reconciliation: wherever the document states a total, compare it with the sum of its parts.

A difference is a finding, not an error. The engine knows nothing about this particular plan:
it walks the line hierarchy (a line belongs to every node its id starts with: 2022.DA3.TDA2 is
under 2022.DA3 and 2022), compares each stated total with its lines, compares stated totals with
their own stated breakdowns, compares figures the transcription marks as the same quantity, and
looks for the line or pair of lines that would explain each gap.
"""
from __future__ import annotations

import math
from itertools import combinations

import pandas as pd

from pipeline.errors import RawDataError
from pipeline.schema import CAPITAL_TYPE_LABELS, FUNDING_SOURCE_LABELS, RAW_TABLES
from pipeline.vn import format_vn_number

SOURCES = ("central", "local", "other")
CAPITALS = ("dtpt", "su_nghiep")
TOLERANCE = 0.0005  # amounts are exact to 1.000 đồng (3 decimals of a million)
MONEY = "triệu đồng"
# QĐ 90/QĐ-TTg (18/1/2022), the programme's project list: these projects spend only in poor districts.
POOR_DISTRICT_PROJECTS = ("DA1", "DA5")
LINE_ATTRIBUTES = ("year", "parent_id", "project_code", "subproject_code", "label", "district_code",
                   "capital_type", "period", "section", "source_file")


# ---------------------------------------------------------------------------------------------
# Line items: one row per line with its figures side by side
# ---------------------------------------------------------------------------------------------
def budget_lines(figures: pd.DataFrame) -> pd.DataFrame:
    """Wide table of budget lines: total and each funding source as stated, NaN where not stated."""
    check_line_attributes(figures)
    first = figures.drop_duplicates("line_id").set_index("line_id")[list(LINE_ATTRIBUTES)]
    amounts = figures.pivot(index="line_id", columns="funding_source", values="amount_mvnd")
    amounts = amounts.reindex(columns=["total", *SOURCES])
    amounts.columns = [f"{c}_mvnd" for c in amounts.columns]
    rows = figures.groupby("line_id", sort=False)["source_row"].agg(_row_ranges).rename("source_rows")
    lines = first.join(amounts).join(rows).loc[figures["line_id"].unique()].reset_index()
    lines["sources_sum_mvnd"] = lines[[f"{s}_mvnd" for s in SOURCES]].sum(axis=1, min_count=1).round(3)
    return lines


def check_line_attributes(figures: pd.DataFrame) -> None:
    """All figures of one line must describe it the same way, and its parent must be its id's prefix."""
    headers = {c.name: c.header for c in RAW_TABLES["budget_figures"].columns}
    for line_id, group in figures.groupby("line_id", sort=False):
        first = group.iloc[0]
        for column in LINE_ATTRIBUTES:
            differing = group[group[column] != first[column]]
            if not differing.empty:
                row = differing.iloc[0]
                raise RawDataError(row["source_file"], int(row["source_row"]), headers.get(column, column),
                                   f"dòng «{line_id}» ghi «{row[column]}» nhưng dòng {first['source_row']} của cùng mã ghi "
                                   f"«{first[column]}» (line described inconsistently).",
                                   "Mọi số liệu của cùng một dòng phải có cùng nội dung, dự án, loại vốn, mục văn bản.")
        if first["parent_id"] != line_id.rsplit(".", 1)[0]:
            raise RawDataError(first["source_file"], int(first["source_row"]), headers["parent_id"],
                               f"«{first['parent_id']}» không phải tiền tố của mã dòng «{line_id}» (parent must be the id's prefix).")


def _row_ranges(rows: pd.Series) -> str:
    numbers = sorted(int(r) for r in rows)
    return f"{numbers[0]}-{numbers[-1]}" if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1 \
        else ", ".join(map(str, numbers))


def line_value(line: pd.Series, source: str, capital: str) -> float | None:
    """What the document says a line holds for (source, capital); None when it does not say."""
    if capital in CAPITALS:
        if line["capital_type"] == "unstated":
            return None
        if line["capital_type"] != capital:
            return 0.0
    if source == "total":
        for column in ("total_mvnd", "sources_sum_mvnd"):
            if not math.isnan(line[column]):
                return float(line[column])
        return None
    value = line[f"{source}_mvnd"]
    if not math.isnan(value):
        return float(value)
    stated = [line[f"{s}_mvnd"] for s in SOURCES if not math.isnan(line[f"{s}_mvnd"])]
    if stated and (math.isnan(line["total_mvnd"]) or abs(sum(stated) - line["total_mvnd"]) < TOLERANCE):
        return 0.0  # the sources that are stated already make up the whole line
    return None


class Hierarchy:
    """Nodes of one year's budget: lines plus every prefix of their ids, with the stated totals.

    The value of a node for (source, capital) is its stated total when the document gives one,
    else the sum of its children; None when some part is not stated (the part is then listed).
    """

    def __init__(self, lines: pd.DataFrame, totals: pd.DataFrame):
        self.lines = {row["line_id"]: row for _, row in lines.iterrows()}
        self.stated = {(t["node_id"], t["funding_source"], t["capital_type"]): t["amount_mvnd"]
                       for t in totals.to_dict("records")}
        nodes = set()
        for line_id in self.lines:
            parts = line_id.split(".")
            nodes.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        self.children = {node: sorted((n for n in nodes if "." in n and n.rsplit(".", 1)[0] == node), key=self._order)
                         for node in nodes}

    def _order(self, node: str) -> tuple:
        """Children in the order the lines appear in the raw file."""
        order = list(self.lines)
        first = next((i for i, lid in enumerate(order) if lid == node or lid.startswith(node + ".")), len(order))
        return (first, node)

    def value(self, node: str, source: str, capital: str) -> tuple[float | None, list[str]]:
        """(value, ids of the lines whose figure for this source/capital the document does not state)."""
        if (node, source, capital) in self.stated:
            return float(self.stated[(node, source, capital)]), []
        if not self.children.get(node) and node in self.lines:
            value = line_value(self.lines[node], source, capital)
            return value, ([] if value is not None else [node])
        total, unknown = 0.0, []
        for child in self.children.get(node, []):
            value, missing = self.value(child, source, capital)
            unknown += missing
            total += value or 0.0
        return (None if unknown else round(total, 3)), unknown

    def descendants(self, node: str) -> list[str]:
        found = []
        for child in self.children.get(node, []):
            found += [child] + self.descendants(child)
        return found

    def name(self, node: str, totals_labels: dict[str, str]) -> str:
        if node in self.lines and not self.children.get(node):
            return _line_name(self.lines[node])
        return f"«{totals_labels.get(node) or _node_label(node, self.lines)}»"


def _node_label(node: str, lines: dict) -> str:
    """A node with no stated total is named after its project and sub-project codes."""
    first = next(row for lid, row in lines.items() if lid.startswith(node + "."))
    codes = node.split(".")[1:]
    return " ".join(codes) if codes else f"Năm {first['year']}"


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------
def reconcile(lines: pd.DataFrame, totals: pd.DataFrame, same_as_rows: pd.DataFrame,
              targets: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """Every comparison, in a stable order: stated totals vs parts, totals vs breakdowns, repeats, scope."""
    findings = []
    for year in sorted(totals["year"].unique(), reverse=True):
        hierarchy = Hierarchy(lines[lines["year"] == year], totals[totals["year"] == year])
        findings += stated_totals_vs_parts(hierarchy, totals[totals["year"] == year])
    findings += totals_vs_breakdowns(totals)
    findings += repeated_figures(same_as_rows)
    findings += poor_district_scope(lines, targets, districts)
    frame = pd.DataFrame(findings, columns=["finding_id", "year", "check_kind", "subject", "node_id", "funding_source",
                                            "capital_type", "unit", "stated_value", "compared_value", "gap", "status",
                                            "explanation", "parts", "sections"])
    return frame.astype({"year": "int64", "stated_value": "float64", "compared_value": "float64", "gap": "float64"})


def stated_totals_vs_parts(hierarchy: Hierarchy, totals: pd.DataFrame) -> list[dict]:
    """Each stated total against its children (a child counts with its own stated total if it has one)."""
    labels = dict(zip(totals["node_id"], totals["label"]))
    findings = []
    for total in totals.to_dict("records"):
        node, source, capital = total["node_id"], total["funding_source"], total["capital_type"]
        children = hierarchy.children.get(node, [])
        if not children:
            continue
        parts = [(child, *hierarchy.value(child, source, capital)) for child in children]
        parts_sum = round(sum(v or 0.0 for _, v, _ in parts), 3)
        unknown = [lid for _, _, missing in parts for lid in missing]
        gap = round(total["amount_mvnd"] - parts_sum, 3)
        status, explanation = judge_gap(hierarchy, labels, node, gap, unknown, source, capital)
        if status == "undeterminable":
            parts_sum = gap = math.nan
        sections = [total["section"]] + [hierarchy.lines[d]["section"] for d in hierarchy.descendants(node) if d in hierarchy.lines]
        findings.append(_finding(
            f"stated_total:{total['total_id']}", total["year"], "stated_total_vs_lines",
            f"{total['label']} — {_source_capital(source, capital)}", node, source, capital, MONEY,
            total["amount_mvnd"], parts_sum, gap, status, explanation,
            parts=", ".join(children), sections=_sections(sections)))
    return cross_source_explanations(findings, hierarchy, labels)


def judge_gap(hierarchy: Hierarchy, labels: dict, node: str, gap: float, unknown: list[str],
              source: str, capital: str) -> tuple[str, str]:
    """Status and Vietnamese explanation of a stated total against its parts."""
    unstated_what = "loại vốn" if capital in CAPITALS else "nguồn vốn"
    unknown_note = ""
    if unknown:
        names = ", ".join(hierarchy.name(lid, labels) for lid in unknown[:3]) + ("…" if len(unknown) > 3 else "")
        unknown_note = f" Văn bản không nêu {unstated_what} của {len(unknown)} dòng ({names}); các dòng này không được cộng."
    if abs(gap) < TOLERANCE:
        return "match", ("Khớp với các phần có nêu số liệu." + unknown_note) if unknown else ""
    direction = "thấp hơn" if gap < 0 else "cao hơn"
    lead = f"Số nêu trong văn bản {direction} tổng các phần {format_vn_number(abs(gap))} triệu đồng."
    whole_unknown = [lid for lid in unknown if _close(line_value(hierarchy.lines[lid], "total", "all"), gap)]
    if gap > 0 and whole_unknown:
        return "gap", (f"{lead} Chênh lệch bằng đúng dòng {hierarchy.name(whole_unknown[0], labels)} "
                       f"({format_vn_number(gap)} triệu đồng), dòng mà văn bản không nêu {unstated_what}: "
                       f"tổng của văn bản chỉ khớp nếu toàn bộ dòng này là {_source_capital(source, capital)}.")
    known = [(d, v) for d in hierarchy.descendants(node) for v, missing in [hierarchy.value(d, source, capital)]
             if v is not None and not missing and v > 0]
    singles = [d for d, v in known if _close(v, abs(gap))]
    if singles:
        verb = "có thể đã không được cộng vào tổng" if gap < 0 else "có thể đã bị cộng hai lần vào tổng"
        names = "; ".join(hierarchy.name(d, labels) for d in singles)
        return "gap", f"{lead} Chênh lệch bằng đúng phần: {names} — {verb}."
    leaves = [(d, v) for d, v in known if not hierarchy.children.get(d)]
    pairs = [(a, b) for (a, va), (b, vb) in combinations(leaves, 2) if _close(va + vb, abs(gap))]
    if pairs:
        names = "; ".join(f"{hierarchy.name(a, labels)} + {hierarchy.name(b, labels)}" for a, b in pairs[:3])
        return "gap", f"{lead} Chênh lệch bằng tổng của hai dòng: {names}."
    if unknown and gap > 0:
        known_sum = format_vn_number(sum(v for d, v in known if d in hierarchy.children.get(node, [])))
        return "undeterminable", (f"Không đối chiếu được.{unknown_note} Các phần có nêu {unstated_what} cộng lại "
                                  f"{known_sum} triệu đồng; phần còn lại có thể nằm ở các dòng không nêu.")
    return "gap", f"{lead} Không có phần hay cặp dòng nào bằng đúng chênh lệch.{unknown_note}"


def cross_source_explanations(findings: list[dict], hierarchy: Hierarchy, labels: dict) -> list[dict]:
    """When one part explains a node's gaps in every funding source at once, say so on each of them."""
    gaps = [f for f in findings if f["status"] == "gap" and f["capital_type"] == "all"]
    for node in sorted({f["node_id"] for f in gaps}):
        node_gaps = [f for f in gaps if f["node_id"] == node]
        if len(node_gaps) < 2:
            continue
        for part in hierarchy.descendants(node):
            if all(_close(hierarchy.value(part, f["funding_source"], "all")[0], abs(f["gap"])) for f in node_gaps):
                names = ", ".join(FUNDING_SOURCE_LABELS[f["funding_source"]].lower() for f in node_gaps)
                for f in node_gaps:
                    f["explanation"] += (f" Phần {hierarchy.name(part, labels)} bằng đúng chênh lệch ở cả "
                                         f"{len(node_gaps)} chỉ tiêu ({names}): nhiều khả năng tổng của văn bản "
                                         "đã bỏ sót phần này.")
    return findings


def totals_vs_breakdowns(totals: pd.DataFrame) -> list[dict]:
    """A stated total against its own stated breakdown (by source, or by capital type)."""
    findings = []
    stated = {(t["year"], t["node_id"], t["funding_source"], t["capital_type"]): t for t in totals.to_dict("records")}
    for (year, node, source, capital), whole in stated.items():
        if capital != "all":
            continue
        breakdowns = []
        if source == "total":
            breakdowns.append(("nguồn vốn", [(year, node, s, "all") for s in SOURCES]))
        breakdowns.append(("loại vốn", [(year, node, source, c) for c in CAPITALS]))
        for by, keys in breakdowns:
            if not all(k in stated for k in keys):
                continue
            parts = [stated[k] for k in keys]
            parts_sum = round(sum(p["amount_mvnd"] for p in parts), 3)
            gap = round(whole["amount_mvnd"] - parts_sum, 3)
            status = "match" if abs(gap) < TOLERANCE else "gap"
            explanation = "" if status == "match" else (
                f"Tổng nêu trong văn bản khác tổng các phần theo {by} mà chính văn bản nêu "
                f"({format_vn_number(abs(gap))} triệu đồng).")
            findings.append(_finding(
                f"breakdown:{whole['total_id']}:{'source' if by == 'nguồn vốn' else 'capital'}", year,
                "total_vs_breakdown", f"{whole['label']} — {FUNDING_SOURCE_LABELS[source]}: tổng so với các phần theo {by}",
                node, source, "all", MONEY, whole["amount_mvnd"], parts_sum, gap, status, explanation,
                parts=", ".join(p["total_id"] for p in parts), sections=_sections([whole["section"], *(p["section"] for p in parts)])))
    return findings


def repeated_figures(same_as_rows: pd.DataFrame) -> list[dict]:
    """Figures the transcription marks as the same quantity must have the same value.

    `same_as_rows` has columns id, year, label, value, unit, section, same_as, source_file, source_row,
    covering every table that can be referred to (see build.same_as_candidates).
    """
    by_id = same_as_rows.set_index("id")
    findings = []
    for row in same_as_rows[same_as_rows["same_as"] != ""].to_dict("records"):
        if row["same_as"] not in by_id.index:
            raise RawDataError(row["source_file"], int(row["source_row"]), "Cùng chỉ tiêu với",
                               f"không có số liệu nào mang mã «{row['same_as']}» (unknown id).")
        other = by_id.loc[row["same_as"]]
        gap = round(row["value"] - other["value"], 3)
        status = "match" if abs(gap) < TOLERANCE else "gap"
        explanation = "" if status == "match" else (
            f"Cùng một chỉ tiêu được nêu hai lần với hai số khác nhau: mục {row['section']} ghi "
            f"{format_vn_number(row['value'], _decimals(row['value']))} {row['unit']}, mục {other['section']} ghi "
            f"{format_vn_number(other['value'], _decimals(other['value']))} {other['unit']} "
            f"(chênh {format_vn_number(abs(gap), _decimals(gap))} {row['unit']}).")
        findings.append(_finding(
            f"repeated:{row['id']}", row["year"], "repeated_figure", f"{row['label']} / {other['label']}",
            row["id"], "", "", row["unit"], row["value"], float(other["value"]), gap, status, explanation,
            parts=f"{row['id']}, {row['same_as']}", sections=_sections([row["section"], other["section"]])))
    return findings


def poor_district_scope(lines: pd.DataFrame, targets: pd.DataFrame, districts: pd.DataFrame) -> list[dict]:
    """Warn where poor-district-only projects name a district that is not poor in that year's period."""
    flags = districts.set_index("district_code")
    findings = []
    named = [(t["target_id"], t["year"], t["project_code"], t["indicator"], t["district_codes"].split(";"), t["section"])
             for t in targets.to_dict("records") if t["district_codes"]]
    named += [(line["line_id"], line["year"], line["project_code"], line["label"], [line["district_code"]], line["section"])
              for line in lines.to_dict("records") if line["district_code"]]
    for item_id, year, project, label, codes, section in named:
        if project not in POOR_DISTRICT_PROJECTS:
            continue
        column, period = ("poor_2016_2020", "2016–2020") if year <= 2020 else ("poor_2021_2025", "2021–2025")
        for code in codes:
            if code in flags.index and not flags.loc[code, column]:
                name = flags.loc[code, "district_name"]
                findings.append(_finding(
                    f"scope:{item_id}:{code}", year, "poor_district_scope", f"{label} — {name}", item_id, "", "", "",
                    math.nan, math.nan, math.nan, "warning",
                    f"{project} chỉ dành cho huyện nghèo, nhưng {name} ({code}) không thuộc danh sách huyện nghèo giai đoạn "
                    f"{period} (nguồn: bảng danh mục huyện).",
                    parts=item_id, sections=section))
    return findings


def poverty_rate_checks(series: pd.DataFrame) -> pd.DataFrame:
    """Stated rate against count / total households, only where all three come from the same source."""
    rows = []
    official = series[series["same_as"] == ""]
    for (year, standard, source), group in official.groupby(["year", "standard", "source"], sort=True):
        values = dict(zip(group["indicator"], group["value"]))
        if "total_hh" not in values:
            continue
        for name, count, rate in (("poor", "poor_hh", "poor_rate_pct"), ("near_poor", "near_poor_hh", "near_poor_rate_pct")):
            if count in values and rate in values:
                computed = 100 * values[count] / values["total_hh"]
                rows.append({"year": year, "standard": standard, "group": name, "count_hh": values[count],
                             "total_hh": values["total_hh"], "stated_rate_pct": values[rate],
                             "computed_rate_pct": round(computed, 4), "diff_pp": round(values[rate] - computed, 4),
                             "source": source})
    columns = ["year", "standard", "group", "count_hh", "total_hh", "stated_rate_pct", "computed_rate_pct", "diff_pp", "source"]
    return pd.DataFrame(rows, columns=columns).astype({"year": "int64", "count_hh": "float64", "total_hh": "float64",
                                                      "stated_rate_pct": "float64", "computed_rate_pct": "float64",
                                                      "diff_pp": "float64"})


# ---------------------------------------------------------------------------------------------
def _finding(finding_id, year, kind, subject, node, source, capital, unit, stated, compared, gap, status,
             explanation, parts, sections) -> dict:
    return {"finding_id": finding_id, "year": int(year), "check_kind": kind, "subject": subject, "node_id": node,
            "funding_source": source, "capital_type": capital, "unit": unit, "stated_value": float(stated),
            "compared_value": float(compared), "gap": float(gap), "status": status, "explanation": explanation.strip(),
            "parts": parts, "sections": sections}


def _close(value: float | None, target: float) -> bool:
    return value is not None and abs(value - target) < TOLERANCE


def _line_name(leaf: pd.Series) -> str:
    code = " ".join(c for c in (leaf["project_code"], leaf["subproject_code"]) if c)
    return f"«{leaf['label']}»" + (f" ({code}, mục {leaf['section']})" if code else f" (mục {leaf['section']})")


def _source_capital(source: str, capital: str) -> str:
    text = FUNDING_SOURCE_LABELS[source].lower() if source != "total" else "tổng các nguồn"
    return text + ("" if capital == "all" else f", vốn {CAPITAL_TYPE_LABELS[capital].lower()}")


def _sections(sections) -> str:
    return ", ".join(dict.fromkeys(s for s in sections if s))


def _decimals(value: float) -> int:
    return 0 if float(value).is_integer() else 2

