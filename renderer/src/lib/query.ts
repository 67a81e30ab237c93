// Review filters as the user sees them, turned into the service's ImageQuery.
import type { QualityFlag } from '../../../src/shared/curation-dto.js';
import type { DecisionFilter, ErrorCode, ImageQuery, ImageStatus, Role } from '../../../src/shared/dto.js';

/** A set of images kept by the services (curation.select): a lasso on the map, "more like this" hits. */
export interface GridSelection {
  id: number;
  count: number;
  /** Where it came from, for the chip ("lasso on the map"). */
  origin: string;
}

export interface Filters {
  class: string;
  sourceId: number | null;
  role: Role | '';
  decision: DecisionFilter | '';
  flagged: 'any' | 'yes' | 'no';
  status: ImageStatus | '';
  errorCode: ErrorCode | '';
  selection: GridSelection | null;
  quality: QualityFlag | '';
}

export const EMPTY_FILTERS: Filters = {
  class: '',
  sourceId: null,
  role: '',
  decision: '',
  flagged: 'any',
  status: '',
  errorCode: '',
  selection: null,
  quality: '',
};

export function toQuery(f: Filters, sortBy: string, order: 'asc' | 'desc', threshold: number | null): ImageQuery {
  const q: ImageQuery = { sortBy, order };
  if (f.class) q.class = f.class;
  if (f.sourceId !== null) q.sourceId = f.sourceId;
  if (f.role) q.role = f.role;
  if (f.decision) q.decision = f.decision;
  if (f.flagged !== 'any') q.flagged = f.flagged === 'yes';
  if (f.errorCode) {
    q.status = 'error';
    q.errorCode = f.errorCode;
  } else if (f.status) q.status = f.status;
  if (f.selection) q.selection = f.selection.id;
  if (f.quality) q.quality = f.quality;
  if (threshold !== null && Number.isFinite(threshold)) q.threshold = threshold;
  return q;
}

/** Stable key of a query without paging, to know when cached pages are stale. */
export function queryKey(q: ImageQuery): string {
  const { offset: _o, limit: _l, ...rest } = q;
  return JSON.stringify(
    Object.keys(rest)
      .sort()
      .map((k) => [k, rest[k as keyof typeof rest]]),
  );
}
