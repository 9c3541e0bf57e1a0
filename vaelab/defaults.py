"""The course's constants and the training recipe's defaults: each value lives here once.

The recipe (batch size, rate, schedule, epochs) was chosen by ``benchmarks/train_speed.py``;
``benchmarks/README.md`` has the table of what was tried. ``vaelab.training.train``,
``vaelab.models`` and the command line all read these names.
"""

#: Shape of one MNIST image as the models take it: 28 × 28 grey levels and a channel axis.
IMAGE_SHAPE = (28, 28, 1)

DEFAULT_BATCH_SIZE = 16
DEFAULT_LEARNING_RATE = 2e-3
DEFAULT_NUM_EPOCHS = 5
DEFAULT_SCHEDULE = "warmup_cosine"
#: The warm-up lasts 5% of the steps, but at least this many (short runs diverged without it).
WARMUP_FRACTION = 0.05
MIN_WARMUP_STEPS = 50
#: The chapter's optimizer setting, used for its replica in notebook 03.
CHAPTER_LEARNING_RATE = 1e-3
#: Points per decoder call in ``vaelab.latent.decode``: larger batches are no faster and only
#: grow the backend's scratch memory (``benchmarks/decode_call.py``; table in its README).
DECODE_BATCH_SIZE = 512
#: Images per encoder call in ``vaelab.latent.encode``: as fast as 1,000, but the first conv
#: layer's scratch stays in the process (encoding at 1,000 kept 207 MB more resident, at 256
#: 53 MB; measured in a fresh process, 2,000 test digits).
ENCODE_BATCH_SIZE = 256
