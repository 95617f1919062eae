"""Command line: python -m pipeline <build|registers|validate|render|render-all|pdf|check-params|dictionary|expectations>.

Make calls these. Each command is one stage of the run log (reports/run_log.jsonl); on a
PipelineError it prints one readable paragraph (no traceback) and exits non-zero.
"""
from __future__ import annotations

import argparse
import os
import sys

from pipeline import paths, runlog
from pipeline.errors import PipelineError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="raw -> processed parquet (ingest, clean, transcription check, reconciliation)")
    sub.add_parser("registers", help="household registers -> register tables (pseudonymise, audit, aggregate)")
    sub.add_parser("validate", help="run the Great Expectations gate on data/processed and write its page")
    render = sub.add_parser("render", help="execute and render the annual report")
    render.add_argument("--year", required=True)
    render.add_argument("--district", default="")
    render.add_argument("--edition", default="", help="vi (default) or en")
    render_all = sub.add_parser("render-all", help="the province report and every district report of a year, and the index")
    render_all.add_argument("--year", required=True)
    render_all.add_argument("--jobs", type=int, default=2)
    render_all.add_argument("--edition", default="", help="vi (default) or en")
    pdf = sub.add_parser("pdf", help="an A4 PDF beside every report of a year, printed by Debian's headless Chromium")
    pdf.add_argument("--year", required=True)
    check = sub.add_parser("check-params", help="check YEAR/DISTRICT against the processed data")
    check.add_argument("--year", required=True)
    check.add_argument("--district", default="")
    check.add_argument("--edition", default="")
    sub.add_parser("dictionary", help="write docs/data_dictionary.md from pipeline/schema.py")
    sub.add_parser("expectations", help="write the generated GX suites expectations/*.generated.json from pipeline/schema.py")
    args = parser.parse_args(argv)
    if argv is None and args.command.startswith("render") and os.environ.get("PYTHONHASHSEED") != "0":
        # Reports run in this process: nothing they show may depend on Python's per-run string hashing.
        os.execve(sys.executable, [sys.executable, "-m", "pipeline", *sys.argv[1:]], {**os.environ, "PYTHONHASHSEED": "0"})
    try:
        if args.command == "build":
            from pipeline import build

            with runlog.stage("build") as record:
                record["inputs"] = [runlog.file_record(p) for p in runlog.files_in("data/raw/*")]
                tables = build.run()
                record["outputs"] = [runlog.file_record(paths.processed_table(name)) for name in tables]
        elif args.command == "registers":
            from pipeline.registers import stage as register

            with runlog.stage("registers") as record:
                tables = register.run(record)  # records its inputs, hashed once as it reads them
                record["outputs"] = [runlog.file_record(paths.processed_table(name)) for name in tables]
        elif args.command == "validate":
            from pipeline.gate import validate

            with runlog.stage("validate") as record:
                record["inputs"] = [runlog.file_record(p) for p in runlog.files_in("data/processed/*.parquet",
                                                                                   "expectations/*.json")]
                record["outputs"] = [runlog.file_record(p) for p in validate.run(record)]
        elif args.command == "render":
            from pipeline.report import render

            with runlog.stage("render", {"year": args.year, "district": args.district, "edition": args.edition or "vi"}) as record:
                record["inputs"] = [runlog.file_record(p) for p in runlog.files_in("data/processed/*.parquet",
                                                                                   "notebooks/annual_report.ipynb")]
                record["outputs"] = [runlog.file_record(p) for p in render.run(args.year, args.district or None,
                                                                               edition=args.edition)]
        elif args.command == "render-all":
            from pipeline.report import render

            with runlog.stage("render-all", {"year": args.year, "jobs": args.jobs, "edition": args.edition or "vi"}) as record:
                record["inputs"] = [runlog.file_record(p) for p in runlog.files_in("data/processed/*.parquet",
                                                                                   "notebooks/annual_report.ipynb")]
                record["outputs"] = [runlog.file_record(p) for p in render.run_all(args.year, args.jobs, args.edition)]
        elif args.command == "pdf":
            from pipeline.report import pdf

            with runlog.stage("pdf", {"year": args.year}) as record:
                record["outputs"] = [runlog.file_record(p) for p in pdf.run(args.year, record)]
        elif args.command == "check-params":
            from pipeline.report import edition, report_data

            edition.get(args.edition)
            report_data.check_params(args.year, args.district or None)
        elif args.command == "dictionary":
            from pipeline import dictionary

            dictionary.write()
        elif args.command == "expectations":
            from pipeline.gate import validate

            validate.write_generated_suites()
    except PipelineError as err:
        print(f"LỖI / ERROR: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
