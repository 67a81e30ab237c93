// `exports`: checking a finished export against its sha256 manifest (the export itself is a job).
import type { ExportService } from '../shared/api.js';
import { verifyExport } from './export/write-export.js';

export function createExportService(): ExportService {
  return {
    async verify(out) {
      return verifyExport(out);
    },
  };
}
