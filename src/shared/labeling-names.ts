// The rules a class name must follow, shared by the services (which refuse) and the app (which warns as you
// type): a class becomes a folder on export, on every platform, so it must be a name every file system holds.

/** Characters no folder name may hold on Windows, macOS or Linux, control characters included. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f\u007f]/;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_BYTES = 255;

/** Why `name` cannot be a class, or null when it can. */
export function classNameProblem(name: string): string | null {
  if (name.trim() === '') return 'a class name must not be empty';
  if (name !== name.trim()) return 'a class name must not start or end with a space';
  const bad = FORBIDDEN.exec(name);
  if (bad) {
    const shown = bad[0].charCodeAt(0) < 32 || bad[0] === '\u007f' ? 'a control character' : `'${bad[0]}'`;
    return `a class name cannot hold ${shown} (it becomes a folder on export)`;
  }
  if (name === '.' || name === '..' || name.endsWith('.')) return 'a class name must not end with a dot';
  if (RESERVED.test(name)) return `'${name}' is a reserved device name on Windows`;
  if (new TextEncoder().encode(name).length > MAX_BYTES) return `a class name must fit in ${MAX_BYTES} bytes`;
  return null;
}

/** The existing class that `name` clashes with by case alone (e.g. 'Cat' against 'cat'), or null. */
export function caseClash(name: string, existing: Iterable<string>): string | null {
  const folded = name.toLocaleLowerCase('en');
  for (const other of existing) {
    if (other !== name && other.toLocaleLowerCase('en') === folded) return other;
  }
  return null;
}
