import { type Schema, SchemaIssue } from "effect"

export interface FieldProblem {
  readonly path: string
  readonly message: string
}

const where: Record<string, string> = {
  Params: "path parameter",
  Query: "query parameter",
  Payload: "request body field",
  Body: "request body field",
  Headers: "header",
  ResponseHeaders: "header"
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1({
  leafHook: (issue) => {
    switch (issue._tag) {
      case "MissingKey":
        return "is required"
      case "UnexpectedKey":
        return "is not a known field"
      default:
        return SchemaIssue.defaultLeafHook(issue)
    }
  }
})

// `Expected "1d" | "1w"` → `expected one of 1d, 1w`
const literalUnion = /^Expected ((?:"[^"]*"(?: \| )?)+)$/

const polish = (message: string, raw: unknown): string => {
  const m = literalUnion.exec(message)
  const text = m === null ? message : `expected one of ${m[1]!.split(" | ").map((s) => s.slice(1, -1)).join(", ")}`
  return typeof raw === "string" && !text.includes(", got ") && !text.includes(`'${raw}'`) ? `${text}, got '${raw}'` : text
}

/**
 * Turns a request-decoding failure into sentences a person can act on:
 * `query parameter 'interval': expected one of 1m, …, 1M, got '2d'`.
 * `raw` holds the values as sent (query string or path parameters).
 */
export const describeDecodeFailure = (
  kind: string,
  error: Schema.SchemaError,
  raw: Readonly<Record<string, unknown>>
): { readonly message: string; readonly details: ReadonlyArray<FieldProblem> } => {
  const details = formatter(error.issue).issues.map((i): FieldProblem => {
    const path = i.path?.map(String).join(".") ?? ""
    return { path, message: i.message === "is required" ? i.message : polish(i.message, raw[path]) }
  })
  const label = where[kind] ?? "field"
  const message = details.length === 0
    ? `the request's ${label}s are invalid`
    : details.map((d) =>
      d.path === ""
        ? d.message
        : d.message.startsWith("is ")
        ? `${label} '${d.path}' ${d.message}`
        : `${label} '${d.path}': ${d.message}`
    ).join("; ")
  return { message, details }
}
