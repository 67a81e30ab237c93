import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({ utilityProcess: { fork: () => ({}) } }));
const { createUtilityEngineFactory } = await import('./engine-process.js');

class FakeUtility extends EventEmitter {
  pid = 4242;
  posted: unknown[] = [];
  killed = 0;
  postMessage(m: unknown) {
    this.posted.push(m);
  }
  kill() {
    this.killed++;
    this.emit('exit', 0);
    return true;
  }
}

describe('createUtilityEngineFactory', () => {
  it('adapts a utilityProcess to the engine client process interface', () => {
    const child = new FakeUtility();
    const forks: unknown[][] = [];
    const factory = createUtilityEngineFactory({
      env: { X: '1' },
      fork: (m, a, o) => {
        forks.push([m, a, o.serviceName, (o.env as Record<string, string> | undefined)?.X]);
        return child as never;
      },
    });
    const proc = factory('/app/dist-electron/src/engine/host/engine-main.js', ['{}']);
    expect(forks).toEqual([['/app/dist-electron/src/engine/host/engine-main.js', ['{}'], 'SSOD Audit engine', '1']]);
    expect(proc.pid).toBe(4242);
    const got: unknown[] = [];
    proc.onMessage((m) => got.push(m));
    child.emit('message', { type: 'ready', pid: 4242 });
    expect(got).toEqual([{ type: 'ready', pid: 4242 }]);
    proc.send({ type: 'status', id: 1 });
    expect(child.posted).toEqual([{ type: 'status', id: 1 }]);
    const exits: string[] = [];
    proc.onExit((d) => exits.push(d));
    proc.disconnect();
    expect(child.killed).toBe(1);
    expect(exits).toEqual(['exited with code 0']);
    proc.send({ type: 'status', id: 2 }); // after exit: dropped, not thrown
    proc.kill();
    expect(child.posted).toHaveLength(1);
    expect(child.killed).toBe(1);
  });

  it('refuses a TypeScript entry (Electron runs the built engine)', () => {
    const factory = createUtilityEngineFactory({ fork: () => new FakeUtility() as never });
    expect(() => factory('/repo/src/engine/host/engine-main.ts', [])).toThrow(/npm run build/);
  });
});
