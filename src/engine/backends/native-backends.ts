// The two native TensorFlow backends. They cannot be installed on the development machine (their install
// script downloads libtensorflow), so this file stays small: resolve the package, check CUDA before paying for
// the GPU import, import it (which registers the 'tensorflow' backend on the shared tfjs-core), and verify.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

const require = createRequire(import.meta.url);

export type NativePackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

/** The slice of tfjs-node's NodeJSKernelBackend we read; absent on any other backend. */
interface MaybeNodeBackend {
  isUsingGpuDevice?: boolean;
}

export function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** Cheap check before importing the GPU package: its import is slow and, without a driver, fails or silently
 * runs on the CPU. Linux exposes the NVIDIA driver in /proc; Windows installs set CUDA_PATH. */
export function cudaDriverPresent(): boolean {
  if (process.platform === 'linux') return existsSync('/proc/driver/nvidia/version');
  if (process.platform === 'win32') return typeof process.env['CUDA_PATH'] === 'string';
  return false;
}

/** Imports the package; returns null when it loaded, else the reason to record. */
export async function loadNative(pkg: NativePackage): Promise<string | null> {
  if (!isInstalled(pkg)) return 'not installed';
  if (pkg === '@tensorflow/tfjs-node-gpu' && !cudaDriverPresent()) return 'no CUDA';
  try {
    await import(pkg);
  } catch (error) {
    return `failed to load: ${error instanceof Error ? error.message : String(error)}`;
  }
  return null;
}

/** After tf.setBackend('tensorflow') with the GPU package: did libtensorflow find a CUDA device? */
export function nativeUsesGpu(backend: unknown): boolean {
  return (backend as MaybeNodeBackend | null)?.isUsingGpuDevice === true;
}
