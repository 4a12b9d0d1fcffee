/**
 * The files `npm run cli -- service install` writes for a one-host install: a systemd
 * unit (Linux) and a launchd property list (macOS). Pure text from the settings, so the
 * copies committed under deploy/systemd and deploy/launchd can be checked against what
 * the command writes with its defaults (ServiceFiles.test.ts).
 */

export interface ServiceSettings {
  /** Where the release tarball is unpacked (it holds bin/marketgate). */
  readonly prefix: string
  /** The dedicated system user (and group) the service runs as. */
  readonly user: string
  /** DATA_DIR: the only directory the service writes (embedded PGlite, pid file). */
  readonly dataDir: string
  /** Settings (docs/configuration.md) as KEY=value lines; holds the secrets, mode 0640. */
  readonly envFile: string
}

export const defaultSettings = {
  systemd: {
    prefix: "/opt/marketgate",
    user: "marketgate",
    dataDir: "/var/lib/marketgate",
    envFile: "/etc/marketgate/marketgate.env"
  },
  launchd: {
    prefix: "/usr/local/marketgate",
    user: "_marketgate",
    dataDir: "/usr/local/var/marketgate",
    envFile: "/usr/local/etc/marketgate/marketgate.env"
  }
} as const satisfies Record<string, ServiceSettings>

/** The service drains for SHUTDOWN_DRAIN (20 s) after SIGTERM; the manager waits longer before SIGKILL. */
export const STOP_TIMEOUT_SECONDS = 45

export const systemdUnitName = "marketgate.service"
export const launchdLabel = "com.marketgate.service"

export const systemdUnit = (s: ServiceSettings) => `# marketgate as a systemd service (docs/deployment.md#one-host-with-systemd).
# Written by \`npm run cli -- service install\`; deploy/systemd/marketgate.service is the
# same file with the default paths, for installing by hand.
[Unit]
Description=marketgate market-data service
Documentation=https://github.com/marketgate/marketgate/blob/main/docs/deployment.md
After=network-online.target postgresql.service redis-server.service
Wants=network-online.target

[Service]
Type=exec
User=${s.user}
Group=${s.user}
WorkingDirectory=${s.prefix}
EnvironmentFile=${s.envFile}
Environment=NODE_ENV=production DATA_DIR=${s.dataDir}
# Migrations first (once, under the migrator's lock), then the service.
ExecStartPre=${s.prefix}/bin/marketgate migrate
ExecStart=${s.prefix}/bin/marketgate start
Restart=on-failure
RestartSec=5s
# SIGTERM to the service, which drains (SHUTDOWN_DRAIN, 20 s) and exits 0; SIGKILL only after this.
KillMode=mixed
TimeoutStopSec=${STOP_TIMEOUT_SECONDS}s
LimitNOFILE=65536
UMask=0027

# Hardening: read-only system, no home directories, no privileges; it writes DATA_DIR only.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${s.dataDir}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
RestrictRealtime=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallArchitectures=native
CapabilityBoundingSet=

[Install]
WantedBy=multi-user.target
`

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

export const launchdPlist = (s: ServiceSettings) => `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- marketgate as a launchd daemon (docs/deployment.md#one-host-with-launchd). Written by
     the CLI's "service install" command; deploy/launchd/${launchdLabel}.plist is the same
     file with the default paths. launchd has no environment file: bin/marketgate reads
     MARKETGATE_ENV_FILE itself. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${launchdLabel}</string>
  <key>ProgramArguments</key>
  <array>
    <string>${xml(s.prefix)}/bin/marketgate</string>
    <string>start</string>
  </array>
  <key>WorkingDirectory</key>
  <string>${xml(s.prefix)}</string>
  <key>UserName</key>
  <string>${xml(s.user)}</string>
  <key>GroupName</key>
  <string>${xml(s.user)}</string>
  <key>EnvironmentVariables</key>
  <dict>
    <key>NODE_ENV</key>
    <string>production</string>
    <key>DATA_DIR</key>
    <string>${xml(s.dataDir)}</string>
    <key>MARKETGATE_ENV_FILE</key>
    <string>${xml(s.envFile)}</string>
    <key>MARKETGATE_MIGRATE_FIRST</key>
    <string>1</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>ExitTimeOut</key>
  <integer>${STOP_TIMEOUT_SECONDS}</integer>
  <key>Umask</key>
  <integer>23</integer>
  <key>StandardOutPath</key>
  <string>/usr/local/var/log/marketgate/marketgate.log</string>
  <key>StandardErrorPath</key>
  <string>/usr/local/var/log/marketgate/marketgate.log</string>
</dict>
</plist>
`
