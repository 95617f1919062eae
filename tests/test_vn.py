"""Vietnamese numbers and text: exact parsing, strict rejection, display formatting, NFC, slugs."""
import unicodedata
from decimal import Decimal

import pytest

from pipeline.vn import (
    VietnameseNumberError,
    ascii_slug,
    clean_text,
    format_vn_number,
    parse_formatted_vn_number,
    parse_vn_number,
)


@pytest.mark.parametrize("text, expected", [
    ("466.028", Decimal("466028")),
    ("7,88%", Decimal("7.88")),
    ("1.250 triệu đồng", Decimal("1250")),
    ("0", Decimal("0")),
    ("06", Decimal("6")),
    ("3,0", Decimal("3.0")),
    ("1.234.567,891", Decimal("1234567.891")),
    ("  25,95 ", Decimal("25.95")),
    ("9.780\u00a0triệu đồng", Decimal("9780")),
])
def test_parse_vietnamese_numbers_exactly(text, expected):
    assert parse_vn_number(text) == expected


@pytest.mark.parametrize("text", ["1.5", "12.20", "466,028.5", "1.2345", "abc", "", "7,88,1", "1 250"])
def test_rejects_what_is_not_a_vietnamese_number(text):
    with pytest.raises(VietnameseNumberError, match="not a Vietnamese number"):
        parse_vn_number(text)


@pytest.mark.parametrize("value, decimals, expected", [
    (466028, 0, "466.028"), (1234.5, 1, "1.234,5"), (2.3242, 2, "2,32"), (0.005, 2, "0,01"),
    (-1000, 0, "-1.000"), (None, 0, "–"), (float("nan"), 1, "–"), (999, 0, "999"),
])
def test_format_for_vietnamese_readers(value, decimals, expected):
    assert format_vn_number(value, decimals) == expected


def test_the_display_parser_undoes_the_formatter_exactly():
    """parse_formatted_vn_number(format_vn_number(v, d)) is v rounded to d decimals, and formatting it again
    gives the same text, for values of every size and sign."""
    values = [0, 1, 7.88, 25.95, -3.5, 999, 1000, 466028, 1234567.891, -0.004, 0.019, 10**12 + 0.5, 2.3242]
    for value in values:
        for decimals in range(4):
            text = format_vn_number(value, decimals)
            parsed = parse_formatted_vn_number(text)
            assert parsed == Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding="ROUND_HALF_UP")
            assert max(0, -parsed.as_tuple().exponent) == decimals, text
            assert format_vn_number(parsed, decimals) == text


@pytest.mark.parametrize("text", ["2022", "007", "06", "1.5", "1.2345", "-0", "-0,00", " 3", "3 ", "1.234,", ",5",
                                  "7,88 %", "+3", "trên 35.000", "<10", "–", ""])
def test_the_display_parser_refuses_what_the_formatter_never_writes(text):
    with pytest.raises(VietnameseNumberError):
        parse_formatted_vn_number(text)


def test_clean_text_makes_nfd_and_nfc_equal_and_tidies_spaces():
    decomposed = unicodedata.normalize("NFD", "Huyện  Đình Lập ")
    assert decomposed != "Huyện Đình Lập"
    assert clean_text(decomposed) == "Huyện Đình Lập"


def test_ascii_slug_handles_d_with_stroke():
    assert ascii_slug("Huyện Đình Lập") == "huyen-dinh-lap"
    assert ascii_slug(unicodedata.normalize("NFD", "Thành phố Lạng Sơn")) == "thanh-pho-lang-son"
