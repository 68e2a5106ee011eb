import * as tf from '@tensorflow/tfjs';

/** A named tensor as tfjs optimizers save them (tfjs does not export the type). */
type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

/** Hyper-parameters of {@link KerasSgdOptimizer}; the defaults are Keras 2.0's `SGD()`. */
export interface KerasSgdConfig {
  /** Initial learning rate `lr`. */
  readonly learningRate: number;
  /** Keras' time decay: the step with `t` steps before it uses lr / (1 + decay * t) (default 0). */
  readonly decay?: number;
  /** Momentum (default 0). */
  readonly momentum?: number;
  /** Nesterov momentum (default false). */
  readonly nesterov?: boolean;
}

/**
 * Keras 2.0's `SGD(lr, decay, momentum, nesterov)` (keras/optimizers.py), the optimizer of Carlini's
 * train_models.py. With `t` = the steps taken so far (0 at the first step) and for each parameter p,
 * its gradient g and its velocity v (zero at first):
 *
 *     lr_t = lr / (1 + decay * t)
 *     v    = momentum * v - lr_t * g
 *     p    = p + momentum * v - lr_t * g      (Nesterov)     or     p = p + v
 *
 * Why not tfjs' `tf.train.momentum(lr, m, true)` with `setLearningRate` per step: tfjs keeps
 * a = m * a + g and steps p -= lr * (g + m * a). At a constant lr that is Keras' update exactly
 * (a = -v / lr), but when lr changes from step to step tfjs scales the whole accumulated momentum by
 * the current lr, while Keras keeps each past gradient at the lr of its own step. The velocity here
 * is Keras' v, so the decay is Keras' (tested against the formulas above, and against tfjs' momentum
 * at decay 0). Velocities are saved by {@link getWeights} after the iteration count, in the order of
 * the variables of the first step, so a checkpoint restores into a freshly built model.
 */
export class KerasSgdOptimizer extends tf.Optimizer {
  /** Class name for tfjs serialization. */
  static get className(): string {
    return 'KerasSGD';
  }

  private readonly lr: number;
  private readonly decay: number;
  private readonly momentum: number;
  private readonly nesterov: boolean;
  private velocities: { originalName: string; variable: tf.Variable }[] = [];

  constructor(config: KerasSgdConfig) {
    super();
    this.lr = config.learningRate;
    this.decay = config.decay ?? 0;
    this.momentum = config.momentum ?? 0;
    this.nesterov = config.nesterov ?? false;
  }

  /** The learning rate of the next step: lr / (1 + decay * iterations). */
  get currentLearningRate(): number {
    return this.decay > 0 ? this.lr / (1 + this.decay * this.iterations) : this.lr;
  }

  /** One step: updates every variable's velocity and value from its gradient, then counts the step. */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients) ? variableGradients : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name]! }));
    const registered = tf.engine().registeredVariables;
    // lr_t in double, rounded once to float32 (Keras rounds at each of its float32 ops: within an ulp).
    const lrT = Math.fround(this.currentLearningRate);
    list.forEach(({ name, tensor: g }, i) => {
      const p = registered[name]!;
      if (this.velocities[i] === undefined) {
        this.velocities[i] = { originalName: `${name}/velocity`, variable: tf.tidy(() => tf.zerosLike(p).variable(false)) };
      }
      const v = this.velocities[i]!.variable;
      if (g == null) return;
      tf.tidy(() => {
        const step = tf.mul(g, lrT);
        const vNew = tf.sub(tf.mul(v, this.momentum), step);
        const pNew = this.nesterov ? tf.sub(tf.add(p, tf.mul(vNew, this.momentum)), step) : tf.add(p, vNew);
        v.assign(vNew);
        p.assign(pNew);
      });
    });
    this.incrementIterations();
  }

  /** Disposes the velocities. */
  override dispose(): void {
    tf.dispose(this.velocities.map((v) => v.variable));
    this.velocities = [];
  }

  /** The iteration count (`iter`), then one velocity per variable, in the order of the first step. */
  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...this.velocities.map((v) => ({ name: v.originalName, tensor: v.variable }))];
  }

  /** Restores what {@link getWeights} saved. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    tf.dispose(this.velocities.map((v) => v.variable));
    this.velocities = rest.map((w) => ({ originalName: w.name, variable: w.tensor.variable(false) }));
  }

  /** The hyper-parameters. */
  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.lr, decay: this.decay, momentum: this.momentum, nesterov: this.nesterov };
  }
}
