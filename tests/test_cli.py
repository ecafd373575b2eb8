import json
import subprocess
import sys

import numpy as np


def _run(*args):
    return subprocess.run([sys.executable, "-m", "sslcore", *args], capture_output=True, text=True)


def test_reproduce_writes_figures_table_and_weights(tmp_path):
    out = tmp_path / "out"
    res = _run("reproduce", "--out", str(out), "--seeds", "3", "--steps", "40", "--jobs", "2")
    assert res.returncode == 0, res.stderr
    for name in ("learning_curves_ssl_near.png", "learning_curves_sl.png", "final_weights.png",
                 "projections.png", "summary.json", "final_weights.npz"):
        assert (out / name).stat().st_size > 0
    w = np.load(out / "final_weights.npz")
    assert w["ssl_near"].shape == w["ssl_sign"].shape == w["sl_W"].shape == (3, 2, 10)
    assert w["sl_F"].shape == (3, 2)
    summ = json.loads((out / "summary.json").read_text())
    assert set(summ["summary"]) == {"ssl_near", "ssl_sign", "sl"}
    assert summ["configs"]["sl"]["T"] == 80 and "proj_e2" in res.stdout


def test_reproduce_matches_the_library(tmp_path):
    from sslcore import SSLConfig, train_ssl
    res = _run("reproduce", "--out", str(tmp_path), "--seeds", "2", "--steps", "30",
               "--jobs", "1", "--no-figures", "--quiet")
    assert res.returncode == 0 and res.stdout == ""
    w = np.load(tmp_path / "final_weights.npz")
    ref = train_ssl(SSLConfig(seeds=(0, 1), T=30)).W_final
    assert np.array_equal(w["ssl_near"], ref)


def test_bad_options_give_one_line_errors(tmp_path):
    for args in (["--seeds", "0"], ["--steps", "abc"], ["--rng", "foo"], ["--jobs", "-1"]):
        res = _run("reproduce", "--out", str(tmp_path), *args)
        assert res.returncode == 2
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in res.stderr
    assert _run("reproduce", "--help").stdout.count("--") >= 6
