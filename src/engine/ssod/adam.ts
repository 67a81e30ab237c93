// Adam with its moments in JavaScript. The heads are small (a few thousand parameters) and a step on wasm costs
// a fixed time per kernel: tf.train.adam spends about a dozen kernels per variable per step, this spends one
// read of each gradient and one upload of each updated variable. Same update rule and defaults as tf.train.adam.
import * as tf from '@tensorflow/tfjs';

export class JsAdam {
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();
  private readonly values = new Map<string, Float32Array>();
  private t = 0;

  constructor(
    private readonly vars: Record<string, tf.Variable>,
    private readonly learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = tf.backend().epsilon(),
  ) {
    for (const [name, x] of Object.entries(vars)) {
      this.values.set(name, Float32Array.from(x.dataSync() as Float32Array));
      this.m.set(name, new Float64Array(x.size));
      this.v.set(name, new Float64Array(x.size));
    }
  }

  /** One step on `f`; returns the loss, which the caller disposes. A variable that `f` does not reach takes a
   * zero gradient: its moments decay and it keeps moving with them, as under tf.train.adam. */
  minimize(f: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(f, Object.values(this.vars));
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    try {
      for (const [name, variable] of Object.entries(this.vars)) {
        const g = grads[variable.name];
        const w = this.values.get(name)!;
        const grad = g ? (g.dataSync() as Float32Array) : new Float32Array(w.length);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        for (let i = 0; i < w.length; i++) {
          const gi = grad[i]!;
          m[i] = this.beta1 * m[i]! + (1 - this.beta1) * gi;
          v[i] = this.beta2 * v[i]! + (1 - this.beta2) * gi * gi;
          w[i]! -= (this.learningRate * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + this.epsilon);
        }
        // A copy: the cpu backend would keep `w` itself, which the next step rewrites.
        const next = tf.tensor(w.slice(), variable.shape);
        variable.assign(next);
        next.dispose();
      }
    } finally {
      tf.dispose(Object.values(grads));
    }
    return value;
  }
}
