// `labeling`: suggestions, labels, bulk accept and undo, new classes, calibration (src/shared/labeling-api.ts).
import type { LabelingService } from '../shared/labeling-api.js';
import { AppError } from '../shared/errors.js';
import type { ServiceContext } from './context.js';

export function createLabelingService(ctx: ServiceContext): LabelingService {
  const pending = (): never => {
    ctx.current();
    throw new AppError('refused', 'labeling is not available in this version yet');
  };
  return {
    classes: async () => pending(),
    createClass: async () => pending(),
    suggestions: async () => pending(),
    label: async () => pending(),
    accept: async () => pending(),
    previewBulk: async () => pending(),
    bulkAccept: async () => pending(),
    undoBatch: async () => pending(),
    batches: async () => pending(),
    calibration: async () => pending(),
    accuracy: async () => pending(),
  };
}
