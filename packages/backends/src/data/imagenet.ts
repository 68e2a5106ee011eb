import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { FileAccessError, FormatError, LimitError, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset } from './dataset.ts';
import { decodeImage, readOrThrow } from './image-files.ts';
import { IMAGENET_SIZE, imagenetInput } from './image-resize.ts';
import { IMAGENET_NAMES, IMAGENET_SYNSETS } from './imagenet-classes.ts';

/** Names of the labels file a folder may hold for {@link loadImagenetLabelled} to find it (`path, label` lines). */
export const IMAGENET_LABEL_FILES = ['dataset.txt', 'val.txt'] as const;
/** The class list a folder may hold: line c is the WordNet id and names of class c (Caffe's format). */
export const SYNSET_WORDS_FILE = 'synset_words.txt';

const IMAGE_FILE = /\.(png|jpe?g)$/i;
const WORDNET_ID = /^n\d{8}$/;
/**
 * Most images one load holds: 224 x 224 x 3 float32 is 602,112 bytes an image, and 4 GiB is the
 * largest typed array Node 20 allocates (about 7,100 images).
 */
const MAX_IMAGES = Math.floor(2 ** 32 / (IMAGENET_SIZE * IMAGENET_SIZE * 3 * 4));

/** The classes of an ImageNet folder: WordNet ids and names by label, and where they came from. */
interface Classes {
  readonly synsets: readonly string[];
  readonly names: readonly string[];
  readonly source: string;
}

/** The classes from `synset_words.txt` in `dir` when it holds one, else ImageNet-1k's 1,000. */
async function classesOf(dir: string): Promise<Classes> {
  const path = join(dir, SYNSET_WORDS_FILE);
  if (!existsSync(path)) return { synsets: IMAGENET_SYNSETS, names: IMAGENET_NAMES, source: 'ImageNet-1k' };
  const rows = (await readOrThrow(path, 'class list'))
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const synsets: string[] = [];
  const names: string[] = [];
  for (const [i, row] of rows.entries()) {
    const [id, ...words] = row.split(/\s+/);
    if (!WORDNET_ID.test(id!)) throw new FormatError(`${path} line ${i + 1}: '${row.slice(0, 40)}' does not start with a WordNet id (n and 8 digits). Expected lines 'n01440764 tench, Tinca tinca'.`);
    synsets.push(id!);
    names.push(words.join(' ').split(',')[0]!.trim() || id!);
  }
  if (new Set(synsets).size !== synsets.length) throw new FormatError(`${path}: a WordNet id appears twice. List each class once.`);
  return { synsets, names, source: path };
}

/** The labels file of a folder (`dataset.txt` or `val.txt`), if it holds one. */
export function findImagenetLabels(dir: string): string | undefined {
  return IMAGENET_LABEL_FILES.map((f) => join(dir, f)).find((p) => existsSync(p) && statSync(p).isFile());
}

function imageFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && IMAGE_FILE.test(e.name))
    .map((e) => e.name)
    .sort();
}

function classFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && WORDNET_ID.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * The folder of a torchvision-style ImageNet layout: `dir/val` or `dir` when it has subfolders named
 * by WordNet ids (n01440764, ...) and no other subfolder holding images. Undefined otherwise.
 */
export function findWordnetFolderRoot(dir: string): string | undefined {
  for (const root of [join(dir, 'val'), dir]) {
    if (!existsSync(root) || !statSync(root).isDirectory()) continue;
    const all = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
    const ids = all.filter((e) => WORDNET_ID.test(e.name));
    if (ids.length > 0 && ids.length === all.length) return root;
  }
  return undefined;
}

function checkCount(n: number, where: string): void {
  if (n === 0) throw new FormatError(`${where}: no images listed. Expected lines 'path, label' or class folders of .JPEG/.png files.`);
  if (n > MAX_IMAGES) {
    throw new LimitError(
      `${where}: ${n.toLocaleString('en-US')} images would take ${((n * IMAGENET_SIZE * IMAGENET_SIZE * 12) / 2 ** 30).toFixed(1)} GiB as 224 x 224 x 3 float32, more than one load holds (${MAX_IMAGES.toLocaleString('en-US')} images). Point --dataset at a labels file or folder of fewer images.`,
    );
  }
}

/** Decodes, resizes and crops every image into one N x 224 x 224 x 3 batch; errors name the file. */
async function decodeAll(items: readonly { path: string; where: string }[]): Promise<Float32Array> {
  const per = IMAGENET_SIZE * IMAGENET_SIZE * 3;
  const data = new Float32Array(items.length * per);
  for (const [i, { path, where }] of items.entries()) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new FileAccessError(`${where}: image '${path}' ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}. Fix the path or remove the line.`);
    }
    try {
      data.set(imagenetInput(decodeImage(bytes, path)), i * per);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      throw new FormatError(`${where === path ? '' : `${where}: `}${e.message} Replace the file or remove it from the dataset.`);
    }
  }
  return data;
}

/** A label written as a class index (0 .. classes - 1) or a WordNet id of the class list. */
function parseLabel(text: string, classes: Classes, where: string): number {
  if (/^\d+$/.test(text)) {
    const label = Number(text);
    if (label < classes.synsets.length) return label;
    const hint = label === classes.synsets.length ? ` (labels 1-${label} are TensorFlow's 1001-class order; use the file with labels 0-${label - 1})` : '';
    throw new FormatError(`${where}: label ${label} is not a class of ${classes.source} (0-${classes.synsets.length - 1})${hint}.`);
  }
  const index = classes.synsets.indexOf(text);
  if (index < 0) throw new FormatError(`${where}: label '${text.slice(0, 40)}' is neither a class index nor a WordNet id of ${classes.source}. Fix the label.`);
  return index;
}

/**
 * Splits a `path, label` line (a comma, or white space, before the last field): the path may hold
 * spaces when a comma separates.
 */
function splitLine(line: string): [string, string] | undefined {
  const m = line.includes(',') ? /^(.*),\s*(\S+)$/.exec(line) : /^(.*\S)\s+(\S+)$/.exec(line);
  return m ? [m[1]!.trim(), m[2]!] : undefined;
}

function dataset(data: Float32Array, labels: Int32Array, classes: Classes, description: string): Dataset {
  return {
    x: makeBatch(data, [labels.length, IMAGENET_SIZE, IMAGENET_SIZE, 3]),
    labels,
    space: imageSpace(IMAGENET_SIZE, IMAGENET_SIZE, 3),
    classNames: classes.names,
    description,
  };
}

/**
 * ImageNet images listed in a labels file of `path, label` lines (`dataset.txt`, Caffe's `val.txt`
 * with a space instead of the comma), in file order. Paths are relative to `root` (default: the
 * labels file's folder); labels are class indices 0-999 or WordNet ids. Classes and their names
 * come from `synset_words.txt` beside the labels file when there is one, else ImageNet-1k's.
 * Every image is brought to 224 x 224 by `imagenetInput` (docs/data.md gives the rule). A
 * missing, corrupt or non-image file and an unknown label are a FileAccessError or FormatError
 * naming the line, raised while loading, before any use of the data.
 */
export async function loadImagenetLabelled(labelsPath: string, root?: string): Promise<Dataset> {
  const text = (await readOrThrow(labelsPath, 'labels file')).toString('utf8');
  const classes = await classesOf(dirname(labelsPath));
  const base = root ?? dirname(labelsPath);
  const items: { path: string; where: string }[] = [];
  const labels: number[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${labelsPath} line ${i + 1}`;
    const parts = splitLine(line);
    if (!parts || parts[0] === '') throw new FormatError(`${where}: expected 'path, label', got '${line.slice(0, 60)}'.`);
    labels.push(parseLabel(parts[1], classes, where));
    items.push({ path: isAbsolute(parts[0]) ? parts[0] : join(base, parts[0]), where });
  }
  checkCount(items.length, labelsPath);
  const data = await decodeAll(items);
  return dataset(data, Int32Array.from(labels), classes, `ImageNet images of ${basename(labelsPath)} (${items.length.toLocaleString('en-US')} images from ${base}, 224 x 224)`);
}

/**
 * An ImageNet folder in torchvision's layout: one subfolder per class named by its WordNet id
 * (`n01440764/*.JPEG`; under `val/` when present). Labels are the classes' ranks in
 * `synset_words.txt` (beside the class folders or one level up) or, without it, in ImageNet-1k's
 * sorted list, so a folder holding only some classes still labels them right; a folder named by
 * no class of the list is a FormatError. Samples are interleaved across classes in label order
 * (the first image of every class, then the second, ...), so every prefix is class-balanced.
 * Images are brought to 224 x 224 by `imagenetInput`.
 */
export async function loadImagenetFolder(dir: string): Promise<Dataset> {
  const root = findWordnetFolderRoot(dir);
  if (!root) throw new FileAccessError(`ImageNet folder '${dir}': no subfolders named by WordNet ids (n01440764, ...) in '${dir}' or '${join(dir, 'val')}'.`);
  const classes = existsSync(join(root, SYNSET_WORDS_FILE)) || root === dir ? await classesOf(root) : await classesOf(dir);
  const folders = classFolders(root).map((folder) => {
    const label = classes.synsets.indexOf(folder);
    if (label < 0) throw new FormatError(`${join(root, folder)}: '${folder}' is not a class of ${classes.source}. Remove the folder or add its class to ${SYNSET_WORDS_FILE}.`);
    return { folder, label, files: imageFiles(join(root, folder)) };
  }).sort((a, b) => a.label - b.label);
  const total = folders.reduce((s, c) => s + c.files.length, 0);
  checkCount(total, root);
  const items: { path: string; where: string }[] = [];
  const labels: number[] = [];
  for (let rank = 0; items.length < total; rank++) {
    for (const c of folders) {
      if (rank >= c.files.length) continue;
      const path = join(root, c.folder, c.files[rank]!);
      items.push({ path, where: path });
      labels.push(c.label);
    }
  }
  const data = await decodeAll(items);
  return dataset(data, Int32Array.from(labels), classes, `ImageNet class folders (${total.toLocaleString('en-US')} images of ${folders.length} classes from ${root}, 224 x 224)`);
}
