"""Readers of files and clients of APIs: bytes in, rows out. No source knowledge, no landing."""
