/**
 * Small JSON files kept in `$FAST_NTK_CACHE_DIR`, else in Deno's cache directory (`$DENO_DIR`,
 * else the platform's cache folder + `/deno`) under `fast-ntk/`. Only where the permissions are
 * already granted: every check is a query, never a prompt, and any failure reads as "nothing
 * cached".
 * @module
 */

const granted = (d: Deno.PermissionDescriptor): boolean => {
  try {
    return Deno.permissions.querySync(d).state === "granted";
  } catch {
    return false;
  }
};

const env = (variable: string): string | undefined =>
  granted({ name: "env", variable }) ? Deno.env.get(variable) || undefined : undefined;

/** Deno's cache directory, or null when the environment may not be read. */
export function denoCacheDir(): string | null {
  const own = env("DENO_DIR");
  if (own) return own;
  const home = env("HOME");
  if (Deno.build.os === "windows") {
    const local = env("LOCALAPPDATA");
    return local ? `${local}\\deno` : null;
  }
  if (Deno.build.os === "darwin") return home ? `${home}/Library/Caches/deno` : null;
  const xdg = env("XDG_CACHE_HOME");
  return xdg ? `${xdg}/deno` : home ? `${home}/.cache/deno` : null;
}

function cachePath(name: string): string | null {
  const own = env("FAST_NTK_CACHE_DIR");
  if (own) return `${own}/${name}`;
  const dir = denoCacheDir();
  return dir ? `${dir}/fast-ntk/${name}` : null;
}

/** The cached value of `name`, or null (absent, unreadable, not JSON, or no permission). */
export function readCached(name: string): unknown {
  const path = cachePath(name);
  if (!path || !granted({ name: "read", path })) return null;
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return null;
  }
}

/** Keeps `value` as `name` when writing there is already permitted; says whether it did. */
export function writeCached(name: string, value: unknown): boolean {
  const path = cachePath(name);
  if (!path || !granted({ name: "write", path })) return false;
  try {
    const dir = path.slice(0, path.lastIndexOf("/"));
    Deno.mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify(value));
    Deno.renameSync(tmp, path); // atomic: a concurrent reader sees the old file or the new one
    return true;
  } catch {
    return false;
  }
}
