import ExcelJS from "exceljs"
import * as Fs from "node:fs"
import { data, expect, test, withPrefs } from "./support/fixtures.ts"
import { barsQuery, openSymbol } from "./support/symbolPage.ts"

const SYMBOL = "600519.SH"
const FIELDS = ["date", "open", "high", "low", "close", "volume", "amount"] as const

/** RFC 4180: fields may be quoted, quotes doubled. */
const parseCsv = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let row: Array<string> = []
  let field = ""
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ",") row.push(field), (field = "")
    else if (c === "\n") row.push(field), rows.push(row), (row = []), (field = "")
    else if (c !== "\r") field += c
  }
  return rows
}

test("CSV and XLSX downloads parse back to the API's bars", async ({ page, request }) => {
  await withPrefs("zh")(page)
  const q = barsQuery(await openSymbol(page, SYMBOL, "?interval=1d&range=3M"))
  const api = await data<{ bars: Array<Record<string, number | string | boolean>> }>(await request.get(`/v1/bars/${SYMBOL}?${q}`))
  const name = (await data<{ name: string }>(await request.get(`/v1/instruments/${SYMBOL}`))).name

  const csvDownload = page.waitForEvent("download")
  await page.locator("button[data-export=csv]").click()
  const csv = await csvDownload
  expect(csv.suggestedFilename()).toBe(`${SYMBOL}_1d_none_${q.get("from")}_${q.get("to")}.csv`)
  const bytes = Fs.readFileSync((await csv.path())!)
  // UTF-8 with a byte-order mark, so Excel shows the Chinese name.
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  const rows = parseCsv(bytes.toString("utf8").slice(1))
  const header = rows[0]!
  expect(header.slice(0, 3)).toEqual(["symbol", "name", "date"])
  expect(header).toContain("ma20")
  expect(rows.length - 1).toBe(api.bars.length)
  rows.slice(1).forEach((row, i) => {
    expect(row[header.indexOf("symbol")]).toBe(SYMBOL)
    expect(row[header.indexOf("name")]).toBe(name)
    for (const f of FIELDS) {
      const want = api.bars[i]![f]
      expect(f === "date" ? row[header.indexOf(f)] : Number(row[header.indexOf(f)]), `${f} of row ${i}`).toBe(want)
    }
  })

  const xlsxDownload = page.waitForEvent("download")
  await page.locator("button[data-export=xlsx]").click()
  const xlsx = await xlsxDownload
  expect(xlsx.suggestedFilename()).toBe(`${SYMBOL}_1d_none_${q.get("from")}_${q.get("to")}.xlsx`)
  const book = new ExcelJS.Workbook()
  await book.xlsx.readFile((await xlsx.path())!)
  const sheet = book.getWorksheet("bars")!
  const head = (sheet.getRow(1).values as Array<unknown>).slice(1)
  expect(head).toEqual(header)
  expect(sheet.rowCount - 1).toBe(api.bars.length)
  for (let i = 0; i < api.bars.length; i++) {
    const values = (sheet.getRow(i + 2).values as Array<unknown>).slice(1)
    expect(values[head.indexOf("name")]).toBe(name)
    for (const f of FIELDS) expect(values[head.indexOf(f)], `${f} of row ${i}`).toBe(api.bars[i]![f])
  }
})
