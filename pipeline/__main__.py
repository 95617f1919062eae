"""Command line: python -m pipeline <build|validate|render|years|dictionary> [...].

Make calls these; each prints what it does and, on a PipelineError, one readable paragraph
(no traceback) before exiting non-zero.
"""
from __future__ import annotations

import argparse
import sys

from pipeline.errors import PipelineError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="raw -> processed parquet (ingest, clean, transcription check, reconciliation)")
    sub.add_parser("validate", help="run the Great Expectations gate on data/processed and write Data Docs")
    render = sub.add_parser("render", help="execute and render the annual report")
    render.add_argument("--year", required=True)
    render.add_argument("--district", default="")
    check = sub.add_parser("check-params", help="check YEAR/DISTRICT against the processed data")
    check.add_argument("--year", required=True)
    check.add_argument("--district", default="")
    sub.add_parser("dictionary", help="write docs/data_dictionary.md from pipeline/schema.py")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            from pipeline import build

            build.run()
        elif args.command == "validate":
            from pipeline import validate

            validate.run()
        elif args.command == "render":
            from pipeline import render

            render.run(args.year, args.district or None)
        elif args.command == "check-params":
            from pipeline import report_data

            report_data.check_params(args.year, args.district or None)
        elif args.command == "dictionary":
            from pipeline import dictionary

            dictionary.write()
    except PipelineError as err:
        print(f"LỖI / ERROR: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
