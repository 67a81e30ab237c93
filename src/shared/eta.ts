// Rate and ETA for progress displays (CLI bar, UI). Pure: the caller passes the clock so it stays testable.

export interface RateSample {
  rate: number;
  etaSeconds: number | null;
}

/** Smoothed items/s over the phase so far; ETA from the remaining count. */
export class RateMeter {
  private start: number | null = null;
  private startDone = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  reset(): void {
    this.start = null;
  }

  sample(done: number, total: number): RateSample {
    const t = this.now();
    if (this.start === null) {
      this.start = t;
      this.startDone = done;
      return { rate: 0, etaSeconds: null };
    }
    const seconds = (t - this.start) / 1000;
    const progressed = done - this.startDone;
    if (seconds <= 0 || progressed <= 0) return { rate: 0, etaSeconds: null };
    const rate = progressed / seconds;
    const remaining = Math.max(0, total - done);
    return { rate, etaSeconds: total > 0 ? remaining / rate : null };
  }
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
