// The QR decoder (ZXing in WASM through `barcode-detector`), loaded only when a
// card is first scanned; its WASM is served by sancha from /app/assets/ and
// then kept by the service worker. Nothing comes from a CDN.
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url'

type Detector = { detect(source: ImageBitmapSource): Promise<{ rawValue: string }[]> }
let detector: Promise<Detector> | null = null

export function qrDetector(): Promise<Detector> {
  detector ??= import('barcode-detector/ponyfill').then(({ BarcodeDetector, setZXingModuleOverrides }) => {
    setZXingModuleOverrides({ locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path) })
    return new BarcodeDetector({ formats: ['qr_code'] }) as Detector
  })
  return detector
}

/** The text of the first QR code in an image or a video frame, if any. */
export async function readQr(source: ImageBitmapSource): Promise<string | null> {
  const found = await (await qrDetector()).detect(source)
  return found[0]?.rawValue ?? null
}
