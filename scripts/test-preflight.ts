/**
 * Runs before vitest: the integration tests need a PostgreSQL and a Redis
 * server. If either is unreachable, say so in the first seconds, with the
 * variables that point the tests elsewhere, instead of failing deep inside a test.
 */
import * as Net from "node:net"

const databaseUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

const reachable = (url: string, defaultPort: number): Promise<string | undefined> => {
  const u = new URL(url)
  const host = u.hostname || "127.0.0.1"
  const port = Number(u.port || defaultPort)
  return new Promise((resolve) => {
    const socket = Net.connect({ host, port })
    const done = (problem: string | undefined) => {
      socket.destroy()
      resolve(problem)
    }
    socket.setTimeout(2000, () => done(`no answer from ${host}:${port} within 2 s`))
    socket.once("connect", () => done(undefined))
    socket.once("error", (e) => done(`${host}:${port}: ${e.message}`))
  })
}

const [db, redis] = await Promise.all([reachable(databaseUrl, 5432), reachable(redisUrl, 6379)])
const problems: Array<string> = []
if (db !== undefined) {
  problems.push(
    `PostgreSQL is not reachable (${db}).\n  The tests need a PostgreSQL server where they may create and drop databases.\n` +
      `  Start one, or set TEST_DATABASE_URL (now ${databaseUrl}).`
  )
}
if (redis !== undefined) {
  problems.push(`Redis is not reachable (${redis}).\n  Start one, or set TEST_REDIS_URL (now ${redisUrl}).`)
}
if (problems.length > 0) {
  console.error(`npm test cannot run the integration tests:\n\n${problems.join("\n\n")}\n\n.ci/run starts both on a fresh machine.`)
  process.exit(1)
}
