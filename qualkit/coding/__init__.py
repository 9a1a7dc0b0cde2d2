"""Coding: people's decisions on segments, and every way they are made.

The tagging session, what its screen shows and its terminal UI (``session``, ``views``,
``tui``), the spreadsheet round trip (``sheet``), coders' files from qualkit and other
tools (``codings_file``, ``placement``, ``foreign``) and each segment's audit trail
(``audit``); the log's rules they share with the store are in :mod:`qualkit.decisions`.
"""
