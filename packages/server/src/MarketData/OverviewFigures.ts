import { cnListingOf } from "@marketgate/domain/ChinaBoards"
import { dailyLimitOf } from "@marketgate/domain/Instrument"
import type { Breadth } from "@marketgate/domain/MarketOverview"
import type { Quote } from "@marketgate/domain/Quote"
import { codeOf, exchangeOf } from "@marketgate/domain/Symbol"

/** Half-up to the cent, as the exchanges round limit prices (a hair above x.xx5 in binary still rounds up). */
const toCent = (x: number) => Math.round(x * 100 + 1e-6) / 100

/**
 * The daily limit of an A-share quote, from its board and name: ±5 % for
 * risk-warned shares (ST), none in a new listing's first days (names start
 * with N or C), else the board's (±10 % main and ETFs, ±20 % ChiNext/STAR).
 */
export const cnLimitOf = (quote: Quote): number | undefined => {
  const exchange = exchangeOf(quote.symbol)
  if (exchange === "US") return undefined
  const listing = cnListingOf(codeOf(quote.symbol), exchange)
  if (listing === undefined || /^[NC]/.test(quote.name)) return undefined
  if (listing.board === "main" && /ST/.test(quote.name)) return 0.05
  return dailyLimitOf(listing.board)
}

const traded = (q: Quote) => q.status !== "suspended" && q.price > 0

export interface Figures {
  readonly breadth: Breadth
  readonly turnover: number
  readonly top_gainers: ReadonlyArray<Quote>
  readonly top_losers: ReadonlyArray<Quote>
  readonly most_active: ReadonlyArray<Quote>
}

/**
 * Breadth, turnover and movers of a full-market snapshot. Up and down are
 * the price against the previous close (a change of +0.07 on 2,869 points is
 * up, though its percentage rounds to 0.00).
 */
export const overviewFigures = (quotes: ReadonlyArray<Quote>, top = 10): Figures => {
  let advancers = 0
  let decliners = 0
  let unchanged = 0
  let suspended = 0
  let limitUp = 0
  let limitDown = 0
  let turnover = 0
  for (const q of quotes) {
    turnover += q.amount
    if (!traded(q)) {
      suspended++
      continue
    }
    if (q.price > q.prev_close) advancers++
    else if (q.price < q.prev_close) decliners++
    else unchanged++
    const limit = cnLimitOf(q)
    if (limit === undefined) continue
    if (q.price >= toCent(q.prev_close * (1 + limit))) limitUp++
    else if (q.price <= toCent(q.prev_close * (1 - limit))) limitDown++
  }
  const moving = quotes.filter(traded)
  const by = (f: (a: Quote, b: Quote) => number) => [...moving].sort((a, b) => f(a, b) || (a.symbol < b.symbol ? -1 : 1)).slice(0, top)
  return {
    breadth: { advancers, decliners, unchanged, suspended, limit_up: limitUp, limit_down: limitDown, total: quotes.length },
    turnover: Math.round(turnover * 100) / 100,
    top_gainers: by((a, b) => b.change_pct - a.change_pct),
    top_losers: by((a, b) => a.change_pct - b.change_pct),
    most_active: by((a, b) => b.amount - a.amount)
  }
}
