// Memory of the scanning process over time, for the large-scan benchmark (scan.ts): the kernel's view (resident
// anonymous memory = what the process itself allocated; resident file pages = mapped files such as SQLite's
// memory-mapped database, which the kernel can drop) and V8's (heap in use, buffers outside the heap). A peak
// that grows with the file count shows up as a rising series here, not just a bigger maximum.
import { readFileSync } from 'node:fs';

export interface MemorySample {
  /** Files scanned when the sample was taken. */
  files: number;
  rssMiB: number;
  anonMiB: number;
  fileMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

export interface MemoryPeaks {
  rssMiB: number;
  anonMiB: number;
  fileMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

const MIB = 2 ** 20;

/** RssAnon / RssFile from /proc/self/status in MiB (0 where the kernel does not report them). */
export function kernelMemory(status: string = readStatus()): { anonMiB: number; fileMiB: number } {
  const kib = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) / 1024 : 0;
  };
  return { anonMiB: kib('RssAnon'), fileMiB: kib('RssFile') + kib('RssShmem') };
}

function readStatus(): string {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

/** Samples every `intervalMs`; `files()` says how far the scan is, so the series reads against the file count. */
export class MemorySampler {
  readonly samples: MemorySample[] = [];
  readonly peaks: MemoryPeaks = { rssMiB: 0, anonMiB: 0, fileMiB: 0, heapUsedMiB: 0, externalMiB: 0 };
  /** Called with every sample and its index (e.g. to print every n-th). */
  onSample: ((s: MemorySample, index: number) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly files: () => number) {}

  start(intervalMs = 1000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  sample(): MemorySample {
    const m = process.memoryUsage();
    const k = kernelMemory();
    const s: MemorySample = {
      files: this.files(),
      rssMiB: m.rss / MIB,
      anonMiB: k.anonMiB,
      fileMiB: k.fileMiB,
      heapUsedMiB: m.heapUsed / MIB,
      externalMiB: m.external / MIB,
    };
    this.samples.push(s);
    this.onSample?.(s, this.samples.length - 1);
    for (const key of Object.keys(this.peaks) as (keyof MemoryPeaks)[])
      this.peaks[key] = Math.max(this.peaks[key], s[key]);
    return s;
  }

  /** Peaks over the samples taken once at least `from` files were scanned (the later part of a run). */
  peaksFrom(from: number): MemoryPeaks | null {
    const later = this.samples.filter((s) => s.files >= from);
    if (later.length === 0) return null;
    const max = (key: keyof MemoryPeaks): number => Math.max(...later.map((s) => s[key]));
    return {
      rssMiB: max('rssMiB'),
      anonMiB: max('anonMiB'),
      fileMiB: max('fileMiB'),
      heapUsedMiB: max('heapUsedMiB'),
      externalMiB: max('externalMiB'),
    };
  }
}

export function formatSample(s: MemorySample): string {
  return (
    `files ${s.files}: rss ${s.rssMiB.toFixed(0)} MiB (anon ${s.anonMiB.toFixed(0)}, file ${s.fileMiB.toFixed(0)}), ` +
    `heap ${s.heapUsedMiB.toFixed(0)}, external ${s.externalMiB.toFixed(0)}`
  );
}
