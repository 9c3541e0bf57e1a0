// vaelab's widgets in the page (anywidget ES module): the decoder runs here.
//
// `vaelab.widgets.page_decoder` describes a Keras decoder as a chain of Dense, Reshape, Flatten,
// Conv2D, Conv2DTranspose and Activation layers with their weights in one float32 buffer; this
// module runs that chain (float32, the same padding arithmetic as Keras) and paints the 28x28
// digit. Two engines run it: WebAssembly with SIMD (js/wasm/forward.ts, embedded below; ~1 ms a
// digit for the course's decoder in Chromium and node) and plain JavaScript (5-10 ms), for pages
// that cannot run WebAssembly SIMD; a layer the WebAssembly has no kernel for runs its
// JavaScript step on the module's memory. The explorer's ipywidgets sliders drive the digit
// here, without the kernel: their models are read from the widget manager, and while a pointer
// is down their sync to the kernel is held, then sent once when it is released (a kernel reply
// per move kept the page at ~28 paints/s). The forward pass runs inside the slider's change
// handler, so a move's digit is on screen in the frame that handles the move. A Web Worker was
// measured too (benchmarks/README.md): it freed the handler, but its result always landed a
// frame later. With an empty decoder spec the kernel decodes and sends the pixels instead.

const ACTIVATIONS = {
  linear: (v) => v,
  relu: (v) => (v > 0 ? v : 0),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
};

function floats(view) {
  // anywidget hands binary traits over as DataView (live kernel) or ArrayBuffer-like views.
  if (view instanceof Float32Array) return view;
  const buffer = view.buffer ? view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength)
    : view;
  return new Float32Array(buffer);
}

function bytes(view) {
  if (!view) return new Uint8Array(0);
  if (view instanceof Uint8Array) return view;
  return view.buffer ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
    : new Uint8Array(view);
}

function padBefore(size, outSize, kernel, stride, padding) {
  // TensorFlow's "same" puts the odd pixel of padding after; "valid" pads nothing.
  if (padding !== "same") return 0;
  return Math.floor(Math.max((outSize - 1) * stride + kernel - size, 0) / 2);
}

/**
 * The decoder's layers with their geometry worked out: dense (rows x inner -> units), conv
 * (both kinds: for each output row and column, the (kernel index, input index) pairs that
 * reach it) and activation. Reshape and Flatten only change the shape.
 */
function plan(spec, weightBytes) {
  const weights = floats(weightBytes);
  const take = (entry) => weights.subarray(entry[0], entry[0] + entry[1]);
  let shape = [spec.latent_dim];
  const layers = [];
  for (const layer of spec.layers) {
    const activation = layer.activation || "linear";
    if (!ACTIVATIONS[activation]) throw new Error(`activation ${activation}`);
    if (layer.type === "reshape" || layer.type === "flatten") {
      shape = layer.type === "flatten" ? [shape.reduce((a, b) => a * b, 1)] : layer.shape;
      continue;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (layer.type === "activation") {
      layers.push({ kind: "activation", activation, size });
      continue;
    }
    if (layer.type === "dense") {
      const inner = shape[shape.length - 1], units = layer.units;
      layers.push({
        kind: "dense", activation, inner, units, rows: size / inner,
        kernel: take(layer.kernel), bias: layer.bias ? take(layer.bias) : null,
      });
      shape = [...shape.slice(0, -1), units];
      continue;
    }
    if (layer.type !== "conv2d" && layer.type !== "conv2d_transpose") {
      throw new Error(`layer ${layer.type}`);
    }
    // Kernels arrive as (kh, kw, out, in) for both kinds (Keras's own layout for
    // Conv2DTranspose; Python transposes Conv2D's).
    const [h, wd, cin] = shape, [kh, kw] = layer.kernel_size, [sh, sw] = layer.strides;
    const transpose = layer.type === "conv2d_transpose";
    let oh, ow;
    if (transpose) {
      oh = layer.padding === "same" ? h * sh : h * sh + Math.max(kh - sh, 0);
      ow = layer.padding === "same" ? wd * sw : wd * sw + Math.max(kw - sw, 0);
    } else {
      oh = layer.padding === "same" ? Math.ceil(h / sh) : Math.floor((h - kh) / sh) + 1;
      ow = layer.padding === "same" ? Math.ceil(wd / sw) : Math.floor((wd - kw) / sw) + 1;
    }
    // For a transposed convolution the padding is that of the forward convolution it inverts.
    const pt = transpose ? padBefore(oh, h, kh, sh, layer.padding)
      : padBefore(h, oh, kh, sh, layer.padding);
    const pl = transpose ? padBefore(ow, wd, kw, sw, layer.padding)
      : padBefore(wd, ow, kw, sw, layer.padding);
    // taps(o): the (kernel index, input index) pairs that reach output index o along one axis.
    // A convolution reads input o*s + k - p; a transposed one is read by the i with i*s + k - p = o.
    const taps = (outSize, inSize, k, s, p) => Array.from({ length: outSize }, (_, o) => {
      const pairs = [];
      for (let j = 0; j < k; j++) {
        let i = o * s + j - p;
        if (transpose) {
          if ((o + p - j) % s !== 0) continue;
          i = (o + p - j) / s;
        }
        if (i >= 0 && i < inSize) pairs.push(j, i);
      }
      return Int32Array.from(pairs);
    });
    layers.push({
      kind: "conv", activation, h, wd, cin, oh, ow, cout: layer.filters, kh, kw,
      rowTaps: taps(oh, h, kh, sh, pt), colTaps: taps(ow, wd, kw, sw, pl),
      kernel: take(layer.kernel), bias: layer.bias ? take(layer.bias) : null,
    });
    shape = [oh, ow, layer.filters];
  }
  return { latentDim: spec.latent_dim, shape, layers };
}

/** (kh, kw, out, in) -> (kh, kw, in, out): one input value's weights for consecutive outputs. */
function outputsLast(w, taps, cout, cin) {
  const wt = new Float32Array(w.length);
  for (let t = 0; t < taps; t++) {
    for (let co = 0; co < cout; co++) {
      for (let ci = 0; ci < cin; ci++) wt[(t * cin + ci) * cout + co] = w[(t * cout + co) * cin + ci];
    }
  }
  return wt;
}

/** Apply a layer's activation in place (callers skip it where a kernel applied ReLU). */
function activate(x, activation) {
  if (activation === "linear") return;
  const act = ACTIVATIONS[activation];
  for (let i = 0; i < x.length; i++) x[i] = act(x[i]);
}

// ----- the JavaScript engine: every layer, any shape ----------------------------------------

function javascriptSteps(layers) {
  return layers.map((layer) => {
    const { activation } = layer;
    if (layer.kind === "activation") return (x) => { activate(x, activation); return x; };
    if (layer.kind === "dense") {
      const { rows, inner, units, kernel: w, bias: b } = layer;
      return (x) => {
        const y = new Float32Array(rows * units);
        for (let r = 0; r < rows; r++) {
          const out = y.subarray(r * units, (r + 1) * units);
          if (b) out.set(b);
          for (let i = 0; i < inner; i++) {
            const v = x[r * inner + i];
            if (v === 0) continue;
            const row = i * units;
            for (let u = 0; u < units; u++) out[u] += v * w[row + u];
          }
        }
        activate(y, activation);
        return y;
      };
    }
    const { wd, cin, oh, ow, cout, kh, kw, rowTaps, colTaps, bias: b } = layer;
    // Eight output channels at a time, in eight local sums, each input value loaded once;
    // inputs that are exactly 0 (after a ReLU, about a third here) are skipped.
    const wt = outputsLast(layer.kernel, kh * kw, cout, cin);
    return (x) => {
      const y = new Float32Array(oh * ow * cout);
      for (let oy = 0; oy < oh; oy++) {
        const rt = rowTaps[oy];
        for (let ox = 0; ox < ow; ox++) {
          const ct = colTaps[ox], out = (oy * ow + ox) * cout;
          let co = 0;
          for (; co + 8 <= cout; co += 8) {
            let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
            for (let r = 0; r < rt.length; r += 2) {
              const ky = rt[r], iy = rt[r + 1];
              for (let c = 0; c < ct.length; c += 2) {
                const base = (iy * wd + ct[c + 1]) * cin;
                let j = (ky * kw + ct[c]) * cin * cout + co;
                for (let ci = 0; ci < cin; ci++, j += cout) {
                  const v = x[base + ci];
                  if (v === 0) continue;
                  a0 += v * wt[j]; a1 += v * wt[j + 1]; a2 += v * wt[j + 2]; a3 += v * wt[j + 3];
                  a4 += v * wt[j + 4]; a5 += v * wt[j + 5]; a6 += v * wt[j + 6]; a7 += v * wt[j + 7];
                }
              }
            }
            y[out + co] = a0; y[out + co + 1] = a1; y[out + co + 2] = a2; y[out + co + 3] = a3;
            y[out + co + 4] = a4; y[out + co + 5] = a5; y[out + co + 6] = a6; y[out + co + 7] = a7;
          }
          for (; co < cout; co++) {
            let acc = 0;
            for (let r = 0; r < rt.length; r += 2) {
              const ky = rt[r], iy = rt[r + 1];
              for (let c = 0; c < ct.length; c += 2) {
                const base = (iy * wd + ct[c + 1]) * cin;
                let j = (ky * kw + ct[c]) * cin * cout + co;
                for (let ci = 0; ci < cin; ci++, j += cout) acc += x[base + ci] * wt[j];
              }
            }
            y[out + co] = acc;
          }
        }
      }
      if (b) for (let i = 0; i < y.length; i++) y[i] += b[i % cout];
      activate(y, activation);
      return y;
    };
  });
}

// ----- the WebAssembly engine: the same layers, four float32 lanes at a time -----------------

// js/wasm/forward.ts compiled by tools/build_wasm.py, which writes the next line and the sha256
// of what it built from (checked by tests/test_widgets.py).
// forward.wasm: BEGIN
const FORWARD_WASM = "AGFzbQEAAAABIgNgD39/f39/f39/f39/f39/fwBgAAF/YAh/f39/f39/fwACDwEDZW52Bm1lbW9yeQIAAAMFBAECAAAHNwQIaGVhcEJhc2UAAAVkZW5zZQABD2NvbnZPdmVyT3V0cHV0cwACDmNvbnZPdmVySW5wdXRzAAMKow4EBQBBgAgLvAIDB38BfQF7A0AgBCAKSgRAIAMgBiAKbEECdGohC0EAIQgDQCAGIAhKBEAgCEECdCIJIAtqIAIEeyACIAlq/QAEAAX9DAAAAAAAAAAAAAAAAAAAAAAL/QsEACAIQQRqIQgMAQsLQQAhCANAIAUgCEoEQCAAIAUgCmwgCGpBAnRqKgIAIg9DAAAAAFwEQCAP/RMhECABIAYgCGxBAnRqIQxBACEJA0AgBiAJSgRAIAlBAnQiDSALaiIOIA79AAQAIBAgDCANav0ABAD95gH95AH9CwQAIAlBBGohCQwBCwsLIAhBAWohCAwBCwsgBwRAQQAhCANAIAYgCEoEQCALIAhBAnRqIgkgCf0ABAD9DAAAAAAAAAAAAAAAAAAAAAD96QH9CwQAIAhBBGohCAwBCwsLIApBAWohCgwBCwsLlQgDBXsQfwF9IAUgCGxBAnQhHQNAIAYgHEoEQCAKIBxBAnRqKAIAIRYgCiAcQQFqQQJ0aigCACEeQQAhGwNAIAcgG0oEQCAMIBtBAnRqKAIAIRcgDCAbQQFqQQJ0aigCACEfIAMgByAcbCAbaiAIbEECdGohIEEAIRgDQCAYQRBqIAhMBED9DAAAAAAAAAAAAAAAAAAAAAAhEP0MAAAAAAAAAAAAAAAAAAAAACEP/QwAAAAAAAAAAAAAAAAAAAAAIRH9DAAAAAAAAAAAAAAAAAAAAAAhEiAWIRQDQCAUIB5IBEAgCyAUQQJ0aigCACEhIAsgFEEBakECdGooAgAhIiAXIRUDQCAVIB9IBEAgACANIBVBAWpBAnRqKAIAIAQgImxqIAVsQQJ0aiEjIAEgDSAVQQJ0aigCACAJICFsaiAdbGogGEECdGohGUEAIRoDQCAFIBpKBEAgIyAaQQJ0aioCACIkQwAAAABcBEAgECAk/RMiEyAZ/QAEAP3mAf3kASEQIBEgEyAZ/QAEIP3mAf3kASERIBIgEyAZ/QAEMP3mAf3kASESIA8gEyAZ/QAEEP3mAf3kASEPCyAaQQFqIRogGSAIQQJ0aiEZDAELCyAVQQJqIRUMAQsLIBRBAmohFAwBCwsgAgRAIBAgAiAYQQJ0aiIU/QAEAP3kASEQIBEgFP0ABCD95AEhESASIBT9AAQw/eQBIRIgDyAU/QAEEP3kASEPCyAgIBhBAnRqIhQgDgR7IA/9DAAAAAAAAAAAAAAAAAAAAAD96QEhDyAR/QwAAAAAAAAAAAAAAAAAAAAA/ekBIREgEv0MAAAAAAAAAAAAAAAAAAAAAP3pASESIBD9DAAAAAAAAAAAAAAAAAAAAAD96QEFIBAL/QsEACAUIA/9CwQQIBQgEf0LBCAgFCAS/QsEMCAYQRBqIRgMAQsLA0AgCCAYSgRA/QwAAAAAAAAAAAAAAAAAAAAAIRAgFiEUA0AgFCAeSARAIAsgFEECdGooAgAhISALIBRBAWpBAnRqKAIAISIgFyEVA0AgFSAfSARAIAAgDSAVQQFqQQJ0aigCACAEICJsaiAFbEECdGohIyABIA0gFUECdGooAgAgCSAhbGogHWxqIBhBAnRqIRpBACEZA0AgBSAZSgRAICMgGUECdGoqAgAiJEMAAAAAXARAIBAgJP0TIBr9AAQA/eYB/eQBIRALIBlBAWohGSAaIAhBAnRqIRoMAQsLIBVBAmohFQwBCwsgFEECaiEUDAELCyACBEAgECACIBhBAnRq/QAEAP3kASEQCyAgIBhBAnRqIBD9DAAAAAAAAAAAAAAAAAAAAAD96QEgECAOG/0LBAAgGEEEaiEYDAELCyAbQQFqIRsMAQsLIBxBAWohHAwBCwsLxQMDAX0QfwF7IAUgCGxBAnQhGwNAIAYgHUoEQCAKIB1BAnRqKAIAIREgCiAdQQFqQQJ0aigCACEaQQAhHwNAIAcgH0oEQCAMIB9BAnRqKAIAIRAgDCAfQQFqQQJ0aigCACEZQQAhHgNAIAggHkoEQP0MAAAAAAAAAAAAAAAAAAAAACEgIBEhEwNAIBMgGkgEQCALIBNBAnRqKAIAIRggCyATQQFqQQJ0aigCACEXIBAhEgNAIBIgGUgEQCAAIA0gEkEBakECdGooAgAgBCAXbGogBWxBAnRqIRYgASANIBJBAnRqKAIAIAkgGGxqIBtsaiAFIB5sQQJ0aiEVQQAhHANAIAUgHEoEQCAgIBYgHEECdCIUav0ABAAgFCAVav0ABAD95gH95AEhICAcQQRqIRwMAQsLIBJBAmohEgwBCwsgE0ECaiETDAELCyAg/R8AICD9HwGSICD9HwKSICD9HwOSIQ8gAgRAIA8gAiAeQQJ0aioCAJIhDwsgAyAHIB1sIB9qIAhsIB5qQQJ0akMAAAAAIA8gD0MAAAAAXUEAIA4bGzgCACAeQQFqIR4MAQsLIB9BAWohHwwBCwsgHUEBaiEdDAELCws=";  // build sha256: 92d7c2f039499a588cd541d97cc771b55fab80ce6ffb561a9ea3f63e223f6001
// forward.wasm: END

// undefined: not tried yet; null: this page cannot run it (no WebAssembly SIMD, or a policy
// that forbids compiling WebAssembly).
let wasmModule;

function forwardModule() {
  if (wasmModule !== undefined) return wasmModule;
  wasmModule = null;
  try {
    const bytes = Uint8Array.from(atob(FORWARD_WASM), (c) => c.charCodeAt(0));
    // 2 KB: under the 4 KB that Chromium allows a synchronous compile on the main thread.
    if (typeof WebAssembly === "object" && WebAssembly.validate(bytes)) {
      wasmModule = new WebAssembly.Module(bytes);
    }
  } catch (error) {
    wasmModule = null;
  }
  return wasmModule;
}

/**
 * The layers as calls into the WebAssembly module (null where the page cannot run it). A layer
 * the module has no kernel for (a dense layer whose units, or a convolution whose input and
 * output channels, are not multiples of four) runs its JavaScript step on the module's memory.
 */
function wasmSteps(layers, latentDim) {
  const module = forwardModule();
  if (!module) return null;
  // Every array gets a 16-byte aligned place in one memory, laid out once.
  const arrays = [];
  let end = 0;
  const place = (length, fill) => {
    const entry = { at: end, length, fill };
    end += Math.ceil((4 * length) / 16) * 16;
    arrays.push(entry);
    return entry;
  };
  const tapTable = (lists) => {
    const starts = new Int32Array(lists.length + 1);
    lists.forEach((pairs, i) => { starts[i + 1] = starts[i] + pairs.length; });
    const flat = new Int32Array(starts[lists.length]);
    lists.forEach((pairs, i) => flat.set(pairs, starts[i]));
    return [place(starts.length, starts), place(Math.max(flat.length, 1), flat)];
  };
  const input = place(latentDim);
  let current = input;
  const calls = [];
  for (const layer of layers) {
    const { activation } = layer;
    const relu = activation === "relu" ? 1 : 0;
    if (layer.kind === "activation") {
      const target = current;
      calls.push((exports, view) => activate(view(target), activation));
      continue;
    }
    const x = current;
    const y = place(layer.kind === "dense" ? layer.rows * layer.units
      : layer.oh * layer.ow * layer.cout);
    current = y;
    const vectorised = layer.kind === "dense" ? layer.units % 4 === 0
      : layer.cout % 4 === 0 || layer.cin % 4 === 0;
    if (!vectorised) {
      const [step] = javascriptSteps([layer]);
      calls.push((exports, view) => view(y).set(step(view(x))));
      continue;
    }
    if (layer.kind === "dense") {
      const w = place(layer.kernel.length, layer.kernel);
      const b = layer.bias ? place(layer.bias.length, layer.bias) : null;
      const { rows, inner, units } = layer;
      calls.push((exports, view, at) => {
        exports.dense(at(x), at(w), b ? at(b) : 0, at(y), rows, inner, units, relu);
        if (!relu) activate(view(y), activation);
      });
      continue;
    }
    const { wd, cin, oh, ow, cout, kh, kw } = layer;
    const overOutputs = cout % 4 === 0;
    const kernel = overOutputs ? outputsLast(layer.kernel, kh * kw, cout, cin) : layer.kernel;
    const run = overOutputs ? "convOverOutputs" : "convOverInputs";
    const w = place(kernel.length, kernel);
    const b = layer.bias ? place(layer.bias.length, layer.bias) : null;
    const [rowStart, rowPairs] = tapTable(layer.rowTaps), [colStart, colPairs] = tapTable(layer.colTaps);
    calls.push((exports, view, at) => {
      exports[run](at(x), at(w), b ? at(b) : 0, at(y), wd, cin, oh, ow, cout, kw, at(rowStart),
        at(rowPairs), at(colStart), at(colPairs), relu);
      if (!relu) activate(view(y), activation);
    });
  }
  // The module's own data sits below heapBase, inside its first page; the arrays go after it.
  const pages = Math.ceil((end + 65536) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const { exports } = new WebAssembly.Instance(module, { env: { memory } });
  const base = exports.heapBase();
  if (base > 65536) throw new Error(`forward.wasm's heap starts at ${base}, past its first page`);
  const at = (entry) => base + entry.at;
  const view = (entry) => new Float32Array(memory.buffer, at(entry), entry.length);
  for (const entry of arrays) {
    if (!entry.fill) continue;
    const Kind = entry.fill instanceof Int32Array ? Int32Array : Float32Array;
    new Kind(memory.buffer, at(entry), entry.length).set(entry.fill);
    entry.fill = null;  // the module's memory holds it now
  }
  const zIn = view(input), out = view(current);
  return (z) => {
    zIn.set(z);
    for (const call of calls) call(exports, view, at);
    return out.slice();
  };
}

/**
 * The decoder, ready to run: (spec, float32 weights[, engine]) -> net. The engine is
 * "wasm" (WebAssembly SIMD, where the page can run it) or "js"; ask for "js" to compare them.
 * `net.run(z)` takes latentDim numbers.
 */
export function prepare(spec, weightBytes, engine = "wasm") {
  const { latentDim, shape, layers } = plan(spec, weightBytes);
  const checked = (run) => (z) => {
    if (z.length !== latentDim) throw new Error(`z has ${z.length} numbers, the decoder takes ${latentDim}`);
    return run(z);
  };
  let fast = null;
  if (engine === "wasm") {
    try {
      fast = wasmSteps(layers, latentDim);
    } catch (error) {  // e.g. no memory for the module: the JavaScript engine runs instead
      console.warn("vaelab: WebAssembly could not run the decoder:", error);
    }
  }
  if (fast) return { latentDim, shape, engine: "wasm", run: checked(fast) };
  const steps = javascriptSteps(layers);
  const run = (z) => {
    let x = Float32Array.from(z);
    for (const step of steps) x = step(x);
    return x;
  };
  return { latentDim, shape, engine: "js", run: checked(run) };
}

/** Decode one latent point: Float32Array of the output (28 x 28 x 1 for the course's models). */
export function forward(net, z) {
  return net.run(z);
}

/** Decode many points (a flat array, latentDim per point): one Float32Array of all outputs. */
export function forwardBatch(net, flat) {
  const n = flat.length / net.latentDim, size = net.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    out.set(forward(net, flat.slice(i * net.latentDim, (i + 1) * net.latentDim)), i * size);
  }
  return out;
}

// ----- painting ---------------------------------------------------------------------------

const TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
  "#7f7f7f", "#bcbd22", "#17becf"];

function digitCanvas(scale, label) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 28;
  canvas.className = "vaelab-pixels vaelab-digit";
  canvas.style.cssText = `width:${28 * scale}px;height:${28 * scale}px;`
    + "image-rendering:pixelated;background:#000;display:block";
  canvas.dataset.paints = "0";
  if (label) canvas.setAttribute("aria-label", label);
  return canvas;
}

/** Paint grey levels in [0, 1] (or bytes 0-255) into a 28x28 canvas; count the paint. */
function paintDigit(canvas, values, isBytes) {
  const context = canvas.getContext("2d");
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const grey = isBytes ? values[i] : Math.min(255, Math.max(0, (values[i] * 255 + 0.5) | 0));
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = grey;
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  canvas.dataset.paints = String(Number(canvas.dataset.paints) + 1);
}

const MARGIN = { left: 38, right: 10, top: 22, bottom: 32 };

/** The latent scatter: dots on a base canvas, the cross / ellipse on an overlay canvas. */
function scatterPlot(model, width, height, title) {
  const box = document.createElement("div");
  box.className = "vaelab-scatter";
  box.style.cssText = `position:relative;width:${width}px;height:${height}px;flex:none`;
  const ratio = window.devicePixelRatio || 1;
  const layers = [0, 1].map((i) => {
    const c = document.createElement("canvas");
    c.width = Math.round(width * ratio);
    c.height = Math.round(height * ratio);
    c.style.cssText = `position:absolute;left:0;top:0;width:${width}px;height:${height}px`;
    c.getContext("2d").scale(ratio, ratio);
    if (i === 1) c.className = "vaelab-overlay-canvas";
    box.appendChild(c);
    return c;
  });
  const [x0, x1, y0, y1] = model.get("limits");
  const pw = width - MARGIN.left - MARGIN.right, ph = height - MARGIN.top - MARGIN.bottom;
  const toX = (v) => MARGIN.left + ((v - x0) / (x1 - x0)) * pw;
  const toY = (v) => MARGIN.top + ((y1 - v) / (y1 - y0)) * ph;
  const fromX = (px) => x0 + ((px - MARGIN.left) / pw) * (x1 - x0);
  const fromY = (py) => y1 - ((py - MARGIN.top) / ph) * (y1 - y0);
  const base = layers[0].getContext("2d");
  base.fillStyle = "#fff";
  base.fillRect(0, 0, width, height);
  const codes = floats(model.get("codes")), labels = bytes(model.get("labels"));
  base.globalAlpha = 0.7;
  for (let i = 0; i < labels.length; i++) {
    base.fillStyle = TAB10[labels[i] % 10];
    base.fillRect(toX(codes[2 * i]) - 1, toY(codes[2 * i + 1]) - 1, 2.2, 2.2);
  }
  base.globalAlpha = 1;
  base.clearRect(0, 0, width, MARGIN.top);  // dots outside the limits stay out of the margins
  base.clearRect(0, 0, MARGIN.left, height);
  base.clearRect(0, height - MARGIN.bottom, width, MARGIN.bottom);
  base.clearRect(width - MARGIN.right, 0, MARGIN.right, height);
  base.strokeStyle = "#333";
  base.strokeRect(MARGIN.left, MARGIN.top, pw, ph);
  base.fillStyle = "#333";
  base.font = "11px sans-serif";
  base.textAlign = "center";
  for (let t = Math.ceil(x0); t <= Math.floor(x1); t++) base.fillText(String(t), toX(t), height - 18);
  base.fillText("z₁", MARGIN.left + pw / 2, height - 4);
  base.textAlign = "right";
  for (let t = Math.ceil(y0); t <= Math.floor(y1); t++) base.fillText(String(t), MARGIN.left - 4, toY(t) + 4);
  base.fillText("z₂", 14, MARGIN.top + ph / 2);
  base.textAlign = "center";
  base.fillText(title, MARGIN.left + pw / 2, 14);
  const overlay = layers[1];
  return { box, overlay, toX, toY, fromX, fromY, context: overlay.getContext("2d"), width, height };
}

function drawCross(plot, z) {
  const c = plot.context;
  c.clearRect(0, 0, plot.width, plot.height);
  const x = plot.toX(z[0]), y = plot.toY(z[1]);
  c.strokeStyle = "#000";
  c.lineWidth = 2.5;
  c.beginPath();
  c.moveTo(x - 11, y); c.lineTo(x + 11, y);
  c.moveTo(x, y - 11); c.lineTo(x, y + 11);
  c.stroke();
  plot.overlay.dataset.cross = `${z[0].toFixed(3)},${z[1].toFixed(3)}`;
}

// ----- holding the sliders' sync while a pointer is down ------------------------------------

const drag = { down: false, flushes: new Set() };
const page = typeof window === "undefined" ? null : window;  // node runs the decoder alone
if (page && !page.__vaelabDrag) {
  page.__vaelabDrag = drag;
  page.addEventListener("pointerdown", () => { drag.down = true; }, true);
  const release = () => {
    drag.down = false;
    for (const flush of drag.flushes) flush();
  };
  // After the slider's own pointerup handler (bubbling, on window): its final value is set.
  page.addEventListener("pointerup", () => setTimeout(release, 0), false);
  page.addEventListener("pointercancel", () => setTimeout(release, 0), false);
}
const DRAG = page ? page.__vaelabDrag : drag;

/** While a pointer is down, keep `slider`'s changes in the page; send them once on release. */
function holdSync(slider) {
  if (slider.__vaelabHold) return slider.__vaelabHold;
  const save = slider.save_changes.bind(slider);
  let held = null;
  slider.save_changes = function (callbacks) {
    if (DRAG.down) { held = callbacks || {}; return; }
    held = null;
    save(callbacks);
  };
  const flush = () => { if (held !== null) { const c = held; held = null; save(c); } };
  DRAG.flushes.add(flush);
  slider.__vaelabHold = flush;
  return flush;
}

// ----- the widgets ------------------------------------------------------------------------

function notice(model, el) {
  const line = document.createElement("div");
  line.className = "vaelab-notice";
  line.style.cssText = "font-size:12px;color:#555;margin:2px 0";
  const show = () => { line.textContent = model.get("notice"); line.hidden = !model.get("notice"); };
  show();
  model.on("change:notice", show);
  el.appendChild(line);
}

function pageNet(model) {
  const spec = model.get("decoder_spec");
  if (!spec || !spec.layers) return null;
  try {
    return prepare(spec, model.get("decoder_weights"));
  } catch (error) {  // shown, and the kernel decodes
    console.warn("vaelab: the page cannot run this decoder:", error);
    return null;
  }
}

async function renderExplorer({ model, el }) {
  const row = document.createElement("div");
  row.style.cssText = "display:flex;align-items:center;gap:16px";
  const digit = digitCanvas(model.get("scale"), "decoded digit");
  row.appendChild(digit);
  el.appendChild(row);
  notice(model, el);
  const net = pageNet(model);
  if (net) digit.dataset.engine = net.engine;  // "wasm" or "js", for the tests
  const refs = model.get("sliders") || [];
  const sliders = await Promise.all(
    refs.map((ref) => model.widget_manager.get_model(String(ref).replace("IPY_MODEL_", ""))),
  );
  const point = () => {
    const z = Float32Array.from(model.get("z"));
    sliders.forEach((s, i) => { z[i] = s.get("value"); });
    return z;
  };
  let plot = null;
  if (model.get("limits").length === 4 && bytes(model.get("labels")).length > 0) {
    plot = scatterPlot(model, 380, 330, "click or drag to move z");
    row.appendChild(plot.box);
  }
  // Each decode has a number, for the latency probe of tests/test_browser.py: data-asked is the
  // newest asked for, data-shown the one on screen (the same here, where decoding is immediate).
  let asked = 0;
  const paint = () => {
    const z = point();
    if (plot) drawCross(plot, z);
    if (!net) return;
    asked += 1;
    digit.dataset.asked = digit.dataset.shown = String(asked);
    paintDigit(digit, forward(net, z), false);
    digit.dataset.z = Array.from(z, (v) => v.toFixed(4)).join(",");
  };
  const paintKernel = () => {
    const pixels = bytes(model.get("pixels"));
    if (pixels.length === 784) paintDigit(digit, pixels, true);
  };
  const unhold = net ? sliders.map(holdSync) : [];
  sliders.forEach((s) => s.on("change:value", paint));
  model.on("change:z", paint);
  if (!net) { model.on("change:pixels", paintKernel); paintKernel(); }
  paint();
  if (plot) {
    const moveTo = (event) => {
      const rect = plot.overlay.getBoundingClientRect();
      const values = [plot.fromX(event.clientX - rect.left), plot.fromY(event.clientY - rect.top)];
      values.forEach((v, i) => {
        const s = sliders[i];
        if (!s) return;
        s.set("value", Math.min(s.get("max"), Math.max(s.get("min"), Math.round(v * 100) / 100)));
        s.save_changes();  // held until the pointer is released when the page decodes
      });
    };
    let pressed = false;
    plot.overlay.addEventListener("pointerdown", (e) => { pressed = true; moveTo(e); });
    plot.overlay.addEventListener("pointermove", (e) => { if (pressed) moveTo(e); });
    window.addEventListener("pointerup", () => { pressed = false; });
  }
  return () => {
    sliders.forEach((s) => s.off("change:value", paint));
    unhold.length = 0;
  };
}

function renderSketch({ model, el }) {
  const row = document.createElement("div");
  row.style.cssText = "display:flex;align-items:center;gap:16px";
  const size = 28 * model.get("scale");
  const pad = document.createElement("canvas");
  pad.width = pad.height = 280;
  pad.className = "vaelab-drawing";
  pad.style.cssText = `width:${size}px;height:${size}px;background:#000;touch-action:none;`
    + "cursor:crosshair;display:block";
  const ink = pad.getContext("2d", { willReadFrequently: true });
  const clear = () => { ink.fillStyle = "#000"; ink.fillRect(0, 0, 280, 280); };
  clear();
  const left = document.createElement("div");
  const button = document.createElement("button");
  button.textContent = "clear";
  button.className = "vaelab-clear";
  button.onclick = () => { clear(); model.set("drawing", new DataView(new ArrayBuffer(0))); model.save_changes(); };
  left.append(pad, button);
  const mean = digitCanvas(model.get("scale"), "decoded mean of q(z|x)");
  const caption = document.createElement("div");
  caption.style.cssText = "font-size:12px;text-align:center";
  caption.textContent = "decoded mean";
  const middle = document.createElement("div");
  middle.append(mean, caption);
  const plot = scatterPlot(model, 380, 330, `q(z|x): 1σ, 2σ and samples, spread ×${model.get("magnify")}`);
  row.append(left, middle, plot.box);
  el.appendChild(row);
  notice(model, el);
  const net = pageNet(model);
  // Drawing: a round brush of 2.2 MNIST pixels, white on black like MNIST's digits.
  let last = null;
  const at = (e) => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * 280, ((e.clientY - r.top) / r.height) * 280];
  };
  pad.addEventListener("pointerdown", (e) => {
    last = at(e);
    pad.setPointerCapture?.(e.pointerId);
    ink.fillStyle = "#fff";
    ink.beginPath(); ink.arc(last[0], last[1], 11, 0, 2 * Math.PI); ink.fill();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!last) return;
    const p = at(e);
    ink.strokeStyle = "#fff"; ink.lineWidth = 22; ink.lineCap = "round";
    ink.beginPath(); ink.moveTo(last[0], last[1]); ink.lineTo(p[0], p[1]); ink.stroke();
    last = p;
  });
  const end = () => {
    if (!last) return;
    last = null;
    // The 28x28 image the kernel encodes: the mean of each 10x10 block of the drawing.
    const rgba = ink.getImageData(0, 0, 280, 280).data, small = new Uint8Array(784);
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
      let sum = 0;
      for (let dy = 0; dy < 10; dy++) for (let dx = 0; dx < 10; dx++) {
        sum += rgba[4 * ((y * 10 + dy) * 280 + x * 10 + dx)];
      }
      small[y * 28 + x] = Math.round(sum / 100);
    }
    model.set("drawing", new DataView(small.buffer));
    model.save_changes();
  };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointerleave", end);
  const redraw = () => {
    const c = plot.context, post = model.get("posterior");
    c.clearRect(0, 0, plot.width, plot.height);
    if (!post || !post.mean) { delete plot.overlay.dataset.ellipse; return; }
    const [mx, my] = post.mean, k = model.get("magnify");
    const [sx, sy] = post.log_var.slice(0, 2).map((v) => Math.exp(0.5 * v) * k);
    const cx = plot.toX(mx), cy = plot.toY(my);
    const rx = Math.abs(plot.toX(mx + sx) - cx), ry = Math.abs(plot.toY(my + sy) - cy);
    c.strokeStyle = "#000";
    for (const n of [1, 2]) {
      c.lineWidth = n === 1 ? 2 : 1;
      c.beginPath(); c.ellipse(cx, cy, n * rx, n * ry, 0, 0, 2 * Math.PI); c.stroke();
    }
    c.fillStyle = "#000";
    for (const s of model.get("samples")) {
      c.beginPath(); c.arc(plot.toX(mx + (s[0] - mx) * k), plot.toY(my + (s[1] - my) * k), 2.5, 0, 2 * Math.PI); c.fill();
    }
    plot.overlay.dataset.ellipse = `${mx.toFixed(3)},${my.toFixed(3)}`;
    if (net) paintDigit(mean, forward(net, model.get("z")), false);
  };
  const paintKernel = () => {
    const pixels = bytes(model.get("pixels"));
    if (pixels.length === 784) paintDigit(mean, pixels, true);
  };
  model.on("change:posterior", redraw);
  model.on("change:samples", redraw);
  if (!net) model.on("change:pixels", paintKernel);
  redraw();
  if (!net) paintKernel();
}

export default {
  render({ model, el }) {
    el.classList.add("vaelab-widget");
    if (model.get("kind") === "sketch") return renderSketch({ model, el });
    return renderExplorer({ model, el });
  },
};
