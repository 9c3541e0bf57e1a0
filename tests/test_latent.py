"""vaelab.latent: Keras' own predict_on_batch on whole batches, the same numbers as Keras."""

import gc
import inspect
import subprocess
import sys
import weakref

import keras
import numpy as np
import pytest

from vaelab import defaults, latent
from vaelab.models import build_decoder, build_vae


def run_program(program: str) -> subprocess.CompletedProcess:
    """``python -c program`` in a fresh process: memory and trace counts start clean."""
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300
    )


def keras_says(model, inputs):
    return keras.ops.convert_to_numpy(model(np.asarray(inputs, dtype="float32"), training=False))


@pytest.mark.parametrize("batch", [1, 29, 225])
def test_decode_matches_the_models_own_call(pretrained, batch):
    z = np.random.default_rng(batch).normal(size=(batch, 2)).astype("float32")
    np.testing.assert_allclose(
        latent.decode(pretrained.decoder, z), keras_says(pretrained.decoder, z), atol=1e-6
    )


def test_decode_splits_large_batches_and_encode_returns_both_heads(pretrained, mnist):
    (_, _), (x_test, _) = mnist
    z = np.random.default_rng(0).normal(size=(50, 2)).astype("float32")
    np.testing.assert_allclose(
        latent.decode(pretrained.decoder, z, batch_size=16),
        keras_says(pretrained.decoder, z),
        atol=1e-6,
    )
    z_mean, z_log_var = latent.encode(pretrained.encoder, x_test[:70], batch_size=32)
    want_mean, want_log_var = pretrained.encoder(x_test[:70], training=False)
    np.testing.assert_allclose(z_mean, np.asarray(want_mean), atol=1e-5)
    np.testing.assert_allclose(z_log_var, np.asarray(want_log_var), atol=1e-5)
    np.testing.assert_array_equal(latent.encode_means(pretrained, x_test[:70]), z_mean)


def test_encode_scales_uint8_images_like_every_other_image_input(pretrained, mnist, capsys):
    (_, _), (x_test, _) = mnist
    grey_levels = np.round(x_test[:40] * 255).astype(np.uint8)
    z_mean, z_log_var = latent.encode(pretrained.encoder, grey_levels)
    assert "dividing by 255" in capsys.readouterr().out
    want_mean, want_log_var = latent.encode(pretrained.encoder, grey_levels / np.float32(255))
    np.testing.assert_allclose(z_mean, want_mean, atol=1e-5)
    np.testing.assert_allclose(z_log_var, want_log_var, atol=1e-5)
    np.testing.assert_allclose(z_mean, latent.encode_means(pretrained, grey_levels), atol=1e-6)
    with pytest.raises(ValueError, match=r"in \[0, 1\].*Divide by 255"):
        latent.encode(pretrained.encoder, grey_levels.astype(np.float32))  # floats 0-255
    with pytest.raises(ValueError, match="single 28x28 image"):
        latent.encode(pretrained.encoder, x_test[0, ..., 0])


def test_decode_batches_are_a_modest_size_by_default():
    """Batches of 4,096 points only grew TensorFlow's scratch memory (benchmarks/README.md)."""
    default = inspect.signature(latent.decode).parameters["batch_size"].default
    assert default == defaults.DECODE_BATCH_SIZE and 128 <= default <= 1024


def test_encoding_by_default_leaves_little_memory_behind():
    """Batches of 1,000 images left 207 MB resident after encoding (notebook 06 neared 1.5 GB)."""
    program = (
        "import numpy as np, vaelab\n"
        "from vaelab.latent import encode\n"
        "from vaelab.models import build_vae\n"
        "def rss():\n"
        "    status = open('/proc/self/status').read()\n"
        "    return int(status.split('VmRSS:')[1].split()[0]) / 1024\n"
        "encoder = build_vae(latent_dim=8, seed=0).encoder\n"
        "images = np.random.default_rng(0).uniform(size=(2000, 28, 28, 1)).astype('float32')\n"
        "encode(encoder, images[:10])\n"
        "before = rss()\n"
        "encode(encoder, images)\n"
        "print('grew', rss() - before)\n"
    )
    done = run_program(program)
    assert done.returncode == 0 and "grew" in done.stdout, done.stderr[-2000:]
    assert float(done.stdout.split("grew")[1]) < 120


def test_decode_reads_the_current_weights():
    decoder = build_decoder(2)
    z = np.array([[0.3, -0.2]], dtype="float32")
    before = latent.decode(decoder, z)
    bias = decoder.get_layer("pixel_means").bias
    bias.assign(bias.numpy() + 1.0)
    after = latent.decode(decoder, z)
    assert np.abs(after - before).max() > 0.01
    np.testing.assert_allclose(after, keras_says(decoder, z), atol=2e-6)


def test_decoding_keeps_no_model_alive():
    decoder = build_decoder(2)
    latent.decode(decoder, np.zeros((1, 2)))
    alive = weakref.ref(decoder)
    del decoder
    gc.collect()
    assert alive() is None  # the compiled call does not hold its model


def test_the_manifold_is_one_batched_call(pretrained, monkeypatch):
    calls = []
    run = pretrained.decoder.predict_on_batch
    monkeypatch.setattr(
        pretrained.decoder, "predict_on_batch", lambda batch: calls.append(len(batch)) or run(batch)
    )
    image = latent.manifold_image(pretrained.decoder, n=15)
    assert calls == [225] and image.shape == (420, 420)


def test_any_decoder_callable_with_a_latent_dim(pretrained):
    def decoder(z):
        return keras_says(pretrained.decoder, z)

    decoder.latent_dim = 2
    z = np.array([[0.5, -1.0]], dtype="float32")
    np.testing.assert_allclose(latent.decode(decoder, z), keras_says(pretrained.decoder, z))
    with pytest.raises(TypeError, match="decoder model"):
        latent.decode("decoder", z)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        latent.decode(decoder, np.zeros((1, 3)))


def test_encode_needs_a_keras_model():
    with pytest.raises(TypeError, match="Keras model"):
        latent.encode("encoder", np.zeros((1, 28, 28, 1)))


def test_concept_vectors_sum_to_zero_when_weighted(pretrained, mnist):
    (_, _), (x_test, y_test) = mnist
    vectors = latent.concept_vectors(pretrained, x_test[:500], y_test[:500])
    counts = np.bincount(y_test[:500])
    total = sum(counts[c] * v for c, v in vectors.items())
    np.testing.assert_allclose(total, 0, atol=1e-3)


@pytest.mark.slow
def test_other_models_still_decode_after_a_training_step(x_small):
    vae = build_vae(seed=0)
    z = np.zeros((2, 2), dtype="float32")
    first = latent.decode(vae.decoder, z)
    vae.fit(x_small[:64], epochs=1, batch_size=32, verbose=0)
    np.testing.assert_allclose(latent.decode(vae.decoder, z), keras_says(vae.decoder, z), atol=2e-6)
    assert np.abs(latent.decode(vae.decoder, z) - first).max() > 0


tensorflow_only = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="tf.function tracing"
)


@tensorflow_only
def test_each_model_is_traced_once_whatever_its_batch_sizes(x_small):
    vae = build_vae(seed=0)
    for size in (100, 7, 600):  # 600: a batch of 512 and one of 88
        latent.decode(vae.decoder, np.zeros((size, 2), dtype="float32"))
    latent.encode(vae.encoder, x_small[:70], batch_size=32)
    latent.encode(vae.encoder, x_small[:5])
    assert vae.decoder.predict_function.experimental_get_tracing_count() == 1
    assert vae.encoder.predict_function.experimental_get_tracing_count() == 1
    vae.compile(optimizer="adam")  # Keras drops its predict function: traced again, once
    latent.decode(vae.decoder, np.zeros((3, 2), dtype="float32"))
    latent.decode(vae.decoder, np.zeros((9, 2), dtype="float32"))
    assert vae.decoder.predict_function.experimental_get_tracing_count() == 1


@pytest.mark.slow
@tensorflow_only
def test_decoding_through_many_fresh_models_prints_no_retracing_warning():
    """Notebook 06 decodes through one model per β: TensorFlow warned about "retracing"."""
    program = (
        "import numpy as np, vaelab\n"
        "from vaelab.latent import decode\n"
        "from vaelab.models import build_decoder\n"
        "for seed in range(6):\n"
        "    decoder = build_decoder(2)\n"
        "    for size in (100, 7):\n"
        "        decode(decoder, np.zeros((size, 2), dtype='float32'))\n"
        "print('decoded')\n"
    )
    done = run_program(program)
    assert done.returncode == 0 and "decoded" in done.stdout, done.stderr[-2000:]
    assert "retracing" not in done.stdout + done.stderr


def test_hole_share_sees_gaps_and_ignores_scale(rng):
    filled = rng.uniform(-2.5, 2.5, size=(20_000, 2)) * [1.0, 1.0]
    filled = (filled - filled.mean(0)) / filled.std(0) * 1.5  # a dense square beyond the box
    assert latent.hole_share(filled)["share"] < 0.01
    clumps = np.concatenate([rng.normal(c, 0.05, size=(500, 2)) for c in ([0, 0], [3, 3])])
    result = latent.hole_share(clumps)
    assert result["share"] > 0.8 and result["holes"].shape == (60, 60)
    # standardized first: the autoencoder's arbitrary scale does not change the measure
    assert latent.hole_share(clumps * 100 + 7)["share"] == pytest.approx(result["share"])
    # a hole near a code is not a hole: moving a code onto a grid point fills it
    lower = latent.hole_share(clumps, distance=1.0)["share"]
    assert lower < result["share"]
    for bad in (np.zeros((5, 3)), np.zeros((1, 2)), np.zeros((10, 2))):
        with pytest.raises(ValueError):
            latent.hole_share(bad)


def test_attribute_vector_points_from_low_to_high_scores(pretrained, mnist):
    (_, _), (x_test, _) = mnist
    codes = latent.encode_means(pretrained, x_test[:500])
    vector = latent.attribute_vector(pretrained, x_test[:500], scores=codes[:, 0])
    assert vector[0] > 1.0 and abs(vector[1]) < vector[0]
    with pytest.raises(ValueError, match="one each"):
        latent.attribute_vector(pretrained, x_test[:10], scores=np.arange(3))
    with pytest.raises(ValueError, match="fraction"):
        latent.attribute_vector(pretrained, x_test[:10], scores=np.arange(10), fraction=0.7)
