"""The base of the classifying task models: class prototypes, a reserve of
classes added later, and the decoders of the known classes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from keras_hpn import saving
from keras_hpn.calibration import class_probabilities, fit_temperature
from keras_hpn.decoding import (
    _check_min_cosine,
    acceptance_threshold,
    class_scores,
    predict_classes,
)
from keras_hpn.models.task import _HPNTask
from keras_hpn.utils.validation import check_positive, check_size


class _ClassPrototypes(_HPNTask):
    """A task model holding class prototypes, saved with it.

    `num_classes + reserve` prototypes are placed; the first `num_classes`
    are the known classes, which every `predict_*` method decides among; the
    loss and the metrics use all of them, so any placed class can be trained.
    `add_classes` moves classes from the reserve to the known ones.
    """

    prototypes = saving.StoredPrototypes()

    def _keep_classes(self, num_classes, reserve, names, temperature) -> None:
        self.num_classes = num_classes
        self.reserve = reserve
        self.class_names = names
        self.temperature = temperature

    @property
    def num_placed(self) -> int:
        """The number of prototypes placed: `num_classes + reserve`."""
        return self.num_classes + self.reserve

    def _class_part(self, outputs: np.ndarray) -> np.ndarray:
        """The part of each output that the class prototypes score."""
        return outputs

    def _known(self, x, batch_size, verbose):
        """The class part of the outputs of `x` and the known prototypes."""
        outputs = self._class_part(self.predict_outputs(x, batch_size, verbose))
        return outputs, self.prototypes[: self.num_classes]

    def _labels_of(self, y):
        return y

    def predict_classes(
        self, x, batch_size=None, verbose=0, min_cosine: float | None = None
    ) -> np.ndarray:
        """Class ids of `x`, shape `(batch,)`; `-1` for no class.

        Args:
            x: inputs, as for `predict`.
            batch_size: as for `predict`.
            verbose: as for `predict`.
            min_cosine: `None`, or a cosine in `[-1, 1]`: an input whose best
                cosine is below it is rejected as unknown (`-1`); pick it
                with `acceptance_threshold`.

        Returns:
            Integer array of class ids among the `num_classes` known classes;
            `-1` for an output with no direction or one rejected by
            `min_cosine`.
        """
        min_cosine = _check_min_cosine(min_cosine)
        outputs, protos = self._known(x, batch_size, verbose)
        return predict_classes(outputs, protos, min_cosine=min_cosine)

    def predict_cosines(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Cosine of each output with every known class prototype, `(batch, K)`.

        Args:
            x: inputs, as for `predict`.
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            Float array of cosines (NaN rows for outputs with no direction).
        """
        return class_scores(*self._known(x, batch_size, verbose))

    def predict_top_k(
        self,
        x,
        k: int = 5,
        batch_size=None,
        verbose=0,
        min_cosine: float | None = None,
    ):
        """The `k` best classes of each input, best first.

        Args:
            x: inputs, as for `predict`.
            k: how many classes, from 1 to `num_classes`.
            batch_size: as for `predict`.
            verbose: as for `predict`.
            min_cosine: `None`, or a cosine in `[-1, 1]`: a class whose cosine
                is below it reads id `-1` (see `keras_hpn.predict_classes`).

        Returns:
            A tuple `(ids, cosines, names)`, each of shape `(batch, k)`:
            integer class ids (`-1` for an output with no direction, or below
            `min_cosine`), their cosines, and their names (an object array;
            `None` for id `-1`), or `names=None` when the model has no
            `class_names`.
        """
        k = check_size(k, "k", 1, self.num_classes, "`num_classes`")
        min_cosine = _check_min_cosine(min_cosine)
        ids, cosines = predict_classes(
            *self._known(x, batch_size, verbose),
            k=k,
            return_scores=True,
            min_cosine=min_cosine,
        )
        ids, cosines = ids.reshape(-1, k), cosines.reshape(-1, k)
        return ids, cosines, self._class_names_of(ids)

    def predict_probabilities(
        self, x, temperature: float | None = None, batch_size=None, verbose=0
    ) -> np.ndarray:
        """Probabilities of the known classes: a softmax of cosines / temperature.

        Args:
            x: inputs, as for `predict`.
            temperature: `None` for the model's `temperature` (1.0 unless
                set by `fit_temperature`), or a number > 0.
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            Float array `(batch, num_classes)`, rows summing to 1 (NaN rows
            for outputs with no direction); see
            `keras_hpn.class_probabilities`.
        """
        temperature = (
            self.temperature
            if temperature is None
            else check_positive(temperature, "temperature")
        )
        return class_probabilities(
            *self._known(x, batch_size, verbose), temperature=temperature
        )

    def fit_temperature(self, x, y, batch_size=None, verbose=0) -> float:
        """Fits and keeps the temperature of `predict_probabilities`.

        Temperature scaling (Guo et al., ICML 2017): the temperature that
        minimises the negative log-likelihood of `y` (see
        `keras_hpn.fit_temperature`). Pass validation data the model was not
        trained on. The temperature is saved with the model.

        Args:
            x: validation inputs, as for `predict`.
            y: their labels, as for `fit` (class ids of the known classes).
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            The fitted temperature, now `model.temperature`.
        """
        outputs, protos = self._known(x, batch_size, verbose)
        self.temperature = fit_temperature(outputs, protos, self._labels_of(y))
        return self.temperature

    def acceptance_threshold(
        self, x, accept: float = 0.95, batch_size=None, verbose=0
    ) -> float:
        """The `min_cosine` that accepts a fraction `accept` of the inputs `x`.

        Args:
            x: validation inputs of the known classes, as for `predict`.
            accept: the fraction of them to accept, in `(0, 1]`.
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            A cosine for `min_cosine` (see `keras_hpn.acceptance_threshold`).
        """
        outputs, protos = self._known(x, batch_size, verbose)
        return acceptance_threshold(outputs, protos, accept=accept)

    def add_classes(self, classes: int | Sequence[str]) -> np.ndarray:
        """Takes classes from the reserve: the next prototypes become known.

        Nothing in the network changes: the prototypes were placed at
        construction, and the loss already trains any placed class. Train the
        new classes (with their ids) before or after this call; from it on,
        the `predict_*` methods decide among them too.

        Args:
            classes: the names of the new classes, when the model has
                `class_names`; else how many classes to add.

        Returns:
            The ids of the new classes.
        """
        if self.class_names is None:
            if not isinstance(classes, (int, np.integer)) or isinstance(
                classes, (bool, np.bool_)
            ):
                raise ValueError(
                    "This model's classes have no names: pass how many classes to "
                    f"add. Received: classes={classes!r}"
                )
            count, names = int(classes), None
        else:
            if isinstance(classes, str) or not all(
                isinstance(name, str) for name in np.atleast_1d(classes)
            ):
                raise ValueError(
                    "This model names its classes: pass the names of the new "
                    f"classes, a sequence of strings. Received: classes={classes!r}"
                )
            names = tuple(classes)
            count = len(names)
        count = check_size(count, "classes", 1)
        if count > self.reserve:
            raise ValueError(
                f"`classes`: {count} new classes, but the model's reserve holds "
                f"{self.reserve} prototypes; place more with `reserve=`."
            )
        ids = np.arange(self.num_classes, self.num_classes + count)
        self.num_classes += count
        self.reserve -= count
        if names is not None:
            self.class_names = (*self.class_names, *names)
        return ids

    def _class_config(self) -> dict:
        return {
            "num_classes": self.num_classes,
            "reserve": self.reserve,
            "prototypes": saving.config_of(self, "prototypes"),
            "class_names": None if self.class_names is None else list(self.class_names),
            "temperature": self.temperature,
        }

    def save_own_variables(self, store) -> None:
        super().save_own_variables(store)
        saving.save_arrays(self, store, ("prototypes",))

    def load_own_variables(self, store) -> None:
        saving.load_arrays(self, store, ("prototypes",))
        super().load_own_variables(
            {key: store[key] for key in store.keys() if key != "prototypes"}
        )

    def _class_names_of(self, ids: np.ndarray):
        if self.class_names is None:
            return None
        names = np.array([*self.class_names, None], dtype=object)
        return names[ids]  # id -1 (no class) reads the trailing None


def _keep_prototypes(model, prototypes) -> None:
    # Straight to the descriptor: Keras' and TensorFlow's attribute hooks
    # would read the attribute before it exists.
    object.__setattr__(model, "prototypes", prototypes)


def _check_names(class_names, num_classes: int) -> tuple[str, ...] | None:
    if class_names is None:
        return None
    if isinstance(class_names, str) or not all(
        isinstance(name, str) for name in class_names
    ):
        raise ValueError(
            "`class_names` must be a sequence of strings, one per class. "
            f"Received: class_names={class_names!r}"
        )
    names = tuple(class_names)
    if len(names) != num_classes:
        raise ValueError(
            f"`class_names` must hold one name per class ({num_classes}). "
            f"Received {len(names)} names."
        )
    return names


def _given(prototypes, placed: int, dims) -> np.ndarray:
    """Prototypes given by the user (or a config), checked against the sizes:
    `placed` is `num_classes + reserve`."""
    if isinstance(prototypes, dict):  # a reference from a config
        return prototypes
    protos = saving.from_config(prototypes, "prototypes")
    if protos.shape[0] != placed or (dims is not None and protos.shape[1] != dims):
        raise ValueError(
            "`prototypes` must have shape (num_classes + reserve, dims) = "
            f"({placed}, "
            f"{'dims' if dims is None else dims}). Received shape {protos.shape}."
        )
    return protos
