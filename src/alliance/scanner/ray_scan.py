"""The Ray adapter of bulk scans: :func:`~alliance.scanner.bulk.scan_batch` as Ray Core tasks.

Why tasks and not Ray Data or an actor pool (measured in ``docs/scale.md``): a batch is a
plain function call whose process keeps the banks open between calls (Ray reuses its
worker processes), so tasks cost what actors cost without an actor's restart rules; a
task whose worker or node dies is run again by Ray (``max_retries``), and since it only
reads and hashes, running it twice is harmless. Ray Data added a statistics actor and
read tasks on top (71 % of plain processes on 2 cores against 89 % for Ray Core in the
research), and its actor pools can wait forever for CPUs the actors hold
(ray-project/ray#44687). Here the driver keeps a bounded number of batches in flight (a
few per CPU of the cluster), writes each batch's records when it comes back and only
then sends more, so memory stays flat and a killed driver loses only what was in flight.

Every node needs Alliance installed (the tasks import it), the banks synced at the same
path (``--store``) and, for S3, credentials in its environment.
"""

from __future__ import annotations

import importlib
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType, TracebackType
from typing import Any

from alliance.errors import AllianceError, ConfigurationError, InvalidInput
from alliance.scanner.bulk import Batch, scan_batch

#: Batches in flight for each CPU of the cluster: one running, one waiting to start.
IN_FLIGHT_PER_CPU = 2
#: Times Ray runs a batch again after its worker process or node died.
MAX_RETRIES = 3


def _import_ray() -> ModuleType:
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise ConfigurationError(
            "--ray needs Ray on this machine and every node: pip install 'alliance[ray]'"
        ) from None


def _reachable(address: str, seconds: float = 10.0) -> None:
    """Refuse an address nothing answers on: Ray itself would retry for ever."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise InvalidInput(f"--ray {address!r}: give auto or HOST:PORT of the head node")
    try:
        socket.create_connection((host.strip("[]"), int(port)), seconds).close()
    except OSError as exc:
        raise ConfigurationError(
            f"no Ray cluster answers at {address} ({exc.strerror or exc}): start one with "
            "`ray start --head`, or give its head's HOST:PORT"
        ) from None


@dataclass
class RayExecutor:
    """Batches as tasks on the Ray cluster at ``address`` (``auto``: the one `ray start`
    started on this machine), connected on entering, disconnected on leaving."""

    address: str = "auto"
    max_retries: int = MAX_RETRIES
    _ray: Any = field(default=None, init=False, repr=False)

    def __enter__(self) -> RayExecutor:
        ray = _import_ray()
        if self.address != "auto":
            _reachable(self.address)
        try:
            ray.init(
                address=self.address,
                logging_level=logging.WARNING,
                log_to_driver=False,  # the tasks print nothing; stdout stays the user's
            )
        except (ConnectionError, TimeoutError, ValueError) as exc:
            raise ConfigurationError(
                f"no Ray cluster at {self.address!r}: {exc} (start one with `ray start "
                "--head`, then give --ray auto on its head node or --ray HOST:PORT)"
            ) from None
        self._ray = ray
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._ray is not None:
            self._ray.shutdown()
            self._ray = None

    def cpus(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def run(self, batches: Iterator[Batch]) -> Iterator[list[dict[str, Any]]]:
        ray = self._ray
        if ray is None:
            raise RuntimeError("RayExecutor.run outside `with`")
        task = ray.remote(num_cpus=1, max_retries=self.max_retries)(scan_batch)
        limit = self.cpus() * IN_FLIGHT_PER_CPU
        in_flight: list[Any] = []
        pending = iter(batches)
        for batch in pending:
            in_flight.append(task.remote(batch))
            if len(in_flight) >= limit:
                break
        while in_flight:
            done, in_flight = ray.wait(in_flight, num_returns=1)
            yield self._get(done[0])
            # Sent only after the caller wrote the batch back: at most `limit` unwritten.
            for batch in pending:
                in_flight.append(task.remote(batch))
                break

    def _get(self, ref: Any) -> list[dict[str, Any]]:
        ray = self._ray
        try:
            records: list[dict[str, Any]] = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, AllianceError):
                raise cause from None
            if isinstance(cause, ImportError):
                raise ConfigurationError(
                    f"a Ray node could not run the scan ({cause}): install Alliance on every node"
                ) from None
            raise AllianceError(f"a scan task failed on Ray: {cause!r}") from None
        except ray.exceptions.RayError as exc:
            raise AllianceError(
                f"a batch failed {self.max_retries + 1} times on Ray "
                f"({type(exc).__name__}); what was written so far is kept: scan again "
                "with the same --output to go on"
            ) from None
        return records
