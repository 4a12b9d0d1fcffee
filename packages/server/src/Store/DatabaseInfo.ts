import { Context } from "effect"

/** Which kind of database the store runs on: the embedded one is a single process by construction. */
export class DatabaseInfo extends Context.Service<DatabaseInfo, {
  readonly embedded: boolean
  /** The connection pool's size. */
  readonly maxConnections: number
}>()("@marketgate/server/Store/DatabaseInfo") {}
