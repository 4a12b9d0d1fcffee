import { Config, Duration } from "effect"

/** How live quote streams behave; every number is an environment variable (docs/configuration.md). */
export interface StreamSettings {
  /** How often the watched symbols' quotes are asked of the providers while their market trades. */
  readonly pollInterval: Duration.Duration
  /** Outside trading hours quotes do not move: ask this seldom. */
  readonly idlePollInterval: Duration.Duration
  /** A `heartbeat` event after this long, so proxies and clients know the stream is alive. */
  readonly heartbeat: Duration.Duration
  /** Open streams one client (an IP address, until accounts land) may hold. */
  readonly maxPerClient: number
  /** Open streams one instance holds at most. */
  readonly maxTotal: number
}

export const defaultStreamSettings: StreamSettings = {
  pollInterval: Duration.seconds(1),
  idlePollInterval: Duration.seconds(30),
  heartbeat: Duration.seconds(15),
  maxPerClient: 8,
  maxTotal: 2000
}

export const StreamSettingsConfig: Config.Config<StreamSettings> = Config.all({
  pollInterval: Config.Duration("STREAM_POLL_INTERVAL").pipe(Config.withDefault(defaultStreamSettings.pollInterval)),
  idlePollInterval: Config.Duration("STREAM_IDLE_POLL_INTERVAL").pipe(
    Config.withDefault(defaultStreamSettings.idlePollInterval)
  ),
  heartbeat: Config.Duration("STREAM_HEARTBEAT").pipe(Config.withDefault(defaultStreamSettings.heartbeat)),
  maxPerClient: Config.Int("STREAM_MAX_PER_CLIENT").pipe(Config.withDefault(defaultStreamSettings.maxPerClient)),
  maxTotal: Config.Int("STREAM_MAX_TOTAL").pipe(Config.withDefault(defaultStreamSettings.maxTotal))
})
