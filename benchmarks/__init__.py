"""qualkit's benchmark harness: generated corpora, measured figures, baselines in the same
run. Run it with ``python -m benchmarks --size smoke|1m|10m``; see docs/benchmarks.md."""
