export { createServices, type Services, type ServicesOptions } from './create-services.js';
export { defaultEngineFactory, type EngineFactory } from './engine-pool.js';
export { writeRocPlot } from './plot-roc.js';
export { appDataDir, defaultProjectsDir } from './app-paths.js';
