/**
 * Freezes an object and every prototype above it, stopping before Object.prototype and
 * Function.prototype (which belong to the whole process). Frozen, a component can neither be
 * swapped nor have a method patched; private (#) fields keep working.
 */
export function freezeChain<T extends object>(value: T): T {
  for (let o: object | null = value; o !== null && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o) as object | null) {
    Object.freeze(o);
  }
  return value;
}

/** Freezes a class and its prototype chain as its module loads, before any plugin can patch them. */
export function freezeClass(cls: abstract new (...args: never[]) => object): void {
  freezeChain(cls);
  freezeChain(cls.prototype as object);
}
