"""Jobs across spawned worker processes, results as they finish; shared by judge-synth and
judge-splice. No heavy imports: `judge.synth` stays free of torch."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator, Sequence
from typing import Any


def imap_jobs(
    fn: Callable[[Any], Any], jobs: Sequence, num_workers: int, maxtasksperchild: int = 200
) -> Iterator[Any]:
    """`fn(job)` for every job: in this process when `num_workers` is 0 or there is one job,
    else in up to `num_workers` spawned processes, in completion order.

    Spawn, not fork: a worker must not inherit the parent's GL context, MuJoCo state, decoder
    threads or torch state. `fn` must be importable at module level (it is pickled by name).
    """
    if num_workers == 0 or len(jobs) <= 1:
        for job in jobs:
            yield fn(job)
        return
    ctx = mp.get_context("spawn")
    with ctx.Pool(min(num_workers, len(jobs)), maxtasksperchild=maxtasksperchild) as pool:
        yield from pool.imap_unordered(fn, jobs)
