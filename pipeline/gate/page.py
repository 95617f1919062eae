"""reports/gate/index.html: the gate's results as one static page, readable offline and printable.

GX's Data Docs, which this page replaces, load Bootstrap, jQuery, Font Awesome and Vega from public CDNs,
and their index is filled by those scripts: opened offline (an auditor's office) it showed two "Clear
Filters" buttons and no results. This page is plain HTML: no script, no external URL, a small inline
stylesheet. It shows every suite (one per table) and every expectation with its arguments, description,
outcome, counts and, for a failure, its failing rows as the gate named them (raw file and line, the
rule's columns; the register tables hold no personal data, only pseudonymised keys).

It is made from the rows pipeline/gate/validate.py builds for validation_results (RESULT columns) plus
what only the page shows (DETAIL_COLUMNS), so the page and the results table never disagree. No clock,
no random id, fixed order: the same results give the same bytes.
"""
from __future__ import annotations

import html
import json
import math
from collections import Counter

import pandas as pd

from pipeline import schema
from pipeline.gate import suites
from pipeline.vn import format_vn_number

# Beyond the results table's columns, per expectation: its kwargs (from the suite), GX's row counts when the
# result format gave them (None for a rule checked pass/fail only), the failing rows as the gate named them
# (the first validate.MAX_LISTED_ROWS) and the most frequent failing values with their counts.
DETAIL_COLUMNS = ("kwargs", "element_count", "missing_count", "sample_rows", "unexpected_values")
# Distinct failing values listed per expectation.
MAX_VALUES = 10

STYLE = """body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1200px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
thead th{background:#f0f0f0}td.n,th.n{text-align:right}code{font-size:.9em;overflow-wrap:anywhere}
.ok{color:#1b6e20}.fail{color:#a40000;font-weight:bold}tr.failed td,tr.failed th{background:#fdecea}
.verdict{padding:8px 12px;border-left:4px solid}.verdict.ok{background:#eaf5ea;border-color:#1b6e20}
.verdict.fail{background:#fdecea;border-color:#a40000}.note{background:#fff4d6;padding:8px 12px;border-left:4px solid #e0a800}
ol.rows{margin:.2em 0;padding-left:1.6em}.small{font-size:.9em;color:#555}
@media print{body{max-width:none}tr{page-break-inside:avoid}}"""

# Kinds of comparison in a GX row_condition, as the page writes them.
OPERATORS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥", "IN": "∈", "NOT_IN": "∉"}
IGNORE_ROW_IF = {"either_value_is_missing": "khi một trong hai giá trị trống (either value is missing)",
                 "both_values_are_missing": "khi cả hai giá trị trống (both values are missing)",
                 "all_values_are_missing": "khi mọi giá trị trống (all values are missing)",
                 "any_value_is_missing": "khi có giá trị trống (any value is missing)",
                 "never": "không bao giờ (never)"}
FAILED_ROW = ' class="failed"'
# Arguments shown in the column cell, not among the arguments.
COLUMN_ARGUMENTS = ("column", "column_list", "column_A", "column_B")


# ---------------------------------------------------------------- what validate.py hands over

def value_counts(values: list) -> list[tuple[str, int]]:
    """The MAX_VALUES most frequent failing values (as text) with their counts, ties in order of first appearance.

    Only plain values and pairs are counted: a multicolumn rule's row (a dict) is named by the failing rows already.
    """
    counted = Counter(_found_text(v) for v in values if not isinstance(v, dict))
    return counted.most_common(MAX_VALUES)


def _found_text(value) -> str:
    """A value found in the data, written as the failing rows write it (str, 'trống' for a missing one)."""
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_found_text(v) for v in value) + ")"
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "trống"
    return str(value)


# ---------------------------------------------------------------- readable arguments

def arguments_text(kwargs: dict) -> list[str]:
    """An expectation's arguments as short Vietnamese phrases (English gloss), columns left to the column cell."""
    out = []
    if "column_set" in kwargs:
        out.append(f"đúng các cột (column set): {', '.join(map(str, kwargs['column_set']))}")
    if "min_value" in kwargs or "max_value" in kwargs:
        out.append(f"khoảng (range): {_range_text(kwargs)}")
    if "value_set" in kwargs:
        out.append(f"thuộc tập (value set): {_value_text(list(kwargs['value_set']))}")
    if "regex" in kwargs:
        out.append(f"khớp mẫu (regex): {kwargs['regex']}")
    if "or_equal" in kwargs:
        sign = "≥" if kwargs["or_equal"] else ">"
        out.append(f"so sánh (comparison): {kwargs.get('column_A')} {sign} {kwargs.get('column_B')}")
    if "ignore_row_if" in kwargs:
        rule = kwargs["ignore_row_if"]
        out.append(f"bỏ qua dòng (ignore row if): {IGNORE_ROW_IF.get(rule, rule)}")
    if kwargs.get("row_condition"):
        out.append(f"chỉ xét dòng (row condition): {condition_text(kwargs['row_condition'])}")
    if kwargs.get("mostly") is not None:
        out.append(f"đạt khi ít nhất {_percent(kwargs['mostly'] * 100)} % số dòng đạt (mostly {_value_text(kwargs['mostly'])})")
    shown = {"column_set", "min_value", "max_value", "strict_min", "strict_max", "value_set", "regex", "or_equal",
             "ignore_row_if", "row_condition", "mostly", *COLUMN_ARGUMENTS}
    out += [f"{key}: {_value_text(kwargs[key])}" for key in sorted(kwargs) if key not in shown]
    return out


def _range_text(kwargs: dict) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    below = "<" if kwargs.get("strict_min") else "≤"
    above = "<" if kwargs.get("strict_max") else "≤"
    if low is not None and high is not None:
        return f"{_value_text(low)} {below} giá trị {above} {_value_text(high)}"
    if low is not None:
        return f"giá trị {'>' if kwargs.get('strict_min') else '≥'} {_value_text(low)}"
    return f"giá trị {above} {_value_text(high)}"


def condition_text(condition) -> str:
    """A GX 1.x row_condition (comparison, nullity, and/or, pass-through) as one line: 'indicator ∈ {a, b}'."""
    if isinstance(condition, str):
        return condition
    kind = condition.get("type")
    if "conditions" in condition:
        joiner = " và (and) " if kind == "and" else " hoặc (or) "
        return "(" + joiner.join(condition_text(c) for c in condition["conditions"]) + ")"
    column = (condition.get("column") or {}).get("name", "")
    if kind == "comparison":
        operator = OPERATORS.get(condition["operator"], condition["operator"])
        return f"{column} {operator} {_value_text(condition['parameter'])}"
    if kind == "nullity":
        return f"{column} {'trống (is null)' if condition.get('is_null') else 'không trống (is not null)'}"
    if kind == "pass_through":
        return str(condition.get("pass_through_filter", ""))
    return json.dumps(condition, ensure_ascii=False, sort_keys=True)


def _value_text(value) -> str:
    """A value as written in a rule: 2021 not 2021.0, decimal comma, sets in braces, sai/đúng for booleans."""
    if isinstance(value, bool):
        return "đúng (true)" if value else "sai (false)"
    if isinstance(value, (list, tuple, set)):
        items = ", ".join(_value_text(v) for v in value)
        return f"({items})" if isinstance(value, tuple) else "{" + items + "}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if value == "":
        return "(rỗng)"
    return str(value)


def _percent(value: float) -> str:
    """A share in %, with the decimals it needs up to two: 99, 0,25."""
    return format_vn_number(value, 0 if float(value).is_integer() else 2)


# ---------------------------------------------------------------- the page

def render(results: pd.DataFrame, row_counts: dict[str, int], partitions: dict[str, int], *,
           synthetic: bool, gx_version: str) -> str:
    """The whole page for the results of one gate run (validate.RESULT_DTYPES columns plus DETAIL_COLUMNS).

    row_counts: rows of each table validated; partitions: how many parts a table was read in (0: whole);
    synthetic: the register tables come from the synthetic sample (the page then says so).
    """
    missing = [c for c in ("table", "expectation_type", "column", "success", "unexpected_count", "failing_rows",
                           "description", *DETAIL_COLUMNS) if c not in results.columns]
    if missing:
        raise ValueError(f"the gate page needs the columns {missing}")
    tables = list(dict.fromkeys(results["table"]))
    failed = results[~results["success"].astype(bool)]
    ok = failed.empty
    title = "Kiểm định dữ liệu (Great Expectations): " + ("ĐẠT" if ok else "KHÔNG ĐẠT")
    out = ["<!DOCTYPE html>", '<html lang="vi">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
           "<h1>Kiểm định dữ liệu trước khi lập báo cáo <span class=\"small\">(data-quality gate, Great Expectations)</span></h1>"]
    out += _summary(results, failed, tables)
    if synthetic and any(t in schema.REGISTER_TABLES for t in tables):
        out.append('<p class="note"><b>Các bảng sổ hộ (register_…) được lập từ sổ rà soát GIẢ LẬP (synthetic), '
                   "không phải số liệu chính thức</b> (make sample-data).</p>")
    out += _table_index(results, tables, row_counts, partitions)
    out += _failed_list(results, failed)
    for name in tables:
        out += _table_section(name, results[results["table"] == name], row_counts.get(name), partitions.get(name, 0))
    out.append(f'<p class="small">Trang do <code>python -m pipeline validate</code> (pipeline/gate/page.py) sinh ra '
               f"từ kết quả của lần kiểm định này (Great Expectations {_e(gx_version)}); không dùng script hay tài "
               "nguyên bên ngoài (works offline). «—» ở cột Kết quả: kỳ vọng chỉ được kiểm đạt/không đạt, không đếm "
               "dòng (BOOLEAN_ONLY); số dòng được đếm cho luật có ngưỡng mostly và cho kỳ vọng không đạt.</p>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _summary(results: pd.DataFrame, failed: pd.DataFrame, tables: list[str]) -> list[str]:
    total, bad = len(results), len(failed)
    if bad == 0:
        verdict = (f'<p class="verdict ok"><b>ĐẠT (passed)</b>: cả {_n(total)} kỳ vọng trên {_n(len(tables))} bảng '
                   "đều đạt; các báo cáo có thể được lập từ những bảng này.</p>")
    else:
        verdict = (f'<p class="verdict fail"><b>KHÔNG ĐẠT (failed)</b>: {_n(bad)} trên {_n(total)} kỳ vọng không đạt, '
                   f"ở {_n(failed['table'].nunique())} bảng. Không báo cáo nào được lập cho tới khi dữ liệu được sửa "
                   "(xem các dòng lỗi bên dưới).</p>")
    counts = [("Bộ kiểm tra (suites)", len(tables)), ("Kỳ vọng (expectations)", total),
              ("Đạt (passed)", total - bad), ("Không đạt (failed)", bad)]
    return [verdict, "<table>", "<thead><tr>" + "".join(f'<th scope="col" class="n">{_e(h)}</th>' for h, _ in counts)
            + "</tr></thead>", "<tbody><tr>" + "".join(f'<td class="n">{_n(v)}</td>' for _, v in counts)
            + "</tr></tbody>", "</table>"]


def _table_index(results: pd.DataFrame, tables: list[str], row_counts: dict[str, int],
                 partitions: dict[str, int]) -> list[str]:
    out = ["<h2>Các bảng (tables)</h2>", "<table>", "<thead><tr>"
           + "".join(f'<th scope="col"{c}>{h}</th>' for h, c in (
               ("Bảng (table)", ""), ("Số dòng (rows)", ' class="n"'), ("Kỳ vọng (expectations)", ' class="n"'),
               ("Đạt (passed)", ' class="n"'), ("Không đạt (failed)", ' class="n"'), ("Kết quả (result)", "")))
           + "</tr></thead>", "<tbody>"]
    for name in tables:
        part = results[results["table"] == name]
        bad = int((~part["success"].astype(bool)).sum())
        parts = partitions.get(name, 0)
        rows = _n(row_counts[name]) if name in row_counts else "–"
        rows += f" <span class=\"small\">({_n(parts)} phần / partitions)</span>" if parts else ""
        out.append(f'<tr{FAILED_ROW if bad else ""}><th scope="row"><a href="#{_anchor(name)}">{_e(name)}</a></th>'
                   f'<td class="n">{rows}</td><td class="n">{_n(len(part))}</td><td class="n">{_n(len(part) - bad)}</td>'
                   f'<td class="n">{_n(bad)}</td><td>{_status(not bad)}</td></tr>')
    return out + ["</tbody>", "</table>"]


def _failed_list(results: pd.DataFrame, failed: pd.DataFrame) -> list[str]:
    if failed.empty:
        return []
    out = ["<h2>Kỳ vọng không đạt (failed expectations)</h2>", "<ol>"]
    for index, row in failed.iterrows():
        number = _position(results, index)
        column = f" · cột {_e(row['column'])}" if row["column"] else ""
        out.append(f'<li><a href="#{_anchor(row["table"], number)}">{_e(row["table"])} #{number}</a> · '
                   f'<code>{_e(row["expectation_type"])}</code>{column}: {_e(row["description"])}</li>')
    return out + ["</ol>"]


def _table_section(name: str, part: pd.DataFrame, rows: int | None, parts: int) -> list[str]:
    bad = int((~part["success"].astype(bool)).sum())
    facts = [f"{_n(len(part))} kỳ vọng, {_n(len(part) - bad)} đạt, {_n(bad)} không đạt"]
    if rows is not None:
        facts.append(f"{_n(rows)} dòng" + (f", kiểm theo {_n(parts)} phần (partitions)" if parts else ""))
    facts.append(f"bộ kiểm tra (suite): expectations/{suites.generated_path(name).name} (sinh từ pipeline/schema.py) "
                 f"và expectations/{suites.hand_written_path(name).name} (luật nghiệp vụ)")
    out = [f'<h2 id="{_anchor(name)}">{_e(name)} {_status(not bad)}</h2>', f"<p>{_e('; '.join(facts))}.</p>",
           "<table>", "<thead><tr>" + "".join(f'<th scope="col">{h}</th>' for h in (
               "#", "Kết quả (result)", "Kỳ vọng (expectation)", "Cột (column)", "Tham số (arguments)",
               "Mô tả (description)", "Số dòng (counts)")) + "</tr></thead>", "<tbody>"]
    for number, (_, row) in enumerate(part.iterrows(), start=1):
        passed = bool(row["success"])
        arguments = "<br>".join(_e(a) for a in arguments_text(row["kwargs"]))
        out.append(f'<tr id="{_anchor(name, number)}"{"" if passed else FAILED_ROW}>'
                   f'<th scope="row">{number}</th><td>{_status(passed)}</td><td><code>{_breakable(row["expectation_type"])}</code></td>'
                   f'<td>{_e(str(row["column"]).replace(",", ", "))}</td><td>{arguments}</td><td>{_e(row["description"])}</td>'
                   f"<td>{_e(_counts(row))}</td></tr>")
        if not passed:
            out.append(f'<tr class="failed"><td></td><td colspan="6">{_failure(row)}</td></tr>')
    return out + ["</tbody>", "</table>"]


def _counts(row: pd.Series) -> str:
    """'3 / 1.200 dòng không đạt (0,25 %)', plus the empty rows a column rule skipped; '—' for a pass/fail-only check."""
    unexpected = int(row["unexpected_count"])
    elements, missing = _count(row["element_count"]), _count(row["missing_count"]) or 0
    if elements is None:
        return f"{_n(unexpected)} dòng không đạt" if unexpected else "—"
    considered = elements - missing
    share = f" ({_share(unexpected, considered)} %)" if considered else ""
    text = f"{_n(unexpected)} / {_n(considered)} dòng không đạt{share}"
    return text + (f"; {_n(missing)} dòng trống, không xét (missing)" if missing else "")


def _failure(row: pd.Series) -> str:
    """What failed: the failing rows as the gate named them, or what was observed / why GX could not check."""
    sample = list(row["sample_rows"] or [])
    if not sample:
        return f"<b>Phát hiện (found):</b> {_e(row['failing_rows'])}" if row["failing_rows"] else ""
    more = int(row["unexpected_count"]) - len(sample)
    heading = f"Dòng không đạt (failing rows){f', {_n(len(sample))} dòng đầu' if more > 0 else ''}:"
    out = [f"<b>{heading}</b>", '<ol class="rows">', *(f"<li>{_e(r)}</li>" for r in sample), "</ol>"]
    if more > 0:
        out.append(f"<p>… và {_n(more)} dòng khác (more rows).</p>")
    values = list(row["unexpected_values"] or [])
    if values and more > 0:  # with every failing row listed, their values are there already
        listed = "; ".join(f"{_e(value)} × {_n(count)}" for value, count in values)
        out.append(f"<p><b>Giá trị không đạt thường gặp nhất (most frequent failing values):</b> {listed}</p>")
    return "".join(out)


def _share(part: int, whole: int) -> str:
    """part of whole in %, two decimals at most; a share too small to show as 0,01 is '< 0,01', never a false 0."""
    percent = part / whole * 100
    return "< 0,01" if 0 < percent < 0.005 else _percent(round(percent, 2))


def _count(value) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return int(value)


def _position(results: pd.DataFrame, index) -> int:
    """1-based place of the row at `index` within its table's rows (the number its section shows)."""
    same = results.index[results["table"] == results.at[index, "table"]]
    return list(same).index(index) + 1


def _anchor(table: str, number: int | None = None) -> str:
    return _e(f"bang-{table}" + (f"-{number}" if number is not None else ""))


def _status(passed: bool) -> str:
    return '<span class="ok">✔ Đạt</span>' if passed else '<span class="fail">✘ Không đạt</span>'


def _n(value: int) -> str:
    return format_vn_number(int(value))


def _breakable(name: str) -> str:
    """A long snake_case name that may wrap after its underscores (a narrow column, a printed page)."""
    return "_<wbr>".join(_e(part) for part in str(name).split("_"))


def _e(text) -> str:
    return html.escape(str(text), quote=True)
