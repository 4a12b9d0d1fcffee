/**
 * .github/workflows/ci.yml runs the same stages as .ci/run (which no forge runs for us
 * here): the setup part of .ci/run itself, npm ci, npm test, the browser tests when
 * there are any, and the image smoke test. Checked statically: the workflow parses and
 * names each stage, and .ci/run has each of them too; `npm run test:all` is .ci/run's
 * setup followed by npm test.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Yaml from "yaml"

const ROOT = Path.join(import.meta.dirname, "../../../..")
const workflow = Yaml.parse(Fs.readFileSync(Path.join(ROOT, ".github/workflows/ci.yml"), "utf8"))
const ciRun = Fs.readFileSync(Path.join(ROOT, ".ci/run"), "utf8")
const runs = Object.values(workflow.jobs as Record<string, { steps: Array<{ run?: string; uses?: string }> }>)
  .flatMap((job) => job.steps.map((s) => s.run ?? s.uses ?? ""))
  .join("\n")

describe("CI on a forge", () => {
  it("the workflow runs the stages of .ci/run, and .ci/run has each", () => {
    assert.deepStrictEqual(Object.keys(workflow.on).sort(), ["pull_request", "push"])
    for (const [inWorkflow, inCiRun] of [
      ["bash .ci/run setup", "[ \"$mode\" = setup ] && exit 0"],
      ["npm ci --no-audit --no-fund", "npm ci --no-audit --no-fund"],
      ["npm test", "npm test"],
      ["npm run test:image", "npm run test:image"]
    ] as const) {
      assert.include(runs, inWorkflow)
      assert.include(ciRun, inCiRun)
    }
    assert.include(runs, "npm run test:e2e")
    assert.include(runs, "actions/setup-node@v4")
    const setupNode = Object.values(workflow.jobs as Record<string, any>).flatMap((j) => j.steps).filter((s: any) => s.uses === "actions/setup-node@v4")
    assert.isTrue(setupNode.every((s: any) => s.with["node-version"] === 24), "Node 24, as the node devDependency")
  })

  it("npm run test:all is the setup of .ci/run, then npm test", () => {
    const scripts = (JSON.parse(Fs.readFileSync(Path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts
    assert.strictEqual(scripts["test:all"], "bash .ci/run test")
    assert.strictEqual(scripts["test:image"], "bash deploy/docker/smoke.sh")
    assert.match(ciRun, /case \$mode in all \| test \| setup\)/)
  })
})
