"""Content stamps for Make: rebuild when content changes, never because of a touch or a checkout.

A stamp file holds "sha256  path" for every file of a group and is rewritten only when that text
changes, so its mtime moves only with content. Make targets depend on stamps instead of on the files
themselves. GNU Make re-reads a prerequisite's mtime after its recipe ran, so a stage whose outputs
came out identical does not wake up the stages after it.

Usage (stdlib only: the system Python runs it before .venv exists):
    python -m pipeline.stamp GROUP [GROUP ...]
"""
from __future__ import annotations

import hashlib
import hmac
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUT_STAMPS = Path(".stamps")
OUTPUT_STAMPS = Path("data/processed/.stamps")

# group -> (stamp file, glob patterns relative to the project root, file names left out)
GROUPS: dict[str, tuple[Path, tuple[str, ...], tuple[str, ...]]] = {
    "raw": (INPUT_STAMPS / "raw.sha256", ("data/raw/*.csv", "data/raw/*.xlsx", "data/raw/*.txt"), ()),
    "code": (INPUT_STAMPS / "code.sha256", ("pipeline/*.py", "pipeline/*/*.py"), ()),
    "suites": (INPUT_STAMPS / "suites.sha256", ("expectations/*.json",), ()),
    "notebooks": (INPUT_STAMPS / "notebooks.sha256", ("notebooks/*.ipynb",), ()),
    "lock": (INPUT_STAMPS / "lock.sha256", ("requirements.lock",), ()),
    # What the synthetic registers are made from: regenerate only when these change.
    "generator": (INPUT_STAMPS / "generator.sha256", ("pipeline/tools/synthetic_registers.py", "pipeline/registers/poverty_standard.py",
                                                     "pipeline/atomic.py", "pipeline/vn.py", "pipeline/paths.py", "pipeline/sources.py",
                                                     "data/raw/districts.csv"), ()),
    "registers": (INPUT_STAMPS / "registers.sha256", ("data/raw/registers/*/ho_*.csv", "data/raw/registers/*/ho_*.xlsx",
                                                     "data/raw/registers/SYNTHETIC.json"), ()),
    "processed": (OUTPUT_STAMPS / "processed.sha256", ("data/processed/*.parquet",), ("validation_results.parquet",)),
    "validated": (OUTPUT_STAMPS / "validated.sha256", ("data/processed/validation_results.parquet",), ()),
}
INPUT_GROUPS = ("raw", "code", "suites", "notebooks", "lock", "generator", "registers", "pseudonym_key")
# Not a file: the household-id key (pipeline/registers/files.py) comes from the environment, and every household
# key in data/processed changes with it. Its stamp holds HMAC(key, a fixed text), never the key.
PSEUDONYM_KEY_STAMP = INPUT_STAMPS / "pseudonym_key.sha256"
PSEUDONYM_KEY_ENV = "LANGSON_PSEUDONYM_KEY"


def listing(patterns: tuple[str, ...], excluded: tuple[str, ...], root: Path = ROOT) -> str:
    """'sha256  path' per file, sorted by path: the content of a stamp (and a readable mini-manifest)."""
    files = sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file() and p.name not in excluded})
    return "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}\n" for p in files)


def key_fingerprint(environ: dict | None = None) -> str:
    """A text that changes when the pseudonym key changes and tells nothing about the key itself."""
    key = (os.environ if environ is None else environ).get(PSEUDONYM_KEY_ENV, "")
    if not key:
        return "no key set: the demo key of the synthetic sample, or a stop asking for a key\n"
    return hmac.new(key.encode("utf-8"), b"langson make stamp", hashlib.sha256).hexdigest() + "  " + PSEUDONYM_KEY_ENV + "\n"


def refresh(group: str, root: Path = ROOT) -> bool:
    """Rewrite the group's stamp if its content changed; True when it did."""
    if group == "pseudonym_key":
        stamp, text = PSEUDONYM_KEY_STAMP, key_fingerprint()
    else:
        stamp, patterns, excluded = GROUPS[group]
        text = listing(patterns, excluded, root)
    target = root / stamp
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    return True


def main(argv: list[str]) -> int:
    unknown = [g for g in argv if g not in GROUPS and g not in ("inputs", "pseudonym_key")]
    if not argv or unknown:
        print(f"usage: python -m pipeline.stamp {{inputs|{'|'.join(GROUPS)}}} ...", file=sys.stderr)
        return 2
    for group in (g for arg in argv for g in (INPUT_GROUPS if arg == "inputs" else (arg,))):
        refresh(group)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
