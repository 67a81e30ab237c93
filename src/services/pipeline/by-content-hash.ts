// Images are identified by content for the engine: the feature cache and the scores are keyed by sha256, so two
// files with the same bytes are extracted and scored once and the result goes back to every image id.
import type { ImageBrief } from '../../db/index.js';

/** The first item of each content hash, in order; items without a hash are dropped. */
export function uniqueBySha<T extends { sha256: string | null }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((i) => i.sha256 !== null && !seen.has(i.sha256) && (seen.add(i.sha256), true));
}

/** sha256 → the ids of every image with those bytes. */
export function groupBySha(images: ImageBrief[]): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const i of images) {
    if (!i.sha256) continue;
    const list = map.get(i.sha256);
    if (list) list.push(i.id);
    else map.set(i.sha256, [i.id]);
  }
  return map;
}
