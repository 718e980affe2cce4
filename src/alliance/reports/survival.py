"""Times that may not have ended yet, estimated without dropping the ones still running.

An item notified on the last day of a period and still online when the period ends has a
time to removal of *at least* that day: right-censored. Dropping it would make removal
look faster than it is; counting it as removed at the period's end would too. The
Kaplan–Meier estimator uses each such item for as long as it was watched (scipy's
``scipy.stats.ecdf`` on ``CensoredData``).

:class:`Survival` answers in the terms reports use: the time by which half (or 90 %)
were over — None when the estimate never gets there, because too many are still running —
and the share over within a given time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import CensoredData, ecdf


@dataclass(frozen=True)
class Survival:
    """A Kaplan–Meier estimate: the survival function's steps (times ascending and the
    share still running just after each)."""

    #: How many were watched, and how many of them ended (the rest were censored).
    n: int
    ended: int
    times: NDArray[np.float64]
    running: NDArray[np.float64]

    def quantile(self, share: float) -> float | None:
        """The first time by which ``share`` (0.5: the median) had ended, or None when the
        estimate never reaches it."""
        if not 0 < share < 1:
            raise ValueError("a share between 0 and 1")
        reached = np.nonzero(self.running <= 1 - share + 1e-12)[0]
        return float(self.times[reached[0]]) if len(reached) else None

    def share_within(self, limit: float) -> float:
        """The estimated share that had ended within ``limit`` (inclusive)."""
        steps = np.nonzero(self.times <= limit)[0]
        return 0.0 if not len(steps) else float(1 - self.running[steps[-1]])


def estimate(durations: ArrayLike, ended: ArrayLike) -> Survival | None:
    """The estimate from each one's duration (until it ended, or until watching stopped)
    and whether it ended; None when there is nothing to estimate from."""
    times = np.asarray(durations, dtype=np.float64)
    done = np.asarray(ended, dtype=bool)
    if times.shape != done.shape or times.ndim != 1:
        raise ValueError("one duration and one ended flag each")
    if not len(times):
        return None
    if np.any(times < 0) or not np.all(np.isfinite(times)):
        raise ValueError("durations are finite and not negative")
    if not done.any():  # nothing ended: everything still running throughout
        return Survival(len(times), 0, np.array([0.0]), np.array([1.0]))
    result = ecdf(CensoredData(uncensored=times[done], right=times[~done]))
    return Survival(
        n=len(times),
        ended=int(done.sum()),
        times=np.asarray(result.sf.quantiles, dtype=np.float64),
        running=np.asarray(result.sf.probabilities, dtype=np.float64),
    )
