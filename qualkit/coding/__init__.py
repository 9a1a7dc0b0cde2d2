"""Coding: people's decisions on segments, and every way they are made.

The append-only decision log and its diffs (``decisions``), the tagging session and its
terminal UI (``session``, ``tui``), the spreadsheet round trip (``sheet``), coders' CSV
files (``codings_file``) and each segment's audit trail (``audit``).
"""
