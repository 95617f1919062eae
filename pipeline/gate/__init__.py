"""The Great Expectations gate between the processed tables and the reports."""
