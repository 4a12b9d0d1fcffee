import { HttpClientRequest } from "effect/http"
import { cnQuoteLayers } from "../HttpProvider/CnQuoteSource.ts"
import { parseSinaLine } from "./SinaLines.ts"

export const NAME = "sina"
export const DEFAULT_BASE_URL = "https://hq.sinajs.cn"

/** Sina's `hq.sinajs.cn/list=` quote lines: A-share quotes only. */
export const { layer, layerConfig } = cnQuoteLayers({
  name: NAME,
  // Sina refuses (403) requests that do not come from its own pages.
  request: (base, codes) =>
    HttpClientRequest.get(`${base}/list=${codes.join(",")}`, { headers: { referer: "https://finance.sina.com.cn" } }),
  parseLine: parseSinaLine
}, DEFAULT_BASE_URL)
