"""The bare widget both latency benchmarks measure as the floor: a slider swapping two PNGs.

No decoding, no scatter: what any ipywidgets round trip costs on the same page, server and
machine. ``browser_latency.py`` and ``app_load.py`` run it as a notebook; the last line
displays it.
"""

FLOOR_CODE = """\
import ipywidgets as widgets
import numpy as np
from vaelab.widgets import digit_png

pngs = [digit_png(np.random.default_rng(i).random((28, 28))) for i in range(2)]
slider = widgets.FloatSlider(min=-3, max=3, step=0.01, layout=widgets.Layout(width="320px"))
size = widgets.Layout(width="168px", height="168px")
image = widgets.Image(value=pngs[0], format="png", layout=size)
flip = [0]

def swap(change):
    flip[0] ^= 1
    image.value = pngs[flip[0]]

slider.observe(swap, names="value")
widgets.VBox([slider, image])
"""
