"""wattshift from Python: plan VM placement across data-center sites window by window.

The same planner, evaluator and copy-round model as the ``wattshift`` command line (the Rust
library is built into this package). An instance is a directory in wattshift's format
(docs/FORMAT.md), or pandas DataFrames for its files::

    import wattshift
    result = wattshift.plan("instances/paper-testbed")
    result.summary["objective_eur"], result.placement.head()

Bad input raises :class:`InputError`, whose ``file``, ``line`` and ``column`` say where. The
solve runs without holding the GIL, so other Python threads go on meanwhile.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Mapping, Optional, Union

import pandas as pd

from . import _native
from ._native import InputError

__all__ = [
    "InputError",
    "Interrupted",
    "PlanResult",
    "plan",
    "evaluate",
    "estimate",
    "__version__",
]
__version__ = _native.__version__

#: The instance files a mapping of DataFrames may hold, by key.
FILES = {
    "sites": "sites.csv",
    "vms": "vms.csv",
    "links": "links.csv",
    "windows": "windows.csv",
    "usage": "usage.csv",
}

Instance = Union[str, "os.PathLike[str]", Mapping[str, object]]

# Identifier columns stay text when outputs are read back (a site named "1" is not a number).
_TEXT = {c: str for c in ("vm", "site", "from", "to", "kind", "node", "window_start", "start_utc")}


# Columns of the outputs that hold moments, read back as datetime64[ns, UTC].
_TIMES = ("window_start", "start_utc")


@dataclass
class PlanResult:
    """A plan: ``summary`` (summary.json as a dict), and ``placement``, ``migrations`` and
    ``site_windows`` as DataFrames (empty when there is no plan)."""

    summary: dict
    placement: pd.DataFrame
    migrations: pd.DataFrame
    site_windows: pd.DataFrame

    @property
    def objective_eur(self) -> Optional[float]:
        """The plan's cost, EUR (None without a plan)."""
        return self.summary.get("objective_eur")


def _seconds(time_limit) -> Optional[float]:
    """A time limit in seconds, from a number or a string such as "90", "90s", "2m" or "1h"."""
    if time_limit is None:
        return None
    if isinstance(time_limit, (int, float)):
        return float(time_limit)
    text = str(time_limit).strip()
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0}.get(text[-1:], None)
    number = text[:-1] if scale else text
    return float(number) * (scale or 1.0)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped a solve. As the command line does, the solve kept its best plan
    so far: ``result`` is that plan, whose ``summary["stop_reason"]`` is ``"interrupted"``."""

    def __init__(self, result: "PlanResult"):
        super().__init__("the solve was interrupted; its best plan so far is in .result")
        self.result = result


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as wattshift's CSV reader takes it: a float column whose values are all whole
    (as ``read_csv`` makes of an integer column with an empty cell) is written as integers, and
    a datetime column as RFC 3339 UTC (a naive one taken as UTC). The reader itself stays as
    strict as it is."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            if getattr(values.dt, "tz", None) is None:
                values = values.dt.tz_localize("UTC")
            text = values.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            out[column] = text.where(values.notna(), "")
        elif pd.api.types.is_float_dtype(values):
            present = values.dropna()
            if len(present) and (present == present.round()).all() and present.abs().max() < 2**53:
                out[column] = values.astype("Int64")
    return out


def _write_instance(instance: Mapping[str, object], directory: str) -> None:
    """Writes a mapping of DataFrames (and ``params``, a dict or TOML text) as instance files."""
    unknown = set(instance) - set(FILES) - {"params"}
    if unknown:
        raise ValueError(
            f"unknown instance parts {sorted(unknown)}; expected {sorted(FILES)} and params"
        )
    for key, name in FILES.items():
        frame = instance.get(key)
        if frame is None:
            continue
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"instance[{key!r}] must be a pandas DataFrame")
        # Missing values become empty cells: the column's default.
        _cells(frame).to_csv(
            os.path.join(directory, name), index=False, na_rep="", lineterminator="\n"
        )
    params = instance.get("params")
    if params is not None:
        if isinstance(params, Mapping):
            lines = []
            for key, value in params.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError(f"params[{key!r}] must be a number")
                lines.append(f"{key} = {value!r}")
            params = "\n".join(lines) + "\n"
        with open(os.path.join(directory, "params.toml"), "w", encoding="utf-8") as f:
            f.write(str(params))


class _Directory:
    """The instance as a directory: the path given, or a temporary one holding the frames."""

    def __init__(self, instance: Instance):
        self._tmp = None
        if isinstance(instance, (str, os.PathLike)):
            self.path = os.fspath(instance)
        elif isinstance(instance, Mapping):
            self._tmp = tempfile.TemporaryDirectory(prefix="wattshift-")
            self.path = self._tmp.name
            _write_instance(instance, self.path)
        else:
            raise TypeError("instance must be a directory path or a mapping of DataFrames")

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _frame(text: str) -> pd.DataFrame:
    """An output CSV as pandas users expect it: ids as text, numbers as numbers, and the
    moments (``window_start``, ``start_utc``) as datetime64[ns, UTC] (NaT where empty)."""
    if not text:
        return pd.DataFrame()
    frame = pd.read_csv(io.StringIO(text), dtype=_TEXT, keep_default_na=False)
    for column in _TIMES:
        if column in frame.columns:
            moments = pd.to_datetime(frame[column].replace("", None), utc=True, format="ISO8601")
            frame[column] = moments.astype("datetime64[ns, UTC]")
    return frame


def _progress_printer(elapsed_s, objective_eur, bound_eur, phase) -> None:
    """``progress=True``: the command line's ``progress:`` line on standard error."""
    import sys

    def show(x):
        return "-" if x is None else repr(x)

    gap = "-"
    if objective_eur is not None and bound_eur is not None and objective_eur != 0:
        gap = repr((objective_eur - bound_eur) / abs(objective_eur))
    print(
        f"progress: elapsed_s={elapsed_s:.1f} objective_eur={show(objective_eur)} "
        f"bound_eur={show(bound_eur)} gap={gap} phase={phase or '-'}",
        file=sys.stderr,
        flush=True,
    )


def plan(
    instance: Instance,
    solver: str = "auto",
    time_limit=None,
    gap: Optional[float] = None,
    threads: Optional[int] = None,
    seed: Optional[int] = None,
    progress=None,
) -> PlanResult:
    """Plans an instance (a directory, or DataFrames keyed ``sites``, ``vms``, ``links``,
    ``windows``, ``usage`` and optionally ``params``) as ``wattshift plan`` does, writing nothing.

    ``solver`` is ``auto``, a solver name, a shipped configuration or a TOML path (a name that
    is none of these is a ``ValueError``); ``time_limit`` is seconds or a string such as
    ``"2m"``. ``progress=True`` prints the command line's ``progress:`` line on standard error
    as the best plan or bound changes; a callable gets ``(elapsed_s, objective_eur, bound_eur,
    phase)`` instead. Ctrl-C stops the solve and raises :class:`Interrupted`, a
    ``KeyboardInterrupt`` that carries the best plan found so far."""
    callback = _progress_printer if progress is True else (progress or None)
    if callback is not None and not callable(callback):
        raise TypeError("progress must be True, None or a callable")
    with _Directory(instance) as path:
        try:
            summary, placement, migrations, site_windows, interrupted = _native.plan(
                path,
                solver=solver,
                time_limit=_seconds(time_limit),
                gap=gap,
                threads=threads,
                seed=seed,
                progress=callback,
            )
        except InputError as e:
            # A solver name that names nothing is a wrong argument, not a bad file.
            if e.file == solver and not os.path.exists(solver):
                raise ValueError(f"solver {solver!r}: {e.message}") from None
            raise
    summary = json.loads(summary)
    if not isinstance(instance, (str, os.PathLike)):
        # The frames were written to a temporary folder that no longer exists.
        summary["instance"] = None
    result = PlanResult(
        summary=summary,
        placement=_frame(placement),
        migrations=_frame(migrations),
        site_windows=_frame(site_windows),
    )
    if interrupted:
        raise Interrupted(result)
    return result


def evaluate(instance: Instance, placement: pd.DataFrame) -> dict:
    """Costs a placement (a DataFrame with ``window``, ``vm`` and ``site``) for an instance and
    lists each broken constraint, as ``wattshift evaluate --json``."""
    if not isinstance(placement, pd.DataFrame):
        raise TypeError("placement must be a pandas DataFrame with window, vm and site")
    with _Directory(instance) as path, tempfile.TemporaryDirectory(prefix="wattshift-") as tmp:
        file = os.path.join(tmp, "placement.csv")
        placement[["window", "vm", "site"]].to_csv(file, index=False, lineterminator="\n")
        return json.loads(_native.evaluate(path, file))


def estimate(kind: str, mem_gib: float, **options) -> dict:
    """One migration's copy-round breakdown (or a batch's, with ``count``), as
    ``wattshift estimate --json``: ``total_s``, ``waves`` and ``per_vm``. Options are those of
    the command, with underscores: ``bandwidth_gbps``, ``mem_used_gib``, ``wss_gib``,
    ``disk_gib``, ``dirty_mib_s``, ``disk_write_mib_s``, ``boot_s``, ``count``,
    ``concurrency``, ``link_efficiency``, ``max_downtime_ms``, ``max_rounds``, ``setup_s``,
    ``resume_s``, ``window_hours``, ``energy_j_per_mb``, ``energy_j_fixed``."""
    return json.loads(_native.estimate(kind, mem_gib, **options))
