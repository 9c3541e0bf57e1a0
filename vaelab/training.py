"""Training with a recipe that reaches the chapter's quality in a fraction of its time.

Introduced in notebook 02. ``train`` wraps ``keras.Model.fit`` with what a
learner needs around it: seeding, input checks, a progress bar, a clean stop on
NaN, Ctrl-C that keeps the weights, and atomic best-weight checkpoints.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
from pathlib import Path

import keras  # vaelab/__init__ has already imported it quietly

from vaelab._checks import as_images, atomic_path, positive_int
from vaelab.defaults import (  # defaults of train(), chosen by benchmarks/train_speed.py
    DEFAULT_BATCH_SIZE,
    DEFAULT_KL_WARMUP_EPOCHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_NUM_EPOCHS,
    DEFAULT_SCHEDULE,
    MIN_WARMUP_STEPS,
)


class _StopOnCtrlC:
    """Context: the first Ctrl-C (SIGINT, also a notebook's "interrupt kernel") lets the current
    batch finish and stops training; a second one interrupts at once.

    Why not just catch ``KeyboardInterrupt``: once here, one raised while TensorFlow ran a step
    was lost and the CLI kept training for two minutes after Ctrl-C (under a loaded test run);
    a flag that Keras checks between batches cannot be lost. Only installed from the main thread.
    """

    def __init__(self, model):
        self.model = model
        self.interrupted = False
        self.installed = False
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
            self.installed = True
        return self

    def _handle(self, signum, frame):
        if self.interrupted:  # the second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.interrupted = True
        self.model.stop_training = True

    def __exit__(self, *exc):
        if self.installed:  # None: the handler was not set from Python; the default is the best guess
            signal.signal(signal.SIGINT, signal.SIG_DFL if self.previous is None else self.previous)
        return False


class StopOnNaN(keras.callbacks.Callback):
    """Stop when the loss becomes NaN or infinite, and put back the last good weights.

    The weights are copied at the end of every epoch (550,629 floats: cheap).
    """

    def __init__(self):
        super().__init__()
        self.good_weights = None
        self.stopped_at = None

    def on_train_begin(self, logs=None):
        self.good_weights = self.model.get_weights()

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.stopped_at = batch
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.stopped_at is None:
            self.good_weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.stopped_at is not None:
            self.model.set_weights(self.good_weights)
            print(
                "vaelab: the loss became NaN/inf, so training stopped and the weights of the last "
                "good epoch were restored. Check the data for NaN, or lower the learning rate.",
                file=sys.stdout,
            )


class WarmupCosineSchedule(keras.callbacks.Callback):
    """Set the learning rate every step: linear warm-up, then cosine decay to 0.

    ``peak`` is reached after ``warmup_fraction`` of all steps, but never before
    ``min_warmup_steps`` steps, and the rate falls to ``final_fraction`` × peak
    at the last step. With a fixed budget of epochs this spends the large steps
    early and the careful ones late. A run shorter than the warm-up only ramps
    up and never reaches ``peak``.

    Why a floor on the warm-up: RMSprop's first updates are about 3× the
    learning rate per weight (its running average of squared gradients starts
    at 0), and 12,544 such updates into the encoder's dense layer threw the
    loss up within 2–5 steps (``z_log_var`` ended between +26 and +76). With only the 5% warm-up, a 1-epoch
    run on 1,000 digits diverged for 5 of 8 seeds; with 50 warm-up steps none
    did, and the good seeds scored the same (``benchmarks/README.md``).
    """

    def __init__(self, peak: float, total_steps: int, warmup_fraction: float = 0.05,
                 final_fraction: float = 0.0, min_warmup_steps: int = MIN_WARMUP_STEPS):
        super().__init__()
        self.peak = float(peak)
        self.total_steps = max(1, int(total_steps))
        self.warmup_steps = max(1, int(min_warmup_steps), int(round(warmup_fraction * self.total_steps)))
        self.final_fraction = float(final_fraction)
        self.step = 0

    def rate(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.peak * (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps))
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.peak * (self.final_fraction + (1.0 - self.final_fraction) * cosine)

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self.rate(self.step))
        self.step += 1


class KLWarmup(keras.callbacks.Callback):
    """Raise the KL weight linearly from ``start`` to 1 over the first ``steps`` steps.

    With the full KL weight from the first step, a 2-D VAE tends to pull every
    code to the prior before the decoder can use it ("posterior collapse"),
    and it then takes epochs to recover. The weight is 1 again when training ends.
    """

    def __init__(self, steps: int, start: float = 0.0):
        super().__init__()
        self.steps = max(1, int(steps))
        self.start = float(start)
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        fraction = min(1.0, self.step / self.steps)
        self.model.kl_warmup.assign(self.start + (1.0 - self.start) * fraction)
        self.step += 1

    def on_train_end(self, logs=None):
        self.model.kl_warmup.assign(1.0)


class BestWeightsCheckpoint(keras.callbacks.Callback):
    """Keep the best weights so far in ``directory/best.weights.h5``, written atomically."""

    def __init__(self, directory, monitor: str = "val_loss"):
        super().__init__()
        self.path = Path(directory) / "best.weights.h5"
        self.monitor = monitor
        self.best = math.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        value = logs.get(self.monitor, logs.get("loss"))
        if value is not None and math.isfinite(float(value)) and float(value) < self.best:
            self.best = float(value)
            with atomic_path(self.path) as tmp:
                self.model.save_weights(tmp)


def train(
    vae,
    x_train,
    validation_data=None,
    num_epochs: int = DEFAULT_NUM_EPOCHS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    callbacks=None,
    verbose="auto",
    checkpoint_dir=None,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    schedule: str = DEFAULT_SCHEDULE,
    kl_warmup_epochs: float = DEFAULT_KL_WARMUP_EPOCHS,
):
    """Train ``vae`` on ``x_train``; introduced in notebook 02. Returns the Keras ``History``.

    ``x_train`` (and ``validation_data``, images or an ``(x, y)`` pair) must be
    images of shape (N, 28, 28, 1) in [0, 1]; uint8 or a missing channel axis is
    converted with a notice. ``seed`` seeds Python, NumPy and the backend, so the
    same seed gives the same weights on CPU. ``verbose``: "auto" shows a progress
    bar when interactive, 0 is quiet, 2 prints a line per epoch.

    On a NaN/inf loss training stops and the last good weights come back. Ctrl-C
    (or "interrupt kernel") stops after the current batch and keeps the weights
    trained so far; the returned history then has ``interrupted = True``. ``checkpoint_dir`` keeps
    the best weights in ``best.weights.h5`` there, written atomically.

    Why these defaults (``benchmarks/README.md`` has the figures): on 2 CPU cores
    the cost per image is the same at batch 16 as at batch 64, so small batches
    buy more updates for free; RMSprop learns this 2-D model much faster than
    Adam, which tends to collapse the KL; a peak rate of 2e-3 with a 5% warm-up
    (at least 50 steps, so short runs do not diverge) and a cosine decay to 0
    spends large steps early and careful ones late. Five
    epochs of this reach the chapter's 10-epoch score in about a third of its
    time. KL warm-up (``kl_warmup_epochs``) did not help here and is off.

    Determinism: the same ``seed`` gives bit-identical weights on CPU. On a GPU,
    some TensorFlow kernels (convolution gradients) are not deterministic, so runs
    agree only to a few decimals unless ``tf.config.experimental.enable_op_determinism()``
    is called first (slower).
    """
    if not isinstance(vae, keras.Model) or not hasattr(vae, "encoder"):
        raise TypeError(f"train() needs a vaelab model (e.g. build_vae()), got {type(vae).__name__}.")
    if getattr(vae, "optimizer", None) is None:
        raise ValueError("The model is not compiled; build it with build_vae(), which compiles it.")
    x_train = as_images(x_train, "x_train")
    num_epochs = positive_int(num_epochs, "num_epochs")
    batch_size = positive_int(batch_size, "batch_size")
    if validation_data is not None:
        x_val = validation_data[0] if isinstance(validation_data, (tuple, list)) else validation_data
        validation_data = (as_images(x_val, "validation images"),)
    if schedule not in ("warmup_cosine", "constant"):
        raise ValueError(f"schedule must be 'warmup_cosine' or 'constant', got {schedule!r}.")
    if not (isinstance(learning_rate, (int, float)) and 0 < learning_rate < 1):
        raise ValueError(f"learning_rate must be a number between 0 and 1, got {learning_rate!r}.")
    keras.utils.set_random_seed(int(seed))

    stop_on_nan = StopOnNaN()
    all_callbacks = [stop_on_nan, *(callbacks or [])]
    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    if kl_warmup_epochs and hasattr(vae, "kl_warmup"):
        all_callbacks.insert(0, KLWarmup(round(kl_warmup_epochs * steps_per_epoch)))
    if schedule == "warmup_cosine":
        all_callbacks.insert(0, WarmupCosineSchedule(learning_rate, steps_per_epoch * num_epochs))
    else:
        vae.optimizer.learning_rate.assign(learning_rate)
    if checkpoint_dir is not None:
        all_callbacks.append(BestWeightsCheckpoint(checkpoint_dir))
    history = keras.callbacks.History()
    all_callbacks.append(history)
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() or "ipykernel" in sys.modules else 2
    try:
        with _StopOnCtrlC(vae) as ctrl_c:
            vae.fit(
                x_train,
                validation_data=validation_data,
                epochs=num_epochs,
                batch_size=batch_size,
                shuffle=True,
                callbacks=all_callbacks,
                verbose=verbose,
            )
        # Keras ends the epoch it stopped in (validation, history) as if it were complete.
        history.interrupted, epoch = ctrl_c.interrupted, len(history.epoch)
    except KeyboardInterrupt:  # a second Ctrl-C, or one before fit() took over
        history.interrupted, epoch = True, len(history.epoch) + 1
    if history.interrupted:
        if hasattr(vae, "kl_warmup"):
            vae.kl_warmup.assign(1.0)
        print(f"\nvaelab: training interrupted in epoch {epoch} of {num_epochs}; "
              "the model keeps the weights trained so far.")
    return history
