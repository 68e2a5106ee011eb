import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FileAccessError } from '../errors.ts';
import { errnoText } from './errno-text.ts';

/** Kernel file systems that show files but take no new ones (statfs magic numbers, Linux). */
const VIRTUAL_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0x1cd1: 'devpts',
};

async function statOrUndefined(path: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // ENOTDIR: a file sits where a directory of the path should be; the caller names it.
    if (code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Checks, before any work is done, that an output file or directory can be written: the path is
 * not a directory where a file is wanted (or the reverse), no part of it is a file, its nearest
 * existing directory is writable and on a real file system (not /proc or /sys). A long attack or
 * training run should not end in an error about where its result was to go. Creates nothing.
 */
export async function checkOutputPath(path: string, kind: 'file' | 'dir', label = 'output'): Promise<void> {
  const fail = (why: string): never => {
    throw new FileAccessError(`cannot write ${label} '${path}': ${why}.`);
  };
  if (path.trim() === '') fail('empty path; give a file or directory name');
  const target = resolve(path);
  let existing = target;
  let s = await statOrUndefined(existing).catch((e: unknown) => fail(errnoText(e)));
  while (s === undefined) {
    const up = dirname(existing);
    if (up === existing) fail('no part of the path exists');
    existing = up;
    s = await statOrUndefined(existing).catch((e: unknown) => fail(errnoText(e)));
  }
  if (existing === target) {
    if (kind === 'file' && s.isDirectory()) fail('is a directory; give a file name');
    // The file is written beside the target and renamed over it: that would replace a device
    // node such as /dev/null (as root), not write into it.
    if (kind === 'file' && !s.isFile()) fail('is not a regular file (a device, pipe or socket); give a file name');
    if (kind === 'dir' && !s.isDirectory()) fail('is a file; give a directory');
  } else if (!s.isDirectory()) {
    fail(`'${existing}' is a file, so nothing can be created under it; choose a path in a directory`);
  }
  const dir = s.isDirectory() ? existing : dirname(existing);
  const fs = await statfs(dir).catch(() => undefined);
  const virtual = fs ? VIRTUAL_FS[fs.type] : undefined;
  if (virtual) fail(`'${dir}' is on ${virtual}, a kernel file system that takes no new files; choose a regular directory`);
  await access(dir, constants.W_OK | constants.X_OK).catch((e: unknown) => fail(`'${dir}' is not writable: ${errnoText(e)}`));
}
