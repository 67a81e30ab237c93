// A small scanned project with review decisions, made through the services as the app would make it.
import { join } from 'node:path';
import { createServices } from '../../../src/services/index.js';

/** Creates PROJECT over SOURCE (role train), scans it and records `decisions` keep/reject decisions. */
export async function scannedProject(project: string, source: string, decisions = 20): Promise<void> {
  const services = createServices({ dataDir: join(project, '..', 'app-data') });
  try {
    const { api } = services;
    await api.projects.create(project, 'reliability');
    await api.settings.set({ reviewer: 'tester' });
    await api.sources.add(source, 'train');
    const job = await api.jobs.scan();
    const result = await api.jobs.wait(job.id);
    if (result.outcome !== 'done') throw new Error(`scan ${result.outcome}: ${result.error}`);
    const page = await api.images.list({ status: 'ok', sortBy: 'path', limit: decisions });
    for (const [i, row] of page.rows.entries()) {
      await api.review.decide({ imageIds: [row.id], action: i % 4 === 0 ? 'reject' : 'keep', reviewer: 'tester' });
    }
  } finally {
    await services.close();
  }
}
