"""Write the pretrained decoder as the page runs it: ``vaelab/data/pretrained/mnist.page.npz``.

The explorer app sends these layers and weights to the page, which decodes in JavaScript
(``vaelab/static/latent.js``); ``tests/test_app.py`` checks the file against the weights.

    python tools/export_page_decoder.py [--name mnist]
"""

import argparse

from vaelab.app import export_page_decoder

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="mnist")
    print(export_page_decoder(parser.parse_args().name))
