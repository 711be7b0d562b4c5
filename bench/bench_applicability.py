"""Bench: applicable requirements of DMN 1.2.2 for its largest profile set (all profiles),
with scenarios and proofs (prefetched) touched.

Floor: bare SELECTs of the version's requirements, scenarios and proofs (values_list).
Goals: ≤ 2× floor and < 5 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,I001  (must come before anything Django)

from guichet.referentials.models import ExpectedProof, Requirement, Scenario  # noqa: E402
from guichet.referentials.selectors import applicable_requirements, get_version  # noqa: E402

RUNS = 50
GOAL_RATIO = 2.0
GOAL_MS = 5.0


def main() -> None:
    version = get_version("DMN", "1.2.2")
    codes = list(version.profiles.values_list("code", flat=True))
    counts = {}

    def floor(_i: int) -> None:
        requirements = list(
            Requirement.objects.filter(version=version).values_list("id", "code", "statement")
        )
        scenarios = list(
            Scenario.objects.filter(version=version).values_list(
                "id", "code", "text", "requirement_id"
            )
        )
        proofs = list(
            ExpectedProof.objects.filter(scenario__version=version).values_list(
                "id", "description", "scenario_id"
            )
        )
        counts["floor"] = (len(requirements), len(scenarios), len(proofs))

    def real(_i: int) -> None:
        requirements = list(applicable_requirements(version, codes))
        scenarios = proofs = 0
        for requirement in requirements:
            for scenario in requirement.scenarios.all():
                scenarios += 1
                proofs += len(scenario.proofs.all())
        counts["real"] = (len(requirements), scenarios, proofs)

    # One untimed call of each first: connection opened, queries compiled.
    floor(0)
    real(0)
    floor_ms = _setup.best_of(RUNS, floor)
    real_ms = _setup.best_of(RUNS, real)
    ratio = real_ms / floor_ms
    print(
        f"bench_applicability — DMN {version.number}, {len(codes)} profiles (all), best of {RUNS}"
    )
    print(
        "  rows (requirements, scenarios, proofs): floor {} / applicable {}".format(
            counts["floor"], counts["real"]
        )
    )
    print(f"  floor (bare SELECTs, values_list)   : {floor_ms:8.2f} ms")
    print(f"  applicable_requirements + prefetch  : {real_ms:8.2f} ms")
    print(f"  ratio                               : {ratio:8.2f}×")
    print(f"  goal: ≤ {GOAL_RATIO:g}× floor → {_setup.verdict(ratio <= GOAL_RATIO)}")
    print(f"  goal: < {GOAL_MS:g} ms    → {_setup.verdict(real_ms < GOAL_MS)}")


if __name__ == "__main__":
    main()
