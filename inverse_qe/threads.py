"""One BLAS thread per process: the model's matrix work is too small to share.

The model multiplies holders x assets arrays with at most a few assets; a BLAS
thread pool only adds hand-offs (at 100,000 funds about a quarter of the CPU
time went to BLAS threads with no gain in wall time). Monte Carlo workers run
one model each, so their parallelism is the pool's, not BLAS's.
"""

from __future__ import annotations


def pin_blas_threads() -> None:
    """Limit every loaded BLAS library to one thread, for the rest of this process."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
