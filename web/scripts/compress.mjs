// Writes a .gz and a .br beside every compressible file of a build, once, so the
// server sends compressed bytes without compressing on each request. Output is
// deterministic (no timestamps), so CI can compare a rebuild with the commit.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync, gzipSync, constants } from 'node:zlib'

const COMPRESSIBLE = /\.(html|js|mjs|css|svg|json|webmanifest|wasm|txt)$/
const MIN_BYTES = 1024

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

const root = process.argv[2]
if (!root) throw new Error('usage: compress.mjs DIR')
let files = 0
for (const path of walk(root)) {
  if (!COMPRESSIBLE.test(path)) continue
  const raw = readFileSync(path)
  if (raw.length < MIN_BYTES) continue
  writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }))
  writeFileSync(
    `${path}.br`,
    brotliCompressSync(raw, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    }),
  )
  files++
}
console.log(`compressed ${files} files under ${root}`)
