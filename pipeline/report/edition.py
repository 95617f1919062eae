"""Report editions: the Vietnamese report (vi, the default) and its English translation (en).

An Edition carries everything that differs between the two: the label catalogue
(pipeline/report/labels_<code>.py, the same keys in both: tests/test_edition.py checks it), the number format (vi 1.234,5; en 1,234.5),
the HTML lang and the file-name suffix. It is passed explicitly (ReportData.edition, or an `ed` argument):
no module keeps a current edition, so forked workers rendering different editions cannot mix them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from pipeline.errors import PipelineError
from pipeline.report import labels_en as en
from pipeline.report import labels_vi as vi
from pipeline.vn import VietnameseNumberError, format_vn_number, parse_formatted_vn_number

DEFAULT = "vi"
_SWAP = str.maketrans(".,", ",.")  # Vietnamese <-> English separators: a bijection on formatted numbers


def format_en_number(value: float | int | Decimal | None, decimals: int = 0, missing: str = "–") -> str:
    """Format for English readers: 1234.5 -> "1,234.5"; the same rounding as format_vn_number, separators swapped."""
    return format_vn_number(value, decimals, missing).translate(_SWAP)


def parse_formatted_en_number(text: str) -> Decimal:
    """The exact inverse of format_en_number ("1,234.50" -> Decimal("1234.50")); other text raises VietnameseNumberError."""
    if not isinstance(text, str):
        raise VietnameseNumberError(f"{text!r} is not a number as format_en_number writes it (e.g. 1,234.5)")
    try:
        return parse_formatted_vn_number(text.translate(_SWAP))
    except VietnameseNumberError as err:
        raise VietnameseNumberError(f"{text!r} is not a number as format_en_number writes it (e.g. 1,234.5)") from err


@dataclass(frozen=True, eq=False)
class Edition:
    """One language edition of the reports (one instance per edition, in EDITIONS: compared and hashed by identity)."""

    code: str  # "vi" | "en": the HTML lang, the papermill parameter, EDITION= in make
    labels: Mapping[str, str]
    thousands: str  # the separators its numbers use (for patterns that recognise a printed number)
    decimal: str

    @property
    def suffix(self) -> str:
        """Inserted before a file's extension: "" for the Vietnamese files (names as ever), ".en" otherwise."""
        return "" if self.code == DEFAULT else f".{self.code}"

    def t(self, key: str, **values: object) -> str:
        """The label `key`, its {placeholders} filled from `values`."""
        text = self.labels[key]
        return text.format(**values) if values else text

    def format_number(self, value: object, decimals: int = 0, missing: str = "–") -> str:
        """The edition's number formatter (pipeline.vn.format_vn_number or format_en_number)."""
        return (format_vn_number if self.code == "vi" else format_en_number)(value, decimals, missing)

    def parse_number(self, text: str) -> Decimal:
        """Exact inverse of format_number; raises VietnameseNumberError for any other text."""
        return (parse_formatted_vn_number if self.code == "vi" else parse_formatted_en_number)(text)


EDITIONS = {
    "vi": Edition("vi", MappingProxyType(vi.LABELS), ".", ","),
    "en": Edition("en", MappingProxyType(en.LABELS), ",", "."),
}
VI = EDITIONS["vi"]


def get(code: object) -> Edition:
    """The edition named by EDITION= ("vi", "en"; empty is vi), else a PipelineError listing them."""
    if isinstance(code, Edition):
        return code
    name = (code or DEFAULT).strip().lower() if isinstance(code, str) or code is None else code
    if name not in EDITIONS:
        raise PipelineError(f"Không có ấn bản «{code}». Các ấn bản: {', '.join(EDITIONS)}. "
                            f"/ Unknown edition '{code}'; editions: {', '.join(EDITIONS)}.")
    return EDITIONS[name]
