"""Which register files there are, whether they are the synthetic sample, and the key for household ids.

Files: data/raw/registers/<year>/ho_<district>_<year>.csv|xlsx, as docs/register_contract.md names them;
a name off the contract, an unknown district or year, or two files for one district-year stop the run.

Key: household ids are replaced by household_key = HMAC-SHA256(key, id) (pipeline.registers.contract).
The key comes from the environment variable LANGSON_PSEUDONYM_KEY (keep it outside git; use the same key
every year so that a household keeps its key and flows between years can be counted). Only when no key is
set and the registers are the untouched synthetic sample (SYNTHETIC.json lists every register file with
its sha256) is the fixed, published DEMO_PSEUDONYM_KEY used: it protects nothing and is for synthetic
data only. Real registers without a key stop with a PipelineError saying how to set one.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path


from pipeline import paths, runlog, stamp
from pipeline.errors import PipelineError, RawDataError
from pipeline.schema import REGISTER_DISTRICT_CODES, REGISTER_YEARS

REGISTERS_SUBDIR = "registers"                       # under data/raw; source_file names start with it
SYNTHETIC_MANIFEST = "SYNTHETIC.json"                # marks the synthetic sample (pipeline.tools.synthetic_registers)
FILE_NAME = re.compile(r"ho_(?P<district>[0-9]{3})_(?P<year>[0-9]{4})")


def file_stem(district: str, year: object) -> str:
    """The name of a district's register of a review year, without its extension (.csv or .xlsx): ho_181_2022."""
    return f"ho_{district}_{year}"
REGISTER_SUFFIXES = (".csv", ".xlsx")

PSEUDONYM_KEY_ENV = stamp.PSEUDONYM_KEY_ENV  # one name for the key, also read by Make's stamp
# Published on purpose: used only for the synthetic sample, whose ids are made up. Never for real registers.
DEMO_PSEUDONYM_KEY = "langson-synthetic-register-demo-key-not-secret"
MIN_KEY_LENGTH = 16                                  # a short key could be guessed, and with it every household id


@dataclass(frozen=True)
class RegisterFile:
    """One district's register for one review year."""
    path: Path
    name: str            # relative to data/raw: registers/2022/ho_181_2022.csv
    district_code: str
    year: int

    @property
    def is_xlsx(self) -> bool:
        return self.path.suffix.lower() == ".xlsx"


# --- Entry points ---------------------------------------------------------------------------------------

def registers_dir() -> Path:
    """data/raw/registers, looked up at call time from paths.ROOT (tests and LANGSON_PROJECT_ROOT move it)."""
    return paths.ROOT / "data" / "raw" / REGISTERS_SUBDIR


def has_register_files(directory: Path | None = None) -> bool:
    """True when the registers folder holds at least one register file (then its tables are required)."""
    directory = directory or registers_dir()
    return directory.is_dir() and any(p.suffix.lower() in REGISTER_SUFFIXES for p in directory.glob("*/ho_*"))


def find_register_files(directory: Path) -> list[RegisterFile]:
    """<year>/ho_<district>_<year>.csv|xlsx, checked against the contract's years and district codes."""
    found = sorted(p for p in directory.glob("*/*") if p.is_file() and p.suffix.lower() in REGISTER_SUFFIXES)
    if not found:
        raise PipelineError(f"Không có sổ hộ nào trong {paths.relative(directory)} (no register files). Đặt file "
                            "<năm>/ho_<mã huyện>_<năm>.csv vào đó, hoặc chạy `make sample-data` để tạo dữ liệu giả lập.")
    files, seen = [], {}
    for path in found:
        name = f"{REGISTERS_SUBDIR}/{path.relative_to(directory).as_posix()}"
        match = FILE_NAME.fullmatch(path.stem)
        if not match or path.parent.name != match["year"]:
            raise RawDataError(name, None, None, "tên file không đúng quy ước (file name does not follow the contract).",
                               "Đặt tên <năm>/ho_<mã huyện 3 chữ số>_<năm>.csv, ví dụ 2022/ho_181_2022.csv.")
        code, year = match["district"], int(match["year"])
        if code not in REGISTER_DISTRICT_CODES:
            raise RawDataError(name, None, None, f"mã huyện «{code}» trong tên file không có trong danh mục "
                               "(unknown district code).", "Mã hợp lệ: " + ", ".join(REGISTER_DISTRICT_CODES) + ".")
        if year not in REGISTER_YEARS:
            raise RawDataError(name, None, None, f"năm rà soát {year} ngoài {REGISTER_YEARS[0]}–{REGISTER_YEARS[-1]} "
                               "(review year outside the contract).", "Sổ hộ cấp huyện chỉ có cho các năm "
                               f"{REGISTER_YEARS[0]}–{REGISTER_YEARS[-1]} (huyện bị bãi bỏ từ 1/7/2025).")
        if (code, year) in seen:
            raise RawDataError(name, None, None, f"huyện {code} năm {year} đã có file {seen[(code, year)]} "
                               "(two files for one district and year).", "Giữ một file cho mỗi huyện và năm.")
        seen[(code, year)] = name
        files.append(RegisterFile(path, name, code, year))
    _warn_missing_districts(files)
    return files


def _warn_missing_districts(files: list[RegisterFile]) -> None:
    """A year without all 11 districts gives incomplete province totals: say so, do not stop."""
    for year in sorted({f.year for f in files}):
        missing = sorted(set(REGISTER_DISTRICT_CODES) - {f.district_code for f in files if f.year == year})
        if missing:
            runlog.warn(f"sổ hộ năm {year} thiếu huyện {', '.join(missing)}: số liệu toàn tỉnh năm đó chưa đầy đủ "
                        "(district registers missing; province totals incomplete).")


def is_marked_synthetic(directory: Path) -> bool:
    """The folder holds the synthetic sample (SYNTHETIC.json is there): its figures are labelled synthetic.

    Looser than is_synthetic_sample on purpose: an edited sample file is still not an official figure, so
    it keeps the label (and, being edited, it needs a real pseudonym key). Labelling too much is the safe
    side; a province's real registers belong in a folder without SYNTHETIC.json.
    """
    return (directory / SYNTHETIC_MANIFEST).is_file()


def is_synthetic_sample(directory: Path, files: list[RegisterFile], digests: dict[Path, str] | None = None) -> bool:
    """True only when SYNTHETIC.json is there and lists every register file with its exact sha256.

    The demo key is public and household ids are easy to enumerate, so a real file dropped into the
    synthetic folder must never be hashed with it: any file the generator did not write makes the set real.
    `digests` (path -> sha256) saves hashing files the caller has already hashed.
    """
    manifest = directory / SYNTHETIC_MANIFEST
    if not manifest.is_file():
        return False
    listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
    for file in files:
        recorded = listed.get(file.path.relative_to(directory).as_posix(), {}).get("sha256")
        digest = (digests or {}).get(file.path) or hashlib.sha256(file.path.read_bytes()).hexdigest()
        if recorded != digest:
            runlog.warn(f"{file.name} không phải file do bộ sinh dữ liệu giả lập ghi ra (not in {SYNTHETIC_MANIFEST} "
                        "with this sha256): mã hộ phải được băm bằng khóa thật; số liệu vẫn ghi là giả lập (needs a real pseudonym "
                        "key; figures stay labelled synthetic).")
            return False
    return True


def pseudonym_key(synthetic: bool) -> bytes:
    """The HMAC key: $LANGSON_PSEUDONYM_KEY; the published demo key only for the untouched synthetic sample."""
    key = os.environ.get(PSEUDONYM_KEY_ENV, "")
    if key:
        if len(key) < MIN_KEY_LENGTH:
            raise PipelineError(f"{PSEUDONYM_KEY_ENV} quá ngắn ({len(key)} ký tự; cần ít nhất {MIN_KEY_LENGTH}): "
                                "khóa ngắn có thể bị đoán, và khi đó mọi mã hộ bị lộ (pseudonym key too short).")
        return key.encode("utf-8")
    if synthetic:
        return DEMO_PSEUDONYM_KEY.encode("utf-8")
    raise PipelineError(
        f"Chưa đặt khóa mã hóa mã hộ {PSEUDONYM_KEY_ENV} (pseudonym key not set). Sổ hộ thật chỉ được xử lý khi "
        "mã hộ được thay bằng mã băm có khóa. Tạo khóa một lần, giữ bí mật, ngoài git, và dùng cùng một khóa cho "
        "mọi năm (để nối hộ giữa các năm): export " + PSEUDONYM_KEY_ENV +
        "=$(python3 -c 'import secrets; print(secrets.token_hex(32))')")
