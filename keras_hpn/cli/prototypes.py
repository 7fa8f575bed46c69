"""The `keras-hpn prototypes` subcommand: place prototypes and save them.

Example:

```
keras-hpn prototypes --classes 100 --dims 50 --out p.npz
keras-hpn prototypes --dims 10 --out p.npz --names names.txt \\
    --word-vectors vectors.txt
```
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path

from keras_hpn.prototypes import (
    EFFORTS,
    MAX_SECONDS,
    METHODS,
    Separation,
    npz_path,
    place,
    save_prototypes,
    semantic_prototypes,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the options of `keras-hpn prototypes` to `parser`.

    Args:
        parser: the subcommand's parser.

    Example:

    ```python
    >>> parser = argparse.ArgumentParser()
    >>> add_arguments(parser)
    >>> parser.parse_args(["--classes", "10", "--dims", "5", "--out", "p.npz"]).dims
    5
    ```
    """
    parser.add_argument(
        "--classes", type=int, help="number of classes (or give --names)"
    )
    parser.add_argument("--dims", type=int, required=True, help="prototype dims")
    parser.add_argument("--out", required=True, help="output .npz file")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the --out file if it exists (refused otherwise)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="auto",
        help="placement without priors (auto: the best of the closed forms, "
        "codes and the optimiser)",
    )
    parser.add_argument("--steps", type=int, help="optimisation steps")
    parser.add_argument(
        "--effort",
        choices=EFFORTS,
        default="fast",
        help="optimiser schedule (fast: less time than the paper's optimiser; "
        "best: up to 32 longer starts)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=MAX_SECONDS,
        help="refuse an optimiser run estimated to take longer "
        f"({MAX_SECONDS:.0f}; 0: no limit)",
    )
    parser.add_argument(
        "--names", help="text file with one class name per line, in class order"
    )
    parser.add_argument(
        "--word-vectors",
        help="word2vec text file; with --names places semantic prototypes",
    )
    parser.add_argument(
        "--semantic-weight",
        type=float,
        default=0.04,
        help="semantic priors: largest cosine they may add to the placement "
        "without priors (0.04)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar on long runs"
    )


def run(args: argparse.Namespace) -> int:
    """Places the prototypes asked for, saves them and prints their separation.

    Args:
        args: parsed options of `add_arguments`.

    Returns:
        The exit status: 0 on success, 2 on bad input (the message goes to
        stderr).

    Example:

    ```python
    >>> import tempfile, pathlib
    >>> parser = argparse.ArgumentParser()
    >>> add_arguments(parser)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "p.npz"
    >>> run(parser.parse_args(["--classes", "4", "--dims", "3", "--out", str(out)]))
    ... # doctest: +ELLIPSIS
    4 prototypes in 3 dims: largest cosine -0.333333 ...
    saved to ...p.npz
    0
    ```
    """
    try:
        _check_out(args.out, args.overwrite)
        names = _read_names(args.names) if args.names else None
        if args.word_vectors and names is None:
            raise ValueError("`--word-vectors` needs `--names` (one name a line).")
        if (
            names is not None
            and args.classes is not None
            and args.classes != len(names)
        ):
            raise ValueError(
                f"`--classes` is {args.classes} but `--names` lists "
                f"{len(names)} names; give one or make them agree."
            )
        verbose = False if args.quiet else None
        if args.word_vectors:
            prototypes = semantic_prototypes(
                names,
                args.word_vectors,
                args.dims,
                seed=args.seed,
                weight=args.semantic_weight,
                steps=args.steps,
                verbose=verbose,
            )
            method = "semantic"
            result = prototypes
        else:
            num_classes = len(names) if names is not None else args.classes
            if num_classes is None:
                raise ValueError("Give `--classes` or `--names`.")
            result = place(
                num_classes,
                args.dims,
                seed=args.seed,
                method=args.method,
                steps=args.steps,
                verbose=verbose,
                max_seconds=args.max_seconds or None,
                effort=args.effort,
            )
            method = args.method
        metadata = save_prototypes(
            args.out,
            result,
            class_names=names,
            method=method,
            seed=args.seed,
            overwrite=args.overwrite,
        )
    except (ValueError, OSError) as error:
        print(f"keras-hpn prototypes: error: {error}", file=sys.stderr)
        return 2
    # The separation measured once, for the file's metadata.
    measured = {field.name: metadata.get(field.name) for field in fields(Separation)}
    measured["method"] = "semantic" if args.word_vectors else result.description
    print(Separation(**measured))
    print(f"saved to {npz_path(args.out)}")
    return 0


def _check_out(out: str, overwrite: bool) -> None:
    """Refuses, before placing anything, an `--out` that cannot be written."""
    path = Path(npz_path(out))
    received = f"Received: --out {out}"
    if path.is_dir():
        raise ValueError(f"`--out` must name a .npz file, not a folder. {received}")
    if path.exists() and not overwrite:
        raise ValueError(
            f"`--out` names an existing file, {path}, which would be lost. "
            f"{received}. Choose another name or pass `--overwrite`."
        )
    nearest = next(folder for folder in path.parents if folder.exists())
    if not nearest.is_dir():
        raise ValueError(
            f"`--out` must be in a folder. {received}, which lies under the file "
            f"{nearest}."
        )
    folder = path.parent
    if nearest != folder:
        raise ValueError(f"`--out` must be in an existing folder; {folder} is missing.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"`--out` must be in a writable folder. {received}")


def _read_names(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        names = [line.strip() for line in handle if line.strip()]
    if len(names) < 2:
        raise ValueError(
            f"`--names` must list at least 2 class names, one a line. "
            f"Received {len(names)} in {path}."
        )
    return names
