import { Context, Effect, Layer } from "effect"
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Module from "node:module"
import * as Path from "node:path"
import { gzipSync } from "node:zlib"

/** One file the web app is made of, ready to send. */
export interface Asset {
  readonly contentType: string
  readonly body: Uint8Array
  /** The same bytes gzipped, when that is smaller. */
  readonly gzip: Uint8Array | undefined
  readonly etag: string
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ts": "text/javascript; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json; charset=utf-8"
}

// Node's type stripping is flagged experimental and says so once per process on
// stderr; the app's sources use erasable syntax only, which is what it handles.
const stripTypes = (source: string, file: string): string => {
  const emit = process.emitWarning
  process.emitWarning = ((warning: string | Error, ...rest: Array<any>) => {
    if (String(warning).includes("stripTypeScriptTypes")) return
    ;(emit as (...args: Array<unknown>) => void).call(process, warning, ...rest)
  }) as typeof process.emitWarning
  try {
    // "strip" blanks the types in place, so line and column numbers stay those of the source.
    return Module.stripTypeScriptTypes(source, { mode: "strip", sourceUrl: file })
  } finally {
    process.emitWarning = emit
  }
}

const asset = (file: string, text: Buffer): Asset => {
  const ext = Path.extname(file)
  const body = ext === ".ts" ? Buffer.from(stripTypes(text.toString("utf8"), file)) : text
  const zipped = gzipSync(body, { level: 9 })
  return {
    contentType: contentTypes[ext] ?? "application/octet-stream",
    body,
    gzip: zipped.length < body.length ? zipped : undefined,
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`
  }
}

const require = createRequire(import.meta.url)

/** Where the app's sources are, and the browser builds of its two libraries. */
export const webPaths = () => {
  const webRoot = Path.dirname(require.resolve("@marketgate/web/package.json"))
  const fromWeb = createRequire(Path.join(webRoot, "package.json"))
  const charts = Path.join(Path.dirname(fromWeb.resolve("lightweight-charts/package.json")), "dist")
  const exceljs = Path.dirname(fromWeb.resolve("exceljs/package.json"))
  return {
    src: Path.join(webRoot, "src"),
    vendor: {
      // The standalone build bundles its one dependency (fancy-canvas), so the browser needs no import map.
      "lightweight-charts.mjs": Path.join(charts, "lightweight-charts.standalone.production.mjs"),
      "exceljs.min.js": Path.join(exceljs, "dist", "exceljs.min.js")
    } as Record<string, string>
  }
}

/**
 * The web app, read once at start-up: its TypeScript modules with the types
 * stripped (no build step, see docs/web.md), its stylesheet and page, and the
 * two vendored libraries, each with a gzipped copy and an ETag.
 */
export class WebAssets extends Context.Service<WebAssets, {
  /** `/app/main.ts`, `/vendor/lightweight-charts.mjs` … */
  readonly get: (path: string) => Asset | undefined
  readonly page: Asset
}>()("@marketgate/server/Web/WebAssets") {
  static readonly layer = Layer.effect(
    WebAssets,
    Effect.sync(() => {
      const { src, vendor } = webPaths()
      const assets = new Map<string, Asset>()
      const walk = (dir: string, prefix: string) => {
        for (const entry of Fs.readdirSync(dir, { withFileTypes: true })) {
          const file = Path.join(dir, entry.name)
          if (entry.isDirectory()) walk(file, `${prefix}${entry.name}/`)
          else if (contentTypes[Path.extname(entry.name)] !== undefined) {
            assets.set(`/app/${prefix}${entry.name}`, asset(file, Fs.readFileSync(file)))
          }
        }
      }
      walk(src, "")
      for (const [name, file] of Object.entries(vendor)) assets.set(`/vendor/${name}`, asset(file, Fs.readFileSync(file)))
      const html = Fs.readFileSync(Path.join(src, "index.html"), "utf8")
      const marker = /<!-- modulepreload[^>]*-->/
      if (!marker.test(html)) throw new Error(`the web app's index.html in ${src} has no <!-- modulepreload --> marker`)
      // Without these links the browser finds the modules one import level at a time.
      const preloads = [...assets.keys()].filter((p) => p.endsWith(".ts")).sort()
        .map((p) => `<link rel="modulepreload" href="${p}">`).join("\n  ")
      const page = asset("index.html", Buffer.from(html.replace(marker, preloads)))
      assets.set("/app/index.html", page)
      return WebAssets.of({ get: (path) => assets.get(path), page })
    })
  )
}
