import { Deferred, type Option } from "effect"
import type { CacheKind } from "./CachePolicy.ts"

/** What filling a key missing from L1 gave the requests waiting on it: the value and where it came from. */
export interface Filled<A> {
  readonly value: A
  readonly level: "l2" | "load"
  readonly stale: boolean
}

/** A fill in progress; a single fill always answers Some, a batch load None for a key it did not return. */
export type Pending<A, E> = Deferred.Deferred<Option.Option<Filled<A>>, E>

/**
 * The fills running in this process, one per key: a miss of a key that is
 * being filled waits for that fill instead of starting another. Each fill may
 * hold the key's cross-instance lock, by its token.
 */
export class SingleFlight {
  private readonly running = new Map<string, Pending<unknown, unknown>>()
  private readonly tokens = new Map<string, string>()

  private static id(kind: CacheKind, key: string): string {
    return `${kind}:${key}`
  }

  get<A, E>(kind: CacheKind, key: string): Pending<A, E> | undefined {
    return this.running.get(SingleFlight.id(kind, key)) as Pending<A, E> | undefined
  }

  has(kind: CacheKind, key: string): boolean {
    return this.running.has(SingleFlight.id(kind, key))
  }

  /** Registers the fill of a key; `finish` ends it. */
  start<A, E>(kind: CacheKind, key: string, token?: string | undefined): Pending<A, E> {
    const done = Deferred.makeUnsafe<Option.Option<Filled<A>>, E>()
    const id = SingleFlight.id(kind, key)
    this.running.set(id, done as Pending<unknown, unknown>)
    if (token !== undefined) this.tokens.set(id, token)
    return done
  }

  /** Whether the running fill of the key holds the lock `token`. */
  holds(kind: CacheKind, key: string, token: string): boolean {
    return this.tokens.get(SingleFlight.id(kind, key)) === token
  }

  finish(kind: CacheKind, key: string): void {
    const id = SingleFlight.id(kind, key)
    this.running.delete(id)
    this.tokens.delete(id)
  }
}
