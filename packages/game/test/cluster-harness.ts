import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterFingerprint } from '../src/cluster/cell-jobs.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { allCells } from './tiny-experiment.ts';

const FROM_SOURCES = ['--conditions=@mixnsqueeze/source', '--import', 'tsx'];
const fixture = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** A test's process (worker or coordinator) with what it has printed so far. */
export interface Proc {
  readonly child: ChildProcess;
  out: string;
  err: string;
  /** Resolves when stdout has a line matching `re` (already or later); rejects if the process exits first. */
  line(re: RegExp): Promise<string>;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
}

function start(script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [...FROM_SOURCES, fixture(script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const waiters: { re: RegExp; resolve(s: string): void; reject(e: Error): void }[] = [];
  const proc: Proc = {
    child,
    out: '',
    err: '',
    line(re) {
      const hit = proc.out.split('\n').find((l) => re.test(l));
      if (hit !== undefined) return Promise.resolve(hit);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`${script} exited before printing ${re}: ${proc.err.slice(-800)}`));
      return new Promise((resolve, reject) => waiters.push({ re, resolve, reject }));
    },
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
  };
  child.stdout!.on('data', (d: Buffer) => {
    proc.out += d.toString();
    for (const w of [...waiters]) {
      const hit = proc.out.split('\n').find((l) => w.re.test(l));
      if (hit !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => void (proc.err += d.toString()));
  void proc.exited.then(() => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${script} exited before printing ${w.re}: ${proc.err.slice(-800)}`));
  });
  return proc;
}

/**
 * A worker process on the tiny experiment (see cluster-worker-fixture.ts for the variables). It
 * takes this process's code fingerprint unless told another: the sources may change between two
 * reads in a working tree others edit, and only the refusal test is about fingerprints.
 */
export async function startWorker(env: Record<string, string>): Promise<Proc> {
  const p = start('cluster-worker-fixture.ts', { MNS_FINGERPRINT: clusterFingerprint(), ...env });
  await p.line(/^ready$/);
  return p;
}

/** A coordinator process on the tiny experiment (see cluster-coordinator-fixture.ts). */
export function startCoordinator(env: Record<string, string>): Proc {
  return start('cluster-coordinator-fixture.ts', { MNS_FINGERPRINT: clusterFingerprint(), ...env });
}

/** Ends a process of the test (SIGTERM, or SIGKILL) and waits for it. */
export async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  await p.exited;
}

/** A fresh temporary folder. */
export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mns-cluster-'));
}

let local: Promise<string> | undefined;

/** The tiny experiment's cells as a local run stores them, as canonical text (computed once per test file). */
export function localCells(): Promise<string> {
  return (local ??= allCells(join(tmp(), 'local.db')).then(canonical));
}

/** A run's stored cells as canonical text: key and result JSON per line, by key. */
export function storedCells(dbPath: string, runId: string): string {
  const store = new ResultStore(dbPath);
  try {
    return canonical(Object.fromEntries(store.cells(runId).map((c) => [c.key, c.result])));
  } finally {
    store.close();
  }
}

function canonical(cells: Record<string, unknown>): string {
  return Object.keys(cells)
    .sort()
    .map((k) => `${k}\t${JSON.stringify(cells[k])}`)
    .join('\n');
}

/** The lines of a count file (cell keys a worker computed), or none. */
export function countLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
