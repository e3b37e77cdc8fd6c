/** A listener registry with typed events; `on` returns a function that removes the listener. */
export class Emitter<E extends { [K in keyof E]: unknown }> {
  private readonly listeners = new Map<keyof E, Set<(value: never) => void>>();

  /** Adds `listener` for `event`; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (value: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (value: never) => void);
    return () => this.off(event, listener);
  }

  /** Removes `listener` from `event`. */
  off<K extends keyof E>(event: K, listener: (value: E[K]) => void): void {
    this.listeners.get(event)?.delete(listener as (value: never) => void);
  }

  /** Calls every listener of `event`; a throwing listener is reported on the console, not rethrown. */
  protected emit<K extends keyof E>(event: K, value: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (v: E[K]) => void)(value);
      } catch (err) {
        console.error(`servicekit: a "${String(event)}" listener threw`, err);
      }
    }
  }

  /** Whether `event` has listeners. */
  protected has<K extends keyof E>(event: K): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }
}
