"""Transcription check: the raw tables and the plan document must say the same thing.

Two directions:
- every value a row transcribes is found among the numbers of the section its row names
  (names of projects are found as text);
- every money amount the document states ("<số> triệu đồng", which includes every "Kinh phí: …"
  statement and its breakdown) is covered by a row naming that section, as many times as stated.
A typo either way fails the build with the row and the document's own words.
"""
from __future__ import annotations

import difflib
from collections import Counter
from decimal import Decimal

import pandas as pd

from pipeline.document import Section, money_mentions, numbers_in, section_index, sentence_around, subtree_text
from pipeline.errors import TranscriptionError
from pipeline.schema import RAW_TABLES
from pipeline.vn import clean_text, format_vn_number

# Raw tables whose numbers come from the plan, and the column holding the number.
VALUE_COLUMNS = {
    "budget_figures": "amount_mvnd",
    "budget_stated_totals": "amount_mvnd",
    "policy_results": "value",
    "plan_targets": "value",
    "poverty_series": "value",
}
TEXT_COLUMNS = {"projects": "name"}
MONEY_UNIT = "triệu đồng"


def check(tables: dict[str, pd.DataFrame], sections: list[Section]) -> pd.DataFrame:
    """Run both directions; raise TranscriptionError listing every problem, else return the summary."""
    index = section_index(sections)
    problems: list[str] = []
    summary = []
    for name, column in {**VALUE_COLUMNS, **TEXT_COLUMNS}.items():
        rows = tables[name][tables[name]["section"] != ""]
        found = 0
        for row in rows.itertuples(index=False):
            problem = _row_problem(name, column, row._asdict(), index)
            if problem:
                problems.append(problem)
            else:
                found += 1
        summary.append({"table": name, "rows_checked": len(rows), "rows_found": found,
                        "document_amounts": 0, "document_amounts_covered": 0})
    mentions = money_mentions(sections)
    uncovered = uncovered_mentions(mentions, money_rows(tables))
    problems += [f"Văn bản mục {m.section} nêu {format_vn_number(m.amount)} triệu đồng nhưng không dòng nào của "
                 f"các bảng ngân sách/kết quả ghi số này ở mục đó (amount in the document not transcribed). "
                 f"Văn bản: «{m.context}»" for m in uncovered]
    summary.append({"table": "plan_document", "rows_checked": 0, "rows_found": 0,
                    "document_amounts": len(mentions), "document_amounts_covered": len(mentions) - len(uncovered)})
    if problems:
        shown = problems[:15] + ([f"… và {len(problems) - 15} lỗi khác"] if len(problems) > 15 else [])
        raise TranscriptionError("Kiểm tra chép số liệu từ văn bản kế hoạch thất bại (transcription check failed):\n- "
                                 + "\n- ".join(shown))
    return pd.DataFrame(summary).astype({c: "int64" for c in ("rows_checked", "rows_found", "document_amounts",
                                                                "document_amounts_covered")})


def _row_problem(table: str, column: str, row: dict, index: dict[str, Section]) -> str | None:
    header = next(c.header for c in RAW_TABLES[table].columns if c.name == column)
    where = f"{row['source_file']} dòng {row['source_row']}, cột «{header}»"
    section_id = row["section"]
    if section_id not in index:
        return f"{where}: mục «{section_id}» không có trong văn bản (unknown section). Các mục: {', '.join(index)}."
    text = subtree_text(index, section_id)
    value = row[column]
    if column in TEXT_COLUMNS.values():
        if clean_text(value).casefold() in clean_text(text.replace("*", "")).casefold():
            return None
        return f"{where}: «{value}» không có trong mục {section_id} của văn bản. Văn bản: «{index[section_id].heading}»"
    numbers = numbers_in(text)
    if any(number == Decimal(str(value)) for number, _ in numbers):
        return None
    shown = _as_written(value)
    excerpt = _closest_excerpt(text, shown, numbers)
    return f"{where}: {shown} không có trong mục {section_id} của văn bản (value not found). Văn bản ghi: «{excerpt}»"


def _as_written(value: float) -> str:
    decimals = max(0, -Decimal(str(value)).normalize().as_tuple().exponent)
    return format_vn_number(value, decimals)


def _closest_excerpt(text: str, shown: str, numbers: list[tuple[Decimal, str]]) -> str:
    """The document's words around the number that looks most like the mistyped one."""
    plain = text.replace("*", "")
    if not numbers:
        return sentence_around(plain, 0)
    token = max((tok for _, tok in numbers), key=lambda tok: difflib.SequenceMatcher(None, tok, shown).ratio())
    return sentence_around(plain, plain.find(token), width=120)


def money_rows(tables: dict[str, pd.DataFrame]) -> Counter:
    """(section, amount) of every transcribed money figure, counted."""
    counts: Counter = Counter()
    for name in ("budget_figures", "budget_stated_totals"):
        for section, amount in tables[name][["section", "amount_mvnd"]].itertuples(index=False):
            counts[(section, Decimal(str(amount)))] += 1
    results = tables["policy_results"]
    for section, value in results.loc[results["unit"] == MONEY_UNIT, ["section", "value"]].itertuples(index=False):
        counts[(section, Decimal(str(value)))] += 1
    return counts


def uncovered_mentions(mentions, rows: Counter) -> list:
    """Mentions left over once each row has covered one mention of its (section, amount)."""
    remaining = Counter(rows)
    uncovered = []
    for mention in mentions:
        key = (mention.section, mention.amount)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            uncovered.append(mention)
    return uncovered
