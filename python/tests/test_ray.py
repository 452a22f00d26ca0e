"""wattshift.ray: the decomposition's VM subproblems as Ray tasks give the bound and plan of
one process, bit for bit (wattshift bound)."""

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ray = pytest.importorskip("ray", reason="Ray is installed by scripts/python_test.sh")

import wattshift
import wattshift.ray

ROOT = Path(__file__).resolve().parents[2]
# The command line to compare with: scripts/python_test.sh names it; else the shared target.
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", "/var/cache/wattshift/target"))
BINARY = os.environ.get("WATTSHIFT_BIN", str(TARGET / "release" / "wattshift"))


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_tasks_give_the_bound_and_plan_of_one_process(tmp_path, local_ray):
    instance = ROOT / "instances" / "eu-day"
    placement = tmp_path / "placement.csv"
    want = json.loads(
        subprocess.run(
            [BINARY, "bound", str(instance), "--iterations", "15", "--json",
             "--placement", str(placement)],
            check=True, capture_output=True, text=True,
        ).stdout
    )
    got = wattshift.ray.plan(str(instance), iterations=15, shards=3)
    assert got.report["bound_eur"] == want["bound_eur"]
    assert got.report["plan_eur"] == want["plan_eur"]
    assert got.report["iterations"] == want["iterations"]
    expected = pd.read_csv(placement, dtype=str)[["window", "vm", "site"]]
    assert got.placement[["window", "vm", "site"]].astype(str).equals(expected)
    # The bound lies below the plan, which the evaluator finds feasible.
    assert got.bound_eur <= got.plan_eur
    evaluation = wattshift.evaluate(str(instance), got.placement)
    assert evaluation["feasible"]
    assert evaluation["objective_eur"] == pytest.approx(got.plan_eur, rel=1e-9)
