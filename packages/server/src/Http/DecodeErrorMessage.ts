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

/**
 * Turns a request-decoding failure into sentences a person can act on:
 * `query parameter 'interval': Expected "1m" | … | "1M", got "2d"`.
 */
export const describeDecodeFailure = (
  kind: string,
  error: Schema.SchemaError
): { readonly message: string; readonly details: ReadonlyArray<FieldProblem> } => {
  const details = formatter(error.issue).issues.map((i): FieldProblem => ({
    path: i.path?.map(String).join(".") ?? "",
    message: i.message
  }))
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
