# %% [markdown]
# # The latent explorer
#
# Move **z₁** and **z₂** to travel through the 2-D latent space of a variational autoencoder trained
# on handwritten digits, or click the map on the right: each dot is a test digit, coloured by its
# label. The digit on the left is decoded live from the point under the cross.

# %%
import vaelab.data
from vaelab.models import load_vae
from vaelab.widgets import LatentExplorer

(_, _), (x_test, y_test) = vaelab.data.load_mnist(source="bundled", verbose=False)
vae = load_vae("mnist")
LatentExplorer(vae.decoder, vae.encoder, x_test, y_test)
