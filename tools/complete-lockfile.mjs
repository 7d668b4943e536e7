// Completes package-lock.json with the platform-specific optional packages the registry this
// project is built against does not serve (it carries only this machine's platform binaries,
// e.g. @rollup/rollup-linux-x64-gnu but not @rollup/rollup-darwin-arm64). npm leaves those out
// of the lock file, and npm 11's `npm ci` then refuses the lock file as out of sync. Listed
// here as optional packages, they are skipped where they cannot be fetched and installed where
// they can. Run after every `npm install` that changes package-lock.json:
//   node tools/complete-lockfile.mjs
import { readFileSync, writeFileSync } from "fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
let added = 0;
for (const [location, info] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(info.optionalDependencies ?? {})) {
    const nested = `${location}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    packages[hoisted] = { version, dev: info.dev === true, optional: true };
    added++;
  }
}
// Keys in npm's own order (its lock files sort package locations with localeCompare "en"), so a
// later `npm install` rewrites the file byte for byte and leaves `git status` clean.
const sorted = {};
for (const location of Object.keys(packages).sort((a, b) => a.localeCompare(b, "en"))) sorted[location] = packages[location];
lock.packages = sorted;
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: ${added} optional platform packages added`);
