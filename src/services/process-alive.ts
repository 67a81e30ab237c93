// Whether a process on this machine still runs, for telling a live run from one its process left behind.

/** True when `pid` runs: signal 0 checks without sending anything; EPERM means alive but another user's. */
export function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
