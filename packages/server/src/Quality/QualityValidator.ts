import type { IsoDate } from "@marketgate/domain/CalendarDate"
import {
  type DatedBar,
  defaultQualitySettings,
  type QualityContext,
  type QualityRule,
  qualityRules,
  type QualitySettings,
  type Validated,
  validateBars,
  type Violation
} from "@marketgate/domain/quality/QualityRules"
import { Context, Effect, Layer } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { QuarantineRepo } from "../Store/QuarantineRepo.ts"
import { QualitySettingsConfig } from "./QualitySettingsConfig.ts"

/** A provider bar a rule rejected, with what is needed to quarantine it. */
export interface Rejection {
  readonly symbol: string
  readonly date: IsoDate
  readonly source: string
  readonly violation: Violation
  /** The bar as the provider sent it. */
  readonly payload: unknown
  readonly ingestRunId: number | null
}

/**
 * The data-quality validator: the named rules of `QualityRules` with this
 * deployment's thresholds (`QUALITY_*`), and the quarantine of what they
 * reject — counted in `data_quality_violations_total{rule}`, logged, and kept
 * in `quality_quarantine` with the raw payload for an operator to inspect.
 */
export class QualityValidator extends Context.Service<QualityValidator, {
  /** The rules every stored bar passed (its lineage lists them). */
  readonly rules: ReadonlyArray<QualityRule>
  /** Judges candidate bars of one instrument in date order against `history` and each other. */
  readonly check: <B extends DatedBar>(
    bars: ReadonlyArray<B>,
    history: ReadonlyArray<DatedBar>,
    context: Omit<QualityContext, "settings">
  ) => Validated<B>
  /** Counts, logs and stores rejected bars; a failed write is logged, never fatal. */
  readonly quarantine: (rejections: ReadonlyArray<Rejection>) => Effect.Effect<void>
}>()("@marketgate/server/Quality/QualityValidator") {
  static readonly make = (settings: QualitySettings) =>
    Effect.gen(function*() {
      const repo = yield* QuarantineRepo
      const { registry } = yield* MetricsRegistry
      const violations = new Prom.Counter({
        name: "data_quality_violations_total",
        help: "Provider bars rejected by a data-quality rule (and quarantined)",
        labelNames: ["rule"],
        registers: [registry]
      })
      // Every rule shows in /metrics from the start, at zero: an absent series is not "no violations".
      for (const rule of qualityRules) violations.inc({ rule }, 0)

      const quarantine = Effect.fn("QualityValidator.quarantine")(function*(rejections: ReadonlyArray<Rejection>) {
        if (rejections.length === 0) return
        for (const r of rejections) violations.inc({ rule: r.violation.rule })
        yield* Effect.logWarning("provider bars quarantined").pipe(
          Effect.annotateLogs({
            symbols: [...new Set(rejections.map((r) => r.symbol))].join(","),
            bars: rejections.map((r) => `${r.symbol} ${r.date} ${r.source}: ${r.violation.rule}`).join("; ")
          })
        )
        yield* repo.add(rejections.map((r) => ({
          symbol: r.symbol,
          date: r.date,
          source: r.source,
          rule: r.violation.rule,
          detail: r.violation.detail,
          payload: r.payload,
          ingestRunId: r.ingestRunId
        }))).pipe(
          Effect.catch((error) => Effect.logWarning("quarantine write failed").pipe(Effect.annotateLogs({ error: error.message })))
        )
      })

      return QualityValidator.of({
        rules: qualityRules,
        check: (bars, history, context) => validateBars(bars, history, { ...context, settings }),
        quarantine
      })
    })

  static readonly layer = (settings: QualitySettings) => Layer.effect(QualityValidator, QualityValidator.make(settings))

  /** Thresholds from `QUALITY_*` (docs/configuration.md). */
  static readonly layerConfig = Layer.effect(
    QualityValidator,
    Effect.gen(function*() {
      return yield* QualityValidator.make(yield* QualitySettingsConfig)
    })
  )

  static readonly layerTest = QualityValidator.layer(defaultQualitySettings)
}
