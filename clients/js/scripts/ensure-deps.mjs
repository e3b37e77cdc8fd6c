// Installs the locked dependencies with `npm ci` unless node_modules already holds exactly this
// package-lock.json (a stamp with its SHA-256 is written after a successful install). The Maven
// build runs this before `npm run build`, so a fresh clone needs nothing but Node.js and npm.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

const lock = readFileSync("package-lock.json");
const hash = createHash("sha256").update(lock).digest("hex");
const stamp = "node_modules/.servicekit-lock-sha256";
if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === hash) {
  console.log("clients/js: node_modules matches package-lock.json; skipping npm ci");
  process.exit(0);
}
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const result = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { stdio: "inherit" });
if (result.status !== 0) {
  console.error(`clients/js: npm ci failed (exit ${result.status ?? result.signal}); see the output above`);
  process.exit(1);
}
writeFileSync(stamp, hash + "\n");
