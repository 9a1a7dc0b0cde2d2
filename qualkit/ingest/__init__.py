"""Reading transcripts: decode and normalise once, find turns, cut segments."""
