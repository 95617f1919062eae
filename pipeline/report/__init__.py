"""The report stage: papermill runs notebooks/annual_report.ipynb in-process, nbconvert writes HTML, XLSX beside it."""
