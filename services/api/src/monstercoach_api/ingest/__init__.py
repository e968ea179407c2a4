"""Event ingestion: the api persists what the other services report over the streams."""
