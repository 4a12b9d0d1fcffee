import AxeBuilder from "@axe-core/playwright"
import type { Page } from "@playwright/test"

/** axe-core's WCAG 2.1 A/AA and best-practice rules; the serious and critical findings, one line each. */
export const seriousViolations = async (page: Page) => {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze()
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)
}

