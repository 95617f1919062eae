"""Build: data/raw -> data/processed (ingest, clean, transcription check, reconciliation).

Nothing is written unless every step succeeds, and then every table is written to a temporary
file and renamed into place, so a failed or interrupted build never leaves a half-written table.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from pipeline import atomic, paths, reconcile, schema, transcription
from pipeline.document import parse_sections
from pipeline.errors import RawDataError
from pipeline.ingest import read_table
from pipeline.schema import INDICATOR_LABELS, PROCESSED_TABLES, RAW_TABLES
from pipeline.vn import ascii_slug


def run() -> dict[str, pd.DataFrame]:
    """Build every processed table and write them; returns them for callers that want to look."""
    tables = build_tables(paths.RAW, paths.PLAN_DOCUMENT)
    write_tables(tables, paths.PROCESSED)
    print(f"build: {len(tables)} bảng (tables) -> {paths.PROCESSED.relative_to(paths.ROOT)}/; "
          f"{(tables['reconciliation']['status'] != 'match').sum()} phát hiện đối chiếu (reconciliation findings)")
    return tables


def build_tables(raw_dir: Path, plan_document: Path) -> dict[str, pd.DataFrame]:
    # Load inputs
    raw = {name: read_table(name, raw_dir) for name in RAW_TABLES}
    sections = parse_sections(read_document(plan_document))
    # Process data
    check_district_codes(raw)
    transcription_summary = transcription.check(raw, sections)
    lines = reconcile.budget_lines(raw["budget_figures"])
    districts = raw["districts"].assign(district_slug=raw["districts"]["district_name"].map(ascii_slug))
    findings = reconcile.reconcile(lines, raw["budget_stated_totals"], same_as_candidates(raw, lines),
                                   raw["plan_targets"], districts)
    tables = {
        "districts": districts,
        "projects": raw["projects"],
        "budget_figures": raw["budget_figures"],
        "budget_lines": lines,
        "budget_stated_totals": raw["budget_stated_totals"],
        "policy_results": raw["policy_results"],
        "plan_targets": raw["plan_targets"],
        "poverty_series": raw["poverty_series"],
        "poverty_rate_checks": reconcile.poverty_rate_checks(raw["poverty_series"]),
        "reconciliation": findings,
        "raw_inputs": raw_inputs(raw_dir),
        "transcription_check": transcription_summary,
    }
    return {name: schema.conform(name, tables[name]) for name in PROCESSED_TABLES}


def read_document(path: Path) -> str:
    """The plan document as text; it must be UTF-8 like every raw file."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise RawDataError(path.name, line, None, "văn bản không phải UTF-8 (not UTF-8).",
                           "Lưu lại văn bản dưới dạng văn bản thuần UTF-8.") from None
    except FileNotFoundError:
        raise RawDataError(path.name, None, None, "không tìm thấy văn bản kế hoạch (plan document not found).",
                           f"Chép văn bản vào data/raw/{path.name}.") from None


def check_district_codes(raw: dict[str, pd.DataFrame]) -> None:
    """District codes in ';'-lists are not reachable by the column checks of the GX gate: check them here."""
    known = set(raw["districts"]["district_code"])
    for row in raw["plan_targets"].to_dict("records"):
        for code in filter(None, row["district_codes"].split(";")):
            if code not in known:
                raise RawDataError(row["source_file"], row["source_row"], "Mã huyện",
                                   f"mã huyện «{code}» không có trong danh mục (unknown district code).",
                                   "Mã hợp lệ: " + ", ".join(sorted(known)) + ".")


def same_as_candidates(raw: dict[str, pd.DataFrame], lines: pd.DataFrame) -> pd.DataFrame:
    """Every figure another row can declare itself equal to, with one shape: id, year, label, value, unit, …"""
    results = raw["policy_results"].rename(columns={"indicator_id": "id", "indicator": "label"})
    series = raw["poverty_series"].rename(columns={"series_id": "id"})
    series["label"] = [f"{INDICATOR_LABELS[i]} năm {y}" for i, y in zip(series["indicator"], series["year"])]
    budget = lines.assign(id=lines["line_id"], value=lines["total_mvnd"].fillna(lines["sources_sum_mvnd"]),
                          unit=reconcile.MONEY, same_as="", source_row=0)
    columns = ["id", "year", "label", "value", "unit", "section", "same_as", "source_file", "source_row"]
    return pd.concat([results[columns], series[columns], budget[columns]], ignore_index=True)


def raw_inputs(raw_dir: Path) -> pd.DataFrame:
    """SHA-256 and size of every raw file the build reads (data/raw/, not the registers/ folder)."""
    files = sorted(p for p in raw_dir.iterdir() if p.is_file() and p.name != "README.md" and not p.name.startswith("."))
    return pd.DataFrame({"file": [p.relative_to(raw_dir).as_posix() for p in files],
                         "sha256": [hashlib.sha256(p.read_bytes()).hexdigest() for p in files],
                         "bytes": [p.stat().st_size for p in files]})


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> None:
    """All tables or none: each is staged beside its target, then all are renamed into place."""
    atomic.write_parquet_all({out_dir / f"{name}.parquet": frame for name, frame in tables.items()})
