import type { Board, InstrumentKind } from "./Instrument.ts"

/**
 * What an A-share code is, from the exchanges' code ranges: the board sets the
 * daily price limit. Codes this service does not serve (B shares 900xxx and
 * 200xxx, funds other than ETFs, bonds) are undefined.
 */
export const cnListingOf = (code: string, exchange: "SH" | "SZ"): { readonly board: Board; readonly kind: InstrumentKind } | undefined => {
  if (!/^\d{6}$/.test(code)) return undefined
  const p3 = code.slice(0, 3)
  if (exchange === "SH") {
    if (["600", "601", "603", "605"].includes(p3)) return { board: "main", kind: "stock" }
    if (p3 === "688" || p3 === "689") return { board: "star", kind: "stock" }
    if (code.startsWith("51") || code.startsWith("56") || code.startsWith("58")) return { board: "etf", kind: "etf" }
    if (code.startsWith("000")) return { board: "index", kind: "index" }
    return undefined
  }
  if (["000", "001", "002", "003"].includes(p3)) return { board: "main", kind: "stock" }
  if (p3 === "300" || p3 === "301") return { board: "chinext", kind: "stock" }
  if (code.startsWith("159")) return { board: "etf", kind: "etf" }
  if (p3 === "399") return { board: "index", kind: "index" }
  return undefined
}
