/**
 * The CLI's flag parsing and file checks, shared by its subcommands (src/cli.ts, src/cli_jobs.ts):
 * no tfjs here, so a mistake is reported before the library loads.
 * @module
 */
import { CLI_BACKENDS, CLI_METHODS, flagError, type NtkCommand } from "./cli_common.ts";

/** Flag values as parseFlags returns them. */
export type FlagValues = Record<string, string | true>;

/** `--method`: one of the CLI's methods (default auto). */
export function checkMethodFlag(values: FlagValues): NtkCommand["method"] {
  const method = ((values.method as string | undefined) ?? "auto") as NtkCommand["method"];
  if (!CLI_METHODS.includes(method)) {
    throw flagError(
      "--method",
      method,
      CLI_METHODS.join(", "),
      `--method "${method}" is not a method: give one of ${CLI_METHODS.join(", ")}.`,
    );
  }
  return method;
}

/** `--backend`: one of the CLI's backends, or auto (the default). */
export function checkBackendName(values: FlagValues): NtkCommand["backend"] {
  const backend = ((values.backend as string | undefined) ?? "auto") as NtkCommand["backend"];
  if (backend !== "auto" && !CLI_BACKENDS.includes(backend)) {
    throw flagError(
      "--backend",
      backend,
      [...CLI_BACKENDS, "auto"].join(", "),
      `--backend "${backend}" is not a backend: give one of ${[...CLI_BACKENDS, "auto"].join(", ")}.`,
    );
  }
  return backend;
}

/** `--budget` in MiB, as given (for messages) and in bytes. */
export function checkBudgetFlag(values: FlagValues): { budget?: number; budgetText?: string } {
  const budgetText = values.budget as string | undefined;
  const mib = budgetText === undefined ? undefined : Number(budgetText);
  if (mib !== undefined && !(Number.isFinite(mib) && mib > 0 && budgetText!.trim() !== "")) {
    throw flagError(
      "--budget",
      budgetText,
      "a positive number of MiB",
      `--budget "${budgetText}" is not a memory budget: give a positive number of MiB, e.g. --budget 2048.`,
    );
  }
  return { budget: mib === undefined ? undefined : mib * 2 ** 20, budgetText };
}

export interface FlagSpec {
  /** The value's placeholder; absent for a switch. */
  value?: string;
  help: string;
}

export function flagLines(flags: Record<string, FlagSpec>): string {
  const rows = Object.entries(flags).map(([name, s]) => [`--${name}${s.value ? ` <${s.value}>` : ""}`, s.help]);
  rows.push(["-h, --help", "print this text and exit"]);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, h]) => `  ${l.padEnd(width)}${h.replaceAll("\n", "\n" + " ".repeat(width + 2))}`).join("\n");
}

/** The closest flag name, for a misspelt one. */
export function closest(name: string, names: string[]): string | undefined {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0];
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = d[j];
        d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
    }
    return d[b.length];
  };
  const scored = names.map((n) => ({ n, d: n.startsWith(name) && name.length >= 2 ? 0 : dist(name, n) }));
  const best = scored.sort((a, b) => a.d - b.d)[0];
  return best && best.d <= 2 ? best.n : undefined;
}

export interface Parsed {
  values: Record<string, string | true>;
  positionals: string[];
  help: boolean;
}

/**
 * Parses `--name value`, `--name=value` and switches. A value may start with "-" (`--block -1/2`
 * reaches the --block check), unless it is itself one of the flags (`--out --plot k.svg`).
 */
export function parseFlags(args: string[], flags: Record<string, FlagSpec>, command: string): Parsed {
  const values: Record<string, string | true> = {};
  const positionals: string[] = [];
  let help = false;
  const isFlag = (t: string) =>
    t === "-h" || t === "--help" || (t.startsWith("--") && Object.hasOwn(flags, t.slice(2).split("=")[0]));
  const names = Object.keys(flags);
  const list = names.map((n) => `--${n}`).join(", ");
  for (let i = 0; i < args.length; i++) {
    const tok = args[i];
    if (tok === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (tok === "-h" || tok === "--help") {
      help = true;
      continue;
    }
    if (tok.startsWith("-") && tok.length > 1) {
      const eq = tok.indexOf("=");
      const name = tok.startsWith("--") ? tok.slice(2, eq < 0 ? undefined : eq) : tok.slice(1);
      const flag = tok.startsWith("--") ? `--${name}` : tok;
      const spec = tok.startsWith("--") ? flags[name] : undefined;
      if (!spec || !Object.hasOwn(flags, name)) {
        const near = tok.startsWith("--") ? closest(name, names) : undefined;
        throw flagError(
          flag,
          tok,
          list,
          `Unknown flag ${flag}${near ? ` (did you mean --${near}?)` : ""}: ${command} takes ${list} and -h/--help.`,
        );
      }
      if (name in values) throw flagError(flag, tok, "once", `${flag} is given twice; give it once.`);
      const inline = eq < 0 ? undefined : tok.slice(eq + 1);
      if (!spec.value) {
        if (inline !== undefined) throw flagError(flag, inline, "no value", `${flag} is a switch and takes no value.`);
        values[name] = true;
        continue;
      }
      const value = inline ?? (i + 1 < args.length && !isFlag(args[i + 1]) ? args[++i] : undefined);
      if (value === undefined || value === "") {
        throw flagError(flag, value, spec.value, `${flag} needs a value: ${flag} <${spec.value}>.`);
      }
      values[name] = value;
      continue;
    }
    positionals.push(tok);
  }
  return { values, positionals, help };
}

export const parent = (path: string) => {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
};

/**
 * An output path must be a file path in an existing, writable directory: checked by creating
 * (and removing) a probe file beside it, the way the atomic write will.
 */
export async function checkOutputPath(flag: string, path: string, example = "k.npy"): Promise<void> {
  const where = (reason: string, accepted: string) =>
    flagError(flag, path, accepted, `${flag} ${path} cannot be written: ${reason}.`);
  if (path.endsWith("/")) throw where("it names a directory", "a file path");
  const stat = await Deno.stat(path).catch(() => null);
  if (stat?.isDirectory) throw where(`it is a directory; give a file path such as ${path}/${example}`, "a file path");
  const dir = parent(path);
  const dirStat = await Deno.stat(dir).catch(() => null);
  if (!dirStat) throw where(`the directory ${dir} does not exist; create it first`, "an existing directory");
  if (!dirStat.isDirectory) throw where(`${dir} is not a directory`, "an existing directory");
  const probe = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(probe, new Uint8Array(0), { createNew: true });
  } catch (e) {
    throw where(`the directory ${dir} is not writable (${(e as Error).name})`, "a writable directory");
  }
  await Deno.remove(probe);
}

/** An input file must exist, be a file, and be readable. */
export async function checkInputFile(flag: string, path: string, what: string): Promise<void> {
  const bad = (reason: string) => flagError(flag, path, what, `${flag} ${path} cannot be read: ${reason}.`);
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (e) {
    throw bad(e instanceof Deno.errors.NotFound ? `no such file; give ${what}` : (e as Error).message);
  }
  if (stat.isDirectory) throw bad(`it is a directory; give ${what}`);
  try {
    (await Deno.open(path, { read: true })).close();
  } catch (e) {
    throw bad((e as Error).name === "PermissionDenied" ? "permission denied" : (e as Error).message);
  }
}
