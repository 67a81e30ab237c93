export {
  auroc,
  auprIn,
  auprOut,
  fpr95,
  fprAtTpr,
  idAccuracy,
  oodReport,
  rocCurve,
  thresholdAtPassRate,
  type OodReport,
  type RocPoint,
} from './ood-metrics.js';
