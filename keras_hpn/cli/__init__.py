"""The `keras-hpn` command.

`keras-hpn benchmark` runs the benchmark suite (about 9 minutes), on
Fashion-MNIST by default (`--items incremental openset calibration` runs
the items on new classes, unknown classes and calibration, left out of the
default run);
`keras-hpn digits` trains an HPN and a softmax cross-entropy baseline on
scikit-learn's digits and prints their test accuracy side by side;
`keras-hpn prototypes` places prototypes, prints their separation and saves
them. `keras-hpn` with no command prints the help, which lists the three
commands, and exits with status 0: nothing long starts by accident.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence

from keras_hpn.benchmarks.items import ITEMS
from keras_hpn.cli import prototypes as command
from keras_hpn.version import __version__


def at_least(minimum: int):
    """An argparse type: an integer of at least `minimum`.

    Args:
        minimum: the smallest accepted value.

    Returns:
        A function that parses one command-line value.

    Example:

    ```python
    >>> at_least(2)("3")
    3
    ```
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, got {value}"
            )
        return value

    return parse


def _digits(args: argparse.Namespace) -> int:
    import keras

    from keras_hpn.benchmarks import digits

    seeds = list(range(args.seeds))
    print(
        f"keras-hpn digits: HPN vs softmax cross-entropy, dims={args.dims}, "
        f"{args.epochs} epochs, seeds {seeds}, backend {keras.backend.backend()}",
        flush=True,
    )
    runs = digits.compare(
        dims=args.dims, seeds=seeds, epochs=args.epochs, stream=sys.stdout
    )
    print()
    print(digits.table(runs))
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    import keras

    from keras_hpn.benchmarks import suite

    cifar = args.dataset.startswith("cifar")
    dataset = "fashion_mnist" if cifar else args.dataset
    if args.model == "cnn" and dataset != "fashion_mnist":
        print("keras-hpn benchmark: --model cnn needs --dataset fashion_mnist")
        return 2
    try:  # before any work: a bad --out used to fail after hours of training
        suite.check_out(args.out, args.overwrite)
    except ValueError as error:
        print(f"keras-hpn benchmark: {error}", file=sys.stderr)
        return 2
    make = suite.Settings.quick if args.quick else suite.Settings.default
    settings = make(dataset, args.model)
    if args.seeds is not None:
        settings = dataclasses.replace(settings, seeds=tuple(range(args.seeds)))
    if args.dims is not None:
        settings = dataclasses.replace(settings, dims=tuple(args.dims))
    if args.large:
        settings = dataclasses.replace(
            settings, cost_classes=(*settings.cost_classes, 100_000)
        )
    if args.data_dir is not None:
        settings = dataclasses.replace(settings, data_dir=args.data_dir)
    if args.epochs is not None and not cifar:
        settings = dataclasses.replace(
            settings,
            classification=dataclasses.replace(
                settings.classification, epochs=args.epochs
            ),
        )
    if cifar:
        print(
            f"keras-hpn benchmark: accuracy vs output dims on {args.dataset} with a "
            f"ResNet, backend {keras.backend.backend()}, seeds {list(settings.seeds)}",
            flush=True,
        )
        suite.run_cifar(
            args.dataset,
            settings,
            args.epochs,
            args.out,
            sys.stdout,
            args.quick,
            overwrite=args.overwrite,
        )
        return 0
    items = args.items or suite.default_items(settings)
    print(
        f"keras-hpn benchmark: {', '.join(items)}; image items on {settings.title} "
        f"({settings.model}); backend {keras.backend.backend()}, seeds "
        f"{list(settings.seeds)}" + (" (quick mode)" if args.quick else ""),
        flush=True,
    )
    try:
        suite.run(
            settings,
            items=items,
            out=args.out,
            stream=sys.stdout,
            overwrite=args.overwrite,
        )
    except FileNotFoundError as error:  # Fashion-MNIST neither installed nor fetched
        print(f"keras-hpn benchmark: {error}", file=sys.stderr)
        return 1
    except ValueError as error:  # e.g. an item that needs another dataset
        print(f"keras-hpn benchmark: {error}", file=sys.stderr)
        return 2
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser of `keras-hpn`."""
    main = argparse.ArgumentParser(
        prog="keras-hpn",
        description="Hyperspherical Prototype Networks for Keras 3.",
    )
    main.add_argument("--version", action="version", version=f"keras-hpn {__version__}")
    commands = main.add_subparsers(
        dest="command", required=True, metavar="{benchmark,digits,prototypes}"
    )
    bench = commands.add_parser(
        "benchmark",
        help="HPN vs softmax, cosine softmax and MSE on Fashion-MNIST and "
        "bundled data (about 9 minutes; `make run`)",
    )
    bench.add_argument(
        "--items",
        nargs="+",
        choices=ITEMS,
        help="items to run (default: all but incremental, openset and "
        "calibration, which run when named; 'published' only on fashion_mnist)",
    )
    bench.add_argument("--seeds", type=at_least(1), help="number of seeds (default 3)")
    bench.add_argument(
        "--dims",
        type=at_least(2),
        nargs="+",
        help="output dimensionalities of item 'dims' (default 2 3 5 10; "
        "'fractions' uses the largest)",
    )
    bench.add_argument(
        "--out",
        default="hpn-results",
        help="directory for results.json (written as each item finishes) and plots",
    )
    bench.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a results.json already in --out (refused otherwise)",
    )
    bench.add_argument(
        "--quick", action="store_true", help="tiny budgets (a smoke test, not results)"
    )
    bench.add_argument(
        "--large",
        action="store_true",
        help="item 'cost' also at 100,000 classes (minutes; the softmax head "
        "has 51 million parameters)",
    )
    bench.add_argument(
        "--dataset",
        choices=("fashion_mnist", "digits", "cifar10", "cifar100"),
        default="fashion_mnist",
        help="data of the image items (default fashion_mnist; digits: "
        "scikit-learn's 8x8 digits); cifar10/cifar100: item 'dims' on tfds data "
        "with a ResNet (use a GPU)",
    )
    bench.add_argument(
        "--model",
        choices=("mlp", "cnn"),
        default="mlp",
        help="body on Fashion-MNIST: mlp (default, for CPUs) or cnn (all 60,000 "
        "images, 15 epochs; use a GPU)",
    )
    bench.add_argument(
        "--data-dir",
        help="folder holding the four Fashion-MNIST .gz files (default: "
        "/usr/share/datasets/fashion-mnist, then the Keras cache)",
    )
    bench.add_argument(
        "--epochs",
        type=at_least(1),
        help="training epochs of the image items (Fashion-MNIST: mlp 3, cnn 15; "
        "CIFAR: 100)",
    )
    bench.set_defaults(handler=_benchmark)
    job = commands.add_parser(
        "digits", help="HPN vs softmax cross-entropy on scikit-learn digits"
    )
    job.add_argument(
        "--dims", type=at_least(2), default=10, help="output dimensions (10)"
    )
    job.add_argument(
        "--epochs", type=at_least(1), default=30, help="epochs per run (30)"
    )
    job.add_argument("--seeds", type=at_least(1), default=3, help="number of seeds (3)")
    job.set_defaults(handler=_digits)
    placement = commands.add_parser(
        "prototypes",
        help="place prototypes, print their separation, save them to .npz",
    )
    command.add_arguments(placement)
    placement.set_defaults(handler=command.run)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    """Runs `keras-hpn` with `argv` (default: the command line).

    With no arguments it prints the help (the three commands) and returns 0;
    options without a command are refused by argparse (exit status 2).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    main = parser()
    if not argv:
        main.print_help()
        return 0
    args = main.parse_args(argv)
    return args.handler(args)
