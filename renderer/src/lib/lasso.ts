// The map's lasso: the same point-in-polygon test the services use for a selection (src/shared/curation-lasso.ts).
export { insidePolygon, lassoSelect, type Point } from '../../../src/shared/curation-lasso.js';
