import type { Quote } from "@marketgate/domain/Quote"
import type { Symbol } from "@marketgate/domain/Symbol"
import { TextDecoder } from "node:util"
import { Effect, Result } from "effect"
import type { HttpClient, HttpClientRequest } from "effect/http"
import type { SourceError } from "../MarketDataSource.ts"
import { type CodeQuote, prefixedCode } from "./ChinaQuote.ts"
import { badResponse, type CallInfo, fetchText, notFound } from "./ProviderHttp.ts"

/** Sina and Tencent answer in GBK, as the browsers they serve expect. */
const gbk = new TextDecoder("gbk")

/**
 * Quotes from a GBK answer of one `var …="…";` line per code (Sina, Tencent).
 * A line that does not parse fails the whole answer as BadResponse; codes the
 * provider does not know are left out, and if it knows none the call is NotFound.
 * `parseLine` returns undefined for lines that carry no quote.
 */
export const lineQuotes = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  call: CallInfo,
  symbols: ReadonlyArray<Symbol>,
  parseLine: (line: string) => Result.Result<CodeQuote | undefined, string>
): Effect.Effect<Array<Quote>, SourceError> =>
  Effect.gen(function*() {
    const text = yield* fetchText(client, request, call, gbk)
    const byCode = new Map<string, CodeQuote>()
    for (const line of text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0)) {
      const parsed = parseLine(line)
      if (Result.isFailure(parsed)) return yield* badResponse(call, parsed.failure)
      if (parsed.success !== undefined) byCode.set(parsed.success.code, parsed.success)
    }
    const out = symbols.flatMap((s) => {
      const quote = byCode.get(prefixedCode(s))?.quote
      return quote === undefined ? [] : [quote]
    })
    if (out.length === 0) return yield* notFound(call, symbols.join(", "))
    return out
  })
