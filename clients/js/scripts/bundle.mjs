// Bundles src/index.ts for browsers: dist/servicekit.js (IIFE, global `ServiceKit`) and
// dist/servicekit.mjs (one ES module). The demo server serves the first at /js/servicekit.js.
import { build } from "esbuild";

const common = {
  entryPoints: ["src/index.ts"],
  bundle: true,
  target: "es2020",
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
};
await build({ ...common, format: "iife", globalName: "ServiceKit", outfile: "dist/servicekit.js" });
await build({ ...common, format: "esm", outfile: "dist/servicekit.mjs" });
