/** A page of the app: what it drew, and how to stop its timers and streams. */
export interface View {
  readonly dispose: () => void
}

/** Records the page's state in its address without drawing anything again. */
export const replaceQuery = (search: string) => history.replaceState(null, "", `${location.pathname}${search}`)
