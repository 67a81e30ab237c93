// Sections of `npm run bench:curation` added as their algorithms land.
export function benchLabels(_n: number): void {}
export async function benchMap(_n: number): Promise<void> {}
