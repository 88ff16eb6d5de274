"""Formats a CI run writes from graded rows: Gradescope ``results.json``, JUnit XML, GitHub annotations."""
