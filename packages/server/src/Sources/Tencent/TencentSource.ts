import { HttpClientRequest } from "effect/http"
import { cnQuoteLayers } from "../HttpProvider/CnQuoteSource.ts"
import { parseTencentLine } from "./TencentLines.ts"

export const NAME = "tencent"
export const DEFAULT_BASE_URL = "https://qt.gtimg.cn"

/** Tencent's `qt.gtimg.cn/q=` quote lines: A-share quotes only. */
export const { layer, layerConfig } = cnQuoteLayers({
  name: NAME,
  request: (base, codes) => HttpClientRequest.get(`${base}/q=${codes.join(",")}`),
  parseLine: parseTencentLine
}, DEFAULT_BASE_URL)
