// What a person sees: the lines left on a terminal after it has interpreted carriage returns,
// newlines and "erase to end of line" (the only control sequences the CLI writes).
export function screen(output: string): string[] {
  const lines: string[] = [""];
  let column = 0;
  for (let i = 0; i < output.length; i++) {
    const char = output[i] ?? "";
    const row = lines.length - 1;
    if (char === "\r") column = 0;
    else if (char === "\n") {
      lines.push("");
      column = 0;
    } else if (output.startsWith("\x1b[K", i)) {
      lines[row] = (lines[row] ?? "").slice(0, column);
      i += 2;
    } else {
      const line = (lines[row] ?? "").padEnd(column);
      lines[row] = line.slice(0, column) + char + line.slice(column + 1);
      column++;
    }
  }
  return lines.at(-1) === "" ? lines.slice(0, -1) : lines;
}
