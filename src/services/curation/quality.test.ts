import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { qualityFlagsByImage, replaceQualityFlags } from '../../db/image-sets.js';
import { addScannedSource, scannedFile } from '../../db/testing.js';
import { createProject, type ProjectHandle } from '../project-handle.js';
import { refreshQualityFlags } from './quality.js';

let dir: string;
let project: ProjectHandle;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-quality-'));
  project = createProject(join(dir, 'project'));
});

afterEach(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('refreshQualityFlags', () => {
  it('with no statistics stored, clears every flag (nothing can be flagged)', () => {
    const { ids } = addScannedSource(project.db, join(dir, 'source'), 'train', [
      scannedFile('a/1.png'),
      scannedFile('a/2.png'),
    ]);
    replaceQualityFlags(project.db, [{ imageId: ids[0]!, flags: ['dark'] }]);
    expect(qualityFlagsByImage(project.db).size).toBe(1);
    refreshQualityFlags(project);
    expect(qualityFlagsByImage(project.db).size).toBe(0);
  });
});
