// A 20-line DOM helper instead of a view library: h("p", {class: "x"}, "text", child). Text is always a
// text node (never parsed as HTML), and there are no inline handlers or style attributes (issue 11's CSP).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value == null) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let seq = 0;
export function uid(prefix) {
  seq += 1;
  return `${prefix}-${seq}`;
}

// A labelled control: field("Reason", h("textarea", {name: "reason"})) -> <div class=field><label for>...
export function field(label, control, help) {
  const id = control.id || uid("f");
  control.id = id;
  const helpEl = help ? h("p", { class: "help", id: `${id}-help` }, help) : null;
  if (helpEl) control.setAttribute("aria-describedby", helpEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, helpEl);
}
