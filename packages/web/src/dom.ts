/** A tiny element builder: attributes, then children (strings become text). */
type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>

export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Child | ReadonlyArray<Child>>
): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value)
    else if (value === true) el.setAttribute(name, "")
    else el.setAttribute(name, String(value))
  }
  append(el, children)
  return el
}

export const append = (el: Node, children: ReadonlyArray<Child | ReadonlyArray<Child>>) => {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    el.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child)
  }
}

/** Replaces an element's children. */
export const fill = (el: Element, ...children: Array<Child | ReadonlyArray<Child>>) => {
  el.replaceChildren()
  append(el, children)
}

export const byId = <E extends HTMLElement = HTMLElement>(id: string): E => {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`no element #${id}`)
  return el as E
}
