# %% [markdown]
# # The latent explorer
#
# Move **z₁** and **z₂** to travel through the 2-D latent space of a variational autoencoder trained
# on handwritten digits, or click the map on the right: each dot is a test digit, coloured by its
# label. The digit on the left is decoded live from the point under the cross.

# %%
from vaelab.app import explorer_app

# Your browser decodes the digit: this page needs no TensorFlow or Keras (vaelab.app).
explorer_app()
