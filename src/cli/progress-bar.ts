// A one-line progress bar with rate and ETA on stderr, only on a TTY (pipes and --json stay clean).
import type { JobProgress } from '../shared/dto.js';
import { formatDuration } from '../shared/eta.js';

export interface ProgressBar {
  update(p: JobProgress): void;
  done(): void;
}

export function createProgressBar(stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY): ProgressBar {
  if (!enabled) return { update: () => {}, done: () => {} };
  let lastDraw = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - lastDraw < 100 && p.done < p.total) return;
      lastDraw = now;
      const width = 28;
      const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const filled = Math.round(frac * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const rate = p.rate > 0 ? `${p.rate.toFixed(p.rate < 10 ? 1 : 0)}/s` : '';
      const loss = p.loss !== undefined ? ` loss ${p.loss.toFixed(4)}` : '';
      const line = `${p.phase.padEnd(10)} ${bar} ${p.done}/${p.total} ${rate} ETA ${formatDuration(p.etaSeconds)}${loss}`;
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns || 100) - 1)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
