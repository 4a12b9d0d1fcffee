import type ExcelJSNamespace from "exceljs"
import { csvText, type ExportData, exportTable, fileName } from "./exportTable.ts"

declare global {
  interface Window {
    ExcelJS?: typeof ExcelJSNamespace
  }
}

const save = (blob: Blob, name: string) => {
  const url = URL.createObjectURL(blob)
  const a = document.createElement("a")
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export const downloadCsv = (d: ExportData) =>
  save(new Blob([csvText(exportTable(d))], { type: "text/csv;charset=utf-8" }), fileName(d, "csv"))

let excel: Promise<typeof ExcelJSNamespace> | undefined

/** exceljs (≈ 950 kB) is loaded only when someone exports to Excel. */
const loadExcel = () =>
  (excel ??= new Promise((resolve, reject) => {
    const script = document.createElement("script")
    script.src = "/vendor/exceljs.min.js"
    script.onload = () => (window.ExcelJS === undefined ? reject(new Error("exceljs did not load")) : resolve(window.ExcelJS))
    script.onerror = () => {
      excel = undefined
      reject(new Error("could not load /vendor/exceljs.min.js"))
    }
    document.head.append(script)
  }))

export const downloadXlsx = async (d: ExportData) => {
  const ExcelJS = await loadExcel()
  const table = exportTable(d)
  const book = new ExcelJS.Workbook()
  book.creator = "marketgate"
  const sheet = book.addWorksheet("bars", { views: [{ state: "frozen", ySplit: 1 }] })
  sheet.columns = table.header.map((key) => ({
    header: key,
    key,
    width: key === "name" ? 14 : key === "ts" ? 26 : key === "time" ? 18 : 12,
    ...(["open", "high", "low", "close"].includes(key) ? { style: { numFmt: "0.00" } } : {})
  }))
  sheet.getRow(1).font = { bold: true }
  for (const row of table.rows) sheet.addRow(row)
  const about = book.addWorksheet("about")
  about.columns = [{ header: "field", key: "field", width: 12 }, { header: "value", key: "value", width: 40 }]
  about.getRow(1).font = { bold: true }
  for (const [field, value] of [["symbol", d.symbol], ["name", d.name], ["interval", d.interval], ["adjust", d.adjust], ["from", d.from], ["to", d.to], ["bars", d.bars.length], ["source", location.origin]] as const) {
    about.addRow({ field, value })
  }
  const buffer = await book.xlsx.writeBuffer()
  save(new Blob([buffer], { type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" }), fileName(d, "xlsx"))
}
