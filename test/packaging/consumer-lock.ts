/**
 * The package-lock.json of a fresh consumer project that installs this repository's packed
 * tarballs, derived from the workspace's own lock: every third-party package the tarballs need, at
 * the version, integrity and place in the tree that `npm ci` installed in the workspace. With it,
 * `npm ci --offline` installs the consumer from the npm cache that the workspace's `npm ci` filled,
 * with no registry metadata (a plain `npm install` of the tarballs would need every dependency's
 * packument, which `npm ci` never fetches).
 */

/** One entry of a lockfile's `packages` map (lockfileVersion 2 or 3). */
export interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** A lockfile: what `consumerLock` reads and writes. */
export interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** A packed workspace package: its manifest and its tarball, relative to the consumer's folder. */
export interface Packed {
  readonly manifest: {
    readonly name: string;
    readonly version: string;
    readonly license?: string;
    readonly engines?: Record<string, string>;
    readonly bin?: Record<string, string>;
    readonly dependencies?: Record<string, string>;
    readonly peerDependencies?: Record<string, string>;
    readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
  /** e.g. `packs/mixnsqueeze-core-0.1.0.tgz`. */
  readonly tarball: string;
  /** The tarball's `sha512-...` integrity, as `npm pack --json` reports it. */
  readonly integrity: string;
}

/** Registry tarball URL of name@version, the form npm writes in `resolved`. */
function tarballUrl(registry: string, name: string, version: string): string {
  const base = name.split('/').pop()!;
  return `${registry.replace(/\/?$/, '/')}${name}/-/${base}-${version}.tgz`;
}

/** The package name a lockfile key installs (`node_modules/a/node_modules/@s/b` -> `@s/b`). */
function nameOf(key: string, entry: LockEntry): string {
  if (entry.name) return entry.name;
  const at = key.lastIndexOf('node_modules/');
  return key.slice(at + 'node_modules/'.length);
}

/** Dependencies npm installs for an entry: regular, optional, and non-optional peers. */
function wanted(entry: { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> }): { name: string; optional: boolean }[] {
  const out = Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false }));
  for (const name of Object.keys(entry.optionalDependencies ?? {})) out.push({ name, optional: true });
  for (const name of Object.keys(entry.peerDependencies ?? {})) out.push({ name, optional: entry.peerDependenciesMeta?.[name]?.optional === true });
  return out;
}

/**
 * The consumer's lock. `packed` are the tarballs it depends on (all of them direct dependencies),
 * `devDependencies` further packages it installs from the workspace's lock (e.g. `@types/node`).
 * A third-party package keeps its place in the workspace's tree (a workspace package's nested
 * `packages/x/node_modules/...` moves under `node_modules/<its name>/`), so every package resolves
 * its dependencies as it did in the workspace. Throws when a required dependency is not in the
 * workspace's lock.
 */
export function consumerLock(workspace: Lockfile, packed: readonly Packed[], devDependencies: Record<string, string> = {}, registry = 'https://registry.npmjs.org/'): Lockfile {
  const ours = new Map(packed.map((p) => [p.manifest.name, p]));
  // Where each workspace package lives in the workspace (e.g. @mixnsqueeze/core -> packages/core).
  const workspaceDir = new Map<string, string>();
  for (const [key, entry] of Object.entries(workspace.packages)) {
    if (entry.link && entry.resolved) workspaceDir.set(key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length), entry.resolved);
  }
  const packages: Record<string, LockEntry> = {
    '': {
      name: 'mixnsqueeze-consumer',
      version: '0.0.0',
      dependencies: Object.fromEntries(packed.map((p) => [p.manifest.name, `file:${p.tarball}`])),
      devDependencies,
    },
  };

  /** The workspace-lock key that `name` resolves to from the package at `from` (a key). */
  const resolveIn = (from: string, name: string): string | undefined => {
    // As node does: `node_modules/<name>` in the package's folder, then in each folder above it.
    for (let dir = from; ; dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '') {
      const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (workspace.packages[key]) return key;
      if (!dir) return undefined;
    }
  };
  /** The consumer's key for a workspace-lock key. */
  const consumerKey = (key: string): string => {
    for (const [name, dir] of workspaceDir) if (key.startsWith(`${dir}/`)) return `node_modules/${name}/${key.slice(dir.length + 1)}`;
    return key;
  };

  const queue: { from: string; name: string; optional: boolean }[] = [];
  for (const p of packed) {
    const dir = workspaceDir.get(p.manifest.name);
    if (!dir) throw new Error(`${p.manifest.name} is not a package of this workspace`);
    packages[`node_modules/${p.manifest.name}`] = {
      version: p.manifest.version,
      resolved: `file:${p.tarball}`,
      integrity: p.integrity,
      ...(p.manifest.license ? { license: p.manifest.license } : {}),
      ...(p.manifest.dependencies ? { dependencies: p.manifest.dependencies } : {}),
      ...(p.manifest.peerDependencies ? { peerDependencies: p.manifest.peerDependencies } : {}),
      ...(p.manifest.peerDependenciesMeta ? { peerDependenciesMeta: p.manifest.peerDependenciesMeta } : {}),
      ...(p.manifest.bin ? { bin: p.manifest.bin } : {}),
      ...(p.manifest.engines ? { engines: p.manifest.engines } : {}),
    };
    for (const dep of wanted(p.manifest)) queue.push({ from: dir, ...dep });
  }
  for (const name of Object.keys(devDependencies)) queue.push({ from: '', name, optional: false });

  const done = new Set<string>();
  while (queue.length > 0) {
    const { from, name, optional } = queue.shift()!;
    if (ours.has(name)) continue;
    const key = resolveIn(from, name);
    if (key === undefined) {
      if (optional) continue;
      throw new Error(`${name} (needed by ${from || 'the consumer'}) is not in the workspace's package-lock.json`);
    }
    if (done.has(key)) continue;
    done.add(key);
    if (workspace.packages[key]!.link) throw new Error(`${name} is a package of this workspace: pack it too`);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = workspace.packages[key]!;
    if (!entry.resolved && entry.version) entry.resolved = tarballUrl(registry, nameOf(key, entry), entry.version);
    packages[consumerKey(key)] = entry;
    for (const dep of wanted(entry)) queue.push({ from: key, ...dep });
  }
  return { name: 'mixnsqueeze-consumer', version: '0.0.0', lockfileVersion: 3, requires: true, packages };
}
