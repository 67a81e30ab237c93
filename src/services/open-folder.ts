// "Open a folder of images": a project for a folder the person points at, kept in the app's own projects
// folder (never inside theirs, which is only read). The folder is checked first, so a file, a missing folder
// or a folder without images is refused before anything is created; opening the same folder again reopens
// its project. One subfolder per class makes it training data; loose images make an inbox to screen.
import { closeSync, openSync, readdirSync, readSync, statSync, type Dirent } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { addSource, listSources } from '../db/index.js';
import type { ProjectInfo, Role } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import { sniff, SNIFF_BYTES } from '../scan/sniff.js';
import type { ServiceContext } from './context.js';
import { runScan } from './jobs/scan-job.js';
import { createProject, isProjectFolder, openProject, type ProjectHandle } from './project-handle.js';

/** Files looked at before deciding a folder holds no images (enough for any real dataset's first folders). */
const PROBE_FILES = 400;

export interface FolderPlan {
  folder: string;
  role: Role;
  /** Where the project goes, and whether it is already there (the same folder opened before). */
  project: string;
  existing: boolean;
  name: string;
}

function isImage(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(SNIFF_BYTES);
    const n = readSync(fd, head, 0, SNIFF_BYTES, 0);
    return sniff(head.subarray(0, n)).kind === 'accepted';
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new AppError('refused', `cannot read ${dir}: permission denied`);
    throw new AppError('not-found', `cannot read ${dir} (${code ?? 'error'})`, { cause: error });
  }
}

/** Images directly inside the folder, and in its first-level subfolders (the classes). */
function findImages(folder: string): { loose: boolean; classes: boolean } {
  let budget = PROBE_FILES;
  const found = { loose: false, classes: false };
  const top = entries(folder);
  for (const e of top) {
    if (budget-- <= 0 || found.loose) break;
    if (e.isFile() && isImage(join(folder, e.name))) found.loose = true;
  }
  for (const d of top.filter((e) => e.isDirectory() && !e.name.startsWith('.'))) {
    if (found.classes || budget <= 0) break;
    for (const e of entries(join(folder, d.name))) {
      if (budget-- <= 0) break;
      if (e.isFile() && isImage(join(folder, d.name, e.name))) {
        found.classes = true;
        break;
      }
    }
  }
  return found;
}

function slugOf(folder: string): string {
  const slug = basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug || 'images';
}

/** Checks the folder and picks the project's place; creates nothing. */
export function planFolderProject(projectsDir: string, folder: string): FolderPlan {
  const abs = resolve(folder);
  let stat;
  try {
    stat = statSync(abs);
  } catch {
    throw new AppError('not-found', `no such folder: ${abs}`);
  }
  if (!stat.isDirectory())
    throw new AppError('invalid-argument', `not a folder: ${abs} (choose the folder that holds the images)`);
  const found = findImages(abs);
  if (!found.loose && !found.classes) {
    throw new AppError(
      'invalid-argument',
      `no images in ${abs}: put JPEG, PNG, WebP, GIF, TIFF or AVIF files in it, one subfolder per class`,
    );
  }
  const slug = slugOf(abs);
  for (let n = 1; n <= 100; n++) {
    const project = join(projectsDir, n === 1 ? slug : `${slug}-${n}`);
    if (!isProjectFolder(project)) {
      try {
        if (readdirSync(project).length > 0) continue; // a folder that is not ours: leave it alone
      } catch {
        // does not exist yet: free
      }
      return { folder: abs, role: found.classes ? 'train' : 'inbox', project, existing: false, name: basename(abs) };
    }
    if (ownsFolder(project, abs)) return { folder: abs, role: 'train', project, existing: true, name: basename(abs) };
  }
  throw new AppError('refused', `too many projects named ${slug} in ${projectsDir}`);
}

function ownsFolder(project: string, folder: string): boolean {
  let handle: ProjectHandle | null = null;
  try {
    handle = openProject(project);
    return listSources(handle.db).some((s) => s.path === folder);
  } catch {
    return false;
  } finally {
    handle?.close();
  }
}

/**
 * Opens (or creates) the folder's project and scans it in a job. `setProject` is the projects service's own
 * way of making a handle the open project (recent list, events).
 */
export function openFolderProject(
  ctx: ServiceContext,
  folder: string,
  setProject: (handle: ProjectHandle) => ProjectInfo,
): ProjectInfo {
  const running = ctx.jobs.active();
  if (running) throw new AppError('busy', `a ${running.kind} job is running; open the folder when it ends`);
  const plan = planFolderProject(join(ctx.dataDir, 'projects'), folder);
  const info = setProject(plan.existing ? openProject(plan.project) : createProject(plan.project, plan.name));
  const p = ctx.current();
  if (!plan.existing) addSource(p.db, plan.folder, plan.role);
  ctx.jobs.start('scan', (job) => runScan(p, job));
  return info;
}
