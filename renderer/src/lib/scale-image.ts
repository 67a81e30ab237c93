// A dropped image, made small enough to send: decoded by the browser, drawn at most `maxSide` pixels on its long
// side, re-encoded as JPEG and returned as base64 (browser mode caps a request body at 1 MB, and "more like this"
// needs no more than the backbone's input size). A file the browser cannot decode is refused with a message.

export class NotAnImageError extends Error {}

export const UPLOAD_MAX_SIDE = 512;

/** The size to draw at: the long side at most `maxSide`, never enlarged, at least one pixel. */
export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const f = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * f)), height: Math.max(1, Math.round(height * f)) };
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(s);
}

async function decode(file: File): Promise<ImageBitmap> {
  if (file.type && !file.type.startsWith('image/'))
    throw new NotAnImageError(`${file.name} is not an image (${file.type}): drop a JPEG, PNG, WebP, GIF or BMP file`);
  try {
    return await createImageBitmap(file);
  } catch {
    throw new NotAnImageError(`${file.name} could not be read as an image: drop a JPEG, PNG, WebP, GIF or BMP file`);
  }
}

export async function scaleForUpload(file: File, maxSide = UPLOAD_MAX_SIDE): Promise<string> {
  const bitmap = await decode(file);
  try {
    const size = fitWithin(bitmap.width, bitmap.height, maxSide);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2-D canvas to scale the image with');
    // JPEG has no alpha: transparent areas become white, as most viewers show them.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size.width, size.height);
    ctx.drawImage(bitmap, 0, 0, size.width, size.height);
    const blob = await new Promise<Blob | null>((done) => canvas.toBlob(done, 'image/jpeg', 0.9));
    if (!blob) throw new Error('the scaled image could not be encoded');
    return bytesToBase64(new Uint8Array(await blob.arrayBuffer()));
  } finally {
    bitmap.close();
  }
}
