// Checks that the committed build (client/dist, app/dist: what biogated
// embeds) equals a fresh tsc build of the sources, so the two never drift.
// Run after `npm ci`: node scripts/check-build.mjs (npm run check-build).
// On a difference it names the files and exits 1: run `npm run build` and
// commit the result.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = join(web, "node_modules/typescript/bin/tsc");

function files(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  try {
    walk(dir);
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), "biogate-web-build-"));
let problems = [];
try {
  for (const project of ["client", "app"]) {
    const fresh = join(tmp, project);
    execFileSync(process.execPath, [tsc, "-p", join(web, project), "--outDir", fresh], { stdio: "inherit" });
    const want = files(fresh);
    const have = files(join(web, project, "dist"));
    for (const [f, b] of want) {
      if (!have.has(f)) problems.push(`${project}/dist/${f}: missing from the commit`);
      else if (!have.get(f).equals(b)) problems.push(`${project}/dist/${f}: differs from a fresh build`);
    }
    for (const f of have.keys()) if (!want.has(f)) problems.push(`${project}/dist/${f}: not made by the build (stale)`);
    console.log(`check-build: ${project}: ${want.size} files compared`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (problems.length) {
  console.error("check-build: the committed build is not the sources' build; run `npm run build` in web/ and commit:\n  " + problems.join("\n  "));
  process.exit(1);
}
console.log("check-build: the committed build equals a fresh build");
