/**
 * The HTTP layer wraps every /v1 answer in the envelope; this rewrites the
 * generated OpenAPI document so it describes what is really sent.
 */
const performanceSchema = {
  type: "object",
  required: ["latency_ms", "trace_id", "cache_hit"],
  properties: {
    latency_ms: { type: "number", description: "server time spent on this request" },
    trace_id: { type: "string", description: "W3C trace id of this request" },
    cache_hit: { type: "boolean", description: "true when every piece of data came from cache" }
  }
}

const successEnvelope = (data: unknown) => ({
  type: "object",
  required: ["code", "data", "msg", "performance"],
  properties: {
    code: { type: "integer", enum: [0] },
    data,
    msg: { type: "string", enum: ["ok"] },
    performance: performanceSchema
  }
})

const errorEnvelope = (status: number) => ({
  type: "object",
  required: ["code", "data", "msg", "performance"],
  properties: {
    code: { type: "integer", enum: [status], description: "the HTTP status" },
    data: { type: "null" },
    msg: { type: "string", description: "what went wrong and what to change" },
    details: {
      type: "array",
      items: {
        type: "object",
        required: ["path", "message"],
        properties: { path: { type: "string" }, message: { type: "string" } }
      }
    },
    performance: performanceSchema
  }
})

export const envelopeOpenApi = (spec: Record<string, any>): Record<string, any> => {
  const paths: Record<string, Record<string, any>> = spec.paths ?? {}
  for (const [path, operations] of Object.entries(paths)) {
    if (!path.startsWith("/v1/")) continue
    for (const operation of Object.values(operations)) {
      const responses: Record<string, any> = operation?.responses ?? {}
      // Every /v1 operation can answer 400 (bad input) with the error envelope.
      responses["400"] ??= { description: "The request is malformed; msg says which field and why." }
      for (const [status, response] of Object.entries(responses)) {
        const code = Number(status)
        // A stream (server-sent events) is sent as it is, without the envelope.
        if (code < 400 && response.content?.["text/event-stream"] !== undefined) continue
        const json = response.content?.["application/json"]
        const wrapped = code < 400 ? successEnvelope(json?.schema ?? {}) : errorEnvelope(code)
        response.content = { "application/json": { schema: wrapped } }
      }
    }
  }
  return spec
}
