"""The model code uses keras.ops only: the same checks pass on the JAX backend.

Each backend needs a fresh process (Keras picks its backend at import), so the checks run in
a subprocess with KERAS_BACKEND set.
"""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # a fresh process per backend, training included

CHECKS = textwrap.dedent("""
    import math, os, tempfile
    import numpy as np
    import keras
    assert keras.backend.backend() == os.environ["KERAS_BACKEND"], keras.backend.backend()
    from vaelab.data import load_mnist
    from vaelab.metrics import neg_elbo, log_likelihood
    from vaelab.models import build_vae, load_vae
    from vaelab.latent import manifold_image
    from vaelab.training import train
    (x, _), (xt, _) = load_mnist(verbose=False)
    keras.utils.set_random_seed(0)
    vae = build_vae(seed=0)
    assert vae.encoder.count_params() + vae.decoder.count_params() == 550_629
    assert abs(neg_elbo(vae, xt[:200]) - 784 * math.log(2)) < 5
    log_var = np.full((20000, 2), math.log(4.0), "float32")
    z = np.asarray(vae.sampler(np.zeros((20000, 2), "float32"), log_var))
    assert abs(z.std() - 2.0) < 0.05, z.std()
    history = train(vae, x[:512], num_epochs=1, verbose=0)
    assert neg_elbo(vae, xt[:200]) < 543 - 50, (history.history, neg_elbo(vae, xt[:200]))
    path = os.path.join(tempfile.mkdtemp(), "v.keras")
    vae.save(path)
    again = load_vae(path)
    np.testing.assert_allclose(manifold_image(again.decoder, n=5), manifold_image(vae.decoder, n=5),
                               atol=1e-6)
    model = load_vae("mnist")
    score = neg_elbo(model, xt[:500])
    assert 140 < score < 170, score
    assert log_likelihood(model, xt[:3]) > -score - 20
    print("backend checks passed:", keras.backend.backend(), round(score, 2))
""")


@pytest.mark.parametrize("backend", ["jax"])
def test_model_on_another_backend(backend):
    pytest.importorskip(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "VAELAB_OFFLINE": "1", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", CHECKS], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert f"backend checks passed: {backend}" in result.stdout
