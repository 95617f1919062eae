"""What an auditor gets beside each report: a run record and the folder's MANIFEST.sha256.

- <report>.run.json: parameters, code commit, SOURCE_DATE_EPOCH, lock hash, input hashes (project files,
  the household registers behind the report), output hashes, and which notebook cell made each table
  and figure (read off the executed notebook).
- reports/<year>/MANIFEST.sha256: `sha256sum -c` format, paths from the project root: every input
  (raw data, lock, code, suites, notebook), every processed table, the gate page and every file of
  the year's folder but its PDFs. `make verify` rebuilds from raw data and compares against it.
- reports/<year>/MANIFEST.pdf.sha256: the PDF copies `make pdf` printed (pipeline.report.pdf), same format,
  a separate file because they are outside the byte-identical promise (Chromium stamps the creation time, and
  its version changes the bytes): `sha256sum -c` on it checks that a PDF is the one printed, and neither a
  re-print nor its absence touches MANIFEST.sha256 or `make verify`.
Nothing here reads the clock; the same inputs give the same bytes (the PDFs aside).
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import re
from pathlib import Path

from pipeline import atomic, paths

MANIFEST_NAME = "MANIFEST.sha256"
PDF_MANIFEST_NAME = "MANIFEST.pdf.sha256"
DERIVED_SUFFIX = ".pdf"  # printed copies of a report: listed in PDF_MANIFEST_NAME, not in MANIFEST_NAME
RECORD_SUFFIX = ".run.json"
INPUT_PATTERNS = ("data/raw/*.csv", "data/raw/*.xlsx", "data/raw/*.txt", "requirements.lock", "pipeline/*.py", "pipeline/*/*.py",
                  "expectations/*.json", "notebooks/*.ipynb")
OUTPUT_PATTERNS = ("data/processed/*.parquet", paths.GATE_PAGE.relative_to(paths.ROOT).as_posix())
_TABLE_ID = re.compile(r'<table[^>]*\bid="T_([^"]+)"')


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def project_files(patterns: tuple[str, ...], root: Path | None = None) -> list[Path]:
    root = root or paths.ROOT
    return sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file() and not _hidden(p, root)})


def cell_products(notebook) -> list[dict]:
    """Which code cell (by id) displayed which table (by its HTML id) and which figure (by its alt text)."""
    products = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        figures = 0
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for table_id in _TABLE_ID.findall(data.get("text/html", "")):
                products.append({"cell": cell.id, "kind": "table", "id": table_id})
            if "image/png" in data:
                figures += 1
                alt = output.get("metadata", {}).get("image/png", {}).get("alt", "")
                products.append({"cell": cell.id, "kind": "figure", "id": f"{cell.id}-figure-{figures}", "title": alt})
    return products


def run_inputs(parameters: dict, commit: str, register_files: dict[str, str]) -> dict:
    """What a report is made from: parameters, commit, epoch, lock, Python, project inputs and its registers."""
    lock = paths.ROOT / "requirements.lock"
    return {
        "parameters": parameters,
        "code_commit": commit,
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
        "environment_lock_sha256": sha256(lock) if lock.is_file() else "",
        "python_version": platform.python_version(),  # printed in the report; not fixed by the lock
        "inputs": {paths.relative(p): sha256(p) for p in project_files(INPUT_PATTERNS)},
        "register_files": register_files,
    }


def record_path(stem: Path) -> Path:
    return stem.with_name(stem.name + RECORD_SUFFIX)


def write_run_record(stem: Path, inputs: dict, notebook, outputs: list[Path]) -> Path:
    """<stem>.run.json: run_inputs plus output hashes and the cell of each table and figure (sorted keys, no clock)."""
    record = {
        **inputs,
        "outputs": {paths.relative(p): sha256(p) for p in sorted(outputs)},
        "cells": cell_products(notebook),
    }
    path = record_path(stem)
    atomic.write_bytes(path, (json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return path


def manifest_lines(year: int, root: Path | None = None) -> list[str]:
    """`<sha256>  <path>` for inputs, processed tables, the gate page and the year's report folder (PDFs aside)."""
    root = root or paths.ROOT
    folder = root / "reports" / str(year)
    files = project_files(INPUT_PATTERNS + OUTPUT_PATTERNS, root)
    files += [p for p in sorted(folder.rglob("*")) if p.is_file() and not _hidden(p, root) and not derived(p)
              and p.name not in (MANIFEST_NAME, PDF_MANIFEST_NAME)]
    return [f"{sha256(p)}  {p.relative_to(root).as_posix()}" for p in files]


def derived(path: Path) -> bool:
    """A printed copy (PDF): not reproducible byte for byte, so outside MANIFEST.sha256 and `make verify`."""
    return path.suffix == DERIVED_SUFFIX


def write_manifest(year: int) -> Path:
    path = paths.report_dir(year) / MANIFEST_NAME
    atomic.write_bytes(path, ("\n".join(manifest_lines(year)) + "\n").encode("utf-8"))
    return path


def write_pdf_manifest(year: int, pdfs: list[Path], browser: str) -> Path:
    """MANIFEST.pdf.sha256: the year's PDF copies, after comment lines (which `sha256sum -c` skips) saying what they are."""
    header = [f"# Bản PDF in từ báo cáo HTML bằng {browser}: bản sao dẫn xuất, không hứa giống hệt từng byte khi in lại.",
              f"# PDF copies of the HTML reports, printed by {browser} (`make pdf`): derived, NOT byte-identical when",
              f"# printed again (creation time, browser version), so outside {MANIFEST_NAME} and `make verify`.",
              f"# `sha256sum -c` on this file checks that each PDF is the one printed."]
    lines = [f"{sha256(p)}  {paths.relative(p)}" for p in sorted(pdfs)]
    path = paths.report_dir(year) / PDF_MANIFEST_NAME
    atomic.write_bytes(path, ("\n".join(header + lines) + "\n").encode("utf-8"))
    return path


def read_manifest(path: Path) -> dict[str, str]:
    """path -> sha256 from a MANIFEST.sha256 (or MANIFEST.pdf.sha256); comment lines skipped, as sha256sum does."""
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        digest, _, name = line.partition("  ")
        entries[name] = digest
    return entries


def _hidden(path: Path, root: Path) -> bool:
    """Make's stamps, temporary files and the run log are not outputs."""
    parts = path.relative_to(root).parts
    return any(part.startswith(".") for part in parts) or path.name == "run_log.jsonl"

