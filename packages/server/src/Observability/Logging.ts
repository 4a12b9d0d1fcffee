import { Cause, Config, Context, Effect, Layer, Logger, LogLevel, References, Schema, SchemaGetter, Tracer } from "effect"

/**
 * One JSON object per line on stdout, the shape Loki and DESIGN.md expect:
 * timestamp, level, message, trace_id, span_id, then the log annotations
 * (request_id and whatever the code annotated) at top level.
 */
export const jsonLine = Logger.make<unknown, string>(({ cause, date, fiber, logLevel, message }) => {
  const line: Record<string, unknown> = {
    timestamp: date.toISOString(),
    level: logLevel.toLowerCase(),
    message: renderMessage(message)
  }
  const span = Context.getOrUndefined(fiber.context, Tracer.ParentSpan)
  if (span !== undefined) {
    line.trace_id = span.traceId
    line.span_id = span.spanId
  }
  for (const [key, value] of Object.entries(fiber.getRef(References.CurrentLogAnnotations))) {
    if (!(key in line)) line[key] = value
  }
  if (cause.reasons.length > 0) line.cause = Cause.pretty(cause)
  return safeStringify(line)
})

const renderMessage = (message: unknown): unknown => {
  const parts = Array.isArray(message) ? message : [message]
  return parts.length === 1 ? render(parts[0]) : parts.map(render).join(" ")
}

const render = (part: unknown): unknown =>
  typeof part === "string" ? part : part instanceof Error ? part.message : part

const safeStringify = (value: unknown): string => {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v))
  } catch {
    return JSON.stringify({ ...(value as object), message: String((value as { message?: unknown }).message) })
  }
}

const writeLine = (line: string) => {
  process.stdout.write(line + "\n")
}

export const jsonLogger = Logger.map(jsonLine, writeLine)

/** `info`, `INFO` and `Info` all name Effect's `Info` level. */
const LogLevelName = Schema.String.pipe(
  Schema.decodeTo(Schema.Literals(LogLevel.values), {
    decode: SchemaGetter.transform((s: string) => (s.charAt(0).toUpperCase() + s.slice(1).toLowerCase()) as LogLevel.LogLevel),
    encode: SchemaGetter.transform((s: string) => s)
  })
)

/** `LOG_FORMAT=json` (default) or `pretty` for people; `LOG_LEVEL` sets the minimum level. */
export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const format = yield* Config.Literals(["json", "pretty"], "LOG_FORMAT").pipe(Config.withDefault("json" as const))
    const level = yield* Config.schema(LogLevelName, "LOG_LEVEL").pipe(Config.withDefault("Info" as const))
    const logger = format === "json" ? Logger.layer([jsonLogger]) : Logger.layer([Logger.consolePretty()])
    return Layer.mergeAll(logger, Layer.succeed(References.MinimumLogLevel, level))
  })
)

/** JSON at info level, for what happens before (or despite) the configured logger. */
export const layerDefault = Layer.mergeAll(
  Logger.layer([jsonLogger]),
  Layer.succeed(References.MinimumLogLevel, "Info" as const)
)
