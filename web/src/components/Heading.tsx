// A view's heading, focused when the view appears: keyboard and screen-reader users land on the new view.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

export function Heading({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}
