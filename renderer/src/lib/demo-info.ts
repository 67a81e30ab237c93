// What the demo project holds, in one line, so a newcomer can judge its flags (resources/demo/README.md).
export const DEMO_SUMMARY =
  'In-distribution: six Fashion-MNIST clothing classes (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal). ' +
  'Mixed into the inbox: 20 images that are none of them (shirts, sneakers, bags, ankle boots, printed letters).';

/** The demo project's name as the services create it. */
export function isDemoProject(name: string | null | undefined): boolean {
  return typeof name === 'string' && name.startsWith('Demo:');
}
