"""Replications on executors: the same seeds give the same study on threads, processes, dask."""

from __future__ import annotations

import multiprocessing
import pickle
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from casework.errors import CaseworkError, InvalidValue
from casework.simulation import (
    ReplicationFailed,
    Scenario,
    ScenarioError,
    compare,
    dask_executor,
    replication_seed,
    run_montecarlo,
    simulate,
)
from casework.simulation import executors as executors_module

SEEDS = {"replications": 6, "seed": 3}


def _spawn_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))


def _broken(scenario: Scenario, lifecycle: str = "no-such-lifecycle") -> Scenario:
    """A copy naming a lifecycle that does not exist, past validation: it fails in the worker.

    Frozen attrs classes unpickle without running validators, so the worker gets it as is.
    """
    bad = pickle.loads(pickle.dumps(scenario))
    object.__setattr__(bad, "lifecycle", lifecycle)
    return bad


class PicklingExecutor(Executor):
    """Runs each call here, after a pickle round trip of the function and its arguments.

    Stands for any executor that ships calls to other processes or machines.
    """

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        blob = pickle.dumps((fn, args, kwargs))
        self.sent.append(blob)
        fn, args, kwargs = pickle.loads(blob)
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


@pytest.fixture
def serial(scenario: Scenario) -> str:
    """The serial study of the shared seeds, as its runs' repr."""
    return repr(run_montecarlo(scenario, **SEEDS).runs)


def test_threads_give_exactly_the_serial_result(scenario: Scenario, serial: str) -> None:
    seen: list[tuple[int, int]] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        mc = run_montecarlo(
            scenario, **SEEDS, executor=pool, progress=lambda d, t: seen.append((d, t))
        )
        # the caller's executor is used and left open
        assert pool.submit(sum, [1, 2]).result() == 3
    assert repr(mc.runs) == serial
    assert seen[-1] == (6, 6) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_spawned_process_pool_gives_exactly_the_serial_result(
    scenario: Scenario, serial: str
) -> None:
    with _spawn_pool() as pool:
        mc = run_montecarlo(scenario, **SEEDS, executor=pool)
    assert repr(mc.runs) == serial
    for i, m in enumerate(mc.runs):
        assert m.seed == replication_seed(3, i)
    assert repr(mc.runs[0]) == repr(simulate(scenario, seed=mc.runs[0].seed).metrics())


def test_what_is_sent_to_workers_pickles(scenario: Scenario, serial: str) -> None:
    """Only the scenario (plain data) and seeds go out; no lifecycle, engine or case."""
    assert pickle.loads(pickle.dumps(scenario)) == scenario
    pool = PicklingExecutor()
    mc = run_montecarlo(scenario, **SEEDS, executor=pool)
    assert repr(mc.runs) == serial
    assert pool.sent
    assert all(b"Lifecycle" not in blob and b"Engine" not in blob for blob in pool.sent)
    assert repr(pickle.loads(pickle.dumps(mc.runs))) == serial


def test_an_executor_and_workers_are_refused_together(scenario: Scenario) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(InvalidValue) as info:
        run_montecarlo(scenario, replications=2, workers=2, executor=pool)
    assert "executor" in str(info.value) and "workers" in str(info.value)


@pytest.mark.parametrize("bad", [4, "dask", ThreadPoolExecutor])
def test_a_bad_executor_is_refused_naming_the_argument(scenario: Scenario, bad: object) -> None:
    with pytest.raises(InvalidValue) as info:
        run_montecarlo(scenario, replications=2, executor=bad)  # type: ignore[arg-type]
    assert "executor must be a concurrent.futures.Executor" in str(info.value)
    assert info.value.where == "run_montecarlo"  # type: ignore[attr-defined]


def test_a_failing_replication_names_its_seed_serially_and_on_threads(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    doomed = replication_seed(3, 4)
    real = executors_module.simulate

    def simulate_or_fail(s: Scenario, *, seed: int, **options: Any) -> Any:
        if seed == doomed:
            raise ZeroDivisionError("a bug in the model")
        return real(s, seed=seed, **options)

    monkeypatch.setattr(executors_module, "simulate", simulate_or_fail)
    for executor in (None, ThreadPoolExecutor(max_workers=2)):
        with pytest.raises(ReplicationFailed) as info:
            run_montecarlo(scenario, **SEEDS, executor=executor)
        if executor is not None:
            executor.shutdown()
        assert info.value.seeds == (doomed,)
        assert str(info.value) == (
            f"the replication with seed {doomed} failed: ZeroDivisionError: a bug in the model"
        )
        assert isinstance(info.value.__cause__, ZeroDivisionError)
        assert isinstance(info.value, CaseworkError)


def test_a_failure_in_a_worker_process_comes_back_as_replication_failed(
    scenario: Scenario,
) -> None:
    with _spawn_pool() as pool, pytest.raises(ReplicationFailed) as info:
        run_montecarlo(_broken(scenario), **SEEDS, executor=pool)
    assert len(info.value.seeds) == 1 and info.value.seeds[0] in {
        replication_seed(3, i) for i in range(6)
    }
    assert info.value.problem.startswith("ScenarioError:")
    assert "no-such-lifecycle" in info.value.problem
    # the same failure, reproduced in this process from the seed the error names
    with pytest.raises(ScenarioError):
        simulate(_broken(scenario), seed=info.value.seeds[0])


def test_an_executor_that_cannot_send_the_call_fails_the_study_without_hanging(
    scenario: Scenario,
) -> None:
    unpicklable = pickle.loads(pickle.dumps(scenario))
    object.__setattr__(unpicklable, "name", lambda: "not data")
    with _spawn_pool() as pool, pytest.raises(ReplicationFailed) as info:
        run_montecarlo(unpicklable, replications=3, seed=1, executor=pool)
    # one task per replication here: the first task to fail names its own seeds
    assert set(info.value.seeds) <= {replication_seed(1, i) for i in range(3)}
    assert "pickle" in info.value.problem.lower()
    assert not isinstance(info.value.__cause__, ReplicationFailed)


def test_replication_failed_survives_a_pickle_round_trip() -> None:
    err = pickle.loads(pickle.dumps(ReplicationFailed([7, 8], "KilledWorker: gone")))
    assert (err.seeds, err.problem) == ((7, 8), "KilledWorker: gone")
    assert str(err) == "2 replications (seeds 7, 8) failed: KilledWorker: gone"


@contextmanager
def _dask(processes: bool) -> Iterator[Executor]:
    pytest.importorskip(
        "distributed", reason="dask.distributed is not installed (the casework[cluster] extra)"
    )
    with dask_executor(n_workers=2, processes=processes) as executor:
        yield executor


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_a_dask_local_cluster_gives_exactly_the_serial_result(
    scenario: Scenario, serial: str, processes: bool
) -> None:
    with _dask(processes) as executor:
        seen: list[tuple[int, int]] = []
        mc = run_montecarlo(
            scenario, **SEEDS, executor=executor, progress=lambda d, t: seen.append((d, t))
        )
        assert repr(mc.runs) == serial
        assert seen[-1] == (6, 6)
        if processes:  # a replication failing in a dask worker process
            with pytest.raises(ReplicationFailed) as info:
                run_montecarlo(_broken(scenario), **SEEDS, executor=executor)
            assert info.value.problem.startswith("ScenarioError:")


def test_missing_dask_is_named_with_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    with (
        pytest.raises(ImportError, match=r"pip install 'casework\[cluster\]'"),
        dask_executor(),
    ):
        pass


def test_compare_runs_every_scenario_on_one_executor(
    small_scenario: Callable[..., Scenario],
) -> None:
    plans = [small_scenario(name="base"), small_scenario(name="drop", **{"plan.dropout": 0.4})]
    serial = compare(plans, replications=3, seed=2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        spread = compare(plans, replications=3, seed=2, executor=pool)
    assert [repr(r.runs) for r in spread.results] == [repr(r.runs) for r in serial.results]
