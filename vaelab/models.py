"""The chapter's variational autoencoder in Keras 3 (``keras.ops`` only).

Introduced in notebook 02, which writes out the encoder and has the learner write the sampling
step, the two losses, the decoder and the model (exercises checked against this module); later
notebooks import the same pieces from here. Notebook 01 introduces :func:`build_autoencoder`,
notebook 03 the chapter's mistakes (``bugs=``).

Glossary (the same names everywhere in the course):

``latent_dim``   size of the latent space (2 in the chapter: a plane)
``z_mean``       mean of q(z|x), one vector per image
``z_log_var``    log of the variance of q(z|x); σ = exp(½ · z_log_var)
``beta``         weight of the KL term; ``beta=1`` gives the true negative ELBO
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
from keras import layers, ops

from vaelab._checks import existing_file, non_negative_float, positive_int
from vaelab.defaults import CHAPTER_LEARNING_RATE, DEFAULT_LEARNING_RATE, IMAGE_SHAPE

#: Encoder + decoder parameters of the chapter's model at latent_dim=2.
CHAPTER_PARAMETER_COUNT = 550_629
#: The chapter's KL weight, applied to a per-pixel mean BCE (see notebook 03).
CHAPTER_KL_WEIGHT = 5e-4
#: Shape of the feature map the encoder flattens and the decoder rebuilds.
FEATURE_SHAPE = (14, 14, 64)


@keras.saving.register_keras_serializable(package="vaelab")
class Sampling(layers.Layer):
    """Draw z = z_mean + σ · ε with ε ~ N(0, I): the reparameterization trick.

    σ = exp(``log_var_scale`` · z_log_var). The correct value is ½, since
    z_log_var is a log *variance*; the chapter used 1 (σ = exp(z_log_var)),
    which notebook 03 studies. ε comes from a ``keras.random.SeedGenerator``,
    so a seeded model samples reproducibly on every backend.
    """

    def __init__(self, seed=None, log_var_scale: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.log_var_scale = float(log_var_scale)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # no weights to create: a model that holds it needs no build step

    def call(self, z_mean, z_log_var):
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(self.log_var_scale * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "log_var_scale": self.log_var_scale}


def conv_features(inputs):
    """The chapter's convolutional stack, shared by the VAE and the plain autoencoder."""
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_1")(inputs)
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv_2")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_3")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_4")(x)
    x = layers.Flatten(name="flatten")(x)
    return layers.Dense(32, activation="relu", name="dense")(x)


def build_encoder(latent_dim: int = 2) -> keras.Model:
    """The chapter's encoder: image → ``[z_mean, z_log_var]``; introduced in notebook 02."""
    latent_dim = positive_int(latent_dim, "latent_dim")
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    features = conv_features(inputs)
    z_mean = layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(features)
    return keras.Model(inputs, [z_mean, z_log_var], name="encoder")


def build_decoder(latent_dim: int = 2) -> keras.Model:
    """The chapter's decoder: z → Bernoulli means of shape (28, 28, 1); notebook 02."""
    latent_dim = positive_int(latent_dim, "latent_dim")
    inputs = keras.Input(shape=(latent_dim,), name="z")
    x = layers.Dense(math.prod(FEATURE_SHAPE), activation="relu", name="dense")(inputs)
    x = layers.Reshape(FEATURE_SHAPE, name="reshape")(x)
    x = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="deconv")(
        x
    )
    outputs = layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="pixel_means")(x)
    return keras.Model(inputs, outputs, name="decoder")


@keras.saving.register_keras_serializable(package="vaelab")
def reconstruction_loss(x, reconstruction):
    """Binary cross-entropy summed over pixels, in BCE nats, one value per image.

    The Bernoulli decoder's score of the pixels. On binary images it is −log p(x|z); on
    grey-level MNIST it is not a log-likelihood of the image and never goes below
    :func:`vaelab.metrics.bce_floor` (notebook 02b explains the difference).
    """
    per_pixel = keras.losses.binary_crossentropy(
        x, reconstruction
    )  # mean over the channel axis (1)
    return ops.sum(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=1)


def kl_divergence(z_mean, z_log_var):
    """KL(q(z|x) ‖ N(0, I)) in nats, summed over latent dimensions, one value per image."""
    return ops.sum(_kl_per_dimension(z_mean, z_log_var), axis=1)


def _kl_per_dimension(z_mean, z_log_var):
    """Each latent dimension's KL, per image: what ``free_bits`` floors (notebook 06)."""
    return -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))


def chapter_loss(x, reconstruction, z_mean, z_log_var):
    """The chapter's loss, reproduced for notebook 03 ("spot the bug"): do not train with it.

    A per-pixel *mean* BCE over the whole batch plus 5e-4 times the latent
    *mean* of the KL integrand. Against a summed BCE this weighs the KL by
    784 · 5e-4 · 2 / latent_dim (0.392 at latent_dim=2), not 1.
    """
    pixel_mean_bce = ops.mean(
        keras.losses.binary_crossentropy(ops.reshape(x, (-1,)), ops.reshape(reconstruction, (-1,)))
    )
    kl_term = -CHAPTER_KL_WEIGHT * ops.mean(
        1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1
    )
    return ops.mean(pixel_mean_bce + kl_term)


#: The chapter's two mistakes, by the names ``VAE(bugs=...)`` takes (notebook 03).
CHAPTER_BUGS = ("sigma", "kl_weight")


def chapter_bugs(bugs) -> tuple:
    """``bugs`` checked and in a fixed order (``CHAPTER_BUGS`` is both: the chapter's model)."""
    if isinstance(bugs, str):
        bugs = (bugs,)
    unknown = sorted(set(bugs) - set(CHAPTER_BUGS))
    if unknown:
        raise ValueError(
            f"Unknown bug {unknown[0]!r}: choose from {', '.join(map(repr, CHAPTER_BUGS))}."
        )
    return tuple(bug for bug in CHAPTER_BUGS if bug in set(bugs))


@keras.saving.register_keras_serializable(package="vaelab")
class VAE(keras.Model):
    """Encoder + sampling + decoder, trained on the negative ELBO; introduced in notebook 02.

    ``call(x)`` returns ``(z_mean, z_log_var)``; ``compute_loss`` samples z,
    decodes it and returns the batch mean of

        reconstruction_loss + beta · kl_loss      (nats per image)

    which at ``beta=1`` is the negative ELBO. The metrics ``reconstruction_loss``
    and ``kl_loss`` are always in nats per image. ``free_bits`` (λ, nats per latent
    dimension; notebook 06) is a remedy for posterior collapse (Kingma et al., 2016): the loss
    charges each dimension's batch-mean KL as max(λ, KL), so the first λ nats of each
    dimension cost a constant and nothing pushes a dimension's KL below λ; the ``kl_loss``
    metric stays the true KL. ``bugs`` brings back the chapter's
    mistakes for notebook 03, one at a time or both (``bugs=CHAPTER_BUGS``): ``"sigma"``
    samples with σ = exp(z_log_var), ``"kl_weight"`` trains on :func:`chapter_loss`. Never
    use them otherwise.
    """

    def __init__(
        self, encoder, decoder, beta: float = 1.0, seed=None, bugs=(), free_bits=0.0, **kwargs
    ):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = non_negative_float(beta, "beta")
        self.free_bits = non_negative_float(free_bits, "free_bits")
        self.bugs = chapter_bugs(bugs)
        self.seed = seed
        self.latent_dim = int(encoder.outputs[0].shape[-1])
        self.sampler = Sampling(
            seed=seed, log_var_scale=1.0 if "sigma" in self.bugs else 0.5, name="sampling"
        )
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        # Built from built functional parts: load_weights works on a fresh model.
        self.built = True

    def build(self, input_shape=None):
        # The encoder and decoder are functional models and already built.
        self.built = True

    def call(self, inputs, training=False):
        z_mean, z_log_var = self.encoder(inputs, training=training)
        return z_mean, z_log_var

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        reconstruction = self.decoder(self.sampler(z_mean, z_log_var), training=training)
        reconstruction_nats = reconstruction_loss(x, reconstruction)
        per_dimension = _kl_per_dimension(z_mean, z_log_var)
        kl_nats = ops.sum(per_dimension, axis=1)  # kl_divergence, its terms kept for free bits
        self.reconstruction_loss_tracker.update_state(reconstruction_nats)
        self.kl_loss_tracker.update_state(kl_nats)
        if "kl_weight" in self.bugs:
            return chapter_loss(x, reconstruction, z_mean, z_log_var)
        if self.free_bits > 0:
            charged = ops.maximum(ops.mean(per_dimension, axis=0), self.free_bits)
            return ops.mean(reconstruction_nats) + self.beta * ops.sum(charged)
        return ops.mean(reconstruction_nats + self.beta * kl_nats)

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
            "bugs": list(self.bugs),
            "seed": self.seed,
            "free_bits": self.free_bits,
        }

    @classmethod
    def from_config(cls, config):
        parts = {
            key: keras.saving.deserialize_keras_object(config.pop(key))
            for key in ("encoder", "decoder")
        }
        return cls(**parts, **config)


def build_vae(
    latent_dim: int = 2,
    beta: float = 1.0,
    seed=None,
    compile: bool = True,
    bugs=(),
    free_bits: float = 0.0,
) -> VAE:
    """The chapter's VAE, compiled and ready for :func:`vaelab.training.train`; notebook 02.

    ``bugs=("sigma",)`` or ``bugs=("kl_weight",)`` brings back one of the chapter's mistakes,
    ``bugs=CHAPTER_BUGS`` both: the chapter's σ and loss (notebook 03). ``compile=False``
    leaves it uncompiled (to load weights first; then call :func:`compile_vae`).
    ``free_bits`` (nats per latent dimension, notebook 06): see :class:`VAE`.
    """
    vae = VAE(
        build_encoder(latent_dim),
        build_decoder(latent_dim),
        beta=beta,
        bugs=bugs,
        seed=seed,
        free_bits=free_bits,
        name="vae",
    )
    return compile_vae(vae) if compile else vae


def compile_vae(vae: VAE) -> VAE:
    """Compile with RMSprop: at the chapter's rate for its model (both bugs), else vaelab's peak.

    ``vaelab.training.train`` replaces the constant rate with its schedule while it trains.
    """
    rate = CHAPTER_LEARNING_RATE if vae.bugs == CHAPTER_BUGS else DEFAULT_LEARNING_RATE
    vae.compile(optimizer=keras.optimizers.RMSprop(learning_rate=rate))
    return vae


def build_autoencoder(latent_dim: int = 2) -> keras.Model:
    """A compiled classical autoencoder: the same layers, one code z per image; notebook 01.

    A functional model whose ``encoder`` maps an image to z (no distribution, no sampling) and
    whose ``decoder`` is exactly the VAE's; its loss is :func:`reconstruction_loss`.
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    encoder = keras.Model(
        inputs, layers.Dense(latent_dim, name="z")(conv_features(inputs)), name="encoder"
    )
    decoder = build_decoder(latent_dim)
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    autoencoder.encoder, autoencoder.decoder = encoder, decoder
    optimizer = keras.optimizers.RMSprop(learning_rate=DEFAULT_LEARNING_RATE)
    autoencoder.compile(optimizer=optimizer, loss=reconstruction_loss)
    return autoencoder


def load_weights(vae, path):
    """Load a ``.weights.h5`` file into ``vae``, with a clear error when it does not fit.

    For weights saved with ``vae.save_weights(...)``: :func:`load_vae` sends a user who gives
    it such a file here (no notebook uses it). Weights fit only a model of the same
    architecture and ``latent_dim``; Keras's own message for a mismatch is a shape error deep
    in a stack.
    """
    path = existing_file(path, "weights file")
    if not path.name.endswith(".weights.h5"):
        raise ValueError(
            f"'{path.name}' is not a .weights.h5 file; for a .keras file use vaelab.load_vae(path)."
        )
    try:
        vae.load_weights(path)
    except Exception as error:
        raise ValueError(
            f"'{path.name}' does not fit this model "
            f"(latent_dim={getattr(vae, 'latent_dim', '?')}): "
            f"{str(error).splitlines()[0][:200]}. Build the model with the latent_dim and "
            "architecture the weights were saved from."
        ) from None
    return vae


def load_vae(name_or_path="mnist", compile: bool = True) -> VAE:
    """A VAE: a pretrained one by name (``"mnist"``) or one saved as a ``.keras`` file.

    Introduced in notebook 02 (a saved model) and 04 (the pretrained one). A ``.weights.h5``
    file holds no architecture: build the model first and use :func:`load_weights`.
    """
    from vaelab import pretrained

    if isinstance(name_or_path, str) and name_or_path in pretrained.AVAILABLE:
        info = pretrained.metadata(name_or_path)
        vae = build_vae(latent_dim=info["latent_dim"], beta=info["beta"], compile=False)
        vae.load_weights(pretrained.weights_path(name_or_path))
        return compile_vae(vae) if compile else vae
    if isinstance(name_or_path, str) and not Path(name_or_path).suffix:
        raise ValueError(
            f"{name_or_path!r} is neither a pretrained model ({', '.join(pretrained.AVAILABLE)}) "
            "nor a path to a saved .keras file."
        )
    path = existing_file(name_or_path, "saved model")
    if path.name.endswith(".weights.h5"):
        raise ValueError(
            f"'{path.name}' holds only weights. Build the model first, then load them: "
            "vae = build_vae(latent_dim=...); load_weights(vae, path)."
        )
    if path.suffix != ".keras":
        raise ValueError(
            f"'{path.name}' is not a .keras file; save models with vae.save('name.keras')."
        )
    try:
        model = keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as error:
        raise ValueError(
            f"'{path}' could not be loaded as a Keras model ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:200]}). Is it a complete .keras file saved by vaelab?"
        ) from None
    if not isinstance(model, VAE):
        raise ValueError(f"'{path}' holds a {type(model).__name__}, not a vaelab VAE.")
    return model
