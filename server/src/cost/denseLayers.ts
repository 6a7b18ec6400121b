/**
 * Linear layers from JSON weights, evaluated in plain JS: the one evaluator
 * behind the learned cost network (learnedNetwork.ts) and the placement
 * policy (plan/policyNetwork.ts). Both sidecars store PyTorch's nn.Linear
 * layout, weight[out][in] and bias[out] (y = W x + b), so one checker and one
 * packed form serve both.
 */

/** One nn.Linear as a sidecar stores it: weight[out][in], bias[out]. */
export interface LinearWeights {
  weight: number[][];
  bias: number[];
}

/** A layer packed for evaluation: W row-major (outDim × inDim), b. */
export interface Dense {
  w: Float64Array;
  b: Float64Array;
  inDim: number;
  outDim: number;
}

function finiteArray(v: unknown, len: number): boolean {
  return Array.isArray(v) && v.length === len && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Why `l` is not an outDim × inDim layer of finite numbers (`where` names it in the message), or undefined. */
export function checkLinear(l: unknown, inDim: number, outDim: number, where: string): string | undefined {
  const lin = l as Partial<LinearWeights> | null;
  if (!lin || typeof lin !== 'object') return `${where} is missing`;
  if (!Array.isArray(lin.weight) || lin.weight.length !== outDim || !lin.weight.every((row) => finiteArray(row, inDim))) {
    return `${where}.weight must be ${outDim}×${inDim} finite numbers`;
  }
  if (!finiteArray(lin.bias, outDim)) return `${where}.bias must be ${outDim} finite numbers`;
  return undefined;
}

/** Packs a layer; `cols` = [from, to) keeps only those input columns (a block of a concatenated input). */
export function packLinear(l: LinearWeights, cols?: readonly [number, number]): Dense {
  const [c0, c1] = cols ?? [0, l.weight[0].length];
  const outDim = l.weight.length;
  const inDim = c1 - c0;
  const w = new Float64Array(outDim * inDim);
  for (let o = 0; o < outDim; o++) w.set(l.weight[o].slice(c0, c1), o * inDim);
  return { w, b: Float64Array.from(l.bias), inDim, outDim };
}

/**
 * out = W x (+ b unless `bias` is false), then ReLU when `relu`; returns `out`.
 * x and out may be subarray views, but not the same memory.
 */
export function applyDense(l: Dense, x: ArrayLike<number>, out: Float64Array, relu: boolean, bias = true): Float64Array {
  const { w, b, inDim, outDim } = l;
  for (let o = 0; o < outDim; o++) {
    let acc = bias ? b[o] : 0;
    const base = o * inDim;
    for (let i = 0; i < inDim; i++) acc += w[base + i] * x[i];
    out[o] = relu && acc < 0 ? 0 : acc;
  }
  return out;
}
