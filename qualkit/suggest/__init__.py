"""Suggestions: the machine's proposals of codes for segments, with their evidence.

Keyword and phrase matching over lemmas (``engine``, with the word table it matches
through, ``word_table``) and scoring suggestions against a coder's decisions (``evaluate``).
"""
