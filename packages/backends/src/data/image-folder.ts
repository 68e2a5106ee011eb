import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileAccessError, FormatError, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { CIFAR10_NAMES } from './cifar10-binary.ts';
import { type Dataset, type Split } from './dataset.ts';
import { decodeImageStack } from './image-files.ts';

const IMAGE_FILE = /\.(png|jpe?g)$/i;

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name);
}

function imageFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && IMAGE_FILE.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Labels of the class folders: integer names are their own labels; names that are all CIFAR-10
 * classes get CIFAR-10's labels (so a folder lacking some classes still labels the rest right);
 * other names are ranked alphabetically.
 */
function classLabels(folders: readonly string[]): { classNames: readonly string[]; labelOf: (folder: string) => number } {
  if (folders.every((n) => /^\d+$/.test(n))) {
    const max = Math.max(...folders.map(Number));
    return { classNames: Array.from({ length: max + 1 }, (_, i) => String(i)), labelOf: Number };
  }
  if (folders.every((n) => CIFAR10_NAMES.includes(n))) return { classNames: CIFAR10_NAMES, labelOf: (n) => CIFAR10_NAMES.indexOf(n) };
  const sorted = [...folders].sort();
  return { classNames: sorted, labelOf: (n) => sorted.indexOf(n) };
}

const label = (formats: ReadonlySet<string>, cifar: boolean, part: string) => `${[...formats].sort().join('+')} ${cifar ? 'CIFAR-10' : 'image folder'} ${part}`;

/** What `loadImageFolder` would describe the folder as, from file names alone (e.g. "JPEG CIFAR-10 test"). */
export function imageFolderLabel(dir: string, split: Split = 'test'): string {
  const root = findImageFolderRoot(dir, split);
  if (!root) return dir;
  const folders = subfolders(root).filter((c) => imageFiles(join(root, c)).length > 0);
  const formats = new Set(folders.flatMap((c) => imageFiles(join(root, c)).map((f) => (/\.png$/i.test(f) ? 'PNG' : 'JPEG'))));
  return label(formats, classLabels(folders).classNames === CIFAR10_NAMES, root === join(dir, split) ? split : 'images');
}

/**
 * The folder whose subfolders are the classes: `dir/<split>` when it exists (the layout of
 * `test/<class>/*.jpg` exports), else `dir`. Undefined when no subfolder holds an image.
 */
export function findImageFolderRoot(dir: string, split: Split = 'test'): string | undefined {
  for (const root of [join(dir, split), dir]) {
    if (!existsSync(root) || !statSync(root).isDirectory()) continue;
    if (subfolders(root).some((c) => imageFiles(join(root, c)).length > 0)) return root;
  }
  return undefined;
}

/**
 * An image folder with one subfolder per class holding PNG or JPEG files (`<class>/<file>`;
 * under `<split>/` when present). Integer folder names are the labels, CIFAR-10 class names get
 * CIFAR-10's labels, other names their alphabetical rank. Samples are interleaved across classes
 * in label order (the first file of every class, then the second, ...) so that every prefix, which
 * is what seed selection and `legitimate` take, is class-balanced; within a class files are in
 * name order. All images must share size and channels.
 */
export async function loadImageFolder(dir: string, split: Split = 'test'): Promise<Dataset> {
  const root = findImageFolderRoot(dir, split);
  if (!root) throw new FileAccessError(`image folder '${dir}': no class subfolder (in '${dir}' or '${join(dir, split)}') holds .png/.jpg/.jpeg files.`);
  const { classNames, labelOf } = classLabels(subfolders(root).filter((c) => imageFiles(join(root, c)).length > 0));
  const classes = subfolders(root)
    .map((folder) => ({ folder, label: labelOf(folder), files: imageFiles(join(root, folder)) }))
    .filter((c) => c.files.length > 0)
    .sort((a, b) => a.label - b.label);
  const total = classes.reduce((s, c) => s + c.files.length, 0);
  const order: { path: string; label: number }[] = [];
  for (let rank = 0; order.length < total; rank++) {
    for (const c of classes) if (rank < c.files.length) order.push({ path: join(root, c.folder, c.files[rank]!), label: c.label });
  }
  const labels = Int32Array.from(order, (o) => o.label);
  const { data, shape, formats } = await decodeImageStack(order.map((o) => o.path));
  const what = label(formats, classNames === CIFAR10_NAMES && shape[0] === 32 && shape[1] === 32, root === join(dir, split) ? split : 'images');
  return {
    x: makeBatch(data, [order.length, ...shape]),
    labels,
    space: imageSpace(...shape),
    classNames,
    description: `${what} (${order.length.toLocaleString('en-US')} images from ${root})`,
  };
}
