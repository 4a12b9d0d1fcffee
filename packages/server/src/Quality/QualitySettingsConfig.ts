import { defaultQualitySettings, type QualitySettings } from "@marketgate/domain/quality/QualityRules"
import { Config, Schema } from "effect"

const atLeast = (name: string, minimum: number, integer: boolean) =>
  Schema.NumberFromString.pipe(
    Schema.decodeTo(
      Schema.Finite.check(
        Schema.makeFilter((n: number) =>
          (n >= minimum && (!integer || Number.isInteger(n))) ||
          `${name} must be ${integer ? "a whole number" : "a number"} of at least ${minimum}`
        )
      )
    )
  )

/** `QUALITY_JUMP_SIGMAS`, `QUALITY_MIN_JUMP`, `QUALITY_MIN_HISTORY`, `QUALITY_STALE_REPEATS` tune the data-quality rules. */
export const QualitySettingsConfig: Config.Config<QualitySettings> = Config.all({
  jumpSigmas: Config.schema(atLeast("QUALITY_JUMP_SIGMAS", 1, false), "QUALITY_JUMP_SIGMAS").pipe(
    Config.withDefault(defaultQualitySettings.jumpSigmas)
  ),
  minJump: Config.schema(atLeast("QUALITY_MIN_JUMP", 0, false), "QUALITY_MIN_JUMP").pipe(
    Config.withDefault(defaultQualitySettings.minJump)
  ),
  minHistory: Config.schema(atLeast("QUALITY_MIN_HISTORY", 2, true), "QUALITY_MIN_HISTORY").pipe(
    Config.withDefault(defaultQualitySettings.minHistory)
  ),
  staleRepeats: Config.schema(atLeast("QUALITY_STALE_REPEATS", 1, true), "QUALITY_STALE_REPEATS").pipe(
    Config.withDefault(defaultQualitySettings.staleRepeats)
  )
})
