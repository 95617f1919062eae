"""User-facing errors: the CLI prints them as one short paragraph and exits non-zero, no traceback."""
from __future__ import annotations


class PipelineError(Exception):
    """An error the user can act on (bad input, unknown parameter, failed gate)."""

    exit_code = 2


class RawDataError(PipelineError):
    """A raw file cannot be read as its table's contract says; names file, row and column."""

    def __init__(self, file: str, row: int | None, column: str | None, problem: str, fix: str = ""):
        self.file, self.row, self.column, self.problem, self.fix = file, row, column, problem, fix
        where = file + (f", dòng {row}" if row is not None else "") + (f", cột «{column}»" if column else "")
        super().__init__(f"{where}: {problem}" + (f" {fix}" if fix else ""))


class TranscriptionError(PipelineError):
    """A transcribed figure is not in the document where its row says, or a document amount has no row."""


class ValidationFailed(PipelineError):
    """The Great Expectations gate failed; the message lists table, expectation and failing rows."""

    exit_code = 1
