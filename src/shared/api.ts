// The one contract. src/services implements `Api`, one module per namespace (projects-service.ts …
// settings-service.ts); every caller — the renderer over Electron IPC or the HTTP bridge, the CLI over the
// in-process transport, tests — reaches it through `createClient<Api>(transport)` (src/rpc), and every call goes
// through the one dispatcher, which checks the arguments against the one schema (validate.ts) before a service
// runs. Every method is async and takes/returns plain JSON (see dto.ts). Long work (scan, train, score, export)
// starts a job and returns at once; progress and the outcome arrive as events, and `jobs.wait` resolves with the
// outcome for callers that want to block (the CLI).
import type { CurationService } from './curation-api.js';
import type { LabelingService } from './labeling-api.js';
import type {
  Action,
  DecisionInput,
  EvalReport,
  ExportOptions,
  Histogram,
  ImageDetail,
  ImagePage,
  ImageQuery,
  JobProgress,
  JobRef,
  JobResult,
  ProjectInfo,
  ProjectStatus,
  RecentProject,
  ReviewEvent,
  Role,
  RunDetail,
  RunDiff,
  RunSummary,
  Settings,
  SourceInfo,
  TrainOptions,
  VerifyResult,
} from './dto.js';

export interface ProjectService {
  /** The open project, or null. */
  current(): Promise<ProjectInfo | null>;
  create(path: string, name?: string): Promise<ProjectInfo>;
  open(path: string): Promise<ProjectInfo>;
  close(): Promise<void>;
  recent(): Promise<RecentProject[]>;
  status(): Promise<ProjectStatus>;
  /** Create (or open) a demo project at `path` (default: under the projects folder) with train + inbox sources. */
  createDemo(path?: string): Promise<ProjectInfo>;
  /** The default folder new projects go in. */
  defaultFolder(): Promise<string>;
  /**
   * A project for a folder of images, kept in the app's projects folder (never inside the folder, which is only
   * read): created the first time, reopened after; the folder is scanned in a job. Refuses a file, a missing
   * folder or one without images before creating anything.
   */
  openFolder(folder: string): Promise<ProjectInfo>;
}

export interface SourceService {
  list(): Promise<SourceInfo[]>;
  /** Registers the folder; call jobs.scan to read it. Refuses folders inside the project or another source. */
  add(folder: string, role: Role): Promise<SourceInfo>;
}

export interface ImageService {
  list(query: ImageQuery): Promise<ImagePage>;
  get(id: number): Promise<ImageDetail>;
  /** Resolve a path (absolute, or relative to a source) or a numeric id string to an image id. */
  resolve(ref: string): Promise<number>;
  histogram(scorer: string, bins: number, query?: ImageQuery): Promise<Histogram>;
  classes(): Promise<string[]>;
}

export interface ReviewService {
  /** One immediate transaction for all ids. Returns the appended events. */
  decide(input: DecisionInput): Promise<ReviewEvent[]>;
  /** Cancels the latest standing decision of each image (appends `undo` events). */
  undo(imageIds: number[], reviewer?: string): Promise<ReviewEvent[]>;
  history(imageId?: number, limit?: number): Promise<ReviewEvent[]>;
}

export interface RunService {
  list(): Promise<RunSummary[]>;
  get(id: number): Promise<RunDetail>;
  setCurrent(id: number): Promise<RunSummary>;
  /** Compare two runs (default: the current one against the one before it). */
  diff(runA?: number, runB?: number, limit?: number): Promise<RunDiff>;
  /** Metrics from reviewers' decisions: rejected = OOD, kept = ID. */
  evalFromReviews(idPassRate?: number): Promise<EvalReport>;
}

export interface JobService {
  scan(sourceId?: number): Promise<JobRef>;
  train(options: TrainOptions): Promise<JobRef>;
  score(): Promise<JobRef>;
  evalFolders(ood: string, id?: string): Promise<JobRef>;
  export(options: ExportOptions): Promise<JobRef>;
  cancel(jobId: string): Promise<void>;
  /** The job in progress, if any (one at a time). */
  active(): Promise<JobProgress | null>;
  wait(jobId: string): Promise<JobResult>;
}

export interface ExportService {
  verify(out: string): Promise<VerifyResult>;
}

export interface SettingsService {
  get(): Promise<Settings>;
  set(patch: Partial<Settings>): Promise<Settings>;
}

export interface Api {
  projects: ProjectService;
  sources: SourceService;
  images: ImageService;
  review: ReviewService;
  runs: RunService;
  jobs: JobService;
  exports: ExportService;
  settings: SettingsService;
  curation: CurationService;
  labeling: LabelingService;
}

/** Events pushed from the services to every client. */
export interface ApiEvents {
  'job.progress': JobProgress;
  'job.finished': JobResult;
  'run.done': RunSummary;
  'decision.made': { events: ReviewEvent[]; action: Action | 'undo' };
  'project.changed': ProjectInfo | null;
}

export type EventName = keyof ApiEvents;
export const EVENT_NAMES: readonly EventName[] = [
  'job.progress',
  'job.finished',
  'run.done',
  'decision.made',
  'project.changed',
];

export type ServiceName = keyof Api;
export const SERVICE_NAMES: readonly ServiceName[] = [
  'projects',
  'sources',
  'images',
  'review',
  'runs',
  'jobs',
  'exports',
  'settings',
  'curation',
  'labeling',
];

/** Image bytes are fetched by opaque id, never by path. */
export type ImageVariant = 'thumb' | 'full';
