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
# Exactly what format_vn_number writes: grouped thousands, no leading zero, "-" only before a non-zero value.
_FORMATTED_VN_NUMBER = re.compile(r"^-?(0|[1-9]\d{0,2}(\.\d{3})*)(,\d+)?$")
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


def parse_formatted_vn_number(text: str) -> Decimal:
    """The number format_vn_number wrote: "1.234,50" -> Decimal("1234.50"), its decimals kept in the exponent.

    Its exact inverse, so a display cell turns back into the value it shows and not into a guess: text the
    formatter never writes ("2022" for a year, "007" for a code, "1.5", "-0", " 3") raises
    VietnameseNumberError. format_vn_number(d, max(0, -d.as_tuple().exponent)) gives the text back.
    """
    if not isinstance(text, str) or not _FORMATTED_VN_NUMBER.match(text):
        raise VietnameseNumberError(f"{text!r} is not a number as format_vn_number writes it (e.g. 1.234,5)")
    value = Decimal(text.replace(".", "").replace(",", "."))
    if text.startswith("-") and value == 0:
        raise VietnameseNumberError(f"{text!r}: format_vn_number never writes a negative zero")
    return value


def ascii_slug(text: str) -> str:
    """ASCII slug for file names: "Huyện Đình Lập" -> "huyen-dinh-lap" (đ has no decomposition)."""
    text = nfc(text).replace("đ", "d").replace("Đ", "D")
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", "-", stripped.lower()).strip("-")


# --- Legacy Vietnamese encodings -------------------------------------------------------------
# Before Unicode, Vietnamese offices typed with TCVN3 (ABC, ".Vn" fonts) or VNI fonts, and Windows
# has its own code page 1258. Such text read as UTF-8 is either invalid bytes or "mojibake": Latin-1
# lookalikes such as "Hé nghÌo" (TCVN3) or "Huyeän" (VNI) for "Hộ nghèo", "Huyện". These tables and
# checks only RECOGNISE such text so ingestion can say which encoding a file looks like; they do not
# silently convert it (a wrong guess would corrupt names and figures).
TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng
_VOWELS = "aăâeêioôơuưy"
VIETNAMESE_LETTERS = frozenset(
    [nfc(v + t) for v in _VOWELS + _VOWELS.upper() for t in ("",) + tuple(TONE_MARKS)]
    + list("đĐ") + [chr(c) for c in range(ord("A"), ord("z") + 1) if chr(c).isalpha()]
)
# Vietnamese letters outside Latin-1 (ă, đ, ơ, ư, ạ, ấ, …): a cell holding one is real Unicode Vietnamese.
VIETNAMESE_ONLY_LETTERS = frozenset(c for c in VIETNAMESE_LETTERS if ord(c) > 0xFF)
_VOWEL_LETTERS = frozenset(nfc(v + t) for v in _VOWELS + _VOWELS.upper() for t in ("",) + tuple(TONE_MARKS))
_MARKED_VOWELS = "".join(sorted(c for c in _VOWEL_LETTERS if not c.isascii()))
_AFTER_O = "".join(sorted(nfc(v + t) for v in "aăeAĂE" for t in TONE_MARKS) + list("ăĂ"))
# Vowel pairs Vietnamese never writes but VNI produces (a + ê for ă, o + â for ô): after a or e no
# vowel carries a mark (tones sit on the first: ái, kéo); after o only a, ă, e do (hoà, xoăn, khoẻ).
_IMPOSSIBLE_PAIR = re.compile(f"[aeAE][{_MARKED_VOWELS}]|[oO][{''.join(sorted(set(_MARKED_VOWELS) - set(_AFTER_O)))}]")

# TCVN3 (ABC) byte, shown as its Latin-1 character -> the Vietnamese letter the .Vn font draws there.
TCVN3 = dict(zip(
    "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦",
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ",
))
# VNI: a base letter followed by a key character adding marks (e + ä = ệ); a few letters are one character.
_VNI_KEYS = dict(zip("ùøûõïâáàåãäêéèúüë", ["\u0301", "\u0300", "\u0309", "\u0303", "\u0323",
                                             "\u0302", "\u0302\u0301", "\u0302\u0300", "\u0302\u0309", "\u0302\u0303",
                                             "\u0302\u0323", "\u0306", "\u0306\u0301", "\u0306\u0300", "\u0306\u0309",
                                             "\u0306\u0303", "\u0306\u0323"]))
VNI_KEYS = {**_VNI_KEYS, **{k.upper(): v for k, v in _VNI_KEYS.items()}}
VNI_LETTERS = {"ñ": "đ", "Ñ": "Đ", "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư", "æ": "ỉ", "Æ": "Ỉ", "ó": "ĩ", "Ó": "Ĩ",
               "ò": "ị", "Ò": "Ị", "î": "ỵ", "Î": "Ỵ"}
_VNI_PAIR = re.compile("([aeouyAEOUYôöÔÖ])([" + "".join(VNI_KEYS) + "])")
_WORD = re.compile(r"[^\s!-@\[-`{-~]+")  # letters and any non-ASCII; ASCII digits and punctuation split words
_EDGE_SYMBOLS = "«»“”‘’°§²³%‰…–—•\u00a0"
_VIQR = re.compile(r"(?<=[A-Za-z])([AaEeOo]\^|[Aa]\((?=[`'?~.]?[a-z])|[OoUu]\+(?=[`'?~.]?[a-z]))")


def tcvn3_to_unicode(text: str) -> str:
    """TCVN3 text read as Latin-1 (bytes.decode('latin-1') or mojibake) -> Unicode."""
    return "".join(TCVN3.get(c, c) for c in text.replace("\u03bc", "µ"))  # Greek μ: a font's lookalike of µ


def vni_to_unicode(text: str) -> str:
    """VNI text read as Latin-1 -> Unicode (NFC)."""
    def pair(match: re.Match) -> str:
        return nfc(VNI_LETTERS.get(match[1], match[1]) + VNI_KEYS[match[2]])
    return "".join(VNI_LETTERS.get(c, c) for c in _VNI_PAIR.sub(pair, text))


def implausible_word(word: str) -> bool:
    """A word no correctly encoded Vietnamese has: a foreign letter or symbol inside it, a capital
    with a diacritic right after a small letter ("nghÌo"), four vowels in a row, a vowel pair
    Vietnamese never writes ("Naêm"), or two tone marks."""
    core = nfc(word).strip(_EDGE_SYMBOLS)
    if core.isascii():
        return False
    if any(c not in VIETNAMESE_LETTERS for c in core):
        return True
    if any(a.islower() and b.isupper() and not b.isascii() for a, b in zip(core, core[1:])):
        return True
    if any(len(run) > 3 for run in re.findall(f"[{''.join(_VOWEL_LETTERS)}]+", core)):
        return True  # no Vietnamese syllable has more than three vowels (khuya, người)
    if _IMPOSSIBLE_PAIR.search(core):
        return True
    return sum(c in TONE_MARKS for c in unicodedata.normalize("NFD", core)) > 1


def vietnamese_score(text: str) -> int:
    """Words with diacritics that read as Vietnamese minus those that cannot: > 0 for real Vietnamese."""
    words = [w for w in _WORD.findall(nfc(text)) if not w.isascii()]
    return sum(-1 if implausible_word(w) else 1 for w in words)


def _undo_cp1252(text: str) -> str:
    """UTF-8 bytes that were once read as Windows-1252 ("Há»™"), read back; "" when they cannot be."""
    try:
        return b"".join(c.encode("cp1252") if c.encode("cp1252", "ignore") else c.encode("latin-1") for c in text).decode()
    except UnicodeError:
        return ""


def legacy_mojibake(text: str) -> tuple[str, str] | None:
    """(what it looks like, probable reading or "") when valid Unicode text looks like legacy-encoded
    Vietnamese (TCVN3, VNI, VIQR, or UTF-8 once opened as Windows-1252), else None.

    Cheap on purpose: only text with no letter beyond Latin-1 (no ă, đ, ơ, ư, ạ, …) and with a word
    that cannot be Vietnamese is examined; it need not catch everything, and must never flag real text.
    """
    text = nfc(text)
    if text.isascii():
        return ("kiểu gõ VIQR", "") if _VIQR.search(text) else None
    if any(c in VIETNAMESE_ONLY_LETTERS for c in text) or not any(map(implausible_word, _WORD.findall(text))):
        return None
    readings = {"bảng mã TCVN3 (ABC)": tcvn3_to_unicode(text), "bảng mã VNI": vni_to_unicode(text),
                "UTF-8 bị mở nhầm bằng Windows-1252": _undo_cp1252(text)}
    # On a tie, VNI if most marked characters follow a vowel (VNI adds marks after the letter, TCVN3 replaces it).
    vni_like = 2 * len(_VNI_PAIR.findall(text)) > sum(not c.isascii() for c in text)
    name = max(readings, key=lambda k: (vietnamese_score(readings[k]), k.endswith("VNI") == vni_like))
    return name, nfc(readings[name])
