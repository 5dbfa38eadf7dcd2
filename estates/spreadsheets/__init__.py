"""Spreadsheets in and out: exports editors trust and imports provinces can send."""
