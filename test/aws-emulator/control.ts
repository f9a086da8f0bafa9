// Typed client for the emulator's /_emulator/ API, for tests that run in a
// different process than the emulator (e.g. against `main.ts`).
import type { CallCounts, EmulatorConfig, EmulatorConfigPatch, IssuedRecords } from './types.ts';

export type * from './types.ts';

export class EmulatorControl {
  readonly #base: string;

  /** url: the emulator's base URL, e.g. http://127.0.0.1:40123 */
  constructor(url: string) {
    this.#base = url.replace(/\/+$/, '');
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`${this.#base}/_emulator/${path}`, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator ${method} /_emulator/${path}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** Current behaviour config (fault.times reads back as the remaining count). */
  config(): Promise<EmulatorConfig> {
    return this.#call('GET', 'config');
  }

  /** Applies a partial config; rejects (changing nothing) if it is invalid. */
  configure(patch: EmulatorConfigPatch): Promise<EmulatorConfig> {
    return this.#call('POST', 'config', patch);
  }

  /** Restores the default config and clears records and call counts. */
  reset(): Promise<EmulatorConfig> {
    return this.#call('POST', 'reset');
  }

  issued(): Promise<IssuedRecords> {
    return this.#call('GET', 'issued');
  }

  calls(): Promise<CallCounts> {
    return this.#call('GET', 'calls');
  }
}
