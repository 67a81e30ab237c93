// The Runs view's state: the selected run with its loss curve, and an evaluation on a labelled OOD folder
// arriving from its job's end.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { installFakeBackend } from '../dev/test-backend.js';
import { jobs } from './jobs.svelte.js';
import { project } from './project.svelte.js';
import { runs } from './runs.svelte.js';

beforeAll(async () => {
  installFakeBackend({ images: 60 });
  await project.load();
  await vi.waitFor(() => expect(runs.current).not.toBeNull());
});

describe('runs state', () => {
  it('shows the current run by default and another run when selected, each with its loss curve', async () => {
    expect(runs.selected?.id).toBe(runs.current?.id);
    expect(runs.selected?.lossCurve.length).toBeGreaterThan(1);
    const other = runs.list.find((r) => !r.isCurrent)!;
    await runs.select(other.id);
    expect(runs.selected?.id).toBe(other.id);
    // A new run keeps the selection where the person put it.
    const id = await jobs.train();
    await jobs.finished(id!);
    await vi.waitFor(() => expect(runs.list.length).toBe(3));
    expect(runs.selected?.id).toBe(other.id);
  });

  it('reports AUROC and FPR95 per scorer for a labelled OOD folder once its job ends', async () => {
    expect(runs.folderEval).toBeNull();
    runs.evaluating('/data/ood');
    const id = await jobs.evalFolders('/data/ood');
    await jobs.finished(id!);
    await vi.waitFor(() => expect(runs.folderEval).not.toBeNull());
    expect(runs.folderEval!.ood).toBe('/data/ood');
    expect(Object.keys(runs.folderEval!.report.perScorer)).toContain('ssod');
    expect(runs.folderEval!.report.roc.length).toBeGreaterThan(0);
  });
});
