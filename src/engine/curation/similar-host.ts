// What the "more like this" thread does with each question: keeps one open session (the contents of one key),
// opens another when the key changes, reopens when the feature cache gained records, and answers in order.
import type { ProgressFn } from '../types.js';
import type { Neighbour } from './neighbour-index.js';
import { SimilarSession } from './similar-session.js';
import type { SimilarAsk } from './worker-protocol.js';

export class SimilarHost {
  private session: SimilarSession | null = null;
  private key: string | null = null;
  /** Questions run one after another: a session is opened once even when several arrive together. */
  private queue: Promise<unknown> = Promise.resolve();

  answer(ask: Omit<SimilarAsk, 'id'>, onProgress?: ProgressFn): Promise<Neighbour[] | 'need-place'> {
    const next = this.queue.then(() => this.answerNow(ask, onProgress));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async answerNow(ask: Omit<SimilarAsk, 'id'>, onProgress?: ProgressFn): Promise<Neighbour[] | 'need-place'> {
    if (ask.place && (ask.key !== this.key || !this.session)) await this.replace(ask.key, ask.place, onProgress);
    else if (ask.key !== this.key || !this.session) return 'need-place';
    else if (await this.session.stale()) await this.replace(ask.key, this.session.place, onProgress);
    return this.session!.query(ask.query, ask.k);
  }

  private async replace(key: string, place: SimilarSession['place'], onProgress?: ProgressFn): Promise<void> {
    await this.close();
    this.session = await SimilarSession.open(place, onProgress);
    this.key = key;
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = null;
    this.key = null;
    await s?.close();
  }
}
