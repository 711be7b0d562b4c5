"""Bench: applicable requirements of DMN 1.2.2 for its largest selection (all profiles and a
generic line pathology), with every scenario and proof touched.

Floor: bare SELECTs of the version's requirements, scenarios and proofs (values_list).
Goals: ≤ 2× floor and < 5 ms, for the evaluation as pages run it (the version's index current).
The rebuild of the index, once per process after a change of the version's content, is shown
beside them.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,I001  (must come before anything Django)

from guichet.referentials.models import (  # noqa: E402
    ExpectedProof,
    Pathology,
    Requirement,
    Scenario,
)
from guichet.referentials.selectors import (  # noqa: E402
    applicable_requirements,
    clear_version_indexes,
    get_version,
)

RUNS = 50
GOAL_RATIO = 2.0
GOAL_MS = 5.0


def main() -> None:
    version = get_version("DMN", "1.2.2")
    codes = list(version.profiles.values_list("code", flat=True))
    pathology = Pathology.objects.filter(
        pathway__referential=version.referential, is_available=True
    ).first()
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
        requirements = applicable_requirements(version, codes, pathology)
        scenarios = proofs = 0
        for requirement in requirements:
            for scenario in requirement.scenarios:
                scenarios += 1
                proofs += len(scenario.proofs)
        counts["real"] = (len(requirements), scenarios, proofs)

    # One untimed call of each first: connection opened, queries compiled, index built.
    floor(0)
    real(0)
    floor_ms = _setup.best_of(RUNS, floor)
    real_ms = _setup.best_of(RUNS, real)
    rebuild_ms = _setup.best_of(RUNS, real, before=lambda _i: clear_version_indexes())
    ratio, rebuild_ratio = real_ms / floor_ms, rebuild_ms / floor_ms
    print(
        f"bench_applicability — DMN {version.number}, {len(codes)} profiles (all) + "
        f"{pathology.specification_code}, best of {RUNS}"
    )
    print(
        "  rows (requirements, scenarios, proofs): floor {} / applicable {}".format(
            counts["floor"], counts["real"]
        )
    )
    print(f"  floor (bare SELECTs, values_list)      : {floor_ms:8.3f} ms")
    print(
        f"  applicable_requirements (index current): {real_ms:8.3f} ms = {ratio:6.3f}× floor"
        f"   goal ≤ {GOAL_RATIO:g}× floor → {_setup.verdict(ratio <= GOAL_RATIO)}"
        f"   goal < {GOAL_MS:g} ms → {_setup.verdict(real_ms < GOAL_MS)}"
    )
    print(
        f"  same, index rebuilt (after a change)   : {rebuild_ms:8.3f} ms = {rebuild_ratio:6.3f}× floor"
        f"   goal ≤ {GOAL_RATIO:g}× floor → {_setup.verdict(rebuild_ratio <= GOAL_RATIO)}"
        f"   goal < {GOAL_MS:g} ms → {_setup.verdict(rebuild_ms < GOAL_MS)}"
    )
    for label, ms, r in (
        ("index current", real_ms, ratio),
        ("index rebuilt", rebuild_ms, rebuild_ratio),
    ):
        _setup.goal(
            f"applicable requirements, {label}",
            f"{ms:.3f} ms ({r:.2f}× floor)",
            f"≤ {GOAL_RATIO:g}× floor and < {GOAL_MS:g} ms",
            r <= GOAL_RATIO and ms < GOAL_MS,
        )


if __name__ == "__main__":
    main()
