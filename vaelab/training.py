"""Training: ``keras.Model.fit`` with the recipe and the care a learner needs around it.

Introduced in notebook 02. Keras does the computing: the learning-rate schedule is a
``keras.optimizers.schedules.CosineDecay`` with a linear warm-up, evaluated inside the compiled
step. vaelab adds only what Keras lacks: input checks, seeding, a NaN check that puts back the
last good weights, Ctrl-C that keeps the weights, and in a notebook a progress bar that is a
widget (tqdm's ``TqdmCallback``), not a terminal bar's backspaces and colour codes.
"""

from __future__ import annotations

import math
import signal
import sys
import threading

import keras

from vaelab._checks import as_images, between_zero_and_one, positive_int
from vaelab.defaults import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LEARNING_RATE,
    DEFAULT_NUM_EPOCHS,
    DEFAULT_SCHEDULE,
    MIN_WARMUP_STEPS,
    WARMUP_FRACTION,
)


def warmup_cosine(peak: float, total_steps: int):
    """Linear warm-up to ``peak``, then a cosine decay to 0 at ``total_steps``.

    The warm-up lasts ``WARMUP_FRACTION`` of the steps but at least ``MIN_WARMUP_STEPS``:
    RMSprop's first updates are large (its average of squared gradients starts at 0) and short
    runs diverged without the floor. A run shorter than the warm-up only ramps up.
    """
    warmup_steps = max(MIN_WARMUP_STEPS, round(WARMUP_FRACTION * total_steps))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(1, total_steps - warmup_steps),
        warmup_target=peak,
        warmup_steps=warmup_steps,
    )


class RestoreOnNaN(keras.callbacks.Callback):
    """At the end of an epoch with a NaN or infinite loss: stop, and put back the last good weights.

    Checked once an epoch (a per-batch check makes Keras wait for every step's loss): an epoch
    whose mean loss is finite had no NaN batch.
    """

    def on_train_begin(self, logs=None):
        self.good_weights = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            self.good_weights = self.model.get_weights()
            return
        self.model.stop_training = True
        self.model.set_weights(self.good_weights)
        print(
            f"vaelab: the loss became NaN/inf in epoch {epoch + 1}, so training stopped and the "
            "weights of the last good epoch were restored. Check the data for NaN, or lower the "
            "learning rate."
        )


class _StopOnCtrlC:
    """Context: the first Ctrl-C (or "interrupt kernel") ends training after the current batch;
    a second one interrupts at once.

    A ``KeyboardInterrupt`` raised while TensorFlow runs a step can be lost; a flag that Keras
    reads between batches cannot. Installed only from the main thread.
    """

    def __init__(self, model):
        self.model = model
        self.interrupted = False
        self.installed = False

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
            self.installed = True
        return self

    def _handle(self, signum, frame):
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        self.model.stop_training = True

    def __exit__(self, *exc):
        if self.installed:  # None: a handler not set from Python; the default is the best guess
            signal.signal(signal.SIGINT, signal.SIG_DFL if self.previous is None else self.previous)
        return False


def in_notebook_kernel() -> bool:
    """True inside a Jupyter kernel (a notebook, Voilà), False in a terminal or a script."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def notebook_progress(num_epochs: int, num_samples: int, batch_size: int):
    """tqdm's ``TqdmCallback`` as ipywidgets: a bar for the epochs, a passing one for the batches.

    Keras' own bar redraws itself with backspaces and ANSI colour codes: in a saved or exported
    notebook those stay as rows of boxes. A widget has none; and each bar's saved plain-text
    output is rewritten with its final state when it closes (a passing bar's with nothing), so
    a notebook saved without widget state, or exported, still says how far training went.
    """
    from IPython.display import display
    from tqdm.keras import TqdmCallback
    from tqdm.notebook import tqdm as notebook_tqdm

    class Bar(notebook_tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, display=False, **kwargs)
            self.handle = display(self.container, display_id=True)

        def close(self):
            if self.disable:  # closed already (tqdm closes again when collected)
                return
            super().close()
            final = self.container if self.leave else {"text/plain": ""}
            self.handle.update(final, raw=not self.leave)

    return TqdmCallback(num_epochs, num_samples, batch_size, tqdm_class=Bar)


def _with_schedule(optimizer, learning_rate):
    """A fresh optimizer of the same kind and settings, with ``learning_rate`` (a schedule)."""
    config = {**optimizer.get_config(), "learning_rate": learning_rate}
    return type(optimizer).from_config(config)


def train(
    vae,
    x_train,
    validation_data=None,
    num_epochs: int = DEFAULT_NUM_EPOCHS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    callbacks=None,
    verbose="auto",
    learning_rate: float = DEFAULT_LEARNING_RATE,
    schedule: str = DEFAULT_SCHEDULE,
):
    """Train ``vae`` on ``x_train``; introduced in notebook 02. Returns the Keras ``History``.

    ``vae`` is a VAE, or :func:`~vaelab.models.build_autoencoder`'s plain autoencoder, which
    learns to give back its input (notebook 01 trains both with this one recipe).

    ``x_train`` (and ``validation_data``: images, or an ``(x, y)`` pair) are images of shape
    (N, 28, 28, 1) in [0, 1]; uint8 or a missing channel axis is converted with a notice.
    ``seed`` seeds Python, NumPy and the backend: the same seed gives the same weights on CPU.
    ``verbose``: "auto" shows a progress bar when interactive (in a notebook, tqdm widgets; in
    a terminal, Keras' bar) and a line per epoch otherwise; 0 is quiet, 1 Keras' bar, 2 a line
    per epoch.

    Each call trains with a fresh optimizer of the model's kind whose rate follows
    ``schedule``: "warmup_cosine" (warm-up to ``learning_rate``, then cosine decay to 0 over
    this call's steps) or "constant". On a NaN/inf loss, training stops and the last good
    weights come back. Ctrl-C stops after the current batch and keeps the weights; the history
    then has ``interrupted = True``. Why these defaults: ``benchmarks/README.md``.
    """
    if not isinstance(vae, keras.Model) or not hasattr(vae, "encoder"):
        raise TypeError(
            f"train() needs a vaelab model (build_vae() or build_autoencoder()), "
            f"got {type(vae).__name__}."
        )
    if getattr(vae, "optimizer", None) is None:
        raise ValueError("The model is not compiled; build it with build_vae(), which compiles it.")
    x_train = as_images(x_train, "x_train")
    num_epochs = positive_int(num_epochs, "num_epochs")
    batch_size = positive_int(batch_size, "batch_size")
    # A VAE brings its own loss; a plain autoencoder (notebook 01) learns to give back its input.
    targets = x_train if not hasattr(vae, "sampler") else None
    if validation_data is not None:
        x_val = (
            validation_data[0] if isinstance(validation_data, (tuple, list)) else validation_data
        )
        x_val = as_images(x_val, "validation images")
        validation_data = (x_val,) if targets is None else (x_val, x_val)
    if schedule not in ("warmup_cosine", "constant"):
        raise ValueError(f"schedule must be 'warmup_cosine' or 'constant', got {schedule!r}.")
    learning_rate = between_zero_and_one(learning_rate, "learning_rate")
    keras.utils.set_random_seed(int(seed))

    if schedule == "warmup_cosine":
        total_steps = math.ceil(len(x_train) / batch_size) * num_epochs
        learning_rate = warmup_cosine(learning_rate, total_steps)
    vae.compile(
        optimizer=_with_schedule(vae.optimizer, learning_rate),
        loss=vae.loss,
        steps_per_execution=vae.steps_per_execution,
        jit_compile=vae.jit_compile,
    )
    all_callbacks = [RestoreOnNaN(), *(callbacks or [])]
    if verbose == "auto" and in_notebook_kernel():
        all_callbacks.append(notebook_progress(num_epochs, len(x_train), batch_size))
        verbose = 0
    elif verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    history = keras.callbacks.History()
    try:
        with _StopOnCtrlC(vae) as ctrl_c:
            vae.fit(
                x_train,
                targets,
                validation_data=validation_data,
                epochs=num_epochs,
                batch_size=batch_size,
                shuffle=True,
                callbacks=[*all_callbacks, history],
                verbose=verbose,
            )
        # Keras closes the epoch it stopped in (validation, history) as if it were complete.
        history.interrupted, epoch = ctrl_c.interrupted, len(history.epoch)
    except KeyboardInterrupt:  # a second Ctrl-C, or one before fit() took over
        history.interrupted, epoch = True, len(history.epoch) + 1
    if history.interrupted:
        print(
            f"\nvaelab: training interrupted in epoch {epoch} of {num_epochs}; "
            "the model keeps the weights trained so far."
        )
    return history
