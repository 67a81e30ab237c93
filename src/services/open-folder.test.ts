import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { addSource } from '../db/index.js';
import { isAppError } from '../shared/errors.js';
import { planFolderProject } from './open-folder.js';
import { createProject } from './project-handle.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function scratch(): { root: string; projects: string } {
  const root = mkdtempSync(join(tmpdir(), 'ssod-open-folder-'));
  dirs.push(root);
  return { root, projects: join(root, 'app', 'projects') };
}

const png = () =>
  sharp({ create: { width: 4, height: 4, channels: 3, background: '#888' } })
    .png()
    .toBuffer();

function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('planFolderProject', () => {
  it('refuses a missing folder, a file, and a folder without images, creating nothing', async () => {
    const { root, projects } = scratch();
    writeFileSync(join(root, 'notes.txt'), 'hello');
    mkdirSync(join(root, 'empty', 'cats'), { recursive: true });
    writeFileSync(join(root, 'empty', 'cats', 'fake.jpg'), 'not really a jpeg');
    expect(refusal(() => planFolderProject(projects, join(root, 'nowhere')))).toMatchObject({ code: 'not-found' });
    expect(refusal(() => planFolderProject(projects, join(root, 'notes.txt'))).message).toMatch(/not a folder/);
    expect(refusal(() => planFolderProject(projects, join(root, 'empty'))).message).toMatch(/no images in/);
  });

  it('takes class subfolders as training images and loose images as an inbox, named after the folder', async () => {
    const { root, projects } = scratch();
    mkdirSync(join(root, 'My Shoes', 'boots'), { recursive: true });
    writeFileSync(join(root, 'My Shoes', 'boots', 'a.png'), await png());
    mkdirSync(join(root, 'loose'));
    writeFileSync(join(root, 'loose', 'b'), await png()); // no extension: the content decides
    expect(planFolderProject(projects, join(root, 'My Shoes'))).toMatchObject({
      role: 'train',
      project: join(projects, 'my-shoes'),
      existing: false,
      name: 'My Shoes',
    });
    expect(planFolderProject(projects, join(root, 'loose'))).toMatchObject({ role: 'inbox', existing: false });
  });

  it('reopens the project made for the same folder, and never reuses another folder’s', async () => {
    const { root, projects } = scratch();
    for (const name of ['a/shoes', 'b/shoes']) {
      mkdirSync(join(root, name, 'boots'), { recursive: true });
      writeFileSync(join(root, name, 'boots', 'x.png'), await png());
    }
    const first = planFolderProject(projects, join(root, 'a', 'shoes'));
    const handle = createProject(first.project, first.name);
    addSource(handle.db, first.folder, first.role);
    handle.close();
    expect(planFolderProject(projects, join(root, 'a', 'shoes'))).toMatchObject({
      project: first.project,
      existing: true,
    });
    expect(planFolderProject(projects, join(root, 'b', 'shoes'))).toMatchObject({
      project: join(projects, 'shoes-2'),
      existing: false,
    });
  });
});
