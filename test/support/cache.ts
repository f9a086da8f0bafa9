// A cache seeded by hand, as sample-controller's tests fill their informers' indexers: the
// controller reads it exactly as it reads an informer's.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Cache } from "../../src/controller/controller.ts";

export class SeededCache<T extends KubernetesObject> implements Cache<T> {
  readonly #objects = new Map<string, T>();

  constructor(objects: readonly T[] = []) {
    for (const obj of objects) this.put(obj);
  }

  put(obj: T): void {
    this.#objects.set(`${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`, obj);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#objects.get(`${namespace ?? ""}/${name}`);
  }

  list(namespace?: string): readonly T[] {
    return [...this.#objects.values()].filter((obj) => namespace === undefined || obj.metadata?.namespace === namespace);
  }
}
