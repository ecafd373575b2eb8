"""Command line: ``python -m sslcore reproduce --out DIR``.

Runs SSL (near), SSL (sign) and SL with the paper's settings and writes the paper's figures,
``summary.json`` and ``final_weights.npz`` into DIR, printing the summary table.
"""
from __future__ import annotations

import argparse
import sys
import time

from .config import RNGS


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block, no traceback
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(name):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}={text!r} must be an integer >= 1") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name}={value} is out of range: allowed {name} >= 1")
        return value
    return parse


def build_parser():
    p = _Parser(prog="python -m sslcore", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("reproduce", help="run the paper's three experiments and write the outputs",
                       description="Train SSL (near), SSL (sign) and SL with the paper's settings "
                                   "and write figures, summary.json and final_weights.npz.")
    r.add_argument("--out", required=True, help="output folder (created if missing)")
    r.add_argument("--seeds", type=_positive_int("--seeds"), default=20,
                   help="number of seeds; seeds 0..N-1 are run (default 20)")
    r.add_argument("--steps", type=_positive_int("--steps"), default=4000,
                   help="SSL gradient-ascent steps T (default 4000)")
    r.add_argument("--sl-steps", type=_positive_int("--sl-steps"), default=None,
                   help="SL gradient-descent steps (default: twice --steps, 8000)")
    r.add_argument("--rng", choices=RNGS, default="clean",
                   help="'clean': per-seed modern generators, isotropic noise (default); "
                        "'reference': the authors' random stream, noise quirk included")
    r.add_argument("--jobs", type=_positive_int("--jobs"), default=2,
                   help="worker processes (1 or 2; default 2)")
    r.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    r.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    from . import experiments  # heavy imports only after the arguments are valid

    try:
        configs = experiments.paper_configs(args.seeds, args.steps, args.sl_steps, args.rng)
    except ValueError as exc:
        print(f"python -m sslcore: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    runs = experiments.run_paper(configs, jobs=args.jobs, progress=not args.quiet)
    trained = time.perf_counter() - start
    summ = experiments.write_outputs(runs, args.out, figures=not args.no_figures)
    if not args.quiet:
        print(experiments.format_table(summ))
        print(f"trained in {trained:.2f} s; outputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
