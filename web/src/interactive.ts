// A performance mark when a page's first view has rendered and its handlers are attached (called from the
// view's first effect): what python -m bench.web reads as the first view's time to interactive
// (docs/BENCHMARKS.md). Marked once per page load.
export function interactive(): void {
  if (!performance.getEntriesByName("hourbank:interactive").length) performance.mark("hourbank:interactive");
}
