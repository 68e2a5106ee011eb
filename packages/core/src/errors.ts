/**
 * Typed errors. Every message is one line that says what was expected, what came, and what to do,
 * so a CLI can print it as is and exit with status 2.
 */
export class MixnsqueezeError extends Error {
  /** Stable machine-readable code, e.g. `E_SHAPE`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.code = code;
    this.name = new.target.name;
  }
}

/** A batch or file whose shape does not fit what the consumer needs. */
export class ShapeError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_SHAPE', message);
  }
}

/** Feature values outside the feature space's bounds. */
export class BoundsError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_BOUNDS', message);
  }
}

/** NaN or infinite feature values. */
export class NonFiniteError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_NONFINITE', message);
  }
}

/** A spec string that names no registered component. */
export class UnknownComponentError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_UNKNOWN_COMPONENT', message);
  }
}

/** A component parameter that fails its schema, or a malformed spec string. */
export class ParameterError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_PARAMETER', message);
  }
}

/** A data file that is malformed, truncated or of an unsupported format. */
export class FormatError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_FORMAT', message);
  }
}

/** A file or directory that cannot be read or written. */
export class FileAccessError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_FILE', message);
  }
}

/** A model that cannot be loaded or does not fit its data. */
export class ModelLoadError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_MODEL', message);
  }
}

/** A component used on a model that lacks a capability it needs (e.g. gradients). */
export class CapabilityError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_CAPABILITY', message);
  }
}

/** Misuse of a key schedule or PRG (wrong key length, reuse of a consumed PRG). */
export class KeyError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_KEY', message);
  }
}

/** A plugin that cannot be loaded, fails in `register`, or registers a malformed component. */
export class PluginError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_PLUGIN', message);
  }
}

/** A count or size option beyond what the data or the memory allow. */
export class LimitError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_LIMIT', message);
  }
}

/** Whether a value is one of the framework's typed errors (which carry a `code`). */
export function isMixnsqueezeError(e: unknown): e is MixnsqueezeError {
  return e instanceof MixnsqueezeError;
}
