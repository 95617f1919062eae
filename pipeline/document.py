"""The plan document as data: its numbered sections and the numbers stated in each.

Section ids follow the document's own numbering: "A", "A.IV.2", "B.III.3.a". A closing line that
starts with asterisks and "Tổng" (the plan's "*** Tổng kinh phí đề xuất năm 2022") is a section of
its own, "<roman section>.Tổng", so its totals are not mistaken for the last sub-project's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from pipeline.vn import nfc, parse_vn_number

# Heading patterns by level; a heading resets every deeper level.
_HEADINGS = (
    (0, re.compile(r"^([A-Z])\.\s+\S")),
    (1, re.compile(r"^([IVX]+)\.\s+\S")),
    (2, re.compile(r"^(\d+)\.\s+\S")),
    (3, re.compile(r"^([a-z])\)\s+\S")),
)
_CLOSING_TOTAL = re.compile(r"^\*+\s*\**\s*Tổng\b")
NUMBER_TOKEN = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\d])|(?<![\d.,])\d+(?:,\d+)?(?![\d])")
MONEY_MENTION = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?)\s+triệu đồng")


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    text: str  # heading line and body, up to the next heading of any level


@dataclass(frozen=True)
class MoneyMention:
    section: str
    amount: Decimal
    context: str  # the sentence around the mention, for messages


def parse_sections(text: str) -> list[Section]:
    """Split the document at its headings; text before the first heading is section "preamble"."""
    path: list[str] = []
    sections: list[tuple[str, str, list[str]]] = [("preamble", "", [])]
    for line in nfc(text).splitlines():
        stripped = line.strip()
        section_id = _heading_id(stripped, path)
        if section_id is not None:
            sections.append((section_id, stripped, [stripped]))
        else:
            sections[-1][2].append(stripped)
    return [Section(sid, heading, "\n".join(lines).strip()) for sid, heading, lines in sections]


def _heading_id(line: str, path: list[str]) -> str | None:
    """Section id if `line` is a heading (updating `path` in place), else None."""
    if _CLOSING_TOTAL.match(line) and len(path) >= 2:
        del path[2:]
        return ".".join(path + ["Tổng"])
    # "I." and "V." are also capital letters: inside a lettered part they are roman numerals.
    order = sorted(_HEADINGS, key=lambda h: h[0] == 0) if path else _HEADINGS
    for level, pattern in order:
        match = pattern.match(line)
        if match and level <= len(path):
            del path[level:]
            path.append(match.group(1))
            return ".".join(path)
    return None


def section_index(sections: list[Section]) -> dict[str, Section]:
    return {s.id: s for s in sections}


def subtree_text(index: dict[str, Section], section_id: str) -> str:
    """Text of a section and all its sub-sections ("B.III" includes "B.III.3.a")."""
    return "\n".join(s.text for sid, s in index.items() if sid == section_id or sid.startswith(section_id + "."))


def numbers_in(text: str) -> list[tuple[Decimal, str]]:
    """Every number token of a text as (value, token), Vietnamese notation ("466.028", "7,88", "06")."""
    return [(parse_vn_number(m.group(0)), m.group(0)) for m in NUMBER_TOKEN.finditer(_plain(text))]


def money_mentions(sections: list[Section]) -> list[MoneyMention]:
    """Every "<number> triệu đồng" the document states, with the section it is stated in."""
    mentions = []
    for section in sections:
        plain = _plain(section.text)
        for match in MONEY_MENTION.finditer(plain):
            mentions.append(MoneyMention(section.id, parse_vn_number(match.group(1)), sentence_around(plain, match.start())))
    return mentions


def sentence_around(text: str, position: int, width: int = 160) -> str:
    """A readable excerpt around a position (numbers contain dots, so cut on width, not on '.')."""
    start = max(0, position - width)
    end = min(len(text), position + width)
    excerpt = " ".join(text[start:end].split())
    return ("…" if start > 0 else "") + excerpt + ("…" if end < len(text) else "")


def _plain(text: str) -> str:
    """Drop markdown emphasis and footnote marks that the text copy carries."""
    return re.sub(r"[*_¹²³]", "", text)
