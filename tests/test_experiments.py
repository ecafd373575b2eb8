import dataclasses
import json
import os
import warnings

import numpy as np
import pytest

from sslcore import analysis, experiments
from sslcore.config import SLConfig, SSLConfig
from sslcore.training import Run, train, train_sl, train_ssl_many


def _equal_outcomes(a, b):
    for name in experiments.NAMES:
        assert np.array_equal(a[name].W_final, b[name].W_final), name
        if a[name].F_final is not None:
            assert np.array_equal(a[name].F_final, b[name].F_final), name
        assert np.allclose(a[name].curve_mean, b[name].curve_mean, rtol=1e-12, atol=1e-14)
        assert np.allclose(a[name].curve_m2, b[name].curve_m2, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("rng", ["clean", "reference"])
def test_chunking_gives_the_same_weights_as_one_vectorized_run(rng):
    """Each seed has its own streams: chunks of 2 (and the 2-process pool) give the weights of
    one unchunked run bit for bit, and those of the training functions called directly."""
    cfgs = experiments.paper_configs(5, 30, rng=rng)
    whole = experiments.run_paper(cfgs, jobs=1, progress=False, chunk=50)
    _equal_outcomes(whole, experiments.run_paper(cfgs, jobs=1, progress=False, chunk=2))
    _equal_outcomes(whole, experiments.run_paper(cfgs, jobs=2, progress=False, chunk=2))
    near, sign = train_ssl_many([cfgs["ssl_near"], cfgs["ssl_sign"]])
    sl = train_sl(cfgs["sl"])
    assert np.array_equal(whole["ssl_near"].W_final, near.W_final)
    assert np.array_equal(whole["ssl_sign"].W_final, sign.W_final)
    assert np.array_equal(whole["sl"].F_final, sl.F_final)
    assert whole["sl"].config == cfgs["sl"] and whole["sl"].count == 5


def test_merged_curves_equal_the_statistics_of_all_seeds():
    cfgs = experiments.paper_configs(5, 30)
    chunked = experiments.run_paper(cfgs, jobs=1, progress=False, chunk=2)
    near = train_ssl_many([cfgs["ssl_near"], cfgs["ssl_sign"]])[0]
    mean, lo, hi = analysis.mean_band(near.W[..., :2], axis=0)
    got = chunked["ssl_near"].band()
    for a, b in zip(got, (mean, lo, hi)):
        assert a.shape == (len(near.steps), 2, 2)
        assert np.allclose(a, b, rtol=1e-12, atol=1e-13)


def test_chunks_split_the_seeds_in_order():
    cfg = SSLConfig(seeds=tuple(range(7)), T=3)
    parts = experiments.chunks(cfg, 3)
    assert [p.seeds for p in parts] == [(0, 1, 2), (3, 4, 5), (6,)]
    assert all(dataclasses.replace(p, seeds=cfg.seeds) == cfg for p in parts)
    assert experiments.chunks(cfg, 7) == [cfg]
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="chunk"):
            experiments.chunks(cfg, bad)


@pytest.mark.parametrize("jobs", [0, 3, 1.5])
def test_run_paper_rejects_jobs_out_of_range(jobs):
    with pytest.raises(ValueError, match="jobs.*1 or 2"):
        experiments.run_paper(experiments.paper_configs(1, 2), jobs=jobs, progress=False)


def test_estimate_is_a_positive_number_of_seconds():
    est = experiments.estimate_seconds(experiments.paper_configs(120, 50), jobs=2, chunk=50,
                                       warmup_steps=5)
    assert np.isfinite(est) and est > 0


def test_write_outputs_leaves_nothing_when_interrupted(tmp_path):
    runs = experiments.run_paper(experiments.paper_configs(2, 10), jobs=1, progress=False)

    def interrupted(_):
        raise KeyboardInterrupt
    new = tmp_path / "new" / "out"
    with pytest.raises(KeyboardInterrupt):
        experiments.write_outputs(runs, str(new), draw=interrupted)
    assert not new.exists()                      # the folder it created is removed again
    old = tmp_path / "old"
    old.mkdir()
    (old / "summary.json").write_text("previous")
    with pytest.raises(KeyboardInterrupt):
        experiments.write_outputs(runs, str(old), draw=interrupted)
    assert os.listdir(old) == ["summary.json"] and (old / "summary.json").read_text() == "previous"
    experiments.write_outputs(runs, str(old))
    assert sorted(os.listdir(old)) == ["final_weights.npz", "summary.json"]
    assert json.loads((old / "summary.json").read_text())["configs"]["sl"]["T"] == 20


# ----------------------------------------------------------------------------- run cache
CFG = SSLConfig(seeds=(0, 1), T=20, d=4)


def _text(path):
    path.write_text("not a run\n")


def _truncated(path):
    train(CFG).save(str(path))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def _json_list(path):
    run = train(CFG)
    with open(path, "wb") as f:
        np.savez(f, config=json.dumps([1, 2, 3]), steps=run.steps, W=run.W,
                 objective=run.objective, grad_norm=run.grad_norm, x=run.data.x, c=run.data.c)


def _other_config(path):
    train(CFG.replace(T=10)).save(str(path))


@pytest.mark.parametrize("damage", [_text, _truncated, _json_list, _other_config])
def test_cached_retrains_an_unreadable_entry_with_a_warning(damage, tmp_path, monkeypatch):
    monkeypatch.setenv("SSLCORE_CACHE", str(tmp_path))
    path = experiments.cache_path(CFG)
    assert os.path.dirname(path) == str(tmp_path)
    damage(tmp_path / os.path.basename(path))
    with pytest.warns(RuntimeWarning) as record:
        run = experiments.cached(CFG)
    assert len(record) == 1
    msg = str(record[0].message)
    assert os.path.basename(path) in msg and "\n" not in msg and "training again" in msg
    assert np.array_equal(run.W, train(CFG).W)
    again = Run.load(path, expected=CFG)          # the bad entry was overwritten
    assert np.array_equal(again.W, run.W)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(experiments.cached(CFG).W, run.W)   # now read without warning


def test_cached_warns_when_the_cache_cannot_be_written(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("SSLCORE_CACHE", str(blocker / "cache"))
    cfg = SLConfig(seeds=(0,), T=5, d=3)
    with pytest.warns(RuntimeWarning, match="cannot save"):
        run = experiments.cached(cfg)
    assert run.config == cfg and blocker.read_text() == "x"


def test_cached_many_loads_the_entries_found_and_trains_the_others_together(tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("SSLCORE_CACHE", str(tmp_path))
    a, b, c = CFG, CFG.replace(init="sign", seeds=(3,)), CFG.replace(tau=2.0)
    first = experiments.cached(a)
    trained = []

    def spy(cfgs):
        trained.append(list(cfgs))
        return train_ssl_many(cfgs)
    monkeypatch.setattr(experiments, "train_ssl_many", spy)
    runs = experiments.cached_many([a, b, c])
    assert trained == [[b, c]]                          # one loop for the two missing ones
    assert np.array_equal(runs[0].W, first.W)
    for cfg, run in zip((b, c), runs[1:]):
        assert run.config == cfg and np.array_equal(run.W, train(cfg).W)
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(experiments.cache_path(x))
                                                  for x in (a, b, c))
    assert [r.config for r in experiments.cached_many([c, a, b])] == [c, a, b]
    assert trained == [[b, c]]                          # all three read from the cache now
    sl = experiments.cached_many([SLConfig(seeds=(0,), T=5, d=3)])
    assert np.array_equal(sl[0].F_final, train(SLConfig(seeds=(0,), T=5, d=3)).F_final)
