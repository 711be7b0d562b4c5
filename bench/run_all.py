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
    crashed, goals = [], []
    for script in sorted(BENCH_DIR.glob("bench_*.py")):
        print(f"=== {script.name}", flush=True)
        result = subprocess.run(
            [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        sys.stdout.write(result.stdout)
        goals += [line for line in result.stdout.splitlines() if line.startswith("GOAL |")]
        if result.stderr:
            sys.stderr.write(result.stderr)
        if result.returncode != 0:
            crashed.append(script.name)
            print(f"!!! {script.name} crashed (exit {result.returncode})")
        print(flush=True)
    print("=== Every goal, in one table")
    rows = [[part.strip() for part in line.split("|")[1:]] for line in goals]
    headers = ["bench", "measured (ratio to floor)", "goal", "verdict"]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    for row in [headers, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    missed = [row[0] for row in rows if row[3] != "OK"]
    print(
        f"{len(rows) - len(missed)} of {len(rows)} goals met"
        + (f"; missed: {', '.join(missed)}" if missed else ".")
    )
    if crashed:
        print(f"Crashed: {', '.join(crashed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
