"""A client's full record for download: one JSON document, or a zip of CSV files."""
