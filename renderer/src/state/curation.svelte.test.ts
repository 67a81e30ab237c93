// Curation state: what the views list and what their one-key actions do to the lists (an acted-on group or image
// stays hidden when the list reloads), why a list is empty when it cannot load, the budget's audit sample, and
// when the map goes stale or is cleared.
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DuplicateGroupDto, LabelIssueDto } from '../../../src/shared/curation-dto.js';
import { AppError } from '../../../src/shared/errors.js';
import { installFakeBackend, type TestBackend } from '../dev/test-backend.js';
import { appEvents } from './app-events.js';
import { curation } from './curation.svelte.js';
import { project } from './project.svelte.js';
import { settings } from './settings.svelte.js';

let fake: TestBackend;

const image = (imageId: number) => ({ imageId, path: `a/${imageId}.png`, class: 'a', role: 'train' as const });
const group = (id: number): DuplicateGroupDto => ({
  id,
  kind: 'exact',
  similarity: 1,
  relations: ['within-class'],
  keeper: id * 10,
  keeperReason: 'largest',
  images: [id * 10, id * 10 + 1].map((i) => ({ ...image(i), width: 8, height: 8 })),
});
const issue = (imageId: number): LabelIssueDto => ({
  ...image(imageId),
  label: 'a',
  suggested: 'b',
  suggestedProb: 0.9,
  score: 0.8,
  isIssue: true,
});

beforeAll(async () => {
  fake = installFakeBackend({ images: 20 });
  await project.load();
  await settings.saveOrThrow({ reviewer: 'curator' });
});

beforeEach(() => {
  vi.restoreAllMocks();
  appEvents.emit('project.opened', project.info);
});

describe('curation state', () => {
  it('resolves a duplicate group, keeps it hidden on reload, and keeps the cursor in the list', async () => {
    vi.spyOn(fake.api.curation, 'duplicates').mockResolvedValue({ runId: 1, groups: [group(1), group(2)], skipped: 0 });
    const resolve = vi.spyOn(fake.api.curation, 'resolveDuplicates').mockResolvedValue([]);
    await curation.loadDuplicates();
    expect(curation.groups.map((g) => g.id)).toEqual([1, 2]);
    curation.move(5, curation.groups.length);
    expect(curation.cursor).toBe(1);
    await curation.resolveGroup(curation.groups[1]!);
    expect(resolve).toHaveBeenCalledWith([2], 'curator');
    expect([curation.groups.map((g) => g.id), curation.cursor]).toEqual([[1], 0]);
    await curation.loadDuplicates();
    expect(curation.groups.map((g) => g.id)).toEqual([1]);
  });

  it('says why a list is empty when it cannot load', async () => {
    vi.spyOn(fake.api.curation, 'duplicates').mockRejectedValue(new AppError('no-run', 'train first'));
    await curation.loadDuplicates();
    expect(curation.problem).toMatch(/train first/);
    expect([curation.loading, curation.groups]).toEqual([false, []]);
  });

  it('accepts a suggested class, and the image stays out of the reloaded list', async () => {
    vi.spyOn(fake.api.curation, 'labelIssues').mockResolvedValue({
      runId: 1,
      estimatedErrors: 2,
      issues: [issue(3), issue(4)],
    });
    const accept = vi.spyOn(fake.api.curation, 'acceptSuggestions').mockResolvedValue([]);
    await curation.loadIssues();
    expect([curation.issues.length, curation.estimatedErrors]).toEqual([2, 2]);
    await curation.acceptSuggestion(curation.issues[0]!);
    expect(accept).toHaveBeenCalledWith([3], 'curator');
    await curation.loadIssues();
    expect(curation.issues.map((i) => i.imageId)).toEqual([4]);
  });

  it('draws an audit sample once per image, records each audit decision, and reloads the budget', async () => {
    const budget = vi.spyOn(fake.api.curation, 'budget');
    vi.spyOn(fake.api.curation, 'drawAudit').mockResolvedValueOnce([5, 6]).mockResolvedValueOnce([6, 7]);
    const decide = vi.spyOn(fake.api.review, 'decide');
    await curation.loadBudget(40);
    expect([curation.reviews, curation.budget?.reviews]).toEqual([40, 40]);
    await curation.drawAudit(2);
    await curation.drawAudit(2);
    expect(curation.audit).toEqual([5, 6, 7]);
    await curation.decideAudit(6, true);
    expect(decide).toHaveBeenCalledWith(
      expect.objectContaining({ imageIds: [6], action: 'reject', reviewer: 'curator', note: 'audit sample' }),
    );
    expect(curation.audit).toEqual([5, 7]);
    expect(budget).toHaveBeenLastCalledWith(40);
    expect(budget).toHaveBeenCalledTimes(4);
  });

  it('loads the map, goes stale when decisions change, and clears when a project opens', async () => {
    await curation.loadMap('umap');
    expect([curation.map?.method, curation.mapStale, curation.mapProblem]).toEqual(['umap', false, null]);
    appEvents.emit('decisions.changed', { imageIds: [1] });
    expect(curation.mapStale).toBe(true);
    vi.spyOn(fake.api.curation, 'map').mockRejectedValue(new AppError('no-run', 'train first'));
    await curation.loadMap('pca');
    expect([curation.map, curation.mapProblem, curation.mapLoading]).toEqual([null, 'train first', false]);
    await curation.loadDuplicates();
    appEvents.emit('project.opened', project.info);
    expect([curation.groups, curation.issues, curation.budget, curation.map]).toEqual([[], [], null, null]);
  });
});
