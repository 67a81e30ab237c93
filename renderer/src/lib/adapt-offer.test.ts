import { describe, expect, it } from 'vitest';
import type { RunDetail } from '../../../src/shared/dto.js';
import { READAPT_AFTER_DECISIONS, adaptOffer } from './adapt-offer.js';

function run(id: number, adapt?: unknown): RunDetail {
  return { id, metrics: adapt ? { adapt } : {} } as unknown as RunDetail;
}

describe('adaptOffer', () => {
  it('has nothing to say without a run', () => {
    expect(adaptOffer(null, 5)).toBeNull();
  });

  it('says a heads run reads pretrained features and does not push re-adapting', () => {
    const offer = adaptOffer(run(2, { mode: 'heads', step: 'none', reason: 'heads mode was asked for' }), 100);
    expect(offer).toMatchObject({ mode: 'heads', recommended: false, decisionsSince: null });
    expect(offer?.reason).toBe('heads mode was asked for');
  });

  it('counts decisions since the top was trained, and recommends re-adapting from the threshold on', () => {
    const adapted = { mode: 'adapt', step: 'reuse', record: { trainedInRun: 3, seconds: 41, decisionsAtTraining: 10 } };
    const below = adaptOffer(run(5, adapted), 10 + READAPT_AFTER_DECISIONS - 1);
    expect(below).toMatchObject({ mode: 'adapt', decisionsSince: READAPT_AFTER_DECISIONS - 1, recommended: false });
    expect(below?.summary).toMatch(/in run #3/);
    expect(below?.adaptSeconds).toBe(41);
    expect(adaptOffer(run(5, adapted), 10 + READAPT_AFTER_DECISIONS)).toMatchObject({ recommended: true });
  });

  it('says "in this run" for a top trained by the current run, and never counts below zero (undone decisions)', () => {
    const adapted = { mode: 'adapt', step: 'train', record: { trainedInRun: 7, seconds: 12, decisionsAtTraining: 30 } };
    const offer = adaptOffer(run(7, adapted), 4);
    expect(offer?.summary).toMatch(/in this run/);
    expect(offer?.decisionsSince).toBe(0);
  });

  it('does not recommend when the run predates recording the decisions', () => {
    const adapted = { mode: 'adapt', record: { trainedInRun: 1, seconds: 9 } };
    expect(adaptOffer(run(1, adapted), 500)).toMatchObject({ decisionsSince: null, recommended: false });
  });
});
