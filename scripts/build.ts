// npm run build: src/ bundled into what the image and the npm package run: dist/cli.js and the
// chunks it imports per command.
// Why a bundle rather than tsc's file-per-module output (docs/adr/0006-bundle-and-lite-mode.md):
// @kubernetes/client-node ships 25 MB of generated JavaScript for every API group, and Node
// keeps the source of every module it loads. Tree-shaken and minified, the whole program is
// 3.4 MB, which takes about 20 MB off the controller's resident memory and halves start-up.
// Type checking stays with tsc (npm run typecheck); esbuild only strips the types.
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

// Built beside dist/ and moved in file by file (below): tests and benchmarks running
// dist/cli.js while another build runs never find it missing or half-written.
const staging = `dist/.building-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
const result = await build({
  entryPoints: ["src/cli.ts"],
  outdir: staging,
  // Each command's code (and the Node built-ins it needs) in chunks the entry imports only
  // when that command runs: --version and --help load 180 KB instead of 3.5 MB
  // (docs/adr/0010-sync-cost.md). Beside cli.js, not in a subfolder: src/version.ts reads
  // ../package.json relative to the module it ends up in.
  splitting: true,
  chunkNames: "[name]-[hash]",
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  minify: true,
  // Function and class names stay, so stack traces and error names read as in the source.
  keepNames: true,
  // Some dependencies are CommonJS and require() Node's built-in modules; an ES module has no
  // require of its own, so it is made once for the whole bundle.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Licences are shipped whole, beside the bundle (below), rather than as scattered comments.
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

// The bundle is a copy of every package it contains, so each one's licence goes with it.
const packageRoots = new Set(Object.keys(result.metafile.inputs).flatMap((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []));
const notices = [...packageRoots].sort().map((root) => {
  const { name, version, license } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string; license?: string };
  const file = readdirSync(root).find((entry) => /^licen[cs]e/i.test(entry));
  const text = file ? readFileSync(join(root, file), "utf8").trim() : `(no licence file in the package; package.json says ${license ?? "nothing"})`;
  return `${name}@${version} (${license ?? "unknown"})\n\n${text}\n`;
});
writeFileSync(`${staging}/third-party-licenses.txt`, notices.join(`\n${"-".repeat(78)}\n\n`));

// Each file replaced atomically; nothing stale from an earlier build stays, since the image copies dist/ whole.
const built = readdirSync(staging);
for (const file of built) renameSync(join(staging, file), join("dist", file));
for (const file of readdirSync("dist"))
  if (!built.includes(file) && !file.startsWith(".building-")) rmSync(join("dist", file), { recursive: true, force: true });
rmSync(staging, { recursive: true, force: true });
