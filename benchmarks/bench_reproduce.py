"""Time the paper's full simulation: sslcore against the per-point loop implementation.

    .venv/bin/python benchmarks/bench_reproduce.py [--repeat 3] [--loop-steps 3]

sslcore: ``experiments.run_paper`` (SSL near + SSL sign, 20 seeds x 4000 steps, and SL,
20 seeds x 8000 steps; figures excluded), best of ``--repeat`` runs, with 1 and 2 processes.
Loop implementation (sslcore/loop_impl.py, Python loops over points and coordinates, as the
reference scripts): a few steps per experiment, timed and extrapolated to the full run.
"""
import argparse

from sslcore import experiments, loop_impl
from sslcore.timing import time_call


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--loop-steps", type=int, default=3)
    args = p.parse_args()
    cfgs = experiments.paper_configs()
    fast = {jobs: time_call(lambda j=jobs: experiments.run_paper(cfgs, jobs=j, progress=False),
                            args.repeat)
            for jobs in (1, 2)}
    k = args.loop_steps
    ssl_step = time_call(lambda: loop_impl.ssl_run(0, T=k), 1) / k
    sl_step = time_call(lambda: loop_impl.sl_run(0, T=k), 1) / k
    seeds = len(cfgs["sl"].seeds)
    loop_total = seeds * (2 * cfgs["ssl_near"].T * ssl_step + cfgs["sl"].T * sl_step)
    print(f"sslcore full run (3 experiments x {seeds} seeds), 1 process : {fast[1]:8.2f} s")
    print(f"sslcore full run (3 experiments x {seeds} seeds), 2 processes: {fast[2]:8.2f} s")
    print(f"loop implementation, extrapolated from {k} steps  : {loop_total:8.1f} s "
          f"(SSL {ssl_step * 1e3:.1f} ms/step/seed, SL {sl_step * 1e3:.1f} ms/step/seed)")
    print(f"speed-up: {loop_total / fast[2]:.0f}x (2 processes), "
          f"{loop_total / fast[1]:.0f}x (1 process)")


if __name__ == "__main__":
    main()
