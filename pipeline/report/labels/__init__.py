"""Label catalogues of the report editions: vi.py and en.py hold the same keys (tests/test_edition.py checks it).

A label is looked up by key through pipeline.report.edition.Edition.t; {placeholders} are filled there.
"""
