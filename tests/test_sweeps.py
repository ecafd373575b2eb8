import os

import joblib
import numpy as np
import pytest

from sslcore import experiments, sweeps
from sslcore.config import SLConfig, SSLConfig
from sslcore.training import train, train_ssl_many

BASE = SSLConfig(d=4, T=20, seeds=(0,))
#: 3 configurations x 2 seeds (one task each), an SL configuration, and two SSL configurations
#: trained together: 9 tasks, more than one round of the local pool with 2 jobs
TASKS = (sweeps.config_grid(BASE, tau=[1.0, 3.0, 7.0], seeds=[(0,), (1,)])
         + [SLConfig(d=4, T=20, seeds=(0, 1)),
            (BASE.replace(seeds=(0, 1)), BASE.replace(init="sign", seeds=(2,)))])


def _final_weights(result):
    """W_final of an Outcome, or of each Outcome of a tuple task, stacked."""
    if isinstance(result, tuple):
        return np.concatenate([out.W_final for out in result])
    return result.W_final


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert np.array_equal(_final_weights(x), _final_weights(y))


def test_config_grid_is_the_product_of_the_axes_last_fastest():
    grid = sweeps.config_grid(BASE, tau=[1, 7], rho=[0, 0.1])
    assert [(c.tau, c.rho) for c in grid] == [(1, 0), (1, 0.1), (7, 0), (7, 0.1)]
    assert all(c.replace(tau=BASE.tau, rho=BASE.rho) == BASE for c in grid)
    assert sweeps.config_grid(BASE) == [BASE]
    with pytest.raises(ValueError, match="tau"):
        sweeps.config_grid(BASE, tau=[1, -1])


@pytest.mark.parametrize("jobs", [1, 2])
def test_sweep_equals_training_each_configuration_alone(jobs):
    got = sweeps.train_sweep(TASKS, jobs=jobs, progress=False)
    assert len(got) == len(TASKS)
    for task, result in zip(TASKS[:-1], got):
        assert isinstance(result, experiments.Outcome) and result.config == task
        run = train(task)
        assert np.array_equal(result.W_final, run.W_final)
        if isinstance(task, SLConfig):
            assert np.array_equal(result.F_final, run.F_final)
        assert np.array_equal(result.curve_mean, run.W[..., :2].mean(axis=0))
    together = train_ssl_many(list(TASKS[-1]))
    assert isinstance(got[-1], tuple) and len(got[-1]) == 2
    for out, run in zip(got[-1], together):
        assert np.array_equal(out.W_final, run.W_final)
    assert np.array_equal(got[-1][1].W_final, train(TASKS[-1][1]).W_final)


def test_reduce_runs_in_the_worker_and_may_be_a_lambda():
    local = sweeps.train_sweep(TASKS[:4], reduce=lambda run: (run.W_final, os.getpid()),
                               jobs=2, progress=False)
    assert all(np.array_equal(w, train(t).W_final) for (w, _), t in zip(local, TASKS))
    assert os.getpid() not in {pid for _, pid in local}


def test_cache_trains_each_configuration_once(tmp_path, monkeypatch):
    monkeypatch.setenv("SSLCORE_CACHE", str(tmp_path))
    first = sweeps.train_sweep(TASKS[-3:], jobs=1, progress=False, cache=True)
    entries = sorted(os.listdir(tmp_path))
    assert len(entries) == 4                  # the tuple's two configurations: one entry each
    again = sweeps.train_sweep(TASKS[-3:], jobs=2, progress=False, cache=True)
    _same(first, again)
    assert sorted(os.listdir(tmp_path)) == entries
    _same(first, sweeps.train_sweep(TASKS[-3:], jobs=1, progress=False))
    cfg = TASKS[-1][1]
    assert np.array_equal(experiments.cached(cfg).W, train(cfg).W)   # same entry as cached's


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True, "2"])
def test_bad_jobs_name_the_parameter(jobs):
    with pytest.raises(ValueError, match=r"jobs=.*jobs >= 1"):
        sweeps.train_sweep(TASKS[:1], jobs=jobs, progress=False)


@pytest.mark.parametrize("task", [(), (BASE, SLConfig(d=4, T=20)), "tau=1", None])
def test_bad_tasks_are_refused_before_training(task):
    with pytest.raises(ValueError, match="task="):
        sweeps.train_sweep([BASE, task], progress=False)


def test_tuples_that_cannot_be_trained_together_name_the_fields():
    with pytest.raises(ValueError, match="differ in.*'d'"):
        sweeps.train_sweep([(BASE, BASE.replace(d=3))], progress=False)


# ----------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_client():
    """A local Dask cluster of 2 worker processes (closed after the module's tests)."""
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    try:
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def test_the_same_sweep_runs_on_a_dask_cluster(dask_client):
    """parallel_config(backend="dask") and nothing else: the tasks run on the cluster's
    workers and give the local results bit for bit."""
    local = sweeps.train_sweep(TASKS, jobs=2, progress=False)
    workers = set(dask_client.run(os.getpid).values())
    with joblib.parallel_config(backend="dask"):
        remote = sweeps.train_sweep(TASKS, jobs=2, progress=False)
        pids = sweeps.train_sweep(TASKS, reduce=lambda run: os.getpid(), progress=False)
    _same(local, remote)
    assert set(pids[:-1]) <= workers and set(pids[-1]) <= workers


def test_reproduce_runs_on_a_dask_cluster(dask_client):
    cfgs = experiments.paper_configs(3, 20)
    local = experiments.run_paper(cfgs, jobs=2, progress=False, chunk=2)
    with joblib.parallel_config(backend="dask"):
        remote = experiments.run_paper(cfgs, jobs=2, progress=False, chunk=2)
    for name in experiments.NAMES:
        assert np.array_equal(local[name].W_final, remote[name].W_final)
        assert np.array_equal(local[name].curve_mean, remote[name].curve_mean)
        assert np.array_equal(local[name].curve_m2, remote[name].curve_m2)
