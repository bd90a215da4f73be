"""Shared fixtures of the simulation tests: small scenarios that run in a fraction of a second."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

pytest.importorskip("simpy", reason="the simulation needs the casework[sim] extra")

from casework.simulation import Holiday, PlanSpec, Referrals, Scenario, Team


def small_scenario(**changes: object) -> Scenario:
    """Sixteen weeks, about two referrals a week, one social worker and two counsellors."""
    base = Scenario(
        "small",
        date(2024, 1, 1),
        date(2024, 4, 22),
        Referrals(2.0, screening_pass=0.8, consent=0.9),
        (
            Team("sw", "social_worker", 1, 2),
            Team("vc", "volunteer_counsellor", 2, 1),
        ),
        plan=PlanSpec(sessions=4, no_show=0.15, dropout=0.2, grace_weeks=4),
        holidays=(Holiday("Spring Festival", date(2024, 2, 9), date(2024, 2, 17)),),
    )
    return base.with_changes(changes) if changes else base


@pytest.fixture(name="small_scenario")
def make_scenario() -> Callable[..., Scenario]:
    """Build the small scenario with changes (as for ``Scenario.with_changes``)."""
    return small_scenario


@pytest.fixture
def scenario() -> Scenario:
    """The small scenario."""
    return small_scenario()
