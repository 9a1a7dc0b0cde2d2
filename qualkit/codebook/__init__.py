"""Codebooks: the researcher's instrument of themes and codes.

Loading and checking a codebook (``load``), the versions a project has registered
(``versions``), and the files other tools read and write (``formats``: YAML, REFI ``.qdc``,
CSV/XLSX tables, Markdown).
"""
