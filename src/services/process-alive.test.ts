import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { processIsAlive } from './process-alive.js';

describe('processIsAlive', () => {
  it('is true for this process and a running child, false once the child has exited', async () => {
    expect(processIsAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const pid = child.pid!;
    expect(processIsAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(processIsAlive(pid)).toBe(false);
  });
});
