"""The pre-flight check of a batch on Dask: every worker must read the inputs and write the output."""

from __future__ import annotations

from pathlib import Path

import pytest

from satview.core.batch.cluster import check_jobs, check_workers
from satview.errors import SatviewError

distributed = pytest.importorskip("distributed")
REAL_MTL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / "landsat-mtl"


@pytest.fixture(scope="module")
def client():
    """Two worker processes on loopback (separate processes, as the workers of a cluster are)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


def _inputs() -> list[str]:
    return [str(p) for p in sorted(REAL_MTL.glob("*_MTL.txt"))[:3]]


def _second_worker(client) -> str:
    return sorted(client.scheduler_info()["workers"])[1]


def _restore() -> None:
    """Undo a test's patch of the probe on a worker (the module is reloaded from its file)."""
    import importlib

    import satview.core.batch.cluster as c

    importlib.reload(c)


def test_workers_that_see_everything_pass(client, tmp_path: Path) -> None:
    """Inputs every worker reads and an output folder every worker writes: no error, no probe file left."""
    check_workers(client, _inputs(), str(tmp_path))
    check_jobs(client, [(p, "mtl", str(tmp_path), "x") for p in _inputs()])
    assert list(tmp_path.iterdir()) == []


def test_worker_that_cannot_see_an_input_is_named(client, tmp_path: Path) -> None:
    """A worker whose file system lacks the input folder stops the batch with a SatviewError naming
    that worker and the input path."""
    hidden = str(REAL_MTL)

    def hide_inputs() -> None:  # runs on one worker only: its view of the file system lacks the inputs
        import satview.core.batch.cluster as c

        real = c._readable
        c._readable = lambda p: not p.startswith(hidden) and real(p)

    worker = _second_worker(client)
    client.run(hide_inputs, workers=[worker])
    try:
        with pytest.raises(SatviewError) as err:
            check_jobs(client, [(p, "mtl", str(tmp_path), "x") for p in _inputs()])
    finally:
        client.run(_restore, workers=[worker])
    assert worker in str(err.value) and _inputs()[0] in str(err.value)
    assert "cannot read this input" in err.value.message


def test_worker_that_cannot_write_the_output_is_named(client, tmp_path: Path) -> None:
    """A worker that cannot create files in the output folder stops the batch, naming worker and folder."""

    def read_only() -> None:
        import satview.core.batch.cluster as c

        c._writable = lambda folder: False

    worker = _second_worker(client)
    client.run(read_only, workers=[worker])
    try:
        with pytest.raises(SatviewError) as err:
            check_workers(client, _inputs(), str(tmp_path))
    finally:
        client.run(_restore, workers=[worker])
    assert worker in str(err.value) and str(tmp_path) in str(err.value)
    assert "cannot write to the output folder" in err.value.message
