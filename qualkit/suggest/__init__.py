"""Suggestions: the machine's proposals of codes for segments, with their evidence.

Keyword and phrase matching over lemmas (``engine``, with the word table it matches
through, ``word_table``); the learned suggester trained on a coder's decisions
(``features``, ``learn``, ``learn_project``); scoring both against a coder's decisions
(``evaluate``, ``learn_eval``, ``replay``).
"""
