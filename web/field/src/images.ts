// Photos and signatures: made small on the phone, named by their SHA-256, kept
// in IndexedDB until the server has them (PUT /api/v1/blobs/{sha256}).
import { db } from './db'

export const MAX_SIDE = 1600
export const JPEG_QUALITY = 0.8

export async function sha256Hex(data: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await data.arrayBuffer())
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** The size an image is drawn at: its long side at most MAX_SIDE. */
export function fitted(width: number, height: number): [number, number] {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height))
  return [Math.round(width * scale), Math.round(height * scale)]
}

/** A camera photo as a JPEG of at most 1600 px on its long side. */
export async function downscale(file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file)
  const [w, h] = fitted(bitmap.width, bitmap.height)
  const canvas = document.createElement('canvas')
  canvas.width = w
  canvas.height = h
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, w, h)
  bitmap.close()
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('无法处理照片'))), 'image/jpeg', JPEG_QUALITY),
  )
}

/** Keeps an image for upload; returns its hash, the name the visit uses. */
export async function keepImage(data: Blob): Promise<string> {
  const sha256 = await sha256Hex(data)
  const known = await db.blobs.get(sha256)
  if (!known) await db.blobs.put({ sha256, type: data.type || 'image/jpeg', data, uploaded: false })
  return sha256
}

/** Every image a visit document refers to: photos and signatures. */
export function imagesOf(doc: Record<string, unknown>): string[] {
  const photos = (doc.photos as { sha256?: string }[] | undefined) ?? []
  const signatures = (doc.signatures as { image_sha256?: string | null }[] | undefined) ?? []
  const all = [...photos.map((p) => p.sha256), ...signatures.map((s) => s.image_sha256)]
  return [...new Set(all.filter((x): x is string => typeof x === 'string' && x.length === 64))]
}

/** An object URL of a kept image, for showing it; revoke it when done. */
export async function imageUrl(sha256: string): Promise<string | null> {
  const b = await db.blobs.get(sha256)
  return b ? URL.createObjectURL(b.data) : null
}
