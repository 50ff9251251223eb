// Gradients of the tfjs kernels the model uses. The Node build of @tensorflow/tfjs-core registers no gradient
// kernels (only the full @tensorflow/tfjs does, and its ESM register_all_gradients cannot be imported from Node),
// so the ones model.ts needs are registered here, after tfjs-core's own gradients/*_grad.ts (Apache-2.0).
// Matmuls need none: model.ts gives them a custom gradient.
import * as tf from '@tensorflow/tfjs-core';

type Saved = tf.Tensor[];
type Attrs = tf.NamedAttrMap;

/** Sums g over the axes along which `shape` was broadcast to g's shape, then reshapes to `shape`. */
function unbroadcast(g: tf.Tensor, shape: number[]): tf.Tensor {
  const rankDiff = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < rankDiff || (shape[i - rankDiff] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const reduced = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(reduced, shape);
}

const first = (saved: Saved, kernel: string, index = 0): tf.Tensor => {
  const t = saved[index];
  if (t === undefined) throw new Error(`gradient of ${kernel}: nothing saved at ${index}`);
  return t;
};

const single = (dy: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy);

function reductionAxes(attrs: Attrs, rank: number): number[] {
  const axis = attrs.axis as number | number[] | null | undefined;
  const list = axis === null || axis === undefined ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** dy of a reduction over `axes` of x, broadcast back to x's shape. */
function expandReduced(dy: tf.Tensor, x: tf.Tensor, axes: number[]): tf.Tensor {
  const shape = x.shape.map((n, i) => (axes.includes(i) ? 1 : n));
  return tf.mul(tf.reshape(dy, shape), tf.ones(x.shape));
}

const configs: tf.GradConfig[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved: Saved) => ({
      a: () => unbroadcast(single(dy), first(saved, 'Add').shape),
      b: () => unbroadcast(single(dy), first(saved, 'Add', 1).shape),
    }),
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved: Saved) => ({
      a: () => unbroadcast(single(dy), first(saved, 'Sub').shape),
      b: () => unbroadcast(tf.neg(single(dy)), first(saved, 'Sub', 1).shape),
    }),
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved: Saved) => {
      const a = first(saved, 'Multiply');
      const b = first(saved, 'Multiply', 1);
      return {
        a: () => unbroadcast(tf.mul(single(dy), tf.cast(b, 'float32')), a.shape),
        b: () => unbroadcast(tf.mul(single(dy), tf.cast(a, 'float32')), b.shape),
      };
    },
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved: Saved) => {
      const a = first(saved, 'RealDiv');
      const b = first(saved, 'RealDiv', 1);
      return {
        a: () => unbroadcast(tf.div(single(dy), b), a.shape),
        b: () => unbroadcast(tf.neg(tf.div(tf.mul(single(dy), a), tf.square(b))), b.shape),
      };
    },
  },
  {
    kernelName: tf.Neg,
    gradFunc: (dy) => ({ x: () => tf.neg(single(dy)) }),
  },
  {
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved) => ({ x: () => tf.mul(single(dy), tf.mul(first(saved, 'Square'), 2)) }),
  },
  {
    kernelName: tf.Sqrt,
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved) => ({ x: () => tf.div(single(dy), tf.mul(tf.sqrt(first(saved, 'Sqrt')), 2)) }),
  },
  {
    kernelName: tf.Rsqrt,
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved) => {
      const x = first(saved, 'Rsqrt');
      return { x: () => tf.mul(single(dy), tf.mul(tf.div(tf.rsqrt(x), x), -0.5)) };
    },
  },
  {
    kernelName: tf.Tanh,
    outputsToSave: [true],
    gradFunc: (dy, saved: Saved) => {
      const y = first(saved, 'Tanh');
      return { x: () => tf.mul(single(dy), tf.sub(1, tf.square(y))) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const x = first(saved, 'Mean');
      const axes = reductionAxes(attrs, x.rank);
      const count = axes.reduce((n, a) => n * (x.shape[a] ?? 1), 1);
      return { x: () => tf.div(expandReduced(single(dy), x, axes), count) };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const x = first(saved, 'Sum');
      return { x: () => expandReduced(single(dy), x, reductionAxes(attrs, x.rank)) };
    },
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved) => ({ x: () => tf.reshape(single(dy), first(saved, 'Reshape').shape) }),
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved: Saved, attrs: Attrs) => {
      const perm = attrs.perm as number[];
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => {
        inverse[p] = i;
      });
      return { x: () => tf.transpose(single(dy), inverse) };
    },
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const x = first(saved, 'Slice');
      const g = single(dy);
      const begin = attrs.begin as number[] | number;
      const starts = Array.isArray(begin) ? begin : [begin];
      const paddings = x.shape.map((n, i): [number, number] => {
        const b = starts[i] ?? 0;
        return [b, n - b - (g.shape[i] ?? 0)];
      });
      return { x: () => tf.pad(g, paddings) };
    },
  },
  {
    kernelName: tf.SplitV,
    gradFunc: (dy, _saved: Saved, attrs: Attrs) => ({
      x: () => tf.concat(Array.isArray(dy) ? dy : [dy], attrs.axis as number),
    }),
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const g = single(dy);
      const raw = attrs.axis as number;
      const axis = raw < 0 ? raw + g.rank : raw;
      const parts = tf.split(g, saved.map((t) => t.shape[axis] ?? 0), axis);
      const out: Record<string, () => tf.Tensor> = {};
      parts.forEach((p, i) => {
        out[String(i)] = () => p;
      });
      return out;
    },
  },
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const y = first(saved, 'Softmax');
      const g = single(dy);
      const dim = attrs.dim as number;
      return { logits: () => tf.mul(tf.sub(g, tf.sum(tf.mul(g, y), [dim], true)), y) };
    },
  },
  {
    kernelName: tf.Cast,
    gradFunc: (dy) => ({ x: () => tf.clone(single(dy)) }),
  },
];

let registered = false;

/** Registers the gradients above once (only where tfjs has none of its own for that kernel). */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of configs) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
}
