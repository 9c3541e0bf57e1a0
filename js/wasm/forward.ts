// The decoder's heavy loops for vaelab/static/latent.js, compiled to WebAssembly with SIMD
// (AssemblyScript: `python tools/build_wasm.py`). latent.js lays out every tensor, weight and
// tap table in this module's memory and calls one export per layer; the layer arithmetic (which
// input pixel each kernel tap reads, Keras's padding) is worked out in latent.js and arrives
// here as tap tables. Four float32 lanes at a time, in float32 like Keras.

// Where latent.js may start placing its arrays: after this module's own static data.
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

// y[r, u] = bias[u] + sum_i x[r, i] w[i, u], for `rows` rows; then ReLU if relu != 0.
// w is (inner, units); units a multiple of 4 (latent.js runs its JavaScript step otherwise).
export function dense(x: usize, w: usize, bias: usize, y: usize, rows: i32, inner: i32,
  units: i32, relu: i32): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const out = y + <usize>(r * units) * 4;
    for (let u = 0; u < units; u += 4) {
      v128.store(out + <usize>u * 4, bias ? v128.load(bias + <usize>u * 4) : zero);
    }
    for (let i = 0; i < inner; i++) {
      const v = load<f32>(x + <usize>(r * inner + i) * 4);
      if (v == 0) continue;
      const s = f32x4.splat(v), row = w + <usize>(i * units) * 4;
      for (let u = 0; u < units; u += 4) {
        const at = out + <usize>u * 4;
        v128.store(at, f32x4.add(v128.load(at), f32x4.mul(s, v128.load(row + <usize>u * 4))));
      }
    }
    if (relu) {
      for (let u = 0; u < units; u += 4) {
        const at = out + <usize>u * 4;
        v128.store(at, f32x4.max(v128.load(at), zero));
      }
    }
  }
}

// A (transposed) convolution, vectorised over output channels: w is (kh, kw, cin, cout) with
// cout a multiple of 4. For output row oy the pairs (ky, iy) are rowPairs[rowStart[oy] ..
// rowStart[oy + 1]), likewise for columns; x is (h, wd, cin), y is (oh, ow, cout).
export function convOverOutputs(x: usize, w: usize, bias: usize, y: usize, wd: i32, cin: i32,
  oh: i32, ow: i32, cout: i32, kw: i32, rowStart: usize, rowPairs: usize, colStart: usize,
  colPairs: usize, relu: i32): void {
  const zero = f32x4.splat(0);
  const tapStride = <usize>(cin * cout) * 4;
  for (let oy = 0; oy < oh; oy++) {
    const r0 = load<i32>(rowStart + <usize>oy * 4), r1 = load<i32>(rowStart + <usize>(oy + 1) * 4);
    for (let ox = 0; ox < ow; ox++) {
      const c0 = load<i32>(colStart + <usize>ox * 4), c1 = load<i32>(colStart + <usize>(ox + 1) * 4);
      const out = y + <usize>((oy * ow + ox) * cout) * 4;
      let co = 0;
      // Sixteen channels at a time: each input value is loaded once for four vectors (2.5x
      // faster than the four-lane loop below alone, which takes the channels left over).
      for (; co + 16 <= cout; co += 16) {
        let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (let r = r0; r < r1; r += 2) {
          const ky = load<i32>(rowPairs + <usize>r * 4), iy = load<i32>(rowPairs + <usize>(r + 1) * 4);
          for (let c = c0; c < c1; c += 2) {
            const kx = load<i32>(colPairs + <usize>c * 4), ix = load<i32>(colPairs + <usize>(c + 1) * 4);
            const base = x + <usize>((iy * wd + ix) * cin) * 4;
            let j = w + <usize>(ky * kw + kx) * tapStride + <usize>co * 4;
            for (let ci = 0; ci < cin; ci++, j += <usize>cout * 4) {
              const v = load<f32>(base + <usize>ci * 4);
              if (v == 0) continue;
              const s = f32x4.splat(v);
              a0 = f32x4.add(a0, f32x4.mul(s, v128.load(j)));
              a1 = f32x4.add(a1, f32x4.mul(s, v128.load(j, 16)));
              a2 = f32x4.add(a2, f32x4.mul(s, v128.load(j, 32)));
              a3 = f32x4.add(a3, f32x4.mul(s, v128.load(j, 48)));
            }
          }
        }
        if (bias) {
          const b = bias + <usize>co * 4;
          a0 = f32x4.add(a0, v128.load(b)); a1 = f32x4.add(a1, v128.load(b, 16));
          a2 = f32x4.add(a2, v128.load(b, 32)); a3 = f32x4.add(a3, v128.load(b, 48));
        }
        if (relu) {
          a0 = f32x4.max(a0, zero); a1 = f32x4.max(a1, zero);
          a2 = f32x4.max(a2, zero); a3 = f32x4.max(a3, zero);
        }
        const at = out + <usize>co * 4;
        v128.store(at, a0); v128.store(at, a1, 16); v128.store(at, a2, 32); v128.store(at, a3, 48);
      }
      for (; co < cout; co += 4) {
        let a = zero;
        for (let r = r0; r < r1; r += 2) {
          const ky = load<i32>(rowPairs + <usize>r * 4), iy = load<i32>(rowPairs + <usize>(r + 1) * 4);
          for (let c = c0; c < c1; c += 2) {
            const kx = load<i32>(colPairs + <usize>c * 4), ix = load<i32>(colPairs + <usize>(c + 1) * 4);
            const base = x + <usize>((iy * wd + ix) * cin) * 4;
            let j = w + <usize>(ky * kw + kx) * tapStride + <usize>co * 4;
            for (let ci = 0; ci < cin; ci++, j += <usize>cout * 4) {
              const v = load<f32>(base + <usize>ci * 4);
              if (v == 0) continue;
              a = f32x4.add(a, f32x4.mul(f32x4.splat(v), v128.load(j)));
            }
          }
        }
        if (bias) a = f32x4.add(a, v128.load(bias + <usize>co * 4));
        if (relu) a = f32x4.max(a, zero);
        v128.store(out + <usize>co * 4, a);
      }
    }
  }
}

// The same, vectorised over input channels, for few output channels (the last layer's one):
// w is (kh, kw, cout, cin) with cin a multiple of 4.
export function convOverInputs(x: usize, w: usize, bias: usize, y: usize, wd: i32, cin: i32,
  oh: i32, ow: i32, cout: i32, kw: i32, rowStart: usize, rowPairs: usize, colStart: usize,
  colPairs: usize, relu: i32): void {
  const tapStride = <usize>(cout * cin) * 4;
  for (let oy = 0; oy < oh; oy++) {
    const r0 = load<i32>(rowStart + <usize>oy * 4), r1 = load<i32>(rowStart + <usize>(oy + 1) * 4);
    for (let ox = 0; ox < ow; ox++) {
      const c0 = load<i32>(colStart + <usize>ox * 4), c1 = load<i32>(colStart + <usize>(ox + 1) * 4);
      for (let co = 0; co < cout; co++) {
        let a = f32x4.splat(0);
        for (let r = r0; r < r1; r += 2) {
          const ky = load<i32>(rowPairs + <usize>r * 4), iy = load<i32>(rowPairs + <usize>(r + 1) * 4);
          for (let c = c0; c < c1; c += 2) {
            const kx = load<i32>(colPairs + <usize>c * 4), ix = load<i32>(colPairs + <usize>(c + 1) * 4);
            const base = x + <usize>((iy * wd + ix) * cin) * 4;
            const j = w + <usize>(ky * kw + kx) * tapStride + <usize>(co * cin) * 4;
            for (let ci = 0; ci < cin; ci += 4) {
              a = f32x4.add(a, f32x4.mul(v128.load(base + <usize>ci * 4), v128.load(j + <usize>ci * 4)));
            }
          }
        }
        let sum = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)
          + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
        if (bias) sum += load<f32>(bias + <usize>co * 4);
        if (relu && sum < 0) sum = 0;
        store<f32>(y + <usize>((oy * ow + ox) * cout + co) * 4, sum);
      }
    }
  }
}
