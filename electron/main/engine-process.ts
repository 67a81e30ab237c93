// The engine runs in an Electron utilityProcess (a Node process Chromium supervises) instead of child_process:
// a crash or a long fit never freezes the UI, and packaged apps need no separate Node binary. It plugs into the
// engine client as an EngineProcessFactory; engine-main talks over process.parentPort when it has one.
import { utilityProcess, type UtilityProcess } from 'electron';
import type { EngineProcess, EngineProcessFactory } from '../../src/engine/host/engine-client.js';

export interface UtilityEngineOptions {
  /** Extra environment for the engine (e.g. TF_CPP_MIN_LOG_LEVEL). */
  env?: Record<string, string>;
  /** Injected in tests; Electron's utilityProcess.fork otherwise. */
  fork?: (modulePath: string, args: string[], options: Electron.ForkOptions) => UtilityProcess;
}

export function createUtilityEngineFactory(options: UtilityEngineOptions = {}): EngineProcessFactory {
  const fork = options.fork ?? ((m, a, o) => utilityProcess.fork(m, a, o));
  return (modulePath, args): EngineProcess => {
    if (modulePath.endsWith('.ts')) {
      throw new Error(`the engine entry must be built JavaScript in Electron (got ${modulePath}); run npm run build`);
    }
    const child = fork(modulePath, args, {
      serviceName: 'SSOD Audit engine',
      stdio: 'inherit',
      env: { ...process.env, ...options.env },
    });
    let exited = false;
    return {
      get pid() {
        return child.pid;
      },
      send: (msg) => {
        if (!exited) child.postMessage(msg);
      },
      onMessage: (fn) => {
        child.on('message', (message: unknown) => fn(message));
      },
      onExit: (fn) => {
        child.once('exit', (code: number) => {
          exited = true;
          fn(`exited with code ${code}`);
        });
      },
      // A utility process has no IPC disconnect to notice; ask it to terminate instead.
      disconnect: () => {
        if (!exited) child.kill();
      },
      kill: () => {
        if (!exited) child.kill();
      },
    };
  };
}
