import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type AttackAnswer, type Batch, type GameView, splitSpec } from '@mixnsqueeze/core';
import { AdversaryProcessError } from './adversary-process-error.ts';
import { type PublicModel, type ToChild, type ToParent, firstLine, toWire } from './wire.ts';

const ENTRY = fileURLToPath(new URL('./child-entry.mjs', import.meta.url));

/** Options of an {@link AdversaryHost}. */
export interface AdversaryHostOptions {
  /** Plugin modules (paths) the child loads after the built-ins, as the parent's registry did. */
  readonly plugins?: readonly string[];
  /**
   * The longest an adversary may stay silent during a game: from the game's start or an oracle's
   * answer to its next query or its end (default 10 minutes). Past it the child is killed.
   */
  readonly timeoutMs?: number;
  /** The longest the child may take to load its registry and plugins (default 60 s). */
  readonly startTimeoutMs?: number;
  /**
   * How long a child waits for its next game before it is killed (default 5 minutes; the next
   * game starts another). It bounds the life of a child whose host was never closed.
   */
  readonly idleMs?: number;
  /** Where the child's stdout and stderr go (default the parent's stderr). */
  readonly log?: (text: string) => void;
}

/** The game a host is playing: the parent's view of it and how its promise settles. */
interface RunningGame {
  readonly id: number;
  readonly child: ChildProcess;
  readonly adversary: string;
  readonly view: GameView;
  /** The candidate pool the child was given: a query of the whole pool refers to it. */
  readonly candidates: Batch;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
  /** Oracle queries received and not yet answered: the silence timer runs only at zero. */
  pending: number;
  /** Oracle queries are answered one at a time, in arrival order, as an in-process adversary awaiting each would see them. */
  queue: Promise<void>;
  /** Errors the parent's oracles raised, by query id: rethrown as they are when the adversary lets them through. */
  readonly oracleErrors: Map<number, unknown>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The environment of the adversary's process: enough to run node, nothing of the parent's
 * configuration (NODE_OPTIONS could load code into it; other variables are the parent's business).
 */
function childEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'SystemRoot', 'LANG'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

/**
 * Runs EV-CSA adversaries in a child process of their own (child_process.fork), so that an
 * adversary cannot reach the defended classifier, its keys or its generators, nor patch the
 * parent's node:crypto: the child gets the game's description and the two oracles as messages,
 * nothing else (docs/security.md). One long-lived child plays every game of the host, one at a
 * time; it is started on the first game and killed by `close()` or after `idleMs` without a game.
 * A child that crashes, throws, breaks the protocol or stays silent past `timeoutMs` fails its game
 * with an {@link AdversaryProcessError}; except after a throw it is killed, and the next game
 * starts a fresh one.
 */
export class AdversaryHost {
  readonly #plugins: readonly string[];
  readonly #timeoutMs: number;
  readonly #startTimeoutMs: number;
  readonly #idleMs: number;
  #idle: NodeJS.Timeout | undefined;
  readonly #log: (text: string) => void;
  #child: ChildProcess | undefined;
  #ready: Promise<ChildProcess> | undefined;
  #game: RunningGame | undefined;
  #games = 0;
  #turn: Promise<unknown> = Promise.resolve();
  #closed = false;
  #stderrTail = '';
  readonly #exits = new Set<Promise<unknown>>();

  constructor(options: AdversaryHostOptions = {}) {
    this.#plugins = options.plugins ?? [];
    this.#timeoutMs = options.timeoutMs ?? 600_000;
    this.#startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.#idleMs = options.idleMs ?? 300_000;
    this.#log = options.log ?? ((text) => void process.stderr.write(text));
  }

  /** Process id of the current child, if one is running (for monitoring and tests). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Plays one game: the child creates the adversary `spec` from its registry with these
   * candidates and labels and plays it through `view`'s oracles, relayed. Games queue one at a time.
   */
  play(spec: string, candidates: Batch, labels: Int32Array, view: GameView, model?: PublicModel): Promise<void> {
    const turn = this.#turn.then(() => this.#play(spec, candidates, labels, view, model));
    this.#turn = turn.catch(() => undefined);
    return turn;
  }

  /** Kills the child (if any) and waits until it is gone; a game in progress fails. The host cannot be used again. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idle);
    const game = this.#game;
    if (game) this.#fail(game, new AdversaryProcessError('closed', `adversary '${game.adversary}': the host was closed during game ${game.id}.`));
    this.#kill();
    await Promise.all(this.#exits);
  }

  async #play(spec: string, candidates: Batch, labels: Int32Array, view: GameView, model?: PublicModel): Promise<void> {
    const adversary = splitSpec(spec).id;
    if (this.#closed) throw new AdversaryProcessError('closed', `adversary '${adversary}': its host is closed; create a new AdversaryHost.`);
    const child = await this.#start(adversary);
    clearTimeout(this.#idle);
    const id = ++this.#games;
    if (!child.connected) throw new AdversaryProcessError('crash', `adversary '${adversary}': its process exited before game ${id} began.`);
    await new Promise<void>((resolve, reject) => {
      const game: RunningGame = { id, child, adversary, view, candidates, resolve, reject, pending: 0, queue: Promise.resolve(), oracleErrors: new Map(), timer: undefined };
      this.#game = game;
      this.#hold(child, true);
      const description = { box: view.box, description: view.description, budget: view.budget, remaining: view.remaining, ...(model ? { model } : {}) };
      this.#send(child, { type: 'play', game: id, spec, candidates: toWire(candidates), labels: labels.slice(), view: description });
      this.#arm(game);
    });
  }

  /** The running child, started (and its registry loaded) if there is none. */
  #start(adversary: string): Promise<ChildProcess> {
    if (this.#child && this.#ready) return this.#ready;
    this.#stderrTail = '';
    const child = fork(ENTRY, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: childEnv() });
    this.#child = child;
    const exited = once(child, 'exit').catch(() => undefined);
    this.#exits.add(exited);
    void exited.then(() => this.#exits.delete(exited));
    for (const stream of [child.stdout, child.stderr]) (stream as Socket | null)?.unref();
    child.stdout?.on('data', (b: Buffer) => this.#log(String(b)));
    child.stderr?.on('data', (b: Buffer) => {
      this.#stderrTail = (this.#stderrTail + String(b)).slice(-4096);
      this.#log(String(b));
    });
    let ready = false;
    this.#ready = new Promise<ChildProcess>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const failed = (why: string) => {
        if (ready) return;
        ready = true;
        clearTimeout(timer);
        if (this.#child === child) this.#kill();
        reject(
          this.#closed
            ? new AdversaryProcessError('closed', `adversary '${adversary}': its host was closed while its process started.`)
            : new AdversaryProcessError('start', `adversary '${adversary}': its process did not start: ${why}.`),
        );
      };
      timer = setTimeout(() => failed(`not ready within ${this.#startTimeoutMs} ms (raise startTimeoutMs on a loaded machine)`), this.#startTimeoutMs);
      child.on('message', (m: ToParent) => {
        if (ready) this.#onMessage(child, m);
        else if (m?.type === 'ready') {
          ready = true;
          clearTimeout(timer);
          this.#hold(child, false);
          resolve(child);
        } else failed(m?.type === 'failed' ? String(m.message) : `it sent '${String(m?.type)}' before it was ready`);
      });
      child.on('error', (e) => failed(firstLine(e)));
      child.on('exit', (code, signal) => {
        const why = `${signal ? `signal ${signal}` : `code ${code}`}${this.#lastStderrLine()}`;
        failed(`it exited (${why})`);
        if (this.#game?.child === child) this.#onDeath(this.#game, why);
        if (this.#child === child) {
          this.#child = undefined;
          this.#ready = undefined;
        }
      });
      this.#send(child, { type: 'init', plugins: this.#plugins });
    });
    return this.#ready;
  }

  #onMessage(child: ChildProcess, m: ToParent): void {
    const game = this.#game;
    if (!game || game.child !== child || typeof m !== 'object' || m === null || !('game' in m) || m.game !== game.id) {
      this.#protocol(game, `a message outside its game (${firstLine(JSON.stringify(m)?.slice(0, 80))})`);
      return;
    }
    if (m.type === 'classify' || m.type === 'attack') {
      const x = m.pool === true ? game.candidates : m.x;
      if (!isBatch(x) || !Number.isInteger(m.id)) {
        this.#protocol(game, `a ${m.type} query without a Float32Array batch`);
        return;
      }
      game.pending++;
      clearTimeout(game.timer);
      game.queue = game.queue.then(() => this.#answer(child, game, m.type, m.id, x));
    } else if (m.type === 'done') {
      // Answers still queued belong to the game: the outcome counts them, as it would in-process.
      void game.queue.then(() => this.#settle(game));
    } else if (m.type === 'error') {
      const original = m.oracle === undefined ? undefined : game.oracleErrors.get(m.oracle);
      void game.queue.then(() =>
        this.#fail(game, original ?? new AdversaryProcessError('throw', `adversary '${game.adversary}' threw in game ${game.id}: ${firstLine(m.message)}`)),
      );
    } else {
      this.#protocol(game, `an unknown message type '${String((m as { type?: unknown }).type)}'`);
    }
  }

  async #answer(child: ChildProcess, game: RunningGame, type: 'classify' | 'attack', id: number, x: Batch): Promise<void> {
    if (this.#game !== game) return;
    let reply: ToChild;
    try {
      const result: Int32Array | AttackAnswer[] = type === 'classify' ? await game.view.classify(x) : await game.view.attack(x);
      reply = { type: 'answer', game: game.id, id, remaining: game.view.remaining, ...(type === 'classify' ? { labels: result as Int32Array } : { answers: result as AttackAnswer[] }) };
    } catch (e) {
      game.oracleErrors.set(id, e);
      reply = { type: 'answer', game: game.id, id, remaining: game.view.remaining, error: firstLine(e) };
    }
    if (this.#game !== game) return;
    game.pending--;
    this.#send(child, reply);
    this.#arm(game);
  }

  /** Starts the silence timer when the child has nothing pending: it is the adversary's turn. */
  #arm(game: RunningGame): void {
    if (game.pending > 0 || this.#game !== game) return;
    clearTimeout(game.timer);
    game.timer = setTimeout(() => {
      this.#fail(
        game,
        new AdversaryProcessError('timeout', `adversary '${game.adversary}': no query or result within ${this.#timeoutMs} ms in game ${game.id}; its process was killed (raise timeoutMs if it needs longer between queries).`),
      );
      this.#kill();
    }, this.#timeoutMs);
  }

  #onDeath(game: RunningGame, why: string): void {
    this.#fail(game, new AdversaryProcessError('crash', `adversary '${game.adversary}': its process exited (${why}) during game ${game.id}.`));
  }

  /** A child that breaks the protocol is not trusted with another message: it is killed. */
  #protocol(game: RunningGame | undefined, what: string): void {
    if (game) this.#fail(game, new AdversaryProcessError('protocol', `adversary '${game.adversary}' sent ${what}; its process was killed.`));
    this.#kill();
  }

  #settle(game: RunningGame): void {
    if (this.#game !== game) return;
    this.#end(game);
    game.resolve();
  }

  #fail(game: RunningGame, e: unknown): void {
    if (this.#game !== game) return;
    this.#end(game);
    game.reject(e);
  }

  #end(game: RunningGame): void {
    clearTimeout(game.timer);
    this.#game = undefined;
    if (this.#child) this.#hold(this.#child, false);
  }

  /**
   * Keeps the parent alive for the child only while a game or the start waits on it; an idle
   * child lives `idleMs` at most.
   */
  #hold(child: ChildProcess, on: boolean): void {
    const channel = child.channel as { ref(): void; unref(): void } | undefined | null;
    clearTimeout(this.#idle);
    if (on) {
      child.ref();
      channel?.ref();
    } else {
      child.unref();
      channel?.unref();
      this.#idle = setTimeout(() => this.#child === child && !this.#game && this.#kill(), this.#idleMs).unref();
    }
  }

  #send(child: ChildProcess, m: ToChild): void {
    if (!child.connected) return;
    child.send(m, (e) => {
      if (e && this.#game?.child === child) this.#onDeath(this.#game, `a message could not be sent: ${firstLine(e)}`);
    });
  }

  /** Kills the current child; its exit is awaited by `close()`, and a later game starts another. */
  #kill(): void {
    const child = this.#child;
    this.#child = undefined;
    this.#ready = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      // Referenced again, so that a parent awaiting close() lives until the exit it waits for.
      child.ref();
      child.kill('SIGKILL');
    }
  }

  #lastStderrLine(): string {
    const line = this.#stderrTail.split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
    return line ? `; stderr: ${line.slice(0, 300)}` : '';
  }
}

function isBatch(x: unknown): x is Batch {
  const b = x as Batch | undefined;
  return typeof b === 'object' && b !== null && b.data instanceof Float32Array && Array.isArray(b.shape) && b.shape.every((d) => typeof d === 'number');
}
