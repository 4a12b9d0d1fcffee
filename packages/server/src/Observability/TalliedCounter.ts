import * as Prom from "prom-client"

/** One label set of a tallied counter: a plain number the hot path adds to. */
export interface Tally {
  readonly inc: (n?: number) => void
}

interface Cell {
  readonly labels: Prom.LabelValues<string>
  pending: number
}

/**
 * A prom-client Counter for a hot path. A `tally(labels)`, bound once, is a
 * plain number that each increment adds to; the registry folds the tallies
 * into the counter whenever it is read (its `collect` hook: a scrape, or a
 * test's `get()`). prom-client's own `inc` hashes the labels on every call,
 * which was a few percent of the whole cache's CPU under bench/cache. Every
 * bound label set is exported from the start, at 0, so `rate()` has a series
 * before the first event. `counter.inc` still works for unbound label sets.
 */
export const talliedCounter = <T extends string>(configuration: Prom.CounterConfiguration<T>) => {
  const cells: Array<Cell> = []
  const counter: Prom.Counter<T> = new Prom.Counter<T>({
    ...configuration,
    collect() {
      for (const cell of cells) {
        if (cell.pending === 0) continue
        counter.inc(cell.labels as Prom.LabelValues<T>, cell.pending)
        cell.pending = 0
      }
    }
  })
  const tally = (labels: Prom.LabelValues<T>): Tally => {
    const cell: Cell = { labels, pending: 0 }
    cells.push(cell)
    counter.inc(labels, 0)
    return {
      inc: (n = 1) => {
        cell.pending += n
      }
    }
  }
  return { counter, tally }
}
