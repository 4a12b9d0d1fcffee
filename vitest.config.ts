import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    // Integration suites start servers and databases; keep them apart from
    // each other but let files run in parallel on both cores.
    testTimeout: 60_000,
    hookTimeout: 120_000
  }
})
