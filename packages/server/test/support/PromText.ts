/**
 * Reading the Prometheus text format that /metrics serves: the sum of every
 * sample of `name` whose labels include all of `labels`.
 */
export interface PromSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const lineRe = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

export const parseProm = (text: string): ReadonlyArray<PromSample> =>
  text.split("\n").flatMap((line) => {
    if (line.startsWith("#") || line.trim().length === 0) return []
    const m = lineRe.exec(line)
    if (m === null) return []
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? "").matchAll(labelRe)) labels[l[1]!] = l[2]!
    return [{ name: m[1]!, labels, value: Number(m[3]) }]
  })

export const promValue = (text: string, name: string, labels: Readonly<Record<string, string>> = {}): number =>
  parseProm(text)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)

/** Whether any sample of `name` with these labels exists at all. */
export const promHas = (text: string, name: string, labels: Readonly<Record<string, string>> = {}): boolean =>
  parseProm(text).some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
