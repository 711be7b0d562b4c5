"""Run every bench/bench_*.py in its own process (same interpreter, cwd = repo root) and print
its output. Figures, not assertions: exits non-zero only if a bench crashes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def main() -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    crashed = []
    for script in sorted(BENCH_DIR.glob("bench_*.py")):
        print(f"=== {script.name}", flush=True)
        result = subprocess.run(
            [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        sys.stdout.write(result.stdout)
        if result.stderr:
            sys.stderr.write(result.stderr)
        if result.returncode != 0:
            crashed.append(script.name)
            print(f"!!! {script.name} crashed (exit {result.returncode})")
        print(flush=True)
    if crashed:
        print(f"Crashed: {', '.join(crashed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
