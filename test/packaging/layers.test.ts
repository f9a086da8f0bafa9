// The import picture points one way: util/ at the bottom, domain/ above it, adapters and the
// controller above those, commands and the CLI on top. Read from the sources, so a new import
// that points up fails here.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../testenv/paths.ts";

const src = join(repoRoot, "src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** The folder under src/ a file is in; a file directly in src/ is a layer of its own, by name. */
function folderOf(file: string): string {
  const [first = "", ...rest] = relative(src, file).split("/");
  return rest.length > 0 ? first : first.replace(/\.ts$/, "");
}

/** Folder -> folders its files import from (relative imports only; packages and node: are not layers). */
function importPicture(): Map<string, Set<string>> {
  const picture = new Map<string, Set<string>>();
  for (const file of sources(src)) {
    const from = folderOf(file);
    for (const match of readFileSync(file, "utf8").matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+["'](\.{1,2}\/[^"']+)["']/gm)) {
      const to = folderOf(resolve(dirname(file), match[1] ?? ""));
      if (to !== from) (picture.get(from) ?? picture.set(from, new Set()).get(from))?.add(to);
    }
  }
  return picture;
}

const allowed: Record<string, readonly string[]> = {
  util: [],
  domain: [],
  version: [],
  observability: ["domain", "util"],
  aws: ["domain", "observability", "util"],
  kube: ["domain", "observability", "util", "version"],
  controller: ["domain", "kube", "aws", "observability", "util"],
  "program-name": [],
  config: ["domain", "util", "version", "program-name"],
};

test("domain/ and util/ import from no other folder, and every folder only from those below it", () => {
  const picture = importPicture();
  assert.ok(picture.size > 3, "the picture was read");
  for (const [from, targets] of picture) {
    const ok = allowed[from];
    if (ok === undefined) continue; // the top: commands/ and cli.ts, which wire everything
    for (const to of targets) assert.ok(ok.includes(to), `src/${from} imports from src/${to}, which is not below it`);
  }
  assert.deepEqual([...(picture.get("domain") ?? [])], []);
  assert.deepEqual([...(picture.get("util") ?? [])], []);
});

test("only the system clock reads the time, sets timers or draws randomness; everything else takes a Clock", () => {
  const clockFile = join(src, "util", "clock.ts");
  // The fake clock yields to the event loop (setImmediate) so that work it woke can run.
  const fakeClock = join(src, "util", "fake-clock.ts");
  const touches = /\bDate\.now\(|\bset(?:Timeout|Interval|Immediate)\(|\bMath\.random\(|\bperformance\.now\(/;
  const offenders = sources(src)
    .filter((file) => file !== clockFile && file !== fakeClock)
    .flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, index) => ({ line, where: `${relative(repoRoot, file)}:${index + 1}` }))
        .filter(({ line }) => touches.test(line) && !/^\s*(\/\/|\*)/.test(line))
        .map(({ where, line }) => `${where}: ${line.trim()}`),
    );
  assert.deepEqual(offenders, []);
  assert.match(readFileSync(clockFile, "utf8"), touches, "the system clock itself is what the pattern finds");
});
