"""The `keras-hpn` command.

`keras-hpn` (or `keras-hpn digits`) trains an HPN and a softmax
cross-entropy baseline on scikit-learn's digits and prints their test
accuracy side by side; `keras-hpn prototypes` places prototypes, prints
their separation and saves them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from keras_hpn.prototypes import command


def _digits(args: argparse.Namespace) -> int:
    import keras

    from keras_hpn.benchmarks import digits

    seeds = list(range(args.seeds))
    print(
        f"keras-hpn digits: HPN vs softmax cross-entropy, dims={args.dims}, "
        f"{args.epochs} epochs, seeds {seeds}, backend {keras.backend.backend()}",
        flush=True,
    )
    runs = digits.compare(dims=args.dims, seeds=seeds, epochs=args.epochs)
    print()
    print(digits.table(runs))
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser of `keras-hpn`."""
    main = argparse.ArgumentParser(
        prog="keras-hpn",
        description="Hyperspherical Prototype Networks for Keras 3.",
    )
    commands = main.add_subparsers(dest="command")
    job = commands.add_parser(
        "digits", help="HPN vs softmax cross-entropy on scikit-learn digits (default)"
    )
    job.add_argument("--dims", type=int, default=10, help="output dimensions (10)")
    job.add_argument("--epochs", type=int, default=30, help="epochs per run (30)")
    job.add_argument("--seeds", type=int, default=3, help="number of seeds (3)")
    job.set_defaults(handler=_digits)
    placement = commands.add_parser(
        "prototypes",
        help="place prototypes, print their separation, save them to .npz",
    )
    command.add_arguments(placement)
    placement.set_defaults(handler=command.run)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    """Runs `keras-hpn` with `argv` (default: the command line)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["digits", *argv]
    args = parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
