import { describe, expect, it } from 'vitest';
import { ScanEta, type ScanTally } from './scan-eta.js';

/** Drives a ScanEta on a fake clock: each step is `ms` milliseconds in which `du` unchanged and `dp` probed files finish. */
function drive(
  steps: { ms: number; du: number; dp: number; n: number }[],
  left: { total: number; known: number | undefined },
) {
  let t = 0;
  const eta = new ScanEta(() => t);
  const tally: ScanTally = { unchanged: 0, probed: 0 };
  eta.start();
  let last: number | null = null;
  for (const s of steps) {
    for (let i = 0; i < s.n; i++) {
      t += s.ms;
      tally.unchanged += s.du;
      tally.probed += s.dp;
      last = eta.sample(tally, left);
    }
  }
  return { eta, tally, last, t };
}

describe('ScanEta', () => {
  it('says nothing before a file is done', () => {
    const t = 0;
    const eta = new ScanEta(() => t);
    eta.start();
    expect(eta.sample({ unchanged: 0, probed: 0 }, { total: 100, known: 0 })).toBeNull();
  });

  it('prices a cold scan at its steady rate', () => {
    // 100 files/s in 200 ms windows; 10,000 files, 600 done.
    const { last } = drive([{ ms: 200, du: 0, dp: 20, n: 30 }], { total: 10_000, known: 0 });
    expect(last).toBeCloseTo((10_000 - 600) / 100, 6);
  });

  it('prices a resumed scan by kind: the committed files went fast, the rest will not', () => {
    // 1,000 committed files found unchanged at 1,000/s, then new files at 100/s for 2 s.
    const { last, tally, t } = drive(
      [
        { ms: 200, du: 200, dp: 0, n: 5 },
        { ms: 200, du: 0, dp: 20, n: 10 },
      ],
      { total: 2_000, known: 1_000 },
    );
    const truth = (2_000 - 1_000 - 200) / 100; // 8 s of new files left
    expect(last).toBeCloseTo(truth, 6);
    // One overall rate would have said about a quarter of that.
    const overall = (2_000 - tally.unchanged - tally.probed) / ((tally.unchanged + tally.probed) / (t / 1000));
    expect(overall).toBeLessThan(truth / 3);
  });

  it('separates the two costs when every window mixes both kinds', () => {
    // unchanged 1 ms each, probed 10 ms each; windows of varying mix.
    let t = 0;
    const eta = new ScanEta(() => t);
    const tally: ScanTally = { unchanged: 0, probed: 0 };
    eta.start();
    const mixes = [
      [50, 15],
      [150, 5],
      [10, 19],
      [100, 10],
    ];
    for (let i = 0; i < 40; i++) {
      const [du, dp] = mixes[i % mixes.length]!;
      t += du! * 1 + dp! * 10;
      tally.unchanged += du!;
      tally.probed += dp!;
      eta.sample(tally, { total: 1e6, known: 1e5 });
    }
    const c = eta.costs(tally)!;
    expect(c.unchanged).toBeCloseTo(0.001, 6);
    expect(c.probed).toBeCloseTo(0.01, 6);
  });

  it('without the store count, prices what is left like the mix so far', () => {
    const { last } = drive([{ ms: 200, du: 0, dp: 20, n: 10 }], { total: 1_000, known: undefined });
    expect(last).toBeCloseTo((1_000 - 200) / 100, 6);
  });

  it('follows a change of speed instead of averaging over the whole scan', () => {
    // 100 files/s for 5 minutes, then the machine gets busy: 25 files/s for 5 minutes.
    const { last } = drive(
      [
        { ms: 1000, du: 0, dp: 100, n: 300 },
        { ms: 1000, du: 0, dp: 25, n: 300 },
      ],
      { total: 1_000_000, known: 0 },
    );
    const left = 1_000_000 - 300 * 125;
    // Within 10% of the current rate's answer; the whole-run average (62.5/s) would be 37.5% short.
    expect(last! / (left / 25)).toBeGreaterThan(0.9);
  });

  it("prices new files it has not met yet at an earlier scan's cost", () => {
    // A resume: 1,000 committed files found unchanged at 1,000/s so far; an earlier scan measured 10 ms per new file.
    let t = 0;
    const eta = new ScanEta(() => t, { unchanged: null, probed: 0.01 });
    eta.start();
    const tally: ScanTally = { unchanged: 0, probed: 0 };
    let last: number | null = null;
    for (let i = 0; i < 3; i++) {
      t += 200;
      tally.unchanged += 200;
      last = eta.sample(tally, { total: 2_000, known: 1_000 });
    }
    // 400 unchanged left at 1 ms, 1,000 new at 10 ms.
    expect(last).toBeCloseTo(400 * 0.001 + 1_000 * 0.01, 6);
    const measured = eta.measured(tally);
    expect(measured.unchanged).toBeCloseTo(0.001, 9);
    expect(measured.probed).toBeNull();
  });

  it('prices bursty progress at its seconds over its files', () => {
    // Windows cut by the clock (200 ms) while files arrive in bursts: 5, 60, 5, 60, ... (a commit stalls one).
    let t = 0;
    const eta = new ScanEta(() => t);
    eta.start();
    const tally: ScanTally = { unchanged: 0, probed: 0 };
    for (let i = 0; i < 50; i++) {
      t += 200;
      tally.probed += i % 2 === 0 ? 5 : 60;
      eta.sample(tally, { total: 1e6, known: 0 });
    }
    // 10 s for 1,625 files, within 1% (recent windows weigh a little more); unweighted it came out 42% low.
    expect(Math.abs(eta.costs(tally)!.probed / (10 / 1625) - 1)).toBeLessThan(0.01);
  });
});
