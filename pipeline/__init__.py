"""Lạng Sơn MTQG giảm nghèo bền vững: ingestion, checks and annual reports.

Logic lives in small modules here; notebooks in ../notebooks only present what
`pipeline.report.report_data` loads from data/processed/.
"""
