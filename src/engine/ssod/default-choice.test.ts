import { describe, expect, it } from 'vitest';
import { chooseSsodDefault, SWITCH_MARGIN } from './default-choice.js';

// Scores where ID is 0..9 and OOD is shifted by `sep`: a larger shift = a higher AUROC.
const id = Array.from({ length: 10 }, (_, i) => i);
const shifted = (sep: number): number[] => id.map((v) => v + sep);
const scores = (seps: Record<string, number>): [Record<string, number[]>, Record<string, number[]>] => [
  Object.fromEntries(Object.keys(seps).map((k) => [k, id])),
  Object.fromEntries(Object.entries(seps).map(([k, v]) => [k, shifted(v)])),
];

describe('chooseSsodDefault', () => {
  it('picks the SSOD estimate with the best mean AUROC over the OOD groups and says by how much', () => {
    const [i, near] = scores({ 'ssod-head': 2, 'ssod-density': 6, 'ssod-fused': 4, msp: 1 });
    const [, far] = scores({ 'ssod-head': 9, 'ssod-density': 9, 'ssod-fused': 9, msp: 9 });
    const c = chooseSsodDefault(i, { near, far }, 'head', 'validation');
    expect(c.chosen).toBe('density');
    expect(c.scorer).toBe('ssod-density');
    expect(c.runnerUp).toBe('ssod-fused');
    expect(c.margin).toBeGreaterThan(SWITCH_MARGIN);
    expect(c.byGroup!.near!['ssod-density']).toBeGreaterThan(c.byGroup!.near!['ssod-fused']!);
    expect(c.posthocBeatsSsod).toBe(false);
    expect(c.message).toContain('ssod = ssod-density');
  });
  it('keeps the configured estimate unless another beats it by more than the switch margin', () => {
    // 10 x 10 pairs: a shift of 1 more moves AUROC by ~0.1, far above the margin; equal shifts tie.
    const [i, ood] = scores({ 'ssod-head': 3, 'ssod-density': 3, 'ssod-fused': 3 });
    expect(chooseSsodDefault(i, { ood }, 'fused', 'validation').chosen).toBe('fused');
    const [i2, ood2] = scores({ 'ssod-head': 4, 'ssod-density': 3, 'ssod-fused': 3 });
    expect(chooseSsodDefault(i2, { ood: ood2 }, 'fused', 'validation').chosen).toBe('head');
  });
  it('says plainly when a post-hoc scorer beats every SSOD estimate', () => {
    const [i, ood] = scores({ 'ssod-head': 1, 'ssod-density': 2, 'ssod-fused': 2, rmds: 5, ssod: 9 });
    const c = chooseSsodDefault(i, { ood }, 'density', 'reviewed-ood');
    expect(c.posthocBeatsSsod).toBe(true);
    // `ssod` itself is an SSOD estimate, never a post-hoc rival.
    expect(c.bestPosthoc!.scorer).toBe('rmds');
    expect(c.bestPosthoc!.lead).toBeGreaterThan(0);
    expect(c.message).toMatch(/post-hoc scorer beats every SSOD estimate.*rmds/);
  });
  it('keeps the benchmark-validated default without OOD to measure on, and says why', () => {
    const c = chooseSsodDefault({ 'ssod-head': id }, {}, 'density', 'reviewed-ood');
    expect(c).toMatchObject({ chosen: 'density', basis: 'benchmark-default', posthocBeatsSsod: false });
    expect(c.auroc).toBeUndefined();
    expect(c.message).toContain('no OOD examples');
  });
});
