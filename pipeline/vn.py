"""Vietnamese text and numbers: NFC normalisation, exact number parsing, display formatting.

Vietnamese documents write 466.028 for four hundred sixty-six thousand and 7,88 for seven point
eight eight. Parsing is strict on purpose: "1.5" is neither a thousands group nor a Vietnamese
decimal, so it is rejected rather than guessed.
"""
from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

# Units that may follow a number in a cell or in the plan's text; they are dropped by the parser.
_NUMBER_UNIT_SUFFIXES = ("triệu đồng", "trđ", "tr.đ", "%")
_VN_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_SPACES = re.compile(r"\s+")


class VietnameseNumberError(ValueError):
    """A text that is not a number written the Vietnamese way."""


def nfc(text: str) -> str:
    """Unicode NFC: the same Vietnamese word typed two ways compares equal afterwards."""
    return unicodedata.normalize("NFC", text)


def clean_text(text: str) -> str:
    """NFC, surrounding spaces removed and inner runs of whitespace (incl. NBSP) made one space."""
    return _SPACES.sub(" ", nfc(text)).strip()


def parse_vn_number(text: str) -> Decimal:
    """Parse "466.028", "7,88%", "1.250 triệu đồng" or "-3" exactly into a Decimal.

    Raises VietnameseNumberError with the offending text when it is not such a number.
    """
    if not isinstance(text, str):
        raise VietnameseNumberError(f"expected text, got {type(text).__name__} {text!r}")
    body = clean_text(text)
    lowered = body.lower()
    for unit in _NUMBER_UNIT_SUFFIXES:
        if lowered.endswith(unit):
            body = body[: len(body) - len(unit)].strip()
            break
    body = body.replace("\u2212", "-")  # typographic minus
    if not _VN_NUMBER.match(body):
        raise VietnameseNumberError(
            f"'{text}' is not a Vietnamese number (thousands with '.', decimals with ',', e.g. 1.234,5)"
        )
    try:
        return Decimal(body.replace(".", "").replace(",", "."))
    except InvalidOperation as err:  # pragma: no cover - the regex admits only valid decimals
        raise VietnameseNumberError(f"'{text}' is not a number") from err


def format_vn_number(value: float | int | Decimal | None, decimals: int = 0, missing: str = "–") -> str:
    """Format for Vietnamese readers: 1234.5 -> "1.234,5" (decimals fixed, half away from zero)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    quantum = Decimal(1).scaleb(-decimals)
    number = Decimal(str(value)).quantize(quantum, rounding="ROUND_HALF_UP")
    sign = "-" if number < 0 else ""
    integer, _, fraction = f"{abs(number):f}".partition(".")
    grouped = f"{int(integer):,}".replace(",", ".")
    return f"{sign}{grouped},{fraction}" if decimals > 0 else f"{sign}{grouped}"


def ascii_slug(text: str) -> str:
    """ASCII slug for file names: "Huyện Đình Lập" -> "huyen-dinh-lap" (đ has no decomposition)."""
    text = nfc(text).replace("đ", "d").replace("Đ", "D")
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", "-", stripped.lower()).strip("-")
