import assert from "node:assert/strict";
import { test } from "node:test";
import { renderTable } from "./table.ts";

test("columns are padded to their widest cell; the last column is not padded", () => {
  assert.equal(
    renderTable(
      ["NAME", "STATE", "NOTE"],
      [
        ["a", "ok", "x"],
        ["longer-name", "refresh-due", "-"],
      ],
    ),
    "NAME         STATE        NOTE\na            ok           x\nlonger-name  refresh-due  -\n",
  );
});

test("a table with no rows is its header line", () => {
  assert.equal(renderTable(["A", "B"], []), "A  B\n");
});
