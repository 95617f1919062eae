"""Report editions (pipeline/report/edition.py): the two label catalogues, the English number format and how the
workbook reads English cells back. Fast: no build."""
import random
import string
import unicodedata
from decimal import Decimal

import pandas as pd
import pytest

from pipeline.errors import PipelineError
from pipeline.report import edition as editions
from pipeline.report import tables, workbook
from pipeline.report.edition import format_en_number, parse_formatted_en_number
from pipeline.report import labels_en as en
from pipeline.report import labels_vi as vi
from pipeline.vn import VietnameseNumberError, format_vn_number

EN, VI = editions.EDITIONS["en"], editions.EDITIONS["vi"]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_both_catalogues_have_the_same_keys_and_placeholders():
    assert set(vi.LABELS) == set(en.LABELS), set(vi.LABELS) ^ set(en.LABELS)
    for key, text in vi.LABELS.items():
        assert isinstance(text, str) and isinstance(en.LABELS[key], str), key
        assert _fields(text) == _fields(en.LABELS[key]), key
        assert unicodedata.is_normalized("NFC", text) and unicodedata.is_normalized("NFC", en.LABELS[key]), key


def test_every_schema_code_has_a_label_in_both_editions():
    from pipeline import schema

    groups = {"funding": schema.FUNDING_SOURCE_LABELS, "capital": schema.CAPITAL_TYPE_LABELS,
              "standard": schema.STANDARD_LABELS, "indicator": schema.INDICATOR_LABELS,
              "value_kind": schema.VALUE_KIND_LABELS, "qualifier": schema.QUALIFIER_LABELS, "audit_rule": schema.AUDIT_RULES,
              "deprivation": schema.REGISTER_INDICATORS}
    for prefix, codes in groups.items():
        for code, label in codes.items():
            assert VI.t(f"{prefix}.{code}") == label  # the Vietnamese label is the data dictionary's
            assert f"{prefix}.{code}" in EN.labels


@pytest.mark.parametrize("value, decimals, text", [
    (1234.5, 1, "1,234.5"), (466028.0, 0, "466,028"), (-1234567.125, 2, "-1,234,567.13"), (0.019, 3, "0.019"),
    (7.885, 2, "7.89"), (999.5, 0, "1,000"), (0, 2, "0.00"), (None, 0, "–"), (float("nan"), 2, "–"),
])
def test_english_numbers_group_thousands_with_commas_and_round_half_up(value, decimals, text):
    assert format_en_number(value, decimals) == text
    assert EN.format_number(value, decimals) == text


def test_english_and_vietnamese_formats_write_the_same_digits():
    assert (format_en_number(1234567.891, 2), format_vn_number(1234567.891, 2)) == ("1,234,567.89", "1.234.567,89")


def test_parse_formatted_en_number_is_the_exact_inverse_of_the_formatter():
    rng = random.Random(7)
    for _ in range(500):
        decimals = rng.randint(0, 4)
        value = Decimal(rng.randint(-10**9, 10**9)).scaleb(-decimals)
        text = format_en_number(value, decimals)
        assert parse_formatted_en_number(text) == value and format_en_number(parse_formatted_en_number(text), decimals) == text
    assert parse_formatted_en_number("1,234.50").as_tuple().exponent == -2


@pytest.mark.parametrize("text", ["1.234,5", "2022", "1,23", "-0", " 3", "1,2345", "007", "1.5.3", "", "1,234.", ".5"])
def test_text_the_english_formatter_never_writes_is_rejected(text):
    with pytest.raises(VietnameseNumberError):
        parse_formatted_en_number(text)


def test_an_edition_is_named_vi_or_en_and_vi_is_the_default():
    assert editions.get(None) is VI and editions.get("") is VI and editions.get(" en ") is EN
    assert (VI.suffix, EN.suffix) == ("", ".en")
    with pytest.raises(PipelineError, match="vi, en"):
        editions.get("fr")


def test_english_cells_become_the_numbers_they_show():
    assert workbook.cell_value("1,234.5", False, EN) == (1234.5, "#,##0.0", "number")
    assert workbook.cell_value("466,028", False, EN) == (466028, "#,##0", "number")
    assert workbook.cell_value("7.88", True, EN) == (0.0788, "0.00%", "rate")
    assert workbook.cell_value("265,293 (computed)", False, EN) == (265293, '#,##0" (computed)"', "computed")
    assert workbook.cell_value("over 35,000", False, EN) == ("over 35,000", None, "qualified")
    assert workbook.cell_value("at least 3", False, EN) == ("at least 3", None, "qualified")
    assert workbook.cell_value("<10", False, EN) == ("<10", None, "suppressed")
    assert workbook.cell_value("1.234,5", False, EN)[2] == "text"  # a Vietnamese number is not read as English
    for text, rate in (("1.234,5", False), ("7,88", True), ("265.293 (tính)", False)):  # the Vietnamese cells: same numbers
        english = text.translate(str.maketrans(".,", ",.")).replace("(tính)", "(computed)")
        assert workbook.cell_value(text, rate, VI)[0] == workbook.cell_value(english, rate, EN)[0]


def test_english_number_cells_are_right_aligned_and_vietnamese_ones_are_not_mistaken_for_them():
    numeric = pd.Series(["over 35,000", "1,234.5 %", "265,293 (computed)", "–", "<10", "at least 3"])
    assert tables._numeric_column(numeric, EN) and not tables._numeric_column(numeric, VI)
    assert not tables._numeric_column(pd.Series(["1.234,5"]), EN)


def test_one_number_in_both_editions():
    assert (tables.number(3.01, ed=VI), tables.number(3.01, ed=EN)) == ("3,01", "3.01")
    assert (tables.qualified(35000, "over", VI), tables.qualified(35000, "over", EN)) == ("trên 35.000", "over 35,000")
    assert tables.computed(265293.0, EN) == "265,293 (computed)" and tables.rate(7.88, EN) == "7.88"
