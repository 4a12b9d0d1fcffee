import { type Board, type Instrument, makeInstrument } from "@marketgate/domain/Instrument"
import { isSymbol } from "@marketgate/domain/Symbol"
import { Result } from "effect"

/**
 * The Nasdaq Trader symbol directory: `nasdaqlisted.txt` (Nasdaq listings) and
 * `otherlisted.txt` (NYSE, NYSE American, NYSE Arca, Cboe, IEX). Pipe-delimited
 * with a header line and a `File Creation Time: …` footer; columns are read by
 * their header names, not positions.
 */

export type DirectoryFile = "nasdaqlisted" | "otherlisted"

/** otherlisted.txt's Exchange column. */
const otherBoards: Readonly<Record<string, Board>> = {
  A: "nyse_american",
  N: "nyse",
  P: "nyse_arca",
  Z: "cboe",
  V: "iex",
  // NYSE Texas (formerly NYSE Chicago).
  M: "nyse"
}

// Warrants, rights and units are listed but are neither shares nor funds.
const notShares = /\b(warrants?|rights?|units?)\b/i

/** `BRK.B` → `BRK-B` (Yahoo's form, and ours); preferred series (`ABR$D`) and the like are left out. */
const symbolOf = (ticker: string) => {
  const s = `${ticker.trim().replace(/\.([A-Z])$/, "-$1")}.US`
  return isSymbol(s) ? s : undefined
}

export interface ParsedDirectory {
  readonly instruments: ReadonlyArray<Instrument>
  /** Rows skipped: test issues, warrants, rights, units, symbols outside the supported form. */
  readonly skipped: number
  /** The footer's creation time as written (`MMDDYYYYHH:MM`), when present. */
  readonly createdAt: string | undefined
}

export const parseSymbolDirectory = (text: string, file: DirectoryFile): Result.Result<ParsedDirectory, string> => {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0)
  const header = lines[0]?.split("|").map((h) => h.trim()) ?? []
  const col = (name: string) => header.indexOf(name)
  const symbolCol = col(file === "nasdaqlisted" ? "Symbol" : "ACT Symbol")
  const nameCol = col("Security Name")
  const testCol = col("Test Issue")
  const etfCol = col("ETF")
  const exchangeCol = col("Exchange")
  if (symbolCol < 0 || nameCol < 0 || testCol < 0 || etfCol < 0 || (file === "otherlisted" && exchangeCol < 0)) {
    return Result.fail(`${file}.txt does not start with the documented header (got ${JSON.stringify((lines[0] ?? "").slice(0, 80))})`)
  }
  const instruments: Array<Instrument> = []
  let skipped = 0
  let createdAt: string | undefined
  for (const line of lines.slice(1)) {
    if (line.startsWith("File Creation Time:")) {
      createdAt = line.slice("File Creation Time:".length).split("|")[0]!.trim()
      continue
    }
    const f = line.split("|")
    const ticker = f[symbolCol] ?? ""
    const name = (f[nameCol] ?? "").trim()
    const board = file === "nasdaqlisted" ? "nasdaq" : otherBoards[(f[exchangeCol] ?? "").trim()]
    const symbol = symbolOf(ticker)
    if (f[testCol]?.trim() !== "N" || symbol === undefined || board === undefined || name.length === 0 || notShares.test(name)) {
      skipped++
      continue
    }
    const kind = f[etfCol]?.trim() === "Y" ? "etf" : "stock"
    instruments.push(makeInstrument(symbol.slice(0, -3), "US", name, board, null, null, kind))
  }
  if (createdAt === undefined) return Result.fail(`${file}.txt has no "File Creation Time" footer: the file was cut short`)
  return Result.succeed({ instruments, skipped, createdAt })
}
