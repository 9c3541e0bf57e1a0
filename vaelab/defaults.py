"""The training recipe's defaults, chosen by ``benchmarks/train_speed.py`` (see its README).

One place for them: ``vaelab.training.train`` and the command line both read them here.
"""

DEFAULT_BATCH_SIZE = 16
DEFAULT_LEARNING_RATE = 2e-3
DEFAULT_NUM_EPOCHS = 5
DEFAULT_SCHEDULE = "warmup_cosine"
# The warm-up lasts 5% of the steps but at least this many (short runs diverged without it).
MIN_WARMUP_STEPS = 50
DEFAULT_KL_WARMUP_EPOCHS = 0.0
