// `ssod eval --plot FILE`: ROC curves as a PNG (or SVG by extension), drawn as SVG and rasterised with sharp.
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { EvalReport } from '../shared/dto.js';

const COLOURS = ['#e6550d', '#3182bd', '#31a354', '#756bb1', '#636363', '#d6616b', '#8c6d31'];

export function rocSvg(report: EvalReport, width = 640, height = 520): string {
  const m = { l: 60, r: 180, t: 30, b: 50 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const x = (v: number): number => m.l + v * w;
  const y = (v: number): number => m.t + (1 - v) * h;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="14">ROC: ${report.idCount} ID vs ${report.oodCount} OOD (ID = positive)</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#ccc" stroke-dasharray="4 4"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = i / 4;
    parts.push(`<text x="${x(v)}" y="${y(0) + 18}" text-anchor="middle">${v}</text>`);
    parts.push(`<text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  parts.push(
    `<text x="${m.l + w / 2}" y="${height - 10}" text-anchor="middle">false positive rate (OOD passing)</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${m.t + h / 2}) rotate(-90)" text-anchor="middle">true positive rate (ID passing)</text>`,
  );
  report.roc.forEach((curve, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = curve.fpr.map((f, k) => `${x(f).toFixed(1)},${y(curve.tpr[k] ?? 0).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const auroc = report.perScorer[curve.scorer]?.auroc;
    const ly = m.t + 16 + i * 18;
    parts.push(
      `<line x1="${width - m.r + 12}" y1="${ly - 4}" x2="${width - m.r + 32}" y2="${ly - 4}" stroke="${colour}" stroke-width="3"/>`,
    );
    parts.push(
      `<text x="${width - m.r + 38}" y="${ly}">${curve.scorer}${auroc !== undefined ? ` ${auroc.toFixed(3)}` : ''}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeRocPlot(report: EvalReport, file: string): Promise<void> {
  const svg = rocSvg(report);
  if (file.toLowerCase().endsWith('.svg')) await writeFile(file, svg);
  else {
    // The scanner blocks every SVG loader process-wide (user files must never reach librsvg), and `eval --ood`
    // scans in this process first. This SVG is our own: let the buffer loader through for this call only.
    sharp.unblock({ operation: ['VipsForeignLoadSvgBuffer'] });
    try {
      await sharp(Buffer.from(svg)).png().toFile(file);
    } finally {
      sharp.block({ operation: ['VipsForeignLoadSvgBuffer'] });
    }
  }
}
