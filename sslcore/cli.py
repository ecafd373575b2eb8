"""Command line: ``python -m sslcore reproduce --out DIR``.

Runs SSL (near), SSL (sign) and SL with the paper's settings and writes the paper's figures,
``summary.json`` and ``final_weights.npz`` into DIR, printing the summary table.

Exit status: 0 done; 2 bad arguments (a one-line error naming the option, checked before any
training) or no arguments (the help is printed); 1 training failed; 130 interrupted (Ctrl-C:
the workers are stopped and nothing is written).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

from .config import RNGS

CHUNK_MAX = 1000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage block, no traceback
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int_range(name: str, low: int, high: int | None = None) -> Callable[[str], int]:
    """argparse type: an integer in [low, high] (high None: no upper bound)."""
    allowed = f"{name} >= {low}" if high is None else f"{low} <= {name} <= {high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}={text!r} must be an integer, "
                                             f"allowed {allowed}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{name}={value} is out of range: allowed {allowed}")
        return value
    return parse


def _positive_int(name: str) -> Callable[[str], int]:
    return _int_range(name, 1)


def _nearest_existing(path: str) -> str:
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def _out_folder(text: str) -> str:
    """argparse type for --out: a folder that exists and is writable, or can be created."""
    if not text.strip():
        raise argparse.ArgumentTypeError("--out='' is empty: give a folder (created if missing)")
    path = os.path.abspath(text)
    if os.path.exists(path) and not os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"--out={text!r} is an existing file, not a folder: "
                                         "give a folder (created if missing)")
    base = _nearest_existing(path)
    if not os.path.isdir(base):
        raise argparse.ArgumentTypeError(f"--out={text!r} cannot be created: {base!r} is a "
                                         "file, not a folder")
    try:                                      # the only reliable test (root ignores modes)
        os.rmdir(tempfile.mkdtemp(prefix=".sslcore-probe-", dir=base))
    except OSError as exc:
        where = "is not writable" if base == path else f"cannot be created in {base!r}"
        raise argparse.ArgumentTypeError(f"--out={text!r} {where}: "
                                         f"{exc.strerror or exc}") from None
    return text


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m sslcore", description=__doc__.split("\n")[0],
                epilog="Without arguments the help is printed (exit status 2).")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser(
        "reproduce", help="run the paper's three experiments and write the outputs",
        description="Train SSL (near), SSL (sign) and SL with the paper's settings and write "
                    "figures, summary.json and final_weights.npz. Seeds are trained in chunks "
                    "(--chunk), so memory stays bounded however many seeds; each seed has its "
                    "own random streams, so the results do not depend on the chunking. Runs "
                    "above 1e6 seed-steps first print a time estimate. Ctrl-C stops cleanly "
                    "and writes nothing (exit status 130).")
    r.add_argument("--out", required=True, type=_out_folder,
                   help="output folder (created if missing; checked before training)")
    r.add_argument("--seeds", type=_positive_int("--seeds"), default=20,
                   help="number of seeds; seeds 0..N-1 are run (default 20)")
    r.add_argument("--steps", type=_positive_int("--steps"), default=4000,
                   help="SSL gradient-ascent steps T (default 4000)")
    r.add_argument("--sl-steps", type=_positive_int("--sl-steps"), default=None,
                   help="SL gradient-descent steps (default: twice --steps, 8000)")
    r.add_argument("--rng", choices=RNGS, default="clean",
                   help="'clean': per-seed modern generators, isotropic noise (default); "
                        "'reference': the authors' random stream, noise quirk included")
    r.add_argument("--jobs", type=_int_range("--jobs", 1, 2), default=2,
                   help="worker processes, 1 or 2 (default 2)")
    r.add_argument("--chunk", type=_int_range("--chunk", 1, CHUNK_MAX), default=None,
                   help=f"seeds trained together, 1 to {CHUNK_MAX} (default 50: about 150 MB "
                        "per process); does not change the results")
    r.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    r.add_argument("--quiet", action="store_true",
                   help="no progress bar, estimate or table")
    return p


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h {m:02d} min" if h else (f"{m} min {s:02d} s" if m else f"{s} s")


def _reproduce(args: argparse.Namespace) -> int:
    from . import experiments  # heavy imports only after the arguments are valid

    chunk = args.chunk or experiments.CHUNK
    try:
        configs = experiments.paper_configs(args.seeds, args.steps, args.sl_steps, args.rng)
    except ValueError as exc:
        print(f"python -m sslcore: error: {exc}", file=sys.stderr)
        return 2
    loud = not args.quiet
    if loud:
        n_chunks = -(-args.seeds // chunk)
        print(f"reproduce: 3 experiments x {args.seeds} seeds (SSL {configs['ssl_near'].T} "
              f"steps, SL {configs['sl'].T} steps) in {n_chunks} chunk"
              f"{'s' if n_chunks > 1 else ''} of up to {chunk} seeds, {args.jobs} process"
              f"{'es' if args.jobs > 1 else ''}", file=sys.stderr, flush=True)
        if experiments.seed_steps(configs) > experiments.ESTIMATE_ABOVE:
            est = experiments.estimate_seconds(configs, args.jobs, chunk)
            print(f"estimated training time: about {_duration(est)} (extrapolated from a "
                  f"40-step warm-up on this machine, with {args.jobs} free core"
                  f"{'s' if args.jobs > 1 else ''}; an estimate, machine load changes it)",
                  file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        runs = experiments.run_paper(configs, jobs=args.jobs, progress=loud, chunk=chunk)
    except FloatingPointError as exc:        # training.DivergenceError
        print(f"python -m sslcore: error: {exc}", file=sys.stderr)
        return 1
    trained = time.perf_counter() - start
    try:
        draw = None
        if not args.no_figures:
            from .comparison import paper_figures
            draw = paper_figures
        summ = experiments.write_outputs(runs, args.out, draw=draw)
    except OSError as exc:
        print(f"python -m sslcore: error: --out={args.out!r}: cannot write the outputs: "
              f"{exc}", file=sys.stderr)
        return 1
    if loud:
        print(experiments.format_table(summ))
        print(f"trained in {trained:.2f} s; outputs in {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 2
    args = parser.parse_args(argv)
    try:
        return _reproduce(args)
    except KeyboardInterrupt:
        print("interrupted; nothing written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
