"""The fleet decomposition on Ray, for fleets beyond one machine (docs/SCALE.md).

Each iteration of the decomposition prices hosts, CPU and memory per site and window; the VM
subproblems at those prices split into chunks of VM groups that are independent of one
another. :func:`plan` runs the chunks as Ray tasks over ``shards`` shards and keeps the
coordination (prices, bound, plan) in the driver. Ray is the engine: nothing distributed is
home-made. The result is the same, bit for bit, as ``wattshift bound DIR`` in one process.

The instance's files travel to the workers once, through Ray's object store, so workers on
other machines need no shared file system.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Mapping, Optional

import pandas as pd

from . import _Directory, _native, _TEXT

__all__ = ["RayResult", "plan"]


@dataclass
class RayResult:
    """The decomposition's proven lower bound and the plan re-routed at its best prices:
    ``report`` (``bound_eur``, ``plan_eur``, ``gap``, ``iterations``, ``vm_groups``,
    ``site_windows``) and ``placement`` (window, vm, site)."""

    report: dict
    placement: pd.DataFrame

    @property
    def bound_eur(self) -> Optional[float]:
        return self.report.get("bound_eur")

    @property
    def plan_eur(self) -> Optional[float]:
        return self.report.get("plan_eur")


# Each worker process writes an instance's files once, keyed by their digest.
_WORKER_DIRS: dict = {}


def _worker_dir(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(files[name])
    key = digest.hexdigest()
    if key not in _WORKER_DIRS:
        directory = tempfile.mkdtemp(prefix="wattshift-shard-")
        for name, content in files.items():
            with open(os.path.join(directory, name), "wb") as f:
                f.write(content)
        _WORKER_DIRS[key] = directory
    return _WORKER_DIRS[key]


def _solve_shard(files: Mapping[str, bytes], prices: str, index: int, count: int) -> str:
    """A Ray task: one shard's chunk sums at the prices."""
    return _native.shard(_worker_dir(files), prices, index, count, 1)


def plan(instance, iterations: int = 300, shards: Optional[int] = None, **ray_init) -> RayResult:
    """Runs the fleet decomposition on Ray: ``iterations`` price updates, the VM subproblems of
    each as ``shards`` Ray tasks (default: the cluster's CPUs), then the plan re-routed at the
    best prices. ``instance`` is a directory or a mapping of DataFrames, as for
    :func:`wattshift.plan`. Starts a local Ray if none is running (``ray_init`` goes to
    ``ray.init``)."""
    import ray

    if not ray.is_initialized():
        ray.init(**{"include_dashboard": False, "log_to_driver": False, **ray_init})
    remote = ray.remote(num_cpus=1)(_solve_shard)
    if shards is None:
        shards = max(1, int(ray.cluster_resources().get("CPU", 1)))
    with _Directory(instance) as path:
        files = {}
        for name in os.listdir(path):
            full = os.path.join(path, name)
            if os.path.isfile(full) and (name.endswith(".csv") or name == "params.toml"):
                with open(full, "rb") as f:
                    files[name] = f.read()
        files_ref = ray.put(files)

        def solve(prices: str) -> list:
            return ray.get([remote.remote(files_ref, prices, i, shards) for i in range(shards)])

        report, placement = _native.decompose(path, iterations, solve)
    frame = (
        pd.read_csv(io.StringIO(placement), dtype=_TEXT, keep_default_na=False)
        if placement
        else pd.DataFrame()
    )
    return RayResult(report=json.loads(report), placement=frame)
