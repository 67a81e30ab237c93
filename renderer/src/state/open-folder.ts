// A project for a folder of images, made from calls the services already have: created under the app's
// projects folder with a name taken from the folder, the folder added as training images and scanned.
import type { ProjectInfo } from '../../../src/shared/dto.js';
import { isAppError } from '../../../src/shared/errors.js';
import { backend } from '../lib/backend.js';

/** "My Photos 2024/" → "my-photos-2024": a folder name that is safe on every platform. */
export function projectSlug(folder: string): string {
  const base =
    folder
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  const slug = base
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug || 'images';
}

export async function openFolderProject(folder: string): Promise<ProjectInfo> {
  const api = backend().api;
  const trimmed = folder.trim();
  const root = (await api.projects.defaultFolder()).replace(/[\\/]+$/, '');
  const slug = projectSlug(trimmed);
  let info: ProjectInfo | null = null;
  for (let n = 1; n <= 50 && !info; n++) {
    try {
      info = await api.projects.create(`${root}/${n === 1 ? slug : `${slug}-${n}`}`, slug);
    } catch (error) {
      if (!isAppError(error, 'already-exists')) throw error;
    }
  }
  if (!info) throw new Error(`could not find a free project name for ${trimmed} in ${root}`);
  const source = await api.sources.add(trimmed, 'train');
  await api.jobs.scan(source.id);
  return info;
}
