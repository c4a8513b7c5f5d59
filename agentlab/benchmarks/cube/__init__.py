"""CUBE benchmarks (the cube-standard packages), which run in a Python 3.12 venv of their own."""
