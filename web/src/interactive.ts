// A performance mark when a page's first view has rendered and its handlers are attached: what
// scripts/bench_web.py reads as the first view's time to interactive (docs/BENCHMARKS.md).
export function interactive(): void {
  performance.mark("hourbank:interactive");
}
