"""`make verify YEAR=…`: rebuild a year's reports from raw data in a temporary copy and compare.

The reference is reports/<year>/MANIFEST.sha256 and the run records beside the reports (which hold
the parameters, the code commit and SOURCE_DATE_EPOCH each report was made with). Inputs in the
working tree are compared first (so an edited raw byte is named as such), then every file the
manifest lists is compared with its rebuilt twin. Any difference: a list of files and exit 1.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline import manifest, paths
from pipeline.report import edition as editions
from pipeline.report import report_index
from pipeline.tools.project_copy import copy_project
from pipeline.errors import PipelineError



def run(year: str) -> list[str]:
    """Differences between the manifest and a rebuild from raw data; empty when everything matches."""
    folder = paths.REPORTS / str(year)
    listing = folder / manifest.MANIFEST_NAME
    if not listing.is_file():
        raise PipelineError(f"Chưa có {listing.relative_to(paths.ROOT)}: chạy `make report YEAR={year}` trước "
                            f"/ no manifest yet, run `make report YEAR={year}` first.")
    expected = manifest.read_manifest(listing)
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.rglob(f"*{manifest.RECORD_SUFFIX}"))]
    differences = compare(expected, paths.ROOT, only=_inputs(expected), label="tệp đầu vào đã đổi / input changed")
    with tempfile.TemporaryDirectory(prefix="langson-verify-") as tmp:
        root = Path(tmp)
        copy_project(root)
        prepare(root, records[0] if records else {})
        batches = [code for code in editions.EDITIONS  # made by `make reports [EDITION=…]`: every report and the index
                   if f"reports/{year}/{report_index.index_name(editions.EDITIONS[code])}" in expected]
        for code in batches:
            run_stage(root, records[0] if records else {}, ["render-all", "--year", str(year), "--edition", code])
        for record in records:
            parameters = record["parameters"]
            if (parameters.get("edition") or editions.DEFAULT) not in batches:
                run_stage(root, record, ["render", "--year", str(parameters["year"]), "--district",
                                         parameters.get("district") or "", "--edition", parameters.get("edition") or ""])
        differences += compare(expected, root, only=None, label="khác khi dựng lại / differs when rebuilt",
                               skip=_inputs(expected))
    return differences


def prepare(root: Path, record: dict) -> None:
    """build, registers (when there are household registers) and validate in the copy."""
    registers = any((root / "data" / "raw" / "registers").glob("*/ho_*"))
    for command in (["build"], ["registers"] if registers else [], ["validate"]):
        if command:
            run_stage(root, record, command)


def run_stage(root: Path, record: dict, command: list[str]) -> None:
    """One `python -m pipeline` command in the copy, with the commit and epoch the record names."""
    env = {**os.environ, "LANGSON_PROJECT_ROOT": str(root), "PYTHONHASHSEED": "0", "TZ": "UTC",
           "GX_ANALYTICS_ENABLED": "False"}
    if record.get("code_commit"):
        env["LANGSON_CODE_COMMIT"] = record["code_commit"]
    if record.get("source_date_epoch"):
        env["SOURCE_DATE_EPOCH"] = record["source_date_epoch"]
    done = subprocess.run([sys.executable, "-m", "pipeline", *command], cwd=root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise PipelineError(f"Dựng lại thất bại ở bước {command[0]} / rebuild failed: {done.stderr.strip()[-800:]}")


def compare(expected: dict[str, str], root: Path, only, label: str, skip=()) -> list[str]:
    names = [n for n in expected if (only is None or n in only) and n not in skip]
    differences = []
    for name in names:
        path = root / name
        if not path.is_file():
            differences.append(f"{name}: thiếu / missing ({label})")
        elif manifest.sha256(path) != expected[name]:
            differences.append(f"{name}: {label}")
    return differences


def _inputs(expected: dict[str, str]) -> set[str]:
    return {n for n in expected if any(Path(n).match(p) for p in manifest.INPUT_PATTERNS)}


def skipped_pdfs(year: str) -> int:
    """How many PDF copies the year's folder holds: outside the manifest, so not compared."""
    return sum(1 for p in (paths.REPORTS / str(year)).rglob("*") if p.is_file() and manifest.derived(p))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.tools.verify")
    parser.add_argument("--year", required=True)
    year = parser.parse_args(argv).year
    try:
        if not year.strip():
            raise PipelineError("Cần YEAR, ví dụ / YEAR is required, e.g. make verify YEAR=2022")
        differences = run(year)
    except PipelineError as err:
        print(f"LỖI / ERROR: {err}", file=sys.stderr)
        return err.exit_code
    if skipped := skipped_pdfs(year):
        print(f"verify {year}: bỏ qua {skipped} tệp PDF (bản sao in từ HTML, không hứa giống hệt từng byte; "
              f"xem {manifest.PDF_MANIFEST_NAME}) / skips {skipped} PDFs (derived copies, not byte-identical)")
    if differences:
        print(f"verify {year}: {len(differences)} tệp khác với MANIFEST / files differ:", file=sys.stderr)
        for line in differences:
            print(f"  - {line}", file=sys.stderr)
        return 1
    print(f"verify {year}: mọi tệp trong reports/{year}/MANIFEST.sha256 dựng lại giống hệt / all files identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
