"""Privacy work on transcript files outside the store: checking a folder of files with the
gate (:mod:`~qualkit.gate`) before import, and pseudonymising files with a key kept in
the project (what would change, the key, writing it).
"""
