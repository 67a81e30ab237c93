// Rate and ETA per phase, and a throttle so a fast loop does not flood the IPC channel: at most one event per
// interval, plus the first and last of each phase.

export interface RateEta {
  rate: number;
  etaSeconds: number | null;
}

export class ProgressMeter {
  private phase = '';
  private start = 0;
  private startDone = 0;
  private lastSent = -Infinity;

  constructor(
    private readonly intervalMs = 200,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Returns the rate and ETA to send, or undefined when this update should be skipped. */
  sample(phase: string, done: number, total: number): RateEta | undefined {
    const t = this.now();
    if (phase !== this.phase) {
      this.phase = phase;
      this.start = t;
      this.startDone = done;
      this.lastSent = t;
      return { rate: 0, etaSeconds: null };
    }
    if (done < total && t - this.lastSent < this.intervalMs) return undefined;
    this.lastSent = t;
    const seconds = (t - this.start) / 1000;
    const progressed = done - this.startDone;
    if (seconds <= 0 || progressed <= 0) return { rate: 0, etaSeconds: null };
    const rate = progressed / seconds;
    return { rate, etaSeconds: Math.max(0, total - done) / rate };
  }
}
