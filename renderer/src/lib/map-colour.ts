// What the map's points are coloured by, and the legend that says what each colour means: categories (class,
// flag, decision) or a continuous scale (score). The drawing order puts what a reviewer looks for on top.
import type { MapPointInfo } from '../../../src/shared/curation-dto.js';
import { packRgb } from './map-render.js';

export const COLOUR_BY = ['class', 'score', 'flag', 'decision'] as const;
export type ColourBy = (typeof COLOUR_BY)[number];

export interface LegendEntry {
  label: string;
  colour: string;
  count: number;
}

export type Legend =
  | { kind: 'categories'; entries: LegendEntry[] }
  | { kind: 'scale'; scorer: string; low: number; high: number; stops: string[]; unscored: number };

export interface Colouring {
  colours: Uint32Array;
  order: Int32Array;
  legend: Legend;
}

const CLASS_PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#17becf',
];
const NONE = '#a0a6b0';
/** Viridis at nine stops: perceptually even and readable by colour-blind reviewers. */
export const SCORE_STOPS = [
  '#440154',
  '#472d7b',
  '#3b528b',
  '#2c728e',
  '#21918c',
  '#28ae80',
  '#5ec962',
  '#addc30',
  '#fde725',
];

/** The n-th categorical colour: the palette first, then hues a golden angle apart. */
export function categoryColour(n: number): string {
  if (n < CLASS_PALETTE.length) return CLASS_PALETTE[n]!;
  const hue = (n * 137.508) % 360;
  return hslHex(hue, 0.55, 0.5);
}

function hslHex(h: number, s: number, l: number): string {
  const f = (k: number) => {
    const a = s * Math.min(l, 1 - l);
    const m = (k + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(m - 3, 9 - m, 1))));
  };
  return `#${[f(0), f(8), f(4)].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Viridis at t in [0, 1], linearly between stops. */
export function scaleColour(t: number): string {
  const x = Math.max(0, Math.min(1, t)) * (SCORE_STOPS.length - 1);
  const i = Math.min(SCORE_STOPS.length - 2, Math.floor(x));
  const a = Number.parseInt(SCORE_STOPS[i]!.slice(1), 16);
  const b = Number.parseInt(SCORE_STOPS[i + 1]!.slice(1), 16);
  const f = x - i;
  const mix = (shift: number) => Math.round(((a >> shift) & 255) * (1 - f) + ((b >> shift) & 255) * f);
  return `#${[16, 8, 0].map((s) => mix(s).toString(16).padStart(2, '0')).join('')}`;
}

/** Categories: each point's category index, the labels and colours; later categories are drawn on top. */
function categorical(
  points: readonly MapPointInfo[],
  keyOf: (p: MapPointInfo) => number,
  names: readonly { label: string; colour: string }[],
): Colouring {
  const packed = names.map((c) => packRgb(c.colour));
  const counts = new Array<number>(names.length).fill(0);
  const keys = new Int32Array(points.length);
  const colours = new Uint32Array(points.length);
  points.forEach((p, i) => {
    const k = keyOf(p);
    keys[i] = k;
    counts[k]!++;
    colours[i] = packed[k]!;
  });
  const order = Int32Array.from(points.keys()).sort((a, b) => keys[a]! - keys[b]! || a - b);
  const entries = names.map((c, k) => ({ ...c, count: counts[k]! })).filter((e) => e.count > 0);
  return { colours, order, legend: { kind: 'categories', entries } };
}

function byClass(points: readonly MapPointInfo[]): Colouring {
  const classes = [...new Set(points.map((p) => p.class).filter((c): c is string => c !== null))].sort();
  const index = new Map(classes.map((c, i) => [c, i + 1]));
  const names = [
    { label: 'no class', colour: NONE },
    ...classes.map((c, i) => ({ label: c, colour: categoryColour(i) })),
  ];
  return categorical(points, (p) => (p.class === null ? 0 : index.get(p.class)!), names);
}

const FLAG_NAMES = [
  { label: 'not scored', colour: NONE },
  { label: 'not flagged', colour: '#4e79a7' },
  { label: 'flagged', colour: '#e15759' },
];
const DECISIONS = ['keep', 'relabel', 'unsure', 'reject'] as const;
const DECISION_NAMES = [
  { label: 'undecided', colour: NONE },
  { label: 'kept', colour: '#59a14f' },
  { label: 'relabelled', colour: '#f28e2b' },
  { label: 'unsure', colour: '#b07aa1' },
  { label: 'rejected', colour: '#e15759' },
];

/** Quantile of sorted values (nearest rank). */
function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}

/** Scores on viridis between the 1st and 99th percentile, so one extreme outlier does not flatten the rest. */
function byScore(points: readonly MapPointInfo[], scorer: string): Colouring {
  const scored = Float64Array.from(points.flatMap((p) => (p.score === null ? [] : [p.score]))).sort();
  const low = scored.length ? quantile(scored, 0.01) : 0;
  const high = scored.length ? quantile(scored, 0.99) : 1;
  const span = Math.max(1e-12, high - low);
  const lut = Uint32Array.from({ length: 256 }, (_, i) => packRgb(scaleColour(i / 255)));
  const none = packRgb(NONE);
  const colours = new Uint32Array(points.length);
  points.forEach((p, i) => {
    colours[i] = p.score === null ? none : lut[Math.round(255 * Math.max(0, Math.min(1, (p.score - low) / span)))]!;
  });
  const key = (i: number) => points[i]!.score ?? -Infinity;
  const order = Int32Array.from(points.keys()).sort((a, b) => key(a) - key(b) || a - b);
  return {
    colours,
    order,
    legend: { kind: 'scale', scorer, low, high, stops: SCORE_STOPS, unscored: points.length - scored.length },
  };
}

export function colourPoints(points: readonly MapPointInfo[], by: ColourBy, scorer: string): Colouring {
  if (by === 'class') return byClass(points);
  if (by === 'score') return byScore(points, scorer);
  if (by === 'flag') return categorical(points, (p) => (p.flagged === null ? 0 : p.flagged ? 2 : 1), FLAG_NAMES);
  return categorical(points, (p) => (p.decision ? DECISIONS.indexOf(p.decision) + 1 : 0), DECISION_NAMES);
}
