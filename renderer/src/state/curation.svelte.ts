// Curation state: duplicate groups, likely mislabelled images, the review budget and the embeddings map of the
// current run, with the one-key actions (keep the suggested copy and reject the rest; accept the suggested class).
import type { BudgetReport, DuplicateGroupDto, LabelIssueDto, MapReport } from '../../../src/shared/curation-dto.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';
import { settings } from './settings.svelte.js';
import { toasts } from './toasts.svelte.js';

class CurationState {
  groups = $state<DuplicateGroupDto[]>([]);
  issues = $state<LabelIssueDto[]>([]);
  estimatedErrors = $state(0);
  budget = $state<BudgetReport | null>(null);
  reviews = $state(100);
  loading = $state(false);
  /** Why a list is empty when it cannot load (e.g. "train first"). */
  problem = $state<string | null>(null);
  cursor = $state(0);
  /** The map as last loaded: raw (not deeply reactive), as it can hold 100,000 points. */
  map = $state.raw<MapReport | null>(null);
  mapMethod = $state<'umap' | 'pca'>('pca');
  mapLoading = $state(false);
  mapProblem = $state<string | null>(null);
  /** Decisions or a run changed what the map's colours mean since it loaded. */
  mapStale = false;
  /** Groups and images already acted on in this session (hidden from the lists). */
  private done = new Set<number>();

  constructor() {
    appEvents.on('project.opened', () => {
      this.groups = [];
      this.issues = [];
      this.budget = null;
      this.map = null;
      this.mapProblem = null;
      this.done.clear();
    });
    appEvents.on('run.changed', () => (this.mapStale = true));
    appEvents.on('decisions.changed', () => (this.mapStale = true));
  }

  /** The map by `method` (stored per run by the services: only the first call lays it out). */
  async loadMap(method: 'umap' | 'pca'): Promise<void> {
    this.mapMethod = method;
    this.mapLoading = true;
    this.mapProblem = null;
    this.mapStale = false;
    try {
      this.map = await backend().api.curation.map({ method });
    } catch (error) {
      this.map = null;
      this.mapProblem = error instanceof Error ? error.message : String(error);
    } finally {
      this.mapLoading = false;
    }
  }

  private async load<T>(work: () => Promise<T>): Promise<T | null> {
    this.loading = true;
    this.problem = null;
    try {
      return await work();
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
      return null;
    } finally {
      this.loading = false;
    }
  }

  async loadDuplicates(): Promise<void> {
    const r = await this.load(() => backend().api.curation.duplicates());
    if (r) this.groups = r.groups.filter((g) => !this.done.has(g.id));
    this.cursor = 0;
  }

  async resolveGroup(group: DuplicateGroupDto): Promise<void> {
    const reviewer = await settings.ensureReviewer();
    if (!reviewer) return;
    try {
      const events = await backend().api.curation.resolveDuplicates([group.id], reviewer);
      this.done.add(group.id);
      this.groups = this.groups.filter((g) => g.id !== group.id);
      this.cursor = Math.min(this.cursor, Math.max(0, this.groups.length - 1));
      toasts.push('info', `kept 1, rejected ${events.length} as duplicates`);
    } catch (error) {
      handleError(error, 'could not resolve the group');
    }
  }

  async loadIssues(): Promise<void> {
    const r = await this.load(() => backend().api.curation.labelIssues({ limit: 500 }));
    if (r) {
      this.issues = r.issues.filter((i) => !this.done.has(-i.imageId));
      this.estimatedErrors = r.estimatedErrors;
    }
    this.cursor = 0;
  }

  async acceptSuggestion(issue: LabelIssueDto): Promise<void> {
    const reviewer = await settings.ensureReviewer();
    if (!reviewer) return;
    try {
      await backend().api.curation.acceptSuggestions([issue.imageId], reviewer);
      this.done.add(-issue.imageId);
      this.issues = this.issues.filter((i) => i.imageId !== issue.imageId);
      this.cursor = Math.min(this.cursor, Math.max(0, this.issues.length - 1));
      toasts.push('info', `relabelled to ${issue.suggested}`);
    } catch (error) {
      handleError(error, 'could not relabel');
    }
  }

  async loadBudget(reviews: number): Promise<void> {
    this.reviews = reviews;
    const r = await this.load(() => backend().api.curation.budget(reviews));
    this.budget = r;
  }

  /** The audit sample drawn in this session, still to be decided here. */
  audit = $state<number[]>([]);

  async drawAudit(size: number): Promise<void> {
    try {
      const ids = await backend().api.curation.drawAudit(this.reviews, size);
      this.audit = [...this.audit, ...ids.filter((id) => !this.audit.includes(id))];
      toasts.push('info', `${ids.length} images drawn for the audit: decide each below`);
      await this.loadBudget(this.reviews);
    } catch (error) {
      handleError(error, 'could not draw an audit sample');
    }
  }

  /** An audit decision: OOD (reject) or in-distribution (keep); the budget's estimate follows. */
  async decideAudit(imageId: number, ood: boolean): Promise<void> {
    const reviewer = await settings.ensureReviewer();
    if (!reviewer) return;
    try {
      await backend().api.review.decide({
        imageIds: [imageId],
        action: ood ? 'reject' : 'keep',
        reviewer,
        note: 'audit sample',
      });
      this.audit = this.audit.filter((id) => id !== imageId);
      await this.loadBudget(this.reviews);
    } catch (error) {
      handleError(error, 'could not record the audit decision');
    }
  }

  move(delta: number, length: number): void {
    this.cursor = Math.max(0, Math.min(length - 1, this.cursor + delta));
  }
}

export const curation = new CurationState();
