// The machine line every benchmark prints beside its figures: cores, CPU model (/proc/cpuinfo), memory, Node,
// load average (the shared machine is often busy: figures vary with it), date, and the exact command.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

export function machineLine(): string {
  return (
    `machine: ${availableParallelism()} cores, ${cpuModel()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; date ${new Date().toISOString()}`
  );
}

export function commandLine(script: string): string {
  return `command: npm run ${script}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
}
