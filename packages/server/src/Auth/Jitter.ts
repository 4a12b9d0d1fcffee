/**
 * ±10 % on an expiry, so keys written together (a burst of logins, tokens
 * issued at start-up) do not all expire, and all reload, at the same moment.
 */
export const jittered = (ms: number): number => Math.round(ms * (0.9 + Math.random() * 0.2))
