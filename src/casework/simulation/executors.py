"""Running replications on an executor: this process, a process pool, or a cluster.

Any :class:`concurrent.futures.Executor` runs them: a ``ThreadPoolExecutor``, a
``ProcessPoolExecutor`` on one machine, or a cluster's executor such as
``dask.distributed``'s ``Client.get_executor()`` (:func:`dask_executor` sets one up).  What
goes to a worker is a :class:`~casework.simulation.scenario.Scenario` (plain attrs data, which
pickles) and a batch of seeds; what comes back is one
:class:`~casework.simulation.metrics.Metrics` per seed.  A worker builds the lifecycle itself
from the name the scenario gives (``standard_mht``), so no lifecycle, engine or case is ever
sent: those hold compiled machines that do not pickle.

Results are put back in the order of the seeds, so the same seeds give the same runs whichever
executor ran them, in whatever order the batches finished.  A replication that raises, or an
executor that fails (a worker process that died, a scenario that would not pickle), stops the
study with :class:`ReplicationFailed`, naming the seeds to reproduce it with; batches not yet
started are cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager

from casework.catalogue import Catalogue
from casework.errors import CaseworkError
from casework.simulation._deps import require_dask, require_distributed
from casework.simulation.metrics import Metrics
from casework.simulation.model import simulate
from casework.simulation.scenario import Scenario

__all__ = ["ReplicationFailed", "batch_size", "dask_executor", "run_batches", "run_one_batch"]

#: Called as ``progress(done, total)`` after each finished batch of replications.
Progress = Callable[[int, int], None]

#: The most replications one task carries (about two seconds of a station-year each).
MAX_BATCH = 25


class ReplicationFailed(CaseworkError):
    """Replications of a Monte Carlo study failed, in this process or in a worker.

    ``seeds`` are the replication seeds concerned (one, when the simulation itself raised:
    ``simulate(scenario, seed=seeds[0])`` reproduces it in this process); ``problem`` says
    what went wrong, starting with the original error's type.  The original error is the
    ``__cause__`` when it could be carried back.

    .. versionadded:: 0.1.0
    """

    def __init__(self, seeds: Sequence[int], problem: str) -> None:
        self.seeds = tuple(seeds)
        self.problem = problem
        which = (
            f"the replication with seed {self.seeds[0]}"
            if len(self.seeds) == 1
            else f"{len(self.seeds)} replications (seeds {', '.join(map(str, self.seeds))})"
        )
        super().__init__(f"{which} failed: {problem}")

    def __reduce__(self) -> tuple[type[ReplicationFailed], tuple[tuple[int, ...], str]]:
        # raised in worker processes: rebuilt from its own fields when it comes back
        return (type(self), (self.seeds, self.problem))


def run_one_batch(
    scenario: Scenario, seeds: Sequence[int], catalogue: Catalogue | None = None
) -> list[Metrics]:
    """The metrics of one run per seed: what a worker (or this process) does with a batch."""
    out = []
    for s in seeds:
        try:
            out.append(simulate(scenario, seed=s, catalogue=catalogue).metrics())
        except ImportError:  # a missing extra, not this replication's failure: name the extra
            raise
        except Exception as exc:
            raise ReplicationFailed([s], f"{type(exc).__name__}: {exc}") from exc
    return out


def batch_size(total: int, parallelism: int | None) -> int:
    """Replications per task: about four tasks per worker, or 256 tasks when that is unknown."""
    tasks = parallelism * 4 if parallelism else 256
    return max(1, min(MAX_BATCH, total // tasks))


def run_batches(
    executor: Executor,
    scenario: Scenario,
    seeds: Sequence[int],
    size: int,
    progress: Progress | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> list[Metrics]:
    """Metrics of one run per seed, in the order of ``seeds``, the batches run by ``executor``.

    The executor is the caller's: it is used, never shut down.
    """
    total = len(seeds)
    batches = [tuple(seeds[i : i + size]) for i in range(0, total, size)]
    results: list[list[Metrics] | None] = [None] * len(batches)
    futures: dict[Future[list[Metrics]], int] = {}
    try:
        for i, b in enumerate(batches):
            futures[executor.submit(run_one_batch, scenario, b, catalogue)] = i
        done = 0
        for future in as_completed(futures):
            i = futures[future]
            results[i] = _result(future, batches[i])
            done += len(batches[i])
            if progress is not None:
                progress(done, total)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [m for batch in results if batch is not None for m in batch]


def _result(future: Future[list[Metrics]], seeds: Sequence[int]) -> list[Metrics]:
    try:
        return future.result()
    except ReplicationFailed:
        raise
    except Exception as exc:  # the executor's own failure: broken pool, pickling, lost worker
        raise ReplicationFailed(seeds, f"{type(exc).__name__}: {exc}") from exc


def run_in_processes(
    scenario: Scenario,
    seeds: Sequence[int],
    workers: int,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
) -> list[Metrics]:
    """Run the seeds in a process pool of ``workers`` started (and shut down) for them."""
    size = batch_size(len(seeds), workers)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return run_batches(pool, scenario, seeds, size, progress, catalogue=catalogue)


@contextmanager
def dask_executor(
    address: str | None = None,
    *,
    n_workers: int = 2,
    processes: bool = True,
) -> Iterator[Executor]:
    """A ``dask.distributed`` executor, for ``run_montecarlo(..., executor=...)``.

    With ``address`` (``"tcp://scheduler:8786"``), connect to that cluster's scheduler;
    without, start a ``LocalCluster`` on this machine with ``n_workers`` single-threaded
    workers (separate processes, or threads of this process when ``processes=False``) and no
    dashboard; its scheduler listens on loopback only (dask's default for a local cluster).
    The client, and a cluster started here, are closed on leaving the block.  Needs the
    ``casework[cluster]`` extra.

    .. versionadded:: 0.1.0
    """
    distributed = require_distributed()
    if address is not None:
        with distributed.Client(address) as client:
            yield client.get_executor()
        return
    dask = require_dask()
    # no dashboard to show it, so no statistical profiler sampling every worker's stack every
    # 10 ms; workers take the configuration in force when they are created
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,  # the simulation is pure Python: threads would share the GIL
            processes=processes,  # without processes: in-process workers, no sockets at all
            dashboard_address=None,  # (the scheduler listens on 127.0.0.1 by default)
        )
    with cluster, distributed.Client(cluster) as client:
        yield client.get_executor()
