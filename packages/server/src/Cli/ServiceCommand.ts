import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { CliFailure } from "./CliFailure.ts"
import {
  defaultSettings,
  launchdLabel,
  launchdPlist,
  type ServiceSettings,
  systemdUnit,
  systemdUnitName
} from "./ServiceFiles.ts"

/**
 * `npm run cli -- service install|uninstall|start|stop|status`: marketgate as a platform
 * service on one host (docs/deployment.md#one-host). systemd on Linux, launchd on macOS;
 * Windows is documented (WinSW), not driven from here. `--root DIR` writes the files
 * under DIR and drives no service manager (packaging, tests, a chroot).
 */

type Platform = "systemd" | "launchd"

const platformFlag = Flag.Literals("platform", ["systemd", "launchd", "windows"]).pipe(
  Flag.withDescription("service manager (default: launchd on macOS, systemd elsewhere)"),
  Flag.optional
)
const rootFlag = Flag.String("root").pipe(
  Flag.withDescription("write under this directory instead of /, and drive no service manager"),
  Flag.optional
)
const settingFlags = {
  prefix: Flag.String("prefix").pipe(Flag.withDescription("where the release is unpacked (holds bin/marketgate)"), Flag.optional),
  user: Flag.String("user").pipe(Flag.withDescription("the dedicated system user the service runs as"), Flag.optional),
  dataDir: Flag.String("data-dir").pipe(Flag.withDescription("DATA_DIR, the one directory the service writes"), Flag.optional),
  envFile: Flag.String("env-file").pipe(Flag.withDescription("KEY=value settings file (secrets included, mode 0640)"), Flag.optional)
}

const choosePlatform = (flag: Option.Option<"systemd" | "launchd" | "windows">) =>
  Effect.gen(function*() {
    const p = Option.getOrElse(flag, () => (process.platform === "darwin" ? "launchd" as const : process.platform === "win32" ? "windows" as const : "systemd" as const))
    if (p === "windows") {
      return yield* new CliFailure({
        message: "on Windows, install marketgate as a service with WinSW as docs/deployment.md#windows describes; this command drives systemd and launchd"
      })
    }
    return p as Platform
  })

const serviceFile = (platform: Platform, root: string) =>
  platform === "systemd"
    ? Path.join(root, "etc/systemd/system", systemdUnitName)
    : Path.join(root, "Library/LaunchDaemons", `${launchdLabel}.plist`)

const render = (platform: Platform, settings: ServiceSettings) =>
  platform === "systemd" ? systemdUnit(settings) : launchdPlist(settings)

/** Runs a system command with the terminal attached; a non-zero exit is a CliFailure naming it. */
const exec = (command: string, args: ReadonlyArray<string>, options: { readonly allowFailure?: boolean } = {}) =>
  Effect.callback<number, CliFailure>((resume) => {
    const child = ChildProcess.spawn(command, [...args], { stdio: "inherit" })
    child.once("error", (e) =>
      resume(Effect.fail(new CliFailure({ message: `${command} could not be run (${e.message}); is this the right --platform?` }))))
    child.once("exit", (code) =>
      resume(
        code === 0 || options.allowFailure === true
          ? Effect.succeed(code ?? 1)
          : Effect.fail(new CliFailure({ message: `\`${[command, ...args].join(" ")}\` exited with code ${code}` }))
      ))
  })

const quietly = (command: string, args: ReadonlyArray<string>) =>
  Effect.sync(() => ChildProcess.spawnSync(command, [...args], { stdio: "ignore" }).status === 0)

const writeFile = (file: string, content: string, mode: number) =>
  Effect.try({
    try: () => {
      Fs.mkdirSync(Path.dirname(file), { recursive: true })
      Fs.writeFileSync(file, content, { mode })
      Fs.chmodSync(file, mode)
    },
    catch: (e) => new CliFailure({ message: `cannot write ${file}: ${String(e)} (run it as root, or with --root DIR)` })
  })

/** The user, its data directory and a starter settings file, on the real system only. */
const prepareHost = (platform: Platform, s: ServiceSettings) =>
  Effect.gen(function*() {
    if (platform === "systemd" && !(yield* quietly("id", ["-u", s.user]))) {
      yield* Console.log(`creating system user ${s.user}`)
      yield* exec("useradd", ["--system", "--user-group", "--home-dir", s.dataDir, "--shell", "/usr/sbin/nologin", s.user])
    }
    if (platform === "launchd" && !(yield* quietly("id", ["-u", s.user]))) {
      return yield* new CliFailure({
        message: `no user ${s.user}: create it first (docs/deployment.md#one-host-with-launchd shows the dscl commands)`
      })
    }
    yield* Effect.try({
      try: () => Fs.mkdirSync(s.dataDir, { recursive: true, mode: 0o750 }),
      catch: (e) => new CliFailure({ message: `cannot create ${s.dataDir}: ${String(e)}` })
    })
    yield* exec("chown", ["-R", `${s.user}:${platform === "systemd" ? s.user : "staff"}`, s.dataDir])
    if (!Fs.existsSync(s.envFile)) {
      const example = Path.join(s.prefix, ".env.example")
      const content = Fs.existsSync(example) ? Fs.readFileSync(example, "utf8") : "# settings: docs/configuration.md\n"
      yield* writeFile(s.envFile, content, 0o640)
      yield* exec("chgrp", [platform === "systemd" ? s.user : "staff", s.envFile])
      yield* Console.log(`wrote ${s.envFile} from .env.example: set DATABASE_URL and the other settings there`)
    }
  })

const managerCommand = (platform: Platform, action: "start" | "stop" | "status" | "enable" | "disable") => {
  if (platform === "systemd") {
    const args = action === "enable" ? ["enable", "--now", systemdUnitName] : action === "disable" ? ["disable", "--now", systemdUnitName] : [action, systemdUnitName]
    return exec("systemctl", args, { allowFailure: action === "status" || action === "disable" })
  }
  const target = `system/${launchdLabel}`
  const plist = serviceFile("launchd", "/")
  switch (action) {
    case "enable":
      return exec("launchctl", ["bootstrap", "system", plist])
    case "disable":
      return exec("launchctl", ["bootout", target], { allowFailure: true })
    case "start":
      return exec("launchctl", ["kickstart", "-k", target])
    case "stop":
      return exec("launchctl", ["kill", "SIGTERM", target])
    case "status":
      return exec("launchctl", ["print", target], { allowFailure: true })
  }
}

const resolveSettings = (platform: Platform, flags: { [K in keyof typeof settingFlags]: Option.Option<string> }): ServiceSettings => {
  const d = defaultSettings[platform]
  return {
    prefix: Option.getOrElse(flags.prefix, () => d.prefix),
    user: Option.getOrElse(flags.user, () => d.user),
    dataDir: Option.getOrElse(flags.dataDir, () => d.dataDir),
    envFile: Option.getOrElse(flags.envFile, () => d.envFile)
  }
}

const install = Command.make(
  "install",
  {
    platform: platformFlag,
    root: rootFlag,
    ...settingFlags,
    noStart: Flag.Boolean("no-start").pipe(Flag.withDescription("write and enable, do not start"), Flag.withDefault(false))
  },
  Effect.fn(function*(flags) {
    const platform = yield* choosePlatform(flags.platform)
    const settings = resolveSettings(platform, flags)
    const root = Option.getOrElse(flags.root, () => "/")
    const file = serviceFile(platform, root)
    if (Option.isNone(flags.root)) yield* prepareHost(platform, settings)
    yield* writeFile(file, render(platform, settings), 0o644)
    yield* Console.log(`wrote ${file}`)
    if (Option.isSome(flags.root)) return
    if (platform === "systemd") yield* exec("systemctl", ["daemon-reload"])
    if (!flags.noStart) yield* managerCommand(platform, "enable")
    yield* Console.log(`marketgate is installed as a ${platform} service; \`npm run cli -- service status\` shows how it runs`)
  })
).pipe(Command.withDescription("Write the systemd unit (or launchd plist), create the service user and DATA_DIR, enable and start it"))

const uninstall = Command.make(
  "uninstall",
  { platform: platformFlag, root: rootFlag },
  Effect.fn(function*(flags) {
    const platform = yield* choosePlatform(flags.platform)
    const file = serviceFile(platform, Option.getOrElse(flags.root, () => "/"))
    if (Option.isNone(flags.root)) yield* managerCommand(platform, "disable")
    yield* Effect.try({ try: () => Fs.rmSync(file, { force: true }), catch: (e) => new CliFailure({ message: `cannot remove ${file}: ${String(e)}` }) })
    if (Option.isNone(flags.root) && platform === "systemd") yield* exec("systemctl", ["daemon-reload"])
    yield* Console.log(`removed ${file}; DATA_DIR, the settings file and the service user are kept`)
  })
).pipe(Command.withDescription("Stop and disable the service and remove its unit (data and settings are kept)"))

const control = (action: "start" | "stop") =>
  Command.make(action, { platform: platformFlag }, Effect.fn(function*(flags) {
    yield* managerCommand(yield* choosePlatform(flags.platform), action)
  })).pipe(Command.withDescription(`${action === "start" ? "Start" : "Stop (drains first)"} the installed service`))

const status = Command.make(
  "status",
  { platform: platformFlag, root: rootFlag, ...settingFlags },
  Effect.fn(function*(flags) {
    const platform = yield* choosePlatform(flags.platform)
    const file = serviceFile(platform, Option.getOrElse(flags.root, () => "/"))
    if (!Fs.existsSync(file)) return yield* new CliFailure({ message: `not installed: ${file} does not exist` })
    const current = Fs.readFileSync(file, "utf8") === render(platform, resolveSettings(platform, flags))
    yield* Console.log(`${file}: installed${current ? "" : " (differs from what `service install` with these settings writes)"}`)
    if (Option.isNone(flags.root)) yield* managerCommand(platform, "status")
  })
).pipe(Command.withDescription("Whether the service is installed, and what its service manager says about it"))

export const serviceCommand = Command.make("service").pipe(
  Command.withDescription("Run marketgate as a platform service on this host (systemd, launchd)"),
  Command.withSubcommands([install, uninstall, control("start"), control("stop"), status])
)
