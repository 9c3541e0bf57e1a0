"""A NumPy forward pass for chains of simple Keras layers (the chapter's decoder and its kin).

Why: a slider move decodes one point. TensorFlow spends about a millisecond per call on
dispatch alone, and its transposed convolution and one-channel output convolution are slow
for this model on a CPU. The decoder is small (about 3.9 million multiply-adds a point), so
NumPy does a point in about 0.3 ms and the 15×15 manifold in one batched pass.

How: every convolution is one matrix product followed by shifted additions. Activations are
kept as ``(channels, height, width, batch)`` so that the product is a single BLAS call on a
contiguous array and every shift is a slice whose inner runs are whole batch rows. A strided
transposed convolution fills its output as separate phase grids (every stride-th row and
column); for batches above ``NumpyForward.SMALL`` a following stride-1 'same' convolution reads
those phases directly and the final result is interleaved while it is written.

Only exact layer types with plain settings are supported (``Dense``, ``Reshape``,
``Flatten``, ``Conv2D``, ``Conv2DTranspose``, ``Activation``; activations linear, relu,
sigmoid, tanh; channels last; no dilation or groups). :func:`numpy_forward` returns ``None``
for anything else, and callers fall back to the compiled Keras call. The weights are copied
when the forward pass is built: build a new one after more training.
"""

from __future__ import annotations

import numpy as np

import keras


class _OneBlasThread:
    """Context: NumPy's BLAS on one thread, restored afterwards (about 20 µs).

    For one point the matrix products are small: a second BLAS thread saves nothing, and after
    each product OpenBLAS's idle worker spins for a while. In a notebook kernel, where widget
    callbacks run on another thread than the cell code, that spinning cost a whole core during
    a slider drag, taken from the browser and the server. ``threadpoolctl``'s limiter (unlike a
    bare ``set_num_threads``) works from any thread.
    """

    _controller = None

    def __enter__(self):
        if _OneBlasThread._controller is None:
            from threadpoolctl import ThreadpoolController

            _OneBlasThread._controller = ThreadpoolController()
        # As a context manager the limiter also releases OpenBLAS's "controlling thread" on exit,
        # so that the next call, from whichever thread, can set the limit again.
        self.limiter = _OneBlasThread._controller.limit(limits=1, user_api="blas").__enter__()
        return self

    def __exit__(self, *exc):
        self.limiter.__exit__(*exc)


def _sigmoid(x):
    # In place: x ← 1 / (1 + exp(-x)); float32 overflow of exp gives inf → 0, which is right.
    np.negative(x, out=x)
    with np.errstate(over="ignore"):
        np.exp(x, out=x)
    x += 1.0
    np.reciprocal(x, out=x)
    return x


def _relu(x):
    np.maximum(x, 0.0, out=x)
    return x


def _tanh(x):
    np.tanh(x, out=x)
    return x


_ACTIVATIONS = {"linear": lambda x: x, "relu": _relu, "sigmoid": _sigmoid, "tanh": _tanh}


def _activation(function):
    """The in-place NumPy version of a Keras activation function, or None if unsupported."""
    if function is None:
        return _ACTIVATIONS["linear"]
    name = getattr(function, "__name__", None)
    if name in _ACTIVATIONS and function is getattr(keras.activations, name, None):
        return _ACTIVATIONS[name]
    return None


def _same_padding_before(size_in: int, size_out: int, kernel: int, stride: int) -> int:
    """Rows TensorFlow pads before the input of a 'same' convolution from size_in to size_out."""
    return max((size_out - 1) * stride + kernel - size_in, 0) // 2


def _axis_taps(size_out: int, size_in: int, kernel: int, stride: int, offset: int, transpose: bool):
    """Along one axis, for each kernel tap that touches the output: (tap, phase, output slice, input slice).

    Convolution: output row y reads input row stride·y + tap − offset (phase 0: the output is
    one plain grid). Transposed: input row i writes output row o = stride·i + tap − offset,
    which lies in phase o mod stride at row o // stride of that phase's grid; the phases are
    interleaved afterwards, so every slice here is contiguous.
    """
    taps = []
    for tap in range(kernel):
        if transpose:
            phase = (tap - offset) % stride
            shift = (tap - offset - phase) // stride  # phase row u = i + shift
            rows_in_phase = -(-(size_out - phase) // stride)
            low, high = max(0, -shift), min(size_in, rows_in_phase - shift)
            if high > low:
                taps.append((tap, phase, slice(low + shift, high + shift), slice(low, high)))
        else:
            low = max(0, -(-(offset - tap) // stride))
            high = min(size_out - 1, (size_in - 1 - tap + offset) // stride)
            if high >= low:
                first = stride * low + tap - offset
                taps.append((tap, 0, slice(low, high + 1), slice(first, first + stride * (high - low) + 1, stride)))
    return taps


def _phased_axis_taps(grid: int, phases: int, kernel: int, offset: int):
    """Like :func:`_axis_taps` for a stride-1 convolution whose input (and output) is kept as
    ``phases`` interleaved grids of ``grid`` rows: (tap, output phase, input phase, output slice,
    input slice). Output row y = phases·v + b reads input row y + tap − offset, which lies in
    phase (b + tap − offset) mod phases at grid row v + shift.
    """
    taps = []
    for tap in range(kernel):
        for out_phase in range(phases):
            position = out_phase + tap - offset
            in_phase = position % phases
            shift = (position - in_phase) // phases
            low, high = max(0, -shift), min(grid, grid - shift)
            if high > low:
                taps.append((tap, out_phase, in_phase, slice(low, high), slice(low + shift, high + shift)))
    return taps


def _buffers_for_batch(store: dict, batch: int, make):
    """``store[batch]``, made by ``make()`` on first use and reused from call to call (no page
    faults on the hot path). At most two batch sizes are kept: the largest (a full chunk) and
    the latest, so a stream of odd sizes cannot pile up memory."""
    buffers = store.get(batch)
    if buffers is None:
        if len(store) >= 2:
            largest = max(store)
            for size in [size for size in store if size != largest]:
                del store[size]
        buffers = store[batch] = make()
    return buffers


class _Convolution:
    """Conv2D or Conv2DTranspose on (channels, height, width, batch) arrays.

    One matrix product gives every tap's contribution at every input pixel; the taps are then
    added at their shifted places. The first taps that together cover the output exactly once
    are assigned (with the bias) instead of added, which saves a pass over the output.
    """

    def __init__(self, layer, weights, in_shape, transpose: bool, in_phases=(1, 1)):
        kernel, bias = weights[0], (weights[1] if layer.use_bias else None)
        kh, kw = kernel.shape[:2]
        if transpose:  # Keras: (kh, kw, out, in)
            out_channels = kernel.shape[2]
            matrix = kernel.reshape(kh * kw * out_channels, kernel.shape[3])
        else:  # Keras: (kh, kw, in, out)
            out_channels = kernel.shape[3]
            matrix = kernel.transpose(0, 1, 3, 2).reshape(kh * kw * out_channels, kernel.shape[2])
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.bias = None if bias is None else bias.astype(np.float32).reshape(-1, 1, 1, 1)
        _, height, width = in_shape
        sy, sx = layer.strides
        if transpose:
            if layer.padding == "same":
                out_h, out_w = height * sy, width * sx
                oy = _same_padding_before(out_h, height, kh, sy)
                ox = _same_padding_before(out_w, width, kw, sx)
            else:
                out_h, out_w = height * sy + max(kh - sy, 0), width * sx + max(kw - sx, 0)
                oy = ox = 0
            self.phases = (sy, sx)
        elif in_phases != (1, 1):  # stride 1, 'same', input kept in phases (see numpy_forward)
            out_h, out_w = height, width
            oy, ox = _same_padding_before(height, out_h, kh, 1), _same_padding_before(width, out_w, kw, 1)
            self.phases = tuple(in_phases)
        else:
            if layer.padding == "same":
                out_h, out_w = -(-height // sy), -(-width // sx)
                oy = _same_padding_before(height, out_h, kh, sy)
                ox = _same_padding_before(width, out_w, kw, sx)
            else:
                out_h, out_w = (height - kh) // sy + 1, (width - kw) // sx + 1
                oy = ox = 0
            self.phases = (1, 1)
        py, px = self.phases
        self.out_channels = out_channels
        self.out_shape = (out_channels, out_h, out_w)
        self.grid = (-(-out_h // py), -(-out_w // px))  # rows and columns of each phase's grid
        self.in_phases = tuple(in_phases)
        if self.in_phases != (1, 1):
            rows = _phased_axis_taps(self.grid[0], py, kh, oy)
            cols = _phased_axis_taps(self.grid[1], px, kw, ox)
        else:  # the input is one plain grid: input phase 0
            rows = [(tap, phase, 0, out, inp) for tap, phase, out, inp in _axis_taps(out_h, height, kh, sy, oy, transpose)]
            cols = [(tap, phase, 0, out, inp) for tap, phase, out, inp in _axis_taps(out_w, width, kw, sx, ox, transpose)]
        taps = [(ty * kw + tx, phase_y, phase_x, (in_y, in_x), (out_rows, out_cols), (in_rows, in_cols))
                for ty, phase_y, in_y, out_rows, in_rows in rows
                for tx, phase_x, in_x, out_cols, in_cols in cols]
        # Greedy, largest first: taps whose regions do not overlap those already chosen are assigned.
        taps.sort(key=lambda tap: -(tap[4][0].stop - tap[4][0].start) * (tap[4][1].stop - tap[4][1].start))
        assigned = np.zeros((py, px, *self.grid), dtype=bool)
        self.taps = []  # (assign?, tap index, phase y, phase x, input phases, output slices, input slices)
        for tap, phase_y, phase_x, in_phase, out_slices, in_slices in taps:
            region = assigned[phase_y, phase_x][out_slices]
            assign = not region.any()
            if assign:
                region[...] = True
            self.taps.append((assign, tap, phase_y, phase_x, in_phase, out_slices, in_slices))
        valid = np.zeros_like(assigned)
        for phase_y in range(py):
            for phase_x in range(px):
                valid[phase_y, phase_x, :-(-(out_h - phase_y) // py), :-(-(out_w - phase_x) // px)] = True
        self.covered = bool(assigned[valid].all())
        if not self.covered:  # start from the bias (or 0) and add every tap
            self.taps = [(False, *tap[1:]) for tap in self.taps]
        self.taps.sort(key=lambda tap: not tap[0])  # assignments first
        self.activation = _activation(layer.activation)
        #: Return the output as phases (channels, py, px, rows, columns, batch), not interleaved,
        #: for batches above NumpyForward.SMALL; set by numpy_forward when the next step reads it so.
        self.keep_phases = False
        self._buffers = {}

    def _buffers_for(self, batch, in_pixels):
        def make():
            interleaved = None  # needed only where the phases are interleaved here (see __call__)
            if self.phases != (1, 1) and not self._returns_phases(batch):
                interleaved = np.empty((self.out_channels, self.grid[0] * self.phases[0],
                                        self.grid[1] * self.phases[1], batch), dtype=np.float32)
            return (np.empty((self.matrix.shape[0], in_pixels * batch), dtype=np.float32),
                    # zeros: cells off the output stay finite
                    np.zeros((self.out_channels, *self.phases, *self.grid, batch), dtype=np.float32), interleaved)

        return _buffers_for_batch(self._buffers, batch, make)

    def _returns_phases(self, batch: int) -> bool:
        return self.keep_phases and batch > NumpyForward.SMALL

    def __call__(self, x):
        channels, batch = x.shape[0], x.shape[-1]
        pixels = x[0].size // batch
        products, out, interleaved = self._buffers_for(batch, pixels)
        np.matmul(self.matrix, x.reshape(channels, -1), out=products)
        # (tap, channel, input phase y, input phase x, row, column, batch)
        products = products.reshape(-1, self.out_channels, *self.in_phases, *x.shape[-3:-1], batch)
        if not self.covered:
            out[...] = 0.0 if self.bias is None else self.bias[:, :, :, :, None, None]
        for assign, tap, phase_y, phase_x, (in_y, in_x), (out_rows, out_cols), (in_rows, in_cols) in self.taps:
            target = out[:, phase_y, phase_x, out_rows, out_cols]
            source = products[tap][:, in_y, in_x, in_rows, in_cols]
            if assign:
                if self.bias is None:
                    target[...] = source
                else:
                    np.add(source, self.bias, out=target)
            else:
                target += source
        if self._returns_phases(batch):
            return self.activation(out)  # the next step reads the phases: no interleaving pass
        if interleaved is None:  # one phase: the grid is the image
            result = self.activation(out).reshape(self.out_channels, *self.grid, batch)
        else:  # phase (a, b), row u, column v → output row u·sy + a, column v·sx + b
            py, px = self.phases
            target = interleaved.reshape(self.out_channels, self.grid[0], py, self.grid[1], px, batch)
            if self.activation is _relu:  # the activation and the interleaving in one pass
                np.maximum(out.transpose(0, 3, 1, 4, 2, 5), 0.0, out=target)
            else:
                target[...] = self.activation(out).transpose(0, 3, 1, 4, 2, 5)
            result = interleaved
        _, out_h, out_w = self.out_shape
        if result.shape[1:3] != (out_h, out_w):
            result = np.ascontiguousarray(result[:, :out_h, :out_w])
        return result


class NumpyForward:
    """``model(batch, training=False)`` in NumPy, for the supported layer chains (see module doc)."""

    #: Points decoded per pass: small enough that a pass's intermediates stay in the CPU cache.
    CHUNK = 32
    #: Up to this many points, BLAS runs on one thread (see :class:`_OneBlasThread`).
    SMALL = 4

    def __init__(self, steps, out_shape):
        self.steps = steps
        self.out_shape = out_shape

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.asarray(batch, dtype=np.float32)
        if len(batch) <= self.SMALL:
            with _OneBlasThread():
                return self._run(batch)
        return self._run(batch)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        result = np.empty((len(batch), *self.out_shape), dtype=np.float32)
        chunks = -(-len(batch) // self.CHUNK)
        size = -(-len(batch) // max(chunks, 1))  # equal chunks: 225 points → 8 × 29 (the last 22)
        for start in range(0, len(batch), size):
            # Internal layout: (features, batch) or (channels, height, width, batch).
            x = batch[start:start + size]
            x = np.ascontiguousarray(x.T if x.ndim == 2 else x.transpose(3, 1, 2, 0))
            for step in self.steps:
                x = step(x)
            if x.ndim == 6:  # phases (c, a, b, u, v, n) → image row u·py + a, column v·px + b
                channels, py, px, rows, columns, n = x.shape
                result[start:start + size].reshape(n, rows, py, columns, px, channels)[...] = \
                    x.transpose(5, 3, 1, 4, 2, 0)
            else:
                result[start:start + size] = x.T if x.ndim == 2 else x.transpose(3, 1, 2, 0)
        return result


def numpy_forward(model, weights=None) -> NumpyForward | None:
    """A :class:`NumpyForward` for ``model``, or None if its layers are not supported.

    ``weights``: the values of ``model.weights`` (same order) if already read; else they are read.
    """
    layers = keras.layers
    if not isinstance(model, keras.Model) or len(model.inputs) != 1 or len(model.outputs) != 1:
        return None
    if weights is None:
        weights = [keras.ops.convert_to_numpy(variable.value) for variable in model.weights]
    values = {id(variable): value for variable, value in zip(model.weights, weights)}

    def layer_weights(layer):
        return [values[id(variable)] for variable in layer.weights]

    chain = [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]
    # Only a straight chain: each layer feeds the next.
    try:
        for previous, layer in zip(chain, chain[1:]):
            if layer.input is not previous.output:
                return None
    except (AttributeError, ValueError):
        return None
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) == 3:  # Keras (h, w, c) → ours (c, h, w)
        shape = (shape[2], shape[0], shape[1])
    elif len(shape) != 1:
        return None
    steps = []
    for layer in chain:
        kind = type(layer)
        if getattr(layer, "lora_enabled", False) or getattr(layer, "quantization_mode", None):
            return None
        if kind is layers.Dense:
            if len(shape) != 1 or layer.activation is None or _activation(layer.activation) is None:
                return None
            own = layer_weights(layer)
            kernel = own[0].astype(np.float32)
            bias = own[1].astype(np.float32) if layer.use_bias else np.zeros(kernel.shape[1], np.float32)
            steps.append(["dense", np.ascontiguousarray(kernel.T), bias, _activation(layer.activation)])
            shape = (kernel.shape[1],)
        elif kind is layers.Reshape:
            target = tuple(layer.target_shape)
            if -1 in target:
                return None
            if len(shape) == 1 and len(target) == 3:
                h, w, c = target
                order = np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).ravel()
                if steps and steps[-1][0] == "dense":  # fold the reorder into the Dense weights
                    steps[-1][1] = np.ascontiguousarray(steps[-1][1][order])
                    steps[-1][2] = steps[-1][2][order]
                    steps.append(["reshape", (c, h, w)])
                else:
                    steps.append(["reorder", order, (c, h, w)])
                shape = (c, h, w)
            elif len(target) == 1 and len(shape) == 3:
                steps.append(["flatten"])
                shape = (int(np.prod(shape)),)
            elif len(target) == 1 and len(shape) == 1:
                continue
            else:
                return None
        elif kind is layers.Flatten:
            if len(shape) == 3:
                steps.append(["flatten"])
                shape = (int(np.prod(shape)),)
        elif kind in (layers.Conv2D, layers.Conv2DTranspose):
            if (len(shape) != 3 or layer.data_format != "channels_last" or tuple(layer.dilation_rate) != (1, 1)
                    or getattr(layer, "groups", 1) != 1 or getattr(layer, "output_padding", None) is not None
                    or layer.padding not in ("same", "valid") or _activation(layer.activation) is None):
                return None
            convolution = _Convolution(layer, layer_weights(layer), shape, transpose=kind is layers.Conv2DTranspose)
            previous = _last_convolution(steps)
            phases = None if previous is None else previous.phases
            if (phases is not None and phases != (1, 1) and kind is layers.Conv2D and tuple(layer.strides) == (1, 1)
                    and layer.padding == "same" and shape[1] % phases[0] == 0 and shape[2] % phases[1] == 0):
                # Read the previous layer's output in its phases (no interleaving) for large batches.
                previous.keep_phases = True
                reading_phases = _Convolution(layer, layer_weights(layer), shape, transpose=False, in_phases=phases)
                convolution = _EitherLayout(convolution, reading_phases)
            steps.append(["conv", convolution])
            shape = convolution.out_shape
        elif kind is layers.Activation:
            function = _activation(layer.activation)
            if function is None:
                return None
            steps.append(["activation", function])
        else:
            return None
    last = _last_convolution(steps)
    if last is not None and last.phases != (1, 1) and last.out_shape[1:] == (
            last.grid[0] * last.phases[0], last.grid[1] * last.phases[1]):
        last.keep_phases = True  # NumpyForward interleaves while writing the result
    runnable = [_runnable(step) for step in steps]
    out_shape = shape if len(shape) == 1 else (shape[1], shape[2], shape[0])
    if tuple(model.outputs[0].shape[1:]) != out_shape:
        return None
    return NumpyForward(runnable, out_shape)


class _Dense:
    """Dense on (features, batch): one matrix product with the bias as an extra column (the
    input gets a row of ones), into a buffer reused from call to call, then the activation."""

    def __init__(self, matrix, bias, activation):
        self.matrix = np.ascontiguousarray(np.concatenate([matrix, bias.reshape(-1, 1)], axis=1), dtype=np.float32)
        self.activation = activation
        self._buffers = {}

    def __call__(self, x):
        batch = x.shape[-1]
        with_ones, out = _buffers_for_batch(self._buffers, batch, lambda: (
            np.ones((self.matrix.shape[1], batch), dtype=np.float32),
            np.empty((self.matrix.shape[0], batch), dtype=np.float32)))
        with_ones[:-1] = x
        np.matmul(self.matrix, with_ones, out=out)
        return self.activation(out)


class _EitherLayout:
    """A stride-1 convolution that reads its input as plain images or as the phases its
    (transposed, strided) predecessor left them in; its output keeps the same layout."""

    def __init__(self, plain, reading_phases):
        self.plain = plain
        self.reading_phases = reading_phases
        self.out_shape = plain.out_shape
        self.phases = reading_phases.phases
        self.grid = reading_phases.grid

    @property
    def keep_phases(self):
        return self.reading_phases.keep_phases

    @keep_phases.setter
    def keep_phases(self, value):  # only phases read can be kept; a plain input stays plain
        self.reading_phases.keep_phases = value

    def __call__(self, x):
        return self.reading_phases(x) if x.ndim == 6 else self.plain(x)


def _last_convolution(steps):
    """The convolution whose output the next layer reads (through activations only), or None."""
    for step in reversed(steps):
        if step[0] == "conv":
            return step[1]
        if step[0] != "activation":
            return None
    return None


def _runnable(step):
    kind = step[0]
    if kind == "dense":
        return _Dense(*step[1:])
    if kind == "reshape":
        target = step[1]
        return lambda x: x.reshape(*target, x.shape[-1])
    if kind == "reorder":
        order, target = step[1], step[2]
        return lambda x: x[order].reshape(*target, x.shape[-1])
    if kind == "flatten":  # ours (c, h, w, n) → Keras order (h, w, c) as features
        return lambda x: np.ascontiguousarray(x.transpose(1, 2, 0, 3)).reshape(-1, x.shape[-1])
    if kind == "conv":
        return step[1]
    if kind == "activation":
        function = step[1]
        return lambda x: function(np.array(x, dtype=np.float32))
    raise AssertionError(kind)
