"""The public documents the project's figures come from, and the one way to cite them.

Every source named in data/raw (the CSV source columns, the register in data/raw/README.md,
registers/SYNTHETIC.json) and in the reports is a `Document.cite()` of this catalogue, so a reader can
find the document: its kind, number, date and issuer as the document states them, and where it is
published. Where our copy does not state one of them (the 2022 plan carries no number and no date), the
citation says so (NOT_STATED) instead of guessing. tests/test_sources.py checks the raw files against
this catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass

NOT_STATED = "không ghi trong bản sao"
LEGAL, PAGE, PACKAGE = "legal", "page", "package"


@dataclass(frozen=True)
class Document:
    """A public document as cited: a legal text (number, date, issuer), a web page or a data package."""

    form: str          # LEGAL, PAGE or PACKAGE: which facts a reader needs to find it
    kind: str          # "Quyết định", "Kế hoạch", "Bài", "Gói dữ liệu"
    issuer: str = ""   # who issued or wrote it
    number: str = ""   # number of a legal text; "" when our copy does not state it
    date: str = ""     # d/m/yyyy as the document writes it; "" when our copy does not state it
    title: str = ""    # its title or, for a legal text, what it decides (as the document words it)
    where: str = ""    # the public address it was read at
    note: str = ""     # what a reader should know about it, in a few words

    def cite(self, part: str = "") -> str:
        """The citation, optionally narrowed to a part ("mục B.I"): the same text everywhere it is printed."""
        text = self._legal() if self.form == LEGAL else self._page()
        return f"{text}, {part}" if part else text

    def _legal(self) -> str:
        words = [self.kind, f"số {self.number}" if self.number else "", f"ngày {self.date}" if self.date else "",
                 f"của {self.issuer}", self.title]
        missing = [label for label, value in (("số", self.number), ("ngày", self.date)) if not value]
        return _with_notes(" ".join(w for w in words if w), [self.note, self.where], missing)

    def _page(self) -> str:
        title = f"«{self.title}»" if self.form == PAGE and self.title else self.title
        words = [self.kind, title, f"của {self.issuer}" if self.issuer else "", f"trên {self.where}",
                 f"ngày {self.date}" if self.date else ""]
        missing = [label for label, value in (("tiêu đề", self.title), ("ngày", self.date)) if not value]
        return _with_notes(" ".join(w for w in words if w), [self.note], missing if self.form == PAGE else [])


def _with_notes(text: str, notes: list[str], missing: list[str]) -> str:
    """text (note; …; <missing facts>: không ghi trong bản sao)."""
    notes = [n for n in notes if n] + ([f"{', '.join(missing)}: {NOT_STATED}"] if missing else [])
    return f"{text} ({'; '.join(notes)})" if notes else text


# --- Legal texts ---------------------------------------------------------------------------------------------
# The province's 2022 plan, the project's input document (data/raw/ke_hoach_mtqg_gnbv_2022_lang_son.txt, a
# text copy without page numbers: rows cite its sections). Its heading and signature state the issuer, not the
# number or the date.
PLAN = Document(LEGAL, "Kế hoạch", issuer="UBND tỉnh Lạng Sơn",
                title="thực hiện Chương trình Mục tiêu quốc gia giảm nghèo bền vững năm 2022")
QD_2426_2017 = Document(LEGAL, "Quyết định", issuer="UBND tỉnh Lạng Sơn", number="2426/QĐ-UBND", date="16/12/2017",
                        title="phê duyệt kết quả rà soát hộ nghèo, hộ cận nghèo tỉnh Lạng Sơn năm 2017",
                        where="tin ngày 18/12/2017 trên www.langson.gov.vn/ubnd/node/41382")
QD_83_2026 = Document(LEGAL, "Quyết định", issuer="UBND tỉnh Lạng Sơn", number="83/QĐ-UBND", date="15/01/2026",
                      note="kết quả rà soát hộ nghèo, hộ cận nghèo cuối năm 2025", where="đăng trên langson.gov.vn")
QD_353_2022 = Document(LEGAL, "Quyết định", issuer="Thủ tướng Chính phủ", number="353/QĐ-TTg", date="15/3/2022",
                       title="phê duyệt danh sách huyện nghèo, xã đặc biệt khó khăn vùng bãi ngang, ven biển và hải đảo "
                             "giai đoạn 2021 - 2025")
QD_90_2022 = Document(LEGAL, "Quyết định", issuer="Thủ tướng Chính phủ", number="90/QĐ-TTg", date="18/01/2022",
                      title="phê duyệt Chương trình mục tiêu quốc gia giảm nghèo bền vững giai đoạn 2021 - 2025")
QD_124_2004 = Document(LEGAL, "Quyết định", issuer="Thủ tướng Chính phủ", number="124/2004/QĐ-TTg", date="08/7/2004",
                       title="về việc ban hành Bảng danh mục và mã số các đơn vị hành chính Việt Nam",
                       note="và các lần cập nhật danh mục")

# --- Web pages and data packages -----------------------------------------------------------------------------
VIETNAM_PROVINCES = Document(PACKAGE, "Gói dữ liệu", title="vietnam-provinces 0.6.0",
                             where="pypi.org/project/vietnam-provinces/0.6.0", note="phiên bản dữ liệu 2025-01-04")
VBSP_2019 = Document(PAGE, "Bài", title="Tín dụng chính sách hỗ trợ giảm nghèo ở Lạng Sơn",
                     where="vbsp.org.vn/tin-dung-chinh-sach-ho-tro-giam-ngheo-o-lang-son.html", date="18/11/2019",
                     note="theo Báo Lạng Sơn")
DANVIET_2025 = Document(PAGE, "Bài", where="trangtraiviet.danviet.vn", date="16/9/2025",
                        note="dẫn lời Phó Giám đốc Sở Nông nghiệp và Môi trường tỉnh Lạng Sơn")
VIETNAM_VN_2025 = Document(PAGE, "Bài", title="Lang Son makes breakthroughs in multidimensional poverty reduction",
                           issuer="Sở Nông nghiệp và Môi trường tỉnh Lạng Sơn",
                           where="www.vietnam.vn/en/lang-son-but-pha-giam-ngheo-da-chieu", date="26/11/2025")
DANVIET_2024 = Document(PAGE, "Bài", where="danviet.vn", note="số liệu cuối năm 2024")
TCKTTC_2025 = Document(PAGE, "Bài", title="Tỉnh Lạng Sơn: Tỷ lệ hộ nghèo chỉ còn khoảng 1,36%",
                       where="tapchikinhtetaichinh.vn/tinh-lang-son-ty-le-ho-ngheo-chi-con-khoang-1-36.html")
VIETNAMNET_2022 = Document(PAGE, "Bài", where="vietnamnet.vn", note="«tỷ lệ hộ nghèo năm 2022 ước giảm 3%»")

DOCUMENTS = (PLAN, QD_2426_2017, QD_83_2026, QD_353_2022, QD_90_2022, QD_124_2004,
             VIETNAM_PROVINCES, VBSP_2019, DANVIET_2025, VIETNAM_VN_2025, DANVIET_2024, TCKTTC_2025, VIETNAMNET_2022)
