// One line at the bottom of a terminal ("synced 12/40 namespaces"), rewritten in place.
// Log lines pass through it: each first erases the status line, is written, and then the
// status line is drawn again below it, so a person never sees the two run together.
import { Writable } from "node:stream";

/** Back to column 0 and erase to the end of the line (ANSI "EL"). */
const eraseLine = "\r\x1b[K";

export class StatusLine extends Writable {
  readonly #terminal: NodeJS.WritableStream;
  #text = "";

  constructor(terminal: NodeJS.WritableStream) {
    super();
    this.#terminal = terminal;
  }

  /** Shows `text` in place of the previous status. */
  show(text: string): void {
    this.#text = text;
    this.#terminal.write(`${eraseLine}${text}`);
  }

  /** Leaves the last status on screen as an ordinary line. */
  done(): void {
    if (this.#text !== "") this.#terminal.write("\n");
    this.#text = "";
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#terminal.write(this.#text === "" ? chunk : `${eraseLine}${chunk.toString("utf8")}${this.#text}`);
    callback();
  }
}
