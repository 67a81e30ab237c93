// The one-project-per-file setup most browser flows share: a generated, trained project (fixture.ts), a fresh
// app profile, and `ssod serve` for it, built once before the file's tests and removed after them.
import { test } from '@playwright/test';
import { freshProfile, makeProject, serve, tearDown, type Project, type Served } from './fixture.js';

export interface ServedProject {
  readonly project: Project;
  /** The app's data folder (SSOD_HOME) of this file's server and of any `ssod` call that must share it. */
  readonly home: string;
  readonly server: Served;
}

/** How big the generated project is (fixture.ts's defaults when left out). */
export interface ProjectSize {
  perClass?: number;
  inbox?: number;
}

/** Registers the file's beforeAll/afterAll; read the fields inside tests (they exist once beforeAll has run). */
export function useServedProject(size: ProjectSize = {}): ServedProject {
  let state: { project: Project; home: string; server: Served } | undefined;
  const ready = () => {
    if (!state) throw new Error('the served project is built in beforeAll: read it inside a test');
    return state;
  };
  test.beforeAll(async () => {
    // Building and training the project through the real CLI takes minutes on a loaded machine.
    test.setTimeout(15 * 60_000);
    const home = freshProfile();
    const project = await makeProject(size.perClass, size.inbox);
    state = { project, home, server: await serve(project.dir, home) };
  });
  test.afterAll(() => tearDown(state?.server, state?.project.root, state?.home));
  return {
    get project() {
      return ready().project;
    },
    get home() {
      return ready().home;
    },
    get server() {
      return ready().server;
    },
  };
}
