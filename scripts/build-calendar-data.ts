/**
 * Regenerates the compact session tables shipped in
 * packages/domain/src/calendar/data/ from the exchange_calendars golden CSVs
 * kept as test fixtures. Run: node scripts/build-calendar-data.ts
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

const fixtures = "packages/domain/test/fixtures/calendars"
const out = "packages/domain/src/calendar/data"

const sources = [
  { file: "xshg.csv", name: "XSHG", timeZone: "Asia/Shanghai", close: "15:00" },
  { file: "xnys.csv", name: "XNYS", timeZone: "America/New_York", close: "16:00" }
]

const localTime = (iso: string, timeZone: string): string =>
  new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(
    new Date(iso)
  )

for (const source of sources) {
  const rows = Fs.readFileSync(Path.join(fixtures, source.file), "utf8").trim().split("\n").slice(1)
    .map((line) => line.split(","))
  const sessions = new Set(rows.map((r) => r[0]!.slice(0, 10)))
  const first = rows[0]![0]!.slice(0, 10)
  const last = rows.at(-1)![0]!.slice(0, 10)
  const closures: Array<string> = []
  for (let t = Date.parse(first); t <= Date.parse(last); t += 86_400_000) {
    const d = new Date(t)
    const weekday = d.getUTCDay()
    const date = d.toISOString().slice(0, 10)
    if (weekday !== 0 && weekday !== 6 && !sessions.has(date)) closures.push(date)
  }
  const earlyCloses: Record<string, string> = {}
  for (const r of rows) {
    const close = localTime(r[2]!, source.timeZone)
    if (close !== source.close) earlyCloses[r[0]!.slice(0, 10)] = close
  }
  const table = {
    source: `exchange_calendars golden table ${source.file} (Apache-2.0), commit 5308ce2`,
    exchange: source.name,
    first,
    last,
    closures,
    earlyCloses
  }
  Fs.writeFileSync(Path.join(out, `${source.name.toLowerCase()}.json`), JSON.stringify(table) + "\n")
  console.log(`${source.name}: ${sessions.size} sessions, ${closures.length} weekday closures, ${Object.keys(earlyCloses).length} early closes`)
}
