// The web app's build (issue 20 item 7): one Vite build, three pages - the order form (/), the page
// Checkout returns to (/paid.html) and the portal (/portal/) - into dist/, which the local gateway serves
// (scripts/devstack/web.py) and scripts/ops/publish_site.py uploads. public/ is copied as is: config.js (the
// deployment overwrites it) and style.css (also used by the local stack's own pages).
import preact from "@preact/preset-vite";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const page = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      input: { order: page("index.html"), paid: page("paid.html"), portal: page("portal/index.html") },
    },
  },
});
