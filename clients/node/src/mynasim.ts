// SPDX-License-Identifier: Apache-2.0
// Start a mynasim (free ports, ready file, bounded wait) or connect to a running one.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MynasimClient, WorldsApi, trackVirtualTime, type ClientContext, type MynasimUrls } from "./client.js";
import { MynasimApiError, MynasimClientError, MynasimStartError, MynasimVersionError } from "./errors.js";
import { Transport } from "./http.js";

/** The mynasim versions this client supports: the major.minor it was written against. */
export const SUPPORTED_VERSIONS = ">=0.1.0 <0.2.0";
const SUPPORTED_MAJOR_MINOR: [number, number] = [0, 1];

/** True when `version` (e.g. `0.1.0`, `mynasim 0.1.0`, `0.1.0-dev+abc`) is supported. */
export function isSupportedVersion(version: string): boolean {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  return Number(m[1]) === SUPPORTED_MAJOR_MINOR[0] && Number(m[2]) === SUPPORTED_MAJOR_MINOR[1];
}

/** The ready file mynasim writes once every listener is ready. */
export interface ReadyFile {
  urls: { app: string; sp: string; admin: string; systems: string };
  ports: Record<string, number>;
  pid: number;
  version: string;
  ca_file: string;
  virtual_time: string;
  [k: string]: unknown;
}

export interface ConnectOptions {
  /** Admin base URL, e.g. http://127.0.0.1:8081 (or give `readyFile`). */
  adminUrl?: string;
  /** A ready file written by `mynasim serve --ready-file`: URLs, CA and version from it. */
  readyFile?: string;
  /** The version when known otherwise (GET /__admin/health is asked first). */
  version?: string;
  appUrl?: string;
  spUrl?: string;
  systemsUrl?: string;
  /** The CA to trust for app/sp (PEM text or Buffer). */
  ca?: string | Buffer;
  /** A file holding that CA (e.g. the ready file's ca_file, or MYNASIM_CA). */
  caFile?: string;
  /** Sent as `Authorization: Bearer …` on admin calls. */
  adminToken?: string;
  /** Deadline of each HTTP call (default 10 s). */
  timeoutMs?: number;
  /** TLS name to send and verify instead of the URL's host. */
  tlsServerName?: string;
  /**
   * Refuse an unsupported version (default true). "strict" also refuses a simulator that
   * does not tell its version.
   */
  checkVersion?: boolean | "strict";
}

export interface StartOptions {
  /** The binary: a path or a name on PATH (default $MYNASIM_BIN, else `mynasim`). */
  bin?: string;
  /** Extra `serve` arguments, e.g. ["--config", "world.yaml", "--api-user", "http://127.0.0.1:4000"]. */
  args?: string[];
  /** Environment of the process (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Sets --admin-token and uses it. */
  adminToken?: string;
  /** Bound on the wait for the ready file (default 30 s). */
  startTimeoutMs?: number;
  /** Bound on the wait after SIGTERM before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** Deadline of each HTTP call (default 10 s). */
  timeoutMs?: number;
  checkVersion?: boolean;
}

const LOG_TAIL_BYTES = 16 * 1024;

/** The root client: the default world, the worlds API, and (when started here) the process. */
export class Mynasim extends MynasimClient {
  /** Create, list and delete named worlds. */
  readonly worlds: WorldsApi;
  /** The version the simulator reported. */
  readonly version?: string;
  /** The ready file, when this client started the simulator. */
  readonly ready?: ReadyFile;
  private proc?: ChildProcess;
  private procExit?: Promise<number | null>;
  private workDir?: string;
  private readyPath?: string;
  private readTail: () => string = () => "";
  private stopTimeoutMs = 10_000;
  private exitHook?: () => void;

  private constructor(ctx: ClientContext, version?: string, ready?: ReadyFile) {
    super(ctx);
    this.worlds = new WorldsApi(this, () => this.ctx);
    this.version = version;
    this.ready = ready;
  }

  /** Connect to a running simulator; reads its version (GET /__admin/health) and checks it. */
  static async connect(opts: ConnectOptions): Promise<Mynasim> {
    let ready: ReadyFile | undefined;
    if (opts.readyFile) ready = JSON.parse(await readFile(opts.readyFile, "utf8")) as ReadyFile;
    const adminUrl = opts.adminUrl ?? ready?.urls.admin;
    if (!adminUrl) throw new MynasimClientError("connect: give adminUrl or readyFile");
    let ca = opts.ca;
    const caFile = opts.caFile ?? (opts.ca === undefined ? ready?.ca_file : undefined);
    if (ca === undefined && caFile) ca = await readFile(caFile, "utf8");
    const transport = new Transport({ ca, timeoutMs: opts.timeoutMs, serverName: opts.tlsServerName });
    trackVirtualTime(transport);
    const urls: MynasimUrls = {
      admin: adminUrl,
      app: opts.appUrl ?? ready?.urls.app,
      sp: opts.spUrl ?? ready?.urls.sp,
      systems: opts.systemsUrl ?? ready?.urls.systems,
    };
    const ctx: ClientContext = { transport, urls, adminToken: opts.adminToken, prefix: "" };
    let version: string | undefined;
    try {
      const h = await new Mynasim(ctx).health();
      version = typeof h.version === "string" ? h.version : opts.version ?? ready?.version;
    } catch (e) {
      transport.close();
      throw e;
    }
    // A version outside the range is refused; one the simulator does not tell (its health
    // carries none, and no ready file was given) is accepted unless strict.
    if (opts.checkVersion !== false) {
      const bad = version === undefined ? opts.checkVersion === "strict" : !isSupportedVersion(version);
      if (bad) {
        transport.close();
        throw new MynasimVersionError(version ?? "unknown (GET /__admin/health carries no version)", SUPPORTED_VERSIONS);
      }
    }
    return new Mynasim(ctx, version, ready);
  }

  /**
   * Start `mynasim serve --port-base 0 --ready-file <tmp>` and wait (bounded) for the ready
   * file; the error carries the tail of the log. Stop it with {@link stop}.
   */
  static async start(opts: StartOptions = {}): Promise<Mynasim> {
    const bin = opts.bin ?? process.env.MYNASIM_BIN ?? "mynasim";
    const workDir = mkdtempSync(join(tmpdir(), "mynasim-node-"));
    const readyPath = join(workDir, "ready.json");
    const args = ["serve", "--port-base", "0", "--ready-file", readyPath];
    if (opts.adminToken) args.push("--admin-token", opts.adminToken);
    args.push(...(opts.args ?? []));
    const env = { ...(opts.env ?? process.env) };
    // The ready file names the ports; never let the environment pin them.
    for (const k of ["MYNASIM_PORT_BASE", "MYNASIM_APP_PORT", "MYNASIM_SP_PORT", "MYNASIM_ADMIN_PORT", "MYNASIM_SYSTEMS_PORT", "MYNASIM_READY_FILE"]) delete env[k];

    let tail = "";
    const append = (chunk: Buffer) => {
      tail += chunk.toString("utf8");
      if (tail.length > LOG_TAIL_BYTES * 2) tail = tail.slice(-LOG_TAIL_BYTES);
    };
    const proc = spawn(bin, args, { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.on("data", append);
    proc.stderr!.on("data", append);
    let exitCode: number | null | undefined;
    let exitSignal: string | null = null;
    let spawnError: Error | undefined;
    const exited = new Promise<number | null>((resolve) => {
      proc.on("error", (e) => {
        spawnError = e;
        resolve(null);
      });
      // "close": the process ended and its output was read to the end (the log's tail is complete).
      proc.on("close", (code, signal) => {
        exitCode = code;
        exitSignal = signal;
        resolve(code);
      });
    });
    const exitHook = () => {
      try {
        proc.kill("SIGKILL");
      } catch {
        /* gone */
      }
    };
    process.once("exit", exitHook);
    const fail = async (message: string, cause?: unknown): Promise<never> => {
      if (exitCode === undefined && !spawnError) {
        proc.kill("SIGKILL");
        await raceTimeout(exited, 2000, null);
      }
      process.removeListener("exit", exitHook);
      rmSync(workDir, { recursive: true, force: true });
      throw new MynasimStartError(message, lastLines(tail.slice(-LOG_TAIL_BYTES), 40), { cause });
    };

    const timeoutMs = opts.startTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let ready: ReadyFile | undefined;
    while (!ready) {
      if (spawnError) return fail(`could not run ${bin}: ${spawnError.message}`, spawnError);
      if (exitCode !== undefined) return fail(`${bin} ${exitSignal ? `was killed by ${exitSignal}` : `exited with ${exitCode}`} before it was ready`);
      try {
        const text = readFileSync(readyPath, "utf8");
        if (text.trim()) ready = JSON.parse(text) as ReadyFile; // written whole; a partial read just retries
      } catch {
        /* not yet */
      }
      if (ready) break;
      if (Date.now() >= deadline) return fail(`${bin} wrote no ready file within ${timeoutMs} ms`);
      await raceTimeout(exited, 50, null);
    }

    if (opts.checkVersion !== false && !isSupportedVersion(ready.version ?? "")) {
      await stopProcess(proc, exited, opts.stopTimeoutMs ?? 10_000);
      process.removeListener("exit", exitHook);
      rmSync(workDir, { recursive: true, force: true });
      throw new MynasimVersionError(String(ready.version), SUPPORTED_VERSIONS);
    }
    let ca: string | undefined;
    try {
      ca = readFileSync(ready.ca_file, "utf8");
    } catch (e) {
      return fail(`cannot read the CA ${ready.ca_file} named by the ready file`, e);
    }
    const transport = new Transport({ ca, timeoutMs: opts.timeoutMs });
    trackVirtualTime(transport);
    const m = new Mynasim(
      {
        transport,
        urls: { admin: ready.urls.admin, app: ready.urls.app, sp: ready.urls.sp, systems: ready.urls.systems },
        adminToken: opts.adminToken,
        prefix: "",
      },
      ready.version,
      ready,
    );
    m.proc = proc;
    m.procExit = exited;
    m.workDir = workDir;
    m.readyPath = readyPath;
    m.exitHook = exitHook;
    m.stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;
    m.readTail = () => tail.slice(-LOG_TAIL_BYTES);
    return m;
  }

  /**
   * From the environment: with MYNASIM_ADMIN_URL set, connect to MYNASIM_ADMIN_URL /
   * MYNASIM_APP_URL / MYNASIM_SP_URL (MYNASIM_CA, MYNASIM_ADMIN_TOKEN); else start
   * `$MYNASIM_BIN` (default `mynasim` on PATH).
   */
  static async fromEnv(overrides: Partial<StartOptions & ConnectOptions> = {}): Promise<Mynasim> {
    const env = process.env;
    if (env.MYNASIM_ADMIN_URL) {
      return Mynasim.connect({
        adminUrl: env.MYNASIM_ADMIN_URL,
        appUrl: env.MYNASIM_APP_URL,
        spUrl: env.MYNASIM_SP_URL,
        systemsUrl: env.MYNASIM_SYSTEMS_URL,
        caFile: env.MYNASIM_CA,
        adminToken: env.MYNASIM_ADMIN_TOKEN,
        ...overrides,
      });
    }
    return Mynasim.start({ bin: env.MYNASIM_BIN, adminToken: env.MYNASIM_ADMIN_TOKEN, ...overrides });
  }

  /** True when this client started the simulator (and {@link stop} stops it). */
  get owned(): boolean {
    return this.proc !== undefined;
  }

  /** The ready file's path while the simulator started here runs. */
  get readyFile(): string | undefined {
    return this.proc ? this.readyPath : undefined;
  }

  /** The process id when started here. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The tail of the simulator's output (when started here). */
  log(): string {
    return this.readTail();
  }

  /**
   * Close the connections; when started here, SIGTERM the simulator, wait (bounded), SIGKILL
   * after the bound. Answers the exit code (null when not started here or killed).
   */
  async stop(): Promise<number | null> {
    this.ctx.transport.close();
    if (!this.proc) return null;
    const proc = this.proc;
    this.proc = undefined;
    const code = await stopProcess(proc, this.procExit!, this.stopTimeoutMs);
    if (this.exitHook) process.removeListener("exit", this.exitHook);
    if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
    return code;
  }
}

async function stopProcess(proc: ChildProcess, exited: Promise<number | null>, boundMs: number): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  proc.kill("SIGTERM");
  const t = Symbol("timeout");
  const r = await raceTimeout(exited, boundMs, t);
  if (r !== t) return r as number | null;
  proc.kill("SIGKILL");
  await raceTimeout(exited, 5000, t);
  return null;
}

/** `p`, or `onTimeout` after `ms`; the timer never keeps the process alive. */
function raceTimeout<T, U>(p: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<U>((r) => {
    timer = setTimeout(() => r(onTimeout), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function lastLines(text: string, n: number): string {
  const lines = text.split("\n");
  return lines.slice(-n).join("\n").trim();
}

export { MynasimApiError, MynasimClientError };
