"""The NumPy decoder path computes what Keras computes, stays in step with the weights, and
falls back to Keras for layers it does not know."""

import asyncio
import threading
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from keras import layers

from vaelab._numpy_forward import NumpyForward, _OneBlasThread, numpy_forward
from vaelab.decoding import compiled_call, decode, decoder_function
from vaelab.models import build_decoder


def keras_says(model, z):
    return np.asarray(model(np.asarray(z, dtype="float32"), training=False))


@pytest.mark.parametrize("batch", [1, 3, 29, 225, 1000])
def test_chapter_decoder_matches_keras(pretrained, batch):
    z = np.random.default_rng(batch).normal(scale=1.5, size=(batch, 2)).astype("float32")
    forward = numpy_forward(pretrained.decoder)
    assert isinstance(forward, NumpyForward)
    np.testing.assert_allclose(forward(z), keras_says(pretrained.decoder, z), atol=2e-6)
    np.testing.assert_allclose(decode(pretrained.decoder, z), keras_says(pretrained.decoder, z), atol=2e-6)


def test_untrained_and_wider_decoders_match_keras():
    for latent_dim in (1, 2, 7):
        decoder = build_decoder(latent_dim)
        z = np.random.default_rng(latent_dim).normal(size=(5, latent_dim)).astype("float32")
        np.testing.assert_allclose(decode(decoder, z), keras_says(decoder, z), atol=2e-6)


def chain(*stack, inputs=(3,)):
    rng = np.random.default_rng(len(stack))
    model = keras.Sequential([keras.Input(inputs), *stack])
    for variable in model.weights:  # random biases too, so that bias handling is exercised
        variable.assign(rng.normal(scale=0.5, size=variable.shape).astype("float32"))
    return model


@pytest.mark.parametrize("kernel,stride,padding", [
    (3, 2, "same"), (4, 2, "same"), (3, 1, "same"), (3, 2, "valid"), (2, 2, "valid"), (5, 3, "same"),
    (1, 1, "valid"), (3, 3, "valid"),
])
def test_convolution_settings_match_keras(kernel, stride, padding):
    for transpose in (True, False):
        convolution = layers.Conv2DTranspose if transpose else layers.Conv2D
        model = chain(layers.Dense(5 * 6 * 4, activation="relu"), layers.Reshape((5, 6, 4)),
                      convolution(3, kernel, strides=stride, padding=padding, activation="tanh"),
                      layers.Conv2D(2, (3, 2), padding="same", activation="sigmoid", use_bias=False))
        forward = numpy_forward(model)
        assert forward is not None, (kernel, stride, padding, transpose)
        for batch in (4, 40):  # up to SMALL points the layers interleave; above, the last one reads phases
            z = np.random.default_rng(kernel).normal(size=(batch, 3)).astype("float32")
            np.testing.assert_allclose(forward(z), keras_says(model, z), atol=1e-5,
                                       err_msg=str((kernel, stride, transpose, batch)))


@pytest.mark.parametrize("name,tail", [
    ("two convolutions read the phases", lambda: [
        layers.Conv2D(3, 3, padding="same", activation="relu"), layers.Activation("tanh"),
        layers.Conv2D(2, (2, 3), padding="same", activation="sigmoid")]),
    ("the transposed convolution is the last layer", lambda: []),
    ("a strided convolution after it", lambda: [layers.Conv2D(2, 3, strides=2, padding="same")]),
    ("flattened into a dense layer", lambda: [layers.Conv2D(2, 3, padding="same"), layers.Flatten(),
                                              layers.Dense(3)]),
    ("valid padding after it", lambda: [layers.Conv2D(2, 3, padding="valid", activation="relu")]),
])
def test_phase_layout_chains_match_keras(name, tail):
    model = chain(layers.Dense(4 * 5 * 3, activation="relu"), layers.Reshape((4, 5, 3)),
                  layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu"), *tail())
    forward = numpy_forward(model)
    assert forward is not None, name
    for batch in (1, 5, 64):
        z = np.random.default_rng(batch).normal(size=(batch, 3)).astype("float32")
        np.testing.assert_allclose(forward(z), keras_says(model, z), atol=1e-5, err_msg=f"{name}, batch {batch}")


def test_images_in_and_flat_out_match_keras():
    model = chain(layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"), layers.Flatten(),
                  layers.Dense(6), layers.Activation("sigmoid"), inputs=(9, 8, 2))
    x = np.random.default_rng(0).random((3, 9, 8, 2)).astype("float32")
    np.testing.assert_allclose(numpy_forward(model)(x), keras_says(model, x), atol=1e-5)


def test_unknown_layers_fall_back_to_keras():
    model = chain(layers.Dense(16, activation="relu"), layers.BatchNormalization(), layers.Dense(4))
    assert numpy_forward(model) is None
    gelu = chain(layers.Dense(8, activation="gelu"))
    assert numpy_forward(gelu) is None
    z = np.random.default_rng(1).normal(size=(6, 3)).astype("float32")
    np.testing.assert_allclose(decode(model, z), keras_says(model, z), atol=1e-5)
    assert decoder_function(model) is compiled_call(model)


def test_decode_follows_new_weights_and_decoder_function_keeps_its_copy():
    decoder = build_decoder(2)
    z = np.array([[0.3, -0.2]], dtype="float32")
    frozen = decoder_function(decoder)
    before = decode(decoder, z)
    bias = decoder.get_layer("pixel_means").bias
    bias.assign(bias.numpy() + 1.0)
    after = decode(decoder, z)
    assert np.abs(after - before).max() > 0.01
    np.testing.assert_allclose(after, keras_says(decoder, z), atol=2e-6)
    np.testing.assert_array_equal(frozen(z), before)


def test_buffers_stay_bounded_whatever_the_batch_sizes(pretrained):
    forward = numpy_forward(pretrained.decoder)
    for batch in range(1, 70, 3):
        forward(np.zeros((batch, 2), dtype="float32"))
    holders = []
    for step in forward.steps:  # a convolution that reads phases holds two ways of computing
        holders += [step.plain, step.reading_phases] if hasattr(step, "reading_phases") else [step]
    with_buffers = [step for step in holders if hasattr(step, "_buffers")]
    assert len(with_buffers) == 4  # dense, transposed, the last convolution plain and reading phases
    assert all(0 < len(step._buffers) <= 2 for step in with_buffers)


def test_one_blas_thread_also_from_a_callback_thread():
    # Widget callbacks run on a kernel thread other than the cell's. A plain OpenBLAS
    # set_num_threads from there is ignored, and the idle BLAS worker then spins a whole core.
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    with _OneBlasThread():  # the main thread first, as when the cell builds the explorer
        assert set(blas_threads().values()) == {1}
    seen = []

    def callback():
        with _OneBlasThread():
            seen.append(blas_threads())

    thread = threading.Thread(target=callback)
    thread.start()
    thread.join()
    assert seen and set(seen[0].values()) == {1}


def test_server_extension_turns_off_nagle_on_kernel_websockets(monkeypatch):
    import vaelab_server
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    calls, messages = [], []

    async def stand_in_open(self, kernel_id):
        calls.append(("open", kernel_id))

    monkeypatch.setattr(KernelWebsocketHandler, "open", stand_in_open)  # restored after the test
    app = SimpleNamespace(log=SimpleNamespace(info=messages.append))
    assert vaelab_server._jupyter_server_extension_points() == [{"module": "vaelab_server"}]
    vaelab_server._load_jupyter_server_extension(app)
    vaelab_server._load_jupyter_server_extension(app)  # a second load does not wrap twice
    assert KernelWebsocketHandler.open.__wrapped__ is stand_in_open
    socket = SimpleNamespace(set_nodelay=lambda value: calls.append(("nodelay", value)))
    asyncio.run(KernelWebsocketHandler.open(socket, "k1"))
    assert calls == [("nodelay", True), ("open", "k1")]
    assert "TCP_NODELAY" in messages[0]
