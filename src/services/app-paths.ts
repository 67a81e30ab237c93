// Where the app keeps its own state (recent projects, default projects folder). SSOD_HOME overrides it, which
// tests use so they never touch the real user directory.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function appDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SSOD_HOME) return env.SSOD_HOME;
  const home = homedir();
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'SSOD Audit');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'SSOD Audit');
  return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'ssod-audit');
}

export function defaultProjectsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(appDataDir(env), 'projects');
}
