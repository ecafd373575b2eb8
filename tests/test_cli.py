import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest


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


def test_no_figures_does_not_import_matplotlib(tmp_path):
    """--no-figures: matplotlib (about 0.3 s of start-up) is never imported (-X importtime lists
    every module the process imports)."""
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "sslcore", "reproduce",
                          "--out", str(tmp_path), "--seeds", "2", "--steps", "10", "--jobs", "2",
                          "--no-figures", "--quiet"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    imported = {line.split("|")[-1].strip() for line in res.stderr.splitlines()
                if line.startswith("import time:")}
    assert {"sslcore.experiments", "sslcore.sweeps", "joblib"} <= imported
    assert not {m for m in imported if m.split(".")[0] == "matplotlib"}
    assert (tmp_path / "final_weights.npz").exists() and not list(tmp_path.glob("*.png"))


def test_bad_options_give_one_line_errors(tmp_path):
    for args in (["--seeds", "0"], ["--steps", "abc"], ["--rng", "foo"], ["--jobs", "-1"]):
        res = _run("reproduce", "--out", str(tmp_path), *args)
        assert res.returncode == 2
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in res.stderr
    assert _run("reproduce", "--help").stdout.count("--") >= 6


def _one_line_error(res, *words):
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2, res.stderr
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def test_out_that_is_a_file_or_cannot_be_created_is_refused_before_training(tmp_path):
    f = tmp_path / "file"
    f.write_text("keep me")
    _one_line_error(_run("reproduce", "--out", str(f)), "--out", "existing file")
    _one_line_error(_run("reproduce", "--out", str(f / "sub")), "--out", "is a file")
    _one_line_error(_run("reproduce", "--out", ""), "--out", "empty")
    assert f.read_text() == "keep me"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_unwritable_out_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        _one_line_error(_run("reproduce", "--out", str(ro)), "--out", "not writable")
        _one_line_error(_run("reproduce", "--out", str(ro / "new")), "--out", "cannot be created")
    finally:
        ro.chmod(0o700)


def test_out_is_checked_before_any_training(tmp_path, monkeypatch):
    from sslcore import cli, experiments
    called = []
    monkeypatch.setattr(experiments, "run_paper", lambda *a, **k: called.append(1))
    monkeypatch.setattr(experiments, "estimate_seconds", lambda *a, **k: called.append(1))
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(SystemExit) as exc:
        cli.main(["reproduce", "--out", str(f), "--seeds", "100000"])
    assert exc.value.code == 2 and called == []
    blocked = tmp_path / "file" / "a" / "b"
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "--out", str(blocked)])
    assert called == [] and not (tmp_path / "file").is_dir()


@pytest.mark.parametrize("args, words", [
    (["--jobs", "3"], ["--jobs", "1 <= --jobs <= 2"]),
    (["--jobs", "0"], ["--jobs", "1 <= --jobs <= 2"]),
    (["--chunk", "0"], ["--chunk", "1 <= --chunk <= 1000"]),
    (["--chunk", "5000"], ["--chunk", "1 <= --chunk <= 1000"]),
    (["--sl-steps", "0"], ["--sl-steps", ">= 1"]),
    (["--seeds", "x"], ["--seeds", "integer"]),
])
def test_options_out_of_range_name_the_option_and_the_range(tmp_path, args, words):
    _one_line_error(_run("reproduce", "--out", str(tmp_path / "o"), *args), *words)
    assert not (tmp_path / "o").exists()


def test_no_arguments_print_the_help():
    res = _run()
    assert res.returncode == 2 and "reproduce" in res.stdout and "usage:" in res.stdout
    assert "Traceback" not in res.stderr and "error" not in res.stderr


def test_chunk_size_does_not_change_the_outputs(tmp_path):
    outs = []
    for chunk in ("1", "50"):
        out = tmp_path / chunk
        res = _run("reproduce", "--out", str(out), "--seeds", "3", "--steps", "20", "--chunk",
                   chunk, "--jobs", "1", "--no-figures", "--quiet")
        assert res.returncode == 0, res.stderr
        outs.append(out)
    a, b = (np.load(o / "final_weights.npz") for o in outs)
    assert all(np.array_equal(a[k], b[k]) for k in ("ssl_near", "ssl_sign", "sl_W", "sl_F"))
    assert (outs[0] / "summary.json").read_text() == (outs[1] / "summary.json").read_text()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly_and_writes_nothing(tmp_path, jobs):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) during a long run."""
    out = tmp_path / "out"
    p = subprocess.Popen([sys.executable, "-m", "sslcore", "reproduce", "--out", str(out),
                          "--seeds", "2", "--steps", "200000", "--jobs", jobs],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        first = p.stderr.readline()              # printed before training starts
        assert first.startswith("reproduce: 3 experiments x 2 seeds")
        time.sleep(1.0)                          # into training (not an assertion on time)
        os.killpg(p.pid, signal.SIGINT)
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted; nothing written"
    assert "Traceback" not in stderr and stdout == ""
    assert not out.exists()
