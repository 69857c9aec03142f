// Writes a volume's files the way the kubelet's AtomicWriter does, so that a process reading them
// sees what it would see in a cluster: the files live in a timestamped directory, `..data` links
// to it, and each top-level name is a link through `..data`. An update writes a new directory and
// swaps `..data` in one rename, so a reader never sees half of it (Envoy's watched_directory, for
// one, reloads on that rename).
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

export interface VolumeFile {
  /** Relative path in the volume, e.g. `tls.crt` or `config/app.yaml`. */
  path: string;
  content: Buffer;
  /** File mode, e.g. 0o644. */
  mode: number;
}

let counter = 0;

/** The files currently visible in `directory` through `..data`, by relative path. */
function current(directory: string): Map<string, { content: Buffer; mode: number }> | undefined {
  const data = join(directory, '..data');
  if (!existsSync(data)) return undefined;
  const files = new Map<string, { content: Buffer; mode: number }>();
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(data, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else files.set(path, { content: readFileSync(join(data, path)), mode: lstatSync(join(data, path)).mode & 0o7777 });
    }
  };
  walk('');
  return files;
}

function unchanged(directory: string, files: readonly VolumeFile[]): boolean {
  const existing = current(directory);
  if (!existing || existing.size !== files.length) return false;
  return files.every((file) => {
    const now = existing.get(file.path);
    return now !== undefined && now.mode === file.mode && now.content.equals(file.content);
  });
}

/** Checks a path the way the kubelet does: relative, no `..` element. */
export function validVolumePath(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.split('/').includes('..') && normalize(path) === path;
}

/** Makes `directory` hold exactly `files`; writes nothing when they are already there. Returns whether it wrote. */
export function writeAtomically(directory: string, files: readonly VolumeFile[]): boolean {
  for (const file of files) if (!validVolumePath(file.path)) throw new Error(`volume path "${file.path}" must be relative and must not contain '..'`);
  mkdirSync(directory, { recursive: true });
  if (unchanged(directory, files)) return false;
  counter += 1;
  const stamp = new Date().toISOString().replace(/[-:]/g, '_');
  const version = `..${stamp}.${process.pid}.${counter}`;
  for (const file of files) {
    const target = join(directory, version, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    chmodSync(target, file.mode);
  }
  mkdirSync(join(directory, version), { recursive: true });
  const previous = existsSync(join(directory, '..data')) ? readlinkSync(join(directory, '..data')) : undefined;
  rmSync(join(directory, '..data_tmp'), { force: true });
  symlinkSync(version, join(directory, '..data_tmp'));
  renameSync(join(directory, '..data_tmp'), join(directory, '..data'));
  const topLevel = new Set(files.map((file) => file.path.split('/')[0]!));
  for (const name of topLevel) if (!existsSync(join(directory, name))) symlinkSync(join('..data', name), join(directory, name));
  // Only the writer's own links go: a directory here may be where a container mounts another volume.
  for (const entry of readdirSync(directory)) {
    if (entry.startsWith('..') || topLevel.has(entry) || !lstatSync(join(directory, entry)).isSymbolicLink()) continue;
    rmSync(join(directory, entry), { force: true });
  }
  if (previous && previous !== version) rmSync(join(directory, previous), { recursive: true, force: true });
  return true;
}
