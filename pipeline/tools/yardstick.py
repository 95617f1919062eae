"""The yardstick of the register stage: the same reads, rules and aggregates done plainly, in one DuckDB script.

`make bench` writes this script into its temporary folder and runs it beside `python -m pipeline registers`
on the same registers, so the stage's time and memory are read as ratios to the plain way of doing the same
work on the same machine in the same run. Plain means: DuckDB reads all CSV files at once with its own type
parsing (no line numbers, no cleaning, no contract checks, no error messages), hashes the household ids
with the same HMAC, applies the same rules (impossible values, score B, class under the standard in force,
duplicate ids within a review year) and the same aggregates (counts, deprivations, flows between
consecutive reviews), and writes the households, the flagged rows and the aggregates to parquet. The
constants (thresholds, the class rule) are written into the script from pipeline.registers, so the two
always apply the same rules.
"""
from __future__ import annotations

from pipeline.registers import audit, contract, poverty_standard as ps
from pipeline.registers.files import DEMO_PSEUDONYM_KEY

INDICATORS = ", ".join(ps.INDICATOR_COLUMNS)
TEMPLATE = '''"""Plain DuckDB over the household registers (written by pipeline.tools.bench; see pipeline/tools/yardstick.py).

usage: python plain_registers.py REGISTERS_DIR OUT_DIR TEMP_DIR
"""
import glob
import sys

import duckdb

registers, out, temp = sys.argv[1:4]
files = sorted(glob.glob(f"{registers}/*/ho_*.csv"))
con = duckdb.connect(config={"temp_directory": temp, "memory_limit": "__MEMORY__",
                             "autoinstall_known_extensions": False, "autoload_known_extensions": False})
pads = __PADS__
indicator_types = ", ".join(f"'{header}': 'BIGINT'" for header in __INDICATOR_HEADERS__)
con.execute(f"""
CREATE TABLE h AS SELECT
    "Năm rà soát" AS review_year,
    ('0x' || left(sha256($outer_pad || unhex(sha256($inner_pad || encode("Mã hộ")))), 16))::UBIGINT AS key,
    "Mã huyện" AS district_code, "Mã xã" AS commune_code,
    CASE "Khu vực" WHEN 'Nông thôn' THEN 'rural' WHEN 'Thành thị' THEN 'urban' END AS area,
    "Số nhân khẩu" AS household_size, "Thu nhập bình quân (đồng/người/tháng)" AS income_per_capita,
    "Điểm A" AS score_a, __INDICATOR_SELECT__, "Điểm B" AS score_b,
    CASE "Phân loại" WHEN 'Hộ nghèo' THEN 'poor' WHEN 'Hộ cận nghèo' THEN 'near_poor'
         WHEN 'Hộ có mức sống trung bình' THEN 'average' WHEN 'Không thuộc diện' THEN 'none' END AS recorded_class,
    "Dân tộc thiểu số" = 'Có' AS ethnic_minority, filename
FROM read_csv({files!r}, header = true, filename = true,
              types = {{'Năm rà soát': 'BIGINT', 'Mã hộ': 'VARCHAR', 'Mã huyện': 'VARCHAR', 'Mã xã': 'VARCHAR',
                       'Số nhân khẩu': 'BIGINT', 'Thu nhập bình quân (đồng/người/tháng)': 'DOUBLE',
                       'Điểm A': 'DOUBLE', 'Điểm B': 'DOUBLE', {indicator_types}}})
""", pads)
con.execute("""
CREATE TABLE rows AS SELECT *, impossible_value OR score_b_mismatch OR class_inconsistent OR duplicate_id AS has_anomaly
FROM (SELECT *, __IMPOSSIBLE__ AS impossible_value, coalesce(__B_MISMATCH__, false) AS score_b_mismatch,
             __CLASS_INCONSISTENT__ AS class_inconsistent,
             count(*) OVER (PARTITION BY review_year, key) > 1 AS duplicate_id
      FROM (SELECT *, __EXPECTED_B__ AS expected_score_b, coalesce(__EXPECTED_CLASS__, '') AS expected_class,
                   __DEPRIVATIONS__ AS deprivations FROM h))""")
con.execute("DROP TABLE h")
con.execute(f"COPY (SELECT * FROM rows) TO '{out}/households.parquet' (FORMAT parquet)")
con.execute(f"COPY (SELECT * FROM rows WHERE has_anomaly) TO '{out}/audit.parquet' (FORMAT parquet)")
con.execute(f"""COPY (SELECT review_year, district_code, count(*) AS households, count_if(recorded_class = 'poor') AS poor,
       count_if(recorded_class = 'near_poor') AS near_poor, count_if(has_anomaly) AS anomalies,
       count_if(deprivations >= 3) AS af_poor, sum(deprivations) FILTER (WHERE deprivations >= 3) AS af_deprivations
    FROM rows GROUP BY ALL) TO '{out}/poverty.parquet' (FORMAT parquet)""")
con.execute(f"""COPY (SELECT review_year, district_code, __DEPRIVATION_SUMS__ FROM rows GROUP BY ALL)
    TO '{out}/deprivation.parquet' (FORMAT parquet)""")
con.execute(f"""COPY (
    WITH s AS (SELECT review_year, district_code, key,
                      arg_min(CASE WHEN recorded_class IN ('average', 'none') THEN 'above' ELSE recorded_class END,
                              filename) AS state FROM rows GROUP BY ALL),
    f AS (SELECT district_code, key, min(review_year) AS first_poor FROM s WHERE state = 'poor' GROUP BY ALL)
    SELECT coalesce(a.review_year + 1, b.review_year) AS review_year, coalesce(a.district_code, b.district_code) AS d,
           coalesce(a.state, 'absent') AS before, coalesce(b.state, 'absent') AS after,
           coalesce(f.first_poor < coalesce(a.review_year, b.review_year - 1), false) AS poor_earlier, count(*) AS n
    FROM (SELECT * FROM s WHERE review_year + 1 IN (SELECT review_year FROM s)) a
    FULL JOIN (SELECT * FROM s WHERE review_year - 1 IN (SELECT review_year FROM s)) b
         ON b.review_year = a.review_year + 1 AND b.district_code = a.district_code AND b.key = a.key
    LEFT JOIN f ON f.district_code = coalesce(a.district_code, b.district_code) AND f.key = coalesce(a.key, b.key)
    GROUP BY ALL) TO '{out}/flows.parquet' (FORMAT parquet)""")
'''


def script(memory_limit: str) -> str:
    """The plain script's source, with the pipeline's rules and the demo key's HMAC pads written in."""
    pads = contract.hmac_pads(DEMO_PSEUDONYM_KEY.encode("utf-8"))
    impossible = " OR ".join(f"coalesce({sql}, false)" for _, sql, _ in audit.IMPOSSIBLE_VALUES)
    indicators = {c.header: c.name for c in contract.COLUMNS.values() if c.name in ps.INDICATOR_COLUMNS}
    deprivation = ", ".join(f"count_if({c} = 1) AS {c}_deprived, count_if({c} = 1 AND recorded_class = 'poor') AS {c}_poor, "
                            f"count_if({c} = 1 AND deprivations >= 3) AS {c}_censored" for c in ps.INDICATOR_COLUMNS)
    replacements = {
        "__MEMORY__": memory_limit,
        "__PADS__": repr(pads),
        "__INDICATOR_HEADERS__": repr(list(indicators)),
        "__INDICATOR_SELECT__": ", ".join(f'"{header}" AS {name}' for header, name in indicators.items()),
        "__EXPECTED_B__": ps.expected_score_b_sql(),
        "__EXPECTED_CLASS__": ps.expected_class_sql(),
        "__IMPOSSIBLE__": f"({impossible})",
        "__B_MISMATCH__": audit.SCORE_B_MISMATCH,
        "__CLASS_INCONSISTENT__": audit.CLASS_INCONSISTENT,
        "__DEPRIVATIONS__": " + ".join(f"({c} = 1)::INTEGER" for c in ps.INDICATOR_COLUMNS),
        "__DEPRIVATION_SUMS__": deprivation,
    }
    text = TEMPLATE
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text
