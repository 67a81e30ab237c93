// Adam with a learning rate per variable (the pretrained top moves gently, the new heads fast) and a state that
// a checkpoint can save and restore, with its moments in JavaScript like ../ssod/adam.ts (one gradient read and
// one upload per variable per step: fewer wasm kernels than tf.train.adam).
import * as tf from '@tensorflow/tfjs';

export interface AdamState {
  t: number;
  /** Per variable name: first and second moments. */
  moments: Record<string, { m: Float32Array; v: Float32Array }>;
}

export class GroupAdam {
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private t = 0;

  constructor(
    private readonly vars: Record<string, tf.Variable>,
    private readonly rateOf: (name: string) => number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-7,
  ) {
    for (const [name, x] of Object.entries(vars)) {
      this.m.set(name, new Float32Array(x.size));
      this.v.set(name, new Float32Array(x.size));
    }
  }

  /** One step on `f`; returns the loss value. Nothing moves when the loss is not finite (the caller stops). */
  minimize(f: () => tf.Scalar): number {
    const names = Object.keys(this.vars);
    const { value, grads } = tf.variableGrads(
      f,
      names.map((n) => this.vars[n]!),
    );
    try {
      const loss = value.dataSync()[0]!;
      if (!Number.isFinite(loss)) return loss;
      this.t++;
      const c1 = 1 - this.beta1 ** this.t;
      const c2 = 1 - this.beta2 ** this.t;
      for (const name of names) {
        const variable = this.vars[name]!;
        const g = grads[variable.name];
        if (!g) continue;
        const grad = g.dataSync() as Float32Array;
        const w = Float32Array.from(variable.dataSync() as Float32Array);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const lr = this.rateOf(name);
        for (let i = 0; i < w.length; i++) {
          const gi = grad[i]!;
          m[i] = this.beta1 * m[i]! + (1 - this.beta1) * gi;
          v[i] = this.beta2 * v[i]! + (1 - this.beta2) * gi * gi;
          w[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + this.epsilon);
        }
        const next = tf.tensor(w, variable.shape);
        variable.assign(next);
        next.dispose();
      }
      return loss;
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  }

  state(): AdamState {
    const moments: AdamState['moments'] = {};
    for (const name of this.m.keys()) moments[name] = { m: this.m.get(name)!.slice(), v: this.v.get(name)!.slice() };
    return { t: this.t, moments };
  }

  restore(state: AdamState): void {
    this.t = state.t;
    for (const [name, { m, v }] of Object.entries(state.moments)) {
      if (this.m.get(name)?.length === m.length) this.m.set(name, m.slice());
      if (this.v.get(name)?.length === v.length) this.v.set(name, v.slice());
    }
  }
}
