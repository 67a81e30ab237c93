// Wall-clock time per phase of training and scoring, accumulated process-wide so that benchmarks can say what
// dominates (scripts/bench/heads-speed.ts prints it). Costs one performance.now() per phase boundary.
export const phaseMs: Record<string, number> = {};

export function resetPhases(): void {
  for (const k of Object.keys(phaseMs)) delete phaseMs[k];
}

/** Adds the time since `t0` to `name` and returns now, so calls chain: t = lap('a', t); ... t = lap('b', t). */
export function lap(name: string, t0: number): number {
  const now = performance.now();
  phaseMs[name] = (phaseMs[name] ?? 0) + (now - t0);
  return now;
}

export const now = (): number => performance.now();
