/** What a file-system error code means for the person who chose the path, in words. */
const TEXT: Record<string, string> = {
  ENOENT: 'a directory on the way does not exist and cannot be created there',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'a part of the path exists and is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/** The error's code explained (`EACCES: permission denied`), or its first line when it has no code. */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code) return TEXT[code] ? `${TEXT[code]} (${code})` : code;
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
