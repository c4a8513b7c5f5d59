"""CUBE benchmarks (the Common Unified Benchmark Environments standard), run by our engine in a venv of their own."""
