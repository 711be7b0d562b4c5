"""Bench bootstrap: a throwaway SQLite database, migrated, with the shipped catalogue loaded.

Import this module before anything Django: it points GUICHET_VAR_DIR at a fresh temporary
directory (the bench never touches var/), sets up Django, migrates and loads the catalogue.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VAR_DIR = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
atexit.register(shutil.rmtree, VAR_DIR, ignore_errors=True)

os.environ["GUICHET_VAR_DIR"] = str(VAR_DIR)
# Always the embedded SQLite of the development settings, in VAR_DIR: never a configured database.
os.environ["GUICHET_ENV"] = "development"
os.environ.pop("DATABASE_URL", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "guichet.settings"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from guichet.referentials.services import load_catalogue  # noqa: E402

call_command("migrate", verbosity=0)
load_catalogue()


def best_of(runs: int, func, *, before=None) -> float:
    """Best wall time of ``runs`` calls of ``func``, in milliseconds (``before`` is untimed)."""
    from time import perf_counter

    best = float("inf")
    for i in range(runs):
        if before is not None:
            before(i)
        start = perf_counter()
        func(i)
        best = min(best, perf_counter() - start)
    return best * 1000


def verdict(ok: bool) -> str:
    return "OK" if ok else "ABOVE GOAL"


def goal(name: str, measured: str, target: str, ok: bool) -> None:
    """One line per goal, in a shape `run_all.py` gathers into its closing summary:
    what was measured (with its ratio to the floor), the goal it names, and the verdict."""
    print(f"GOAL | {name} | {measured} | {target} | {verdict(ok)}", flush=True)
