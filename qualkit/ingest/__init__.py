"""Reading transcripts: decode and normalise once, find turns, cut segments.

One reader per format (text, captions, Word, PDF, spreadsheets), speaker labels and the
check of every reading (``speakers``, ``verify``), the project's import settings, the import.
"""
