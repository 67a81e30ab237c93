// The fake backend's `curation` namespace: answers of the right shape, with nothing found, so the renderer can
// be developed and tested without services (the real answers come from src/services/curation-service.ts).
import type { Api } from '../../../src/shared/api.js';
import { DEFAULT_QUALITY_THRESHOLDS } from '../../../src/shared/curation-dto.js';

export function fakeCuration(): Api['curation'] {
  let thresholds = { ...DEFAULT_QUALITY_THRESHOLDS };
  return {
    duplicates: async () => ({ runId: 1, groups: [], skipped: 0 }),
    resolveDuplicates: async () => [],
    labelIssues: async () => ({ runId: 1, estimatedErrors: 0, issues: [] }),
    acceptSuggestions: async () => [],
    map: async (options) => ({ runId: 1, method: options?.method ?? 'umap', scorer: 'ssod', points: [] }),
    similar: async () => [],
    select: async (input) => ({ selectionId: 1, count: input.imageIds?.length ?? 0 }),
    quality: async () => ({ thresholds, counts: {}, images: [] }),
    setQualityThresholds: async (patch) => (thresholds = { ...thresholds, ...patch }),
    budget: async (reviews) => ({
      runId: 1,
      scorer: 'ssod',
      reviews,
      threshold: 0.5,
      flagged: reviews,
      expectedOod: null,
      belowThreshold: 0,
      auditDecided: 0,
      auditPending: 0,
      prevalence: null,
      estimatedMissed: null,
      missRate: null,
      curve: [],
    }),
    drawAudit: async () => [],
  };
}
