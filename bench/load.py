"""`bench/load.py`, as issue 24 names it: runs bench_load.py (the name `make bench` runs)."""

import runpy
from pathlib import Path

if __name__ == "__main__":
    runpy.run_path(str(Path(__file__).resolve().parent / "bench_load.py"), run_name="__main__")
