// Time left in a scan whose files cost very different amounts: a file found unchanged is a stat and a lookup
// (thousands per second), a new or changed file is read, hashed and decoded (hundreds per second). One overall
// files/s says "two minutes" while a resumed scan runs through the files it already committed, and keeps saying
// far too little long after the slow part began. This fits seconds ≈ a·unchanged + b·probed over recent progress
// windows (weighted least squares, recent windows weigh more) and prices what is left of each kind. A kind this scan has
// not met yet (the new files of a resumed scan, while it still runs through the committed ones) is priced at what
// an earlier scan of the same folder measured, when there is one.

/** How far a scan is: files decided so far, by kind. */
export interface ScanTally {
  unchanged: number;
  /** Every other file: opened and probed, or an error decided from the walk. */
  probed: number;
}

/** What the estimate needs to know about what is left. */
export interface ScanRemaining {
  /** Files the scan will see in all (the counting walk's total, raised if the scan finds more). */
  total: number;
  /** Files the store already holds for this source (expected to be found unchanged); undefined when unknown. */
  known: number | undefined;
}

/** Seconds per file of each kind; null for a kind not measured. */
export interface ScanCosts {
  unchanged: number | null;
  probed: number | null;
}

/** Windows older than this weigh e⁻¹ as much as the newest: the estimate follows a machine whose load changes. */
const MEMORY_SECONDS = 60;

export class ScanEta {
  // Decayed sums of the normal equations for dt = a·du + b·dp.
  private suu = 0;
  private spp = 0;
  private sup = 0;
  private sut = 0;
  private spt = 0;
  private last: { t: number; tally: ScanTally } | null = null;
  private startT = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly prior: ScanCosts = { unchanged: null, probed: null },
  ) {}

  /** Marks the start of the scanning phase (the first window starts here). */
  start(tally: ScanTally = { unchanged: 0, probed: 0 }): void {
    this.startT = this.now();
    this.last = { t: this.startT, tally: { ...tally } };
  }

  /** Adds the window since the previous call; returns the seconds left, or null until a file is done. */
  sample(tally: ScanTally, left: ScanRemaining): number | null {
    const t = this.now();
    if (!this.last) this.start();
    const prev = this.last!;
    const dt = (t - prev.t) / 1000;
    const du = tally.unchanged - prev.tally.unchanged;
    const dp = tally.probed - prev.tally.probed;
    if (dt > 0 && du + dp > 0) {
      this.add(dt, du, dp);
      this.last = { t, tally: { ...tally } };
    }
    return this.estimate(tally, left);
  }

  private add(dt: number, du: number, dp: number): void {
    const keep = Math.exp(-dt / MEMORY_SECONDS);
    // Weighted by 1/files: windows are cut by the clock, so their file counts are what varies (a batch commit
    // stalls one window, the next catches up). Unweighted, the busy windows dominate and the cost comes out low;
    // weighted, a run of one kind gives exactly its seconds over its files.
    const w = 1 / (du + dp);
    this.suu = this.suu * keep + w * du * du;
    this.spp = this.spp * keep + w * dp * dp;
    this.sup = this.sup * keep + w * du * dp;
    this.sut = this.sut * keep + w * du * dt;
    this.spt = this.spt * keep + w * dp * dt;
  }

  /** The costs this scan measured (null for a kind it has not met): what a later scan may take as its prior. */
  measured(tally: ScanTally): ScanCosts {
    const c = this.costs(tally);
    return { unchanged: c && this.suu > 0 ? c.unchanged : null, probed: c && this.spp > 0 ? c.probed : null };
  }

  /** Seconds per file of each kind; a kind not met yet costs the prior, else what the scan so far cost per file. */
  costs(tally: ScanTally): { unchanged: number; probed: number } | null {
    const done = tally.unchanged + tally.probed;
    if (done === 0) return null;
    const average = (this.now() - this.startT) / 1000 / done;
    let a = this.suu > 0 ? this.sut / this.suu : (this.prior.unchanged ?? average);
    let b = this.spp > 0 ? this.spt / this.spp : (this.prior.probed ?? average);
    const det = this.suu * this.spp - this.sup * this.sup;
    if (this.suu > 0 && this.spp > 0 && det > 1e-9 * this.suu * this.spp) {
      a = (this.sut * this.spp - this.spt * this.sup) / det;
      b = (this.spt * this.suu - this.sut * this.sup) / det;
      // Noise can push one cost below zero: then that kind is free and the other carries the time.
      if (a < 0) [a, b] = [0, this.spt / this.spp];
      else if (b < 0) [a, b] = [this.sut / this.suu, 0];
    }
    return { unchanged: a, probed: b };
  }

  private estimate(tally: ScanTally, left: ScanRemaining): number | null {
    const c = this.costs(tally);
    if (!c) return null;
    const remaining = Math.max(0, left.total - tally.unchanged - tally.probed);
    const unchangedLeft = left.known === undefined ? 0 : Math.min(remaining, Math.max(0, left.known - tally.unchanged));
    if (left.known === undefined) {
      // Without the store's count, price what is left like the recent mix.
      const recent = tally.unchanged + tally.probed;
      const perFile = (c.unchanged * tally.unchanged + c.probed * tally.probed) / recent;
      return remaining * perFile;
    }
    return unchangedLeft * c.unchanged + (remaining - unchangedLeft) * c.probed;
  }
}
