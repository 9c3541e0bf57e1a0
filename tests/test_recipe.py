"""The training recipe's invariants (its timings live in benchmarks/, not here)."""

import inspect

import keras
import numpy as np

from vaelab import training
from vaelab.metrics import neg_elbo
from vaelab.models import build_vae


def test_defaults_beat_the_chapter_recipe_on_the_same_small_budget(mnist):
    """2 epochs on 2,000 digits: the defaults land near 200 nats and below the chapter's recipe."""
    (x_train, _), (x_test, _) = mnist
    keras.utils.set_random_seed(0)
    vae = build_vae(seed=0)
    training.train(vae, x_train[:2000], num_epochs=2, verbose=0)
    ours = neg_elbo(vae, x_test[:1000])
    keras.utils.set_random_seed(0)
    chapter = build_vae(chapter_replica=True, seed=0)
    training.train(chapter, x_train[:2000], num_epochs=2, batch_size=16, learning_rate=1e-3,
                   schedule="constant", verbose=0)
    theirs = neg_elbo(chapter, x_test[:1000])
    assert ours < 210, ours
    assert ours < theirs, (ours, theirs)
    assert vae.kl_warmup.numpy() == 1.0


def test_the_defaults_are_the_benchmarked_recipe():
    parameters = inspect.signature(training.train).parameters
    assert parameters["batch_size"].default == training.DEFAULT_BATCH_SIZE == 16
    assert parameters["num_epochs"].default == training.DEFAULT_NUM_EPOCHS == 5
    assert parameters["learning_rate"].default == training.DEFAULT_LEARNING_RATE == 2e-3
    assert parameters["schedule"].default == "warmup_cosine"
    assert isinstance(build_vae().optimizer, keras.optimizers.RMSprop)


def test_warmup_cosine_schedule_shape():
    schedule = training.WarmupCosineSchedule(peak=2e-3, total_steps=2000, warmup_fraction=0.05)
    rates = np.array([schedule.rate(step) for step in range(2000)])
    assert rates[0] < rates[99] and np.isclose(rates[99], 2e-3)  # linear warm-up over 100 steps
    assert np.all(np.diff(rates[100:]) <= 1e-12)  # then never rises
    assert rates[-1] < 1e-5 and rates.max() <= 2e-3 + 1e-12


def test_short_runs_warm_up_for_at_least_min_warmup_steps():
    assert training.MIN_WARMUP_STEPS == 50
    schedule = training.WarmupCosineSchedule(peak=2e-3, total_steps=200, warmup_fraction=0.05)
    assert schedule.warmup_steps == 50  # not 10
    short = training.WarmupCosineSchedule(peak=2e-3, total_steps=20)
    rates = np.array([short.rate(step) for step in range(20)])
    assert np.allclose(rates, 2e-3 * np.arange(1, 21) / 50)  # only ramps up; never reaches the peak


def test_one_quick_epoch_does_not_diverge_whatever_the_seed(mnist):
    """Quick mode's budget (1,000 digits, 1 epoch, 63 steps). With only the 5% warm-up (3 steps),
    RMSprop's large first updates sent z_log_var past +60 for seeds 0, 3 and 4 (KL ~1e10 nats or inf)."""
    (x_train, _), (x_test, _) = mnist
    scores = []
    for seed in (0, 3, 4):
        vae = build_vae(seed=seed)
        history = training.train(vae, x_train[:1000], num_epochs=1, seed=seed, verbose=0)
        assert np.isfinite(history.history["loss"][0]) and history.history["loss"][0] < 600, (seed, history.history)
        scores.append(neg_elbo(vae, x_test[:500]))
    assert max(scores) < 260, scores  # a diverged run stays at >= 400 (the untrained model: ~540)


def test_schedule_and_kl_warmup_are_applied_during_training(mnist):
    (x_train, _), _ = mnist
    vae = build_vae(seed=0)
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((float(self.model.optimizer.learning_rate.numpy()), float(self.model.kl_warmup.numpy())))

    # 2 epochs of 64 steps: 50 warm-up steps, then the cosine decay.
    training.train(vae, x_train[:2048], num_epochs=2, batch_size=32, kl_warmup_epochs=1.0, callbacks=[Spy()],
                   verbose=0)
    rates, kl_weights = np.array(seen).T
    assert rates.argmax() == 49 and np.isclose(rates.max(), 2e-3) and rates[-1] < rates.max() / 5
    assert kl_weights[0] == 0.0 and kl_weights[len(kl_weights) // 2:].min() == 1.0
    assert vae.kl_warmup.numpy() == 1.0  # back to the true ELBO after training
