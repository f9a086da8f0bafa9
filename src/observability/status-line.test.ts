import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { StatusLine } from "./status-line.ts";

function terminal(): { stream: PassThrough; written: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  return { stream, written: () => chunks.join("") };
}

test("a log line erases the status, is written whole, and the status is drawn again after it", () => {
  const { stream, written } = terminal();
  const status = new StatusLine(stream);
  status.write("before any status\n");
  status.show("synced 1/3 namespaces");
  status.write("namespace a: secret created\n");
  status.show("synced 2/3 namespaces");
  assert.equal(
    written(),
    "before any status\n" + "\r\x1b[Ksynced 1/3 namespaces" + "\r\x1b[Knamespace a: secret created\nsynced 1/3 namespaces" + "\r\x1b[Ksynced 2/3 namespaces",
  );
});

test("done leaves the last status as a line of its own, and later log lines are written as they are", () => {
  const { stream, written } = terminal();
  const status = new StatusLine(stream);
  status.show("synced 3/3 namespaces");
  status.done();
  status.write("sync done\n");
  status.done();
  assert.equal(written(), "\r\x1b[Ksynced 3/3 namespaces\nsync done\n");
});
