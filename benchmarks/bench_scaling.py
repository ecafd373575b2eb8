"""Cost of SSL training as d, n, m and the number of seeds grow (project issue 13, "Speed").

    .venv/bin/python benchmarks/bench_scaling.py [--quick] [--repeat K] [--out FILE.md]
                                                 [--json FILE.json]

``--quick``: a small grid (under a minute); without it the full grid (a few minutes).
``--out``: also write the report to a markdown file (benchmarks/scaling_results.md);
``--json``: save the measured points.

1. Seconds per step of ``training.train_ssl`` (all S seeds in one vectorized loop), varying one
   of d (to 1000), n (to 10000), m (to 64) and S (to 40) at a time from the paper's point
   (d = 10, n = 100, m = 2, S = 10 seeds, sigmoid, agreement objective), for both samplers
   ("projected" only where m <= d). eta = 0.1 / n (eta n fixed: the paper's 1e-3 at n = 100),
   rho = d^-1.5 (the default), init "near" for m = 2 and "gaussian" for m > 2 (which runs the
   general kernels of ``ssl_kernels`` instead of the paper's); plus the smallest run (d = n =
   m = 2, S = 1), almost only overhead. Per point: a warm-up run (discarded), then the best of
   K (default 5, quick 2) runs of T = 1 (setup: data, initial weights, first block of random
   numbers) and of T steps (T from a 3-step probe so that a run takes ~0.25 s, 20 <= T <= 400;
   quick ~0.1 s); t_step = (t(T) - t(1)) / (T - 1). The K runs of all points are interleaved
   (K rounds over the grid), so a burst of load from other processes hits one run of several
   points rather than every run of one point.
2. Least-squares fits per sampler, in relative error (each point weighs 1 / t_step, as the
   times span three decades; coefficients >= 0):
   A. t_step = c0 + c1 n d m S, with c1 also fitted along each axis alone: equal slopes would
      mean the cost is linear in the product.
   B. t_step = c0 + cN N + cM M, with the per-step counts of the kernels, all seeds:
      "projected" draws N = (2n + d) m S normals and does M = (2ndm + 6nm^2 + 4dm^2) S
      multiply-adds; "views" N = 2 n d S and M = 4 n d m S. N also tracks the elementwise
      passes: over the 2nm pre-activations (projected), over the 2nd views x + rho xi (views;
      its passes over the 2nm pre-activations are not counted, so n = 10000 comes out slower
      than d = 1000 at the same N and M).
   c0 is the per-step overhead (Python and NumPy calls, a fixed number per step); the table
   gives the share c0 / t of each point, and the size along each axis (the others at the
   paper's point) below which the overhead is more than half of a step.
3. One step of the pairwise objectives (InfoNCE, spectral: n x n matrices per seed) against
   the agreement objective at n = 100 and 1000 (m = 2, so the pairwise ones use the general
   kernel).
4. Peak memory (VmHWM, the peak resident set, of a fresh subprocess) of large runs; random
   numbers come in blocks of at most 4 MiB per seed (``ssl_kernels.block_length``), one in
   use and the next drawn ahead in a thread, so a run holds about 8 MiB per seed of them.

Timings are wall-clock: on a shared machine they vary by tens of per cent from run to run
(best-of-K removes part of it); the load average is printed at the start and the end.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from sslcore import training
from sslcore.config import SSLConfig
from sslcore.timing import time_call

#: the paper's point (d, n, m, seeds) and eta * n
PAPER = dict(d=10, n=100, m=2, S=10)
ETA_N = 0.1
#: values along each axis (full grid, quick grid)
AXES = {
    "d": ((10, 30, 100, 300, 1000), (10, 100, 1000)),
    "n": ((100, 300, 1000, 3000, 10000), (100, 1000, 10000)),
    "m": ((2, 4, 8, 16, 32, 64), (2, 8, 64)),
    "S": ((1, 2, 5, 10, 20, 40), (1, 10, 40)),
}
SAMPLERS = ("projected", "views")


@dataclass
class Point:
    """One configuration of the grid and its measured time per step (seconds)."""

    axis: str
    sampler: str
    d: int
    n: int
    m: int
    S: int
    T: int = 0
    step: float = float("nan")

    @property
    def work(self) -> int:
        """n d m S."""
        return self.n * self.d * self.m * self.S

    @property
    def counts(self) -> tuple[int, int]:
        """(normals, multiply-adds) of one step, all seeds (module docstring)."""
        n, d, m, S = self.n, self.d, self.m, self.S
        if self.sampler == "projected":
            return (2 * n + d) * m * S, (2 * n * d * m + 6 * n * m * m + 4 * d * m * m) * S
        return 2 * n * d * S, 4 * n * d * m * S


def make_config(d: int, n: int, m: int, S: int, sampler: str | None = None, T: int = 1,
                objective: str = "agreement") -> SSLConfig:
    """The benchmark's configuration: eta = ETA_N / n, init 'near' (m = 2) or 'gaussian'."""
    return SSLConfig(d=d, n=n, m=m, seeds=tuple(range(S)), eta=ETA_N / n, T=T,
                     init="near" if m == 2 else "gaussian", sampler=sampler,
                     objective=objective)


def run_time(cfg: SSLConfig, T: int) -> float:
    """Seconds of one train_ssl(cfg) with T steps."""
    return time_call(lambda: training.train_ssl(cfg.replace(T=T)), 1)


def choose_steps(cfg: SSLConfig, budget: float, t_min: int, t_max: int) -> int:
    """T so that a run takes about ``budget`` seconds (from a 3-step probe after a warm-up);
    0 for a slow step (a 1-step run over 2 s: see :func:`step_times`)."""
    if run_time(cfg, 1) > 2.0:                              # warm-up, discarded
        return 0
    t1 = run_time(cfg, 1)
    probe = max((run_time(cfg, 3) - t1) / 2, 1e-6)
    return int(np.clip(budget / probe, t_min, t_max))


def step_times(cfgs: list[SSLConfig], steps: list[int], repeat: int) -> list[float]:
    """Seconds per step, (best t(T) - best t(1)) / (T - 1), the K = ``repeat`` runs of each
    configuration interleaved (round k runs every configuration once), so a burst of load
    from other processes slows one run of several configurations, not every run of one.
    T = 0 (slow steps): one run of T = 1 and one of T = 3, long enough without best-of."""
    t1, tT = [np.inf] * len(cfgs), [np.inf] * len(cfgs)
    for k in range(repeat):
        for i, (cfg, T) in enumerate(zip(cfgs, steps)):
            if T or k == 0:
                t1[i] = min(t1[i], run_time(cfg, 1))
                tT[i] = min(tT[i], run_time(cfg, T or 3))
    return [max(b - a, 0.0) / ((T or 3) - 1) for a, b, T in zip(t1, tT, steps)]


def grid(quick: bool) -> list[Point]:
    """One point per axis value and sampler (projected only where m <= d), the paper's point
    once, and the smallest run (d = n = m = 2, S = 1: almost only the overhead)."""
    points, seen = [Point("min", sampler, 2, 2, 2, 1) for sampler in SAMPLERS], set()
    for axis, values in AXES.items():
        for sampler in SAMPLERS:
            for v in values[quick]:
                p = Point(axis, sampler, **{**PAPER, axis: v})
                if sampler == "projected" and p.m > p.d:
                    continue
                key = (sampler, p.d, p.n, p.m, p.S)
                if key in seen:
                    continue
                seen.add(key)
                points.append(p)
    return points


def fit(t: np.ndarray, *works: np.ndarray) -> np.ndarray:
    """(c0, c1, ...) >= 0 minimizing sum ((c0 + sum_k c_k work_k - t) / t)^2."""
    A = np.stack([np.ones_like(t), *works], axis=1) / t[:, None]
    return nnls(A, np.ones_like(t))[0]


def us(seconds: float) -> str:
    """Seconds as microseconds."""
    return f"{seconds * 1e6:.0f}"


def rms_max(pred: np.ndarray, t: np.ndarray) -> str:
    """'rms X%, max Y%' of the relative errors pred / t - 1."""
    rel = pred / t - 1
    return f"rms {np.sqrt(np.mean(rel**2)):.0%}, max {np.max(np.abs(rel)):.0%}"


def crossover(c: np.ndarray, sampler: str, axis: str) -> str:
    """The value of ``axis`` (the others at the paper's point) where the fitted work of model B
    equals the overhead c0; '<min' when the work exceeds it at every allowed value."""
    def excess(v):
        N, M = Point(axis, sampler, **{**PAPER, axis: v}).counts
        return c[1] * N + c[2] * M - c[0]
    lo, hi = {"d": 2, "n": 1, "m": 2, "S": 1}[axis], 1e7
    if excess(lo) >= 0:
        return f"{axis} never"
    for _ in range(60):                                     # bisection, geometric
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if excess(mid) < 0 else (lo, mid)
    return f"{axis} < {lo:.3g}"


def report_fits(points: list[Point], out: list[str]) -> None:
    """Per sampler: the table of measured and fitted times, both fits, and the slopes of the
    product fit along each axis alone."""
    for sampler in SAMPLERS:
        pts = [p for p in points if p.sampler == sampler]
        t = np.array([p.step for p in pts])
        work = np.array([p.work for p in pts], dtype=float)
        N, M = (np.array(c, dtype=float) for c in zip(*(p.counts for p in pts)))
        a, b = fit(t, work), fit(t, N, M)
        fa, fb = a[0] + a[1] * work, b[0] + b[1] * N + b[2] * M
        out.append(f"\nsampler {sampler!r}; times in us per step (all S seeds together)")
        out.append(f"{'axis':>4} {'d':>5} {'n':>6} {'m':>3} {'S':>3} {'T':>4} {'n*d*m*S':>10} "
                   f"{'normals':>9} {'mult-adds':>10} {'measured':>9} {'fit A':>7} "
                   f"{'fit B':>7} {'c0/fitB':>8}")
        for p, x, y, z in zip(pts, fa, fb, zip(N, M)):
            out.append(f"{p.axis:>4} {p.d:5d} {p.n:6d} {p.m:3d} {p.S:3d} {p.T:4d} {p.work:10d} "
                       f"{z[0]:9.0f} {z[1]:10.0f} {us(p.step):>9} {us(x):>7} {us(y):>7} "
                       f"{b[0] / y:8.0%}")
        slopes = []
        for axis in AXES:
            on = np.array([p.axis == axis or (p.d, p.n, p.m, p.S) == tuple(PAPER.values())
                           for p in pts])
            if on.sum() >= 3:
                slopes.append(f"{axis} {fit(t[on], work[on])[1] * 1e9:.3g}")
        out.append(f"A: t = c0 + c1 n*d*m*S: c0 = {us(a[0])} us, c1 = {a[1] * 1e9:.3g} ns; "
                   f"error {rms_max(fa, t)}")
        out.append(f"   c0/c1 = {a[0] / max(a[1], 1e-30):,.0f}; c1 (ns) fitted along one axis "
                   "alone: " + ", ".join(slopes))
        out.append(f"B: t = c0 + cN normals + cM mult-adds: c0 = {us(b[0])} us, "
                   f"cN = {b[1] * 1e9:.3g} ns, cM = {b[2] * 1e9:.3g} ns; {rms_max(fb, t)}")
        out.append("   overhead > half a step (other sizes as the paper's): "
                   + ", ".join(crossover(b, sampler, axis) for axis in AXES))


def report_pairwise(args, out: list[str]) -> None:
    """Seconds per step of each objective at n = 100 and 1000 (d = 10, m = 2, S = 10)."""
    out.append("\nOne step of each objective (d=10, m=2, S=10, sampler 'projected'), us/step:")
    out.append(f"{'n':>6} {'agreement':>10} {'infonce':>10} {'spectral':>10}")
    ns, objs = (100,) if args.quick else (100, 1000), ("agreement", "infonce", "spectral")
    cfgs = [make_config(10, n, 2, 10, objective=obj) for n in ns for obj in objs]
    steps = [choose_steps(cfg, args.budget, 2, args.t_max) for cfg in cfgs]
    times = step_times(cfgs, steps, args.repeat)
    for k, n in enumerate(ns):
        out.append(f"{n:6d} " + " ".join(f"{us(t):>10}" for t in times[3 * k:3 * k + 3]))


MEMORY_SCRIPT = """
import json, sys
from sslcore import training
from sslcore.config import SSLConfig
kw = json.loads(sys.argv[1])
if kw:
    training.train_ssl(SSLConfig(**kw))
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""


def peak_memory_mb(**kw) -> float:
    """Peak resident memory (MB, VmHWM) of a fresh Python that imports sslcore and trains kw.
    (Not ru_maxrss: Linux carries the parent's peak into the child across fork and exec.)"""
    if kw:
        S = kw.pop("S")
        kw = {**kw, "seeds": list(range(S)), "eta": ETA_N / kw["n"]}
    res = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, json.dumps(kw)],
                         capture_output=True, text=True, check=True)
    return int(res.stdout.split()[-1]) / 1024                # VmHWM in kB


def report_memory(quick: bool, out: list[str]) -> None:
    """Peak memory of large runs against a bare import."""
    base = peak_memory_mb()
    out.append(f"\nPeak memory (VmHWM of a subprocess; import of sslcore alone: {base:.0f} MB)")
    runs = [("n=10000, S=10, projected", dict(d=10, n=10000, S=10, T=40, sampler="projected")),
            ("n=10000, S=10, views", dict(d=10, n=10000, S=10, T=10, sampler="views")),
            ("n=10000, S=40, projected", dict(d=10, n=10000, S=40, T=40, sampler="projected")),
            ("d=1000, n=100, S=10, views", dict(d=1000, n=100, S=10, T=10, sampler="views")),
            ("infonce n=1000, S=10", dict(d=10, n=1000, S=10, T=5, objective="infonce"))]
    for name, kw in runs[:1] if quick else runs:
        out.append(f"  {name:28s} {peak_memory_mb(**kw):6.0f} MB")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small grid, under a minute")
    p.add_argument("--repeat", type=int, default=None, help="best of K (default 5, quick 2)")
    p.add_argument("--out", default=None, help="also write the report to this markdown file")
    p.add_argument("--json", default=None, help="also save the measured points (JSON)")
    args = p.parse_args()
    args.repeat = args.repeat or (2 if args.quick else 5)
    args.budget, args.t_max = (0.1, 100) if args.quick else (0.25, 400)
    start = time.perf_counter()
    out = [f"bench_scaling ({'quick' if args.quick else 'full'} grid, best of {args.repeat}); "
           f"{platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}; "
           f"load average {os.getloadavg()[0]:.1f}"]
    print(out[0], flush=True)
    points = grid(args.quick)
    cfgs = [make_config(pt.d, pt.n, pt.m, pt.S, pt.sampler) for pt in points]
    for pt, cfg in zip(points, cfgs):
        pt.T = choose_steps(cfg, args.budget, 20, args.t_max)
    for pt, t in zip(points, step_times(cfgs, [pt.T for pt in points], args.repeat)):
        pt.step = t
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([vars(pt) for pt in points], fh)
    report_fits(points, out)
    report_pairwise(args, out)
    report_memory(args.quick, out)
    out.append(f"\ntotal {time.perf_counter() - start:.0f} s; load average at the end "
               f"{os.getloadavg()[0]:.1f}")
    print("\n".join(out[1:]))
    if args.out:
        with open(args.out, "w") as fh:
            fh.write("# SSL training cost per step\n\nWritten by `.venv/bin/python "
                     f"benchmarks/bench_scaling.py {' '.join(sys.argv[1:])}`; its docstring says "
                     "what is measured and how.\n\n```text\n" + "\n".join(out) + "\n```\n")


if __name__ == "__main__":
    main()
