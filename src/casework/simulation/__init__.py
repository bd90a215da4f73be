"""Simulating service plans: capacity planning with the real lifecycle.

A :class:`Scenario` describes a project (referrals, teams, plan, holidays, MHT change);
:func:`simulate` runs it once on SimPy, driving every simulated case through the real
:class:`~casework.Engine`, so each case emits the events a real one would;
:func:`run_montecarlo` repeats it with explicit seeds, in this process or on any executor (a
process pool, or a dask cluster through :func:`dask_executor`); :func:`compare` sets plans
side by side; :func:`calibrate` estimates parameters from a store of real cases.

SimPy is the ``casework[sim]`` extra, imported only when a simulation runs; tables and charts
use pandas and matplotlib from the ``casework[notebook]`` extra, imported when asked for;
``dask.distributed`` (the ``casework[cluster]`` extra) only when :func:`dask_executor` is used.
"""

from casework.simulation.calibrate import Calibration, Estimate, calibrate
from casework.simulation.capacity import Slot
from casework.simulation.compare import Comparison, compare
from casework.simulation.executors import ReplicationFailed, dask_executor
from casework.simulation.metrics import HEADLINE, LABELS, OUTREACH, Metrics, measure
from casework.simulation.model import Run, Simulation, simulate
from casework.simulation.montecarlo import (
    Distribution,
    MonteCarlo,
    replication_seed,
    run_montecarlo,
)
from casework.simulation.scenario import (
    ChangeModel,
    Holiday,
    Outreach,
    OutreachGroup,
    PlanSpec,
    Referrals,
    Scenario,
    ScenarioError,
    Team,
    Timing,
    load_scenarios,
)
from casework.simulation.table import Table

__all__ = [
    "HEADLINE",
    "LABELS",
    "OUTREACH",
    "Calibration",
    "ChangeModel",
    "Comparison",
    "Distribution",
    "Estimate",
    "Holiday",
    "Metrics",
    "MonteCarlo",
    "Outreach",
    "OutreachGroup",
    "PlanSpec",
    "Referrals",
    "ReplicationFailed",
    "Run",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "Slot",
    "Table",
    "Team",
    "Timing",
    "calibrate",
    "compare",
    "dask_executor",
    "load_scenarios",
    "measure",
    "replication_seed",
    "run_montecarlo",
    "simulate",
]
