"""Coding: people's decisions on segments, and every way they are made.

The tagging session, what its screen shows and its terminal UI (``session``, ``views``,
``tui``), the spreadsheet round trip
(``sheet``), coders' CSV files (``codings_file``) and each segment's audit trail
(``audit``); the log's rules they share with the store are in :mod:`qualkit.decisions`.
"""
