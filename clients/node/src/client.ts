// SPDX-License-Identifier: Apache-2.0
// The admin-API client: one world (the default one, or a named world under /worlds/{id}).

import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { AuthorizationError, MynasimApiError, MynasimTimeoutError, VerificationError } from "./errors.js";
import { Transport, apiError, parseJson, type HttpResponse } from "./http.js";
import type {
  AccessRecord,
  Availability,
  AuthorizeOutcome,
  Clock,
  ConformanceRun,
  ConformanceTest,
  Connection,
  CreateWorldOptions,
  Fault,
  FaultSpec,
  Health,
  Instant,
  JournalEntry,
  JournalFilter,
  JournalStats,
  LintReport,
  Persona,
  PersonaState,
  ProcessDetail,
  ProcessSummary,
  ScenarioStatus,
  Service,
  SystemTimeline,
  Timeline,
  WorldInfo,
} from "./types.js";

/** Base URLs of the four listeners (no trailing slash). */
export interface MynasimUrls {
  admin: string;
  app?: string;
  sp?: string;
  systems?: string;
}

/** Everything a client of one world needs. */
export interface ClientContext {
  transport: Transport;
  urls: MynasimUrls;
  /** Bearer token for the admin API (global, or a world's token). */
  adminToken?: string;
  /** "" for the default world, "/worlds/{id}" for a named one. */
  prefix: string;
}

type Query = Record<string, string | number | boolean | undefined>;

function iso(i: Instant): string {
  return i instanceof Date ? i.toISOString() : i;
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, "");
}

function qs(q?: Query): string {
  if (!q) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

function journalQuery(f: JournalFilter = {}): Query {
  return {
    system: f.system,
    path: f.path,
    status: f.status,
    client_id: f.clientId,
    telegram_id: f.telegramId,
    process_id: f.processId,
    direction: f.direction,
    limit: f.limit,
    bodies: f.bodies === undefined ? undefined : f.bodies ? "1" : "0",
  };
}

/** Result of {@link MynasimClient.authorize}. */
export interface AuthorizeResult {
  code: string;
  state?: string;
  /** The Location the portal redirected to. */
  location: string;
  /** The PKCE verifier to send as `code_verifier` (when `pkce` was asked). */
  codeVerifier?: string;
}

export interface AuthorizeOptions {
  clientId: string;
  redirectUri: string;
  /** The test persona (`mynasim_persona`); omit for a service whose `ci:` names one. */
  persona?: string;
  /** `mynasim_outcome` (default consent). */
  outcome?: AuthorizeOutcome;
  state?: string;
  /** true: make a S256 verifier/challenge pair (returned as `codeVerifier`); or give a challenge. */
  pkce?: boolean | { codeChallenge: string; method?: "S256" | "plain" };
  /** Further query parameters. */
  params?: Record<string, string>;
}

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { codeVerifier: string; codeChallenge: string } {
  const codeVerifier = randomBytes(32).toString("base64url");
  const codeChallenge = createHash("sha256").update(codeVerifier).digest("base64url");
  return { codeVerifier, codeChallenge };
}

export interface ConformanceStartOptions {
  clientId: string;
  /** all (default), basic, or test ids separated by commas; happy-path:date for one method. */
  plan?: string;
  /**
   * While a test is current, mynasim answers the app's own plain authorize for this client with
   * a 302 straight to redirect_uri. Sent only when set (needs a mynasim that knows the field).
   */
  completeScreens?: boolean;
}

export interface ConformanceWaitOptions {
  /** Bound on the whole wait (default 5 minutes). */
  timeoutMs?: number;
  /** Poll interval (default 250 ms). */
  pollMs?: number;
  /** Called whenever the current test changes (null between tests). */
  onCurrent?: (current: ConformanceRun["current"], run: ConformanceRun) => void | Promise<void>;
}

/** `journal.verify` expectations: exactly n, or a range. */
export type CountExpectation = number | { atLeast?: number; atMost?: number };

/** A client of one world's admin API, app and sp listeners. */
export class MynasimClient {
  protected readonly ctx: ClientContext;

  readonly clock: ClockApi;
  readonly availability: AvailabilityApi;
  readonly faults: FaultsApi;
  readonly scenarios: ScenariosApi;
  readonly journal: JournalApi;
  readonly processes: ProcessesApi;
  readonly services: SheetApi<Service>;
  readonly connections: SheetApi<Connection>;
  readonly personas: PersonasApi;
  readonly conformance: ConformanceApi;

  constructor(ctx: ClientContext) {
    this.ctx = {
      ...ctx,
      urls: {
        admin: trimSlash(ctx.urls.admin),
        app: ctx.urls.app && trimSlash(ctx.urls.app),
        sp: ctx.urls.sp && trimSlash(ctx.urls.sp),
        systems: ctx.urls.systems && trimSlash(ctx.urls.systems),
      },
    };
    this.clock = new ClockApi(this);
    this.availability = new AvailabilityApi(this);
    this.faults = new FaultsApi(this);
    this.scenarios = new ScenariosApi(this);
    this.journal = new JournalApi(this);
    this.processes = new ProcessesApi(this);
    this.services = new SheetApi<Service>(this, "services");
    this.connections = new SheetApi<Connection>(this, "connections");
    this.personas = new PersonasApi(this);
    this.conformance = new ConformanceApi(this);
  }

  /** The last `Mynasim-Virtual-Time` header seen on any answer (RFC 3339), if any. */
  get lastVirtualTime(): string | undefined {
    return lastSeen.get(this.ctx.transport);
  }

  /** This world's base URLs (app, sp, admin; systems when known), prefix included. */
  get urls(): Required<Pick<MynasimUrls, "admin">> & MynasimUrls {
    const p = this.ctx.prefix;
    const u = this.ctx.urls;
    return {
      admin: u.admin + p,
      app: u.app && u.app + p,
      sp: u.sp && u.sp + p,
      systems: u.systems && u.systems + p,
    };
  }

  /** The CA (PEM) trusted for the app and sp listeners, when known. */
  get ca(): string | Buffer | undefined {
    return this.ctx.transport.ca;
  }

  /** The HTTP transport (trusts the CA, sets SNI, bounded): usable for your own calls to app/sp. */
  get transport(): Transport {
    return this.ctx.transport;
  }

  /** @internal Low-level admin call under this world's prefix; throws MynasimApiError on a status not in `ok`. */
  async admin<T = unknown>(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; headers?: Record<string, string>; ok?: number[]; raw?: boolean; timeoutMs?: number } = {},
  ): Promise<T> {
    const res = await this.adminRaw(method, path, opts);
    const ok = opts.ok ?? [200, 201];
    if (!ok.includes(res.status)) throw apiError(res);
    return (opts.raw ? res.text : parseJson(res)) as T;
  }

  /** @internal */
  async adminRaw(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; headers?: Record<string, string>; timeoutMs?: number; global?: boolean } = {},
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (this.ctx.adminToken) headers.authorization = `Bearer ${this.ctx.adminToken}`;
    const prefix = opts.global ? "" : this.ctx.prefix;
    return this.ctx.transport.request({
      method,
      url: `${this.ctx.urls.admin}${prefix}${path}${qs(opts.query)}`,
      headers,
      body: opts.body,
      timeoutMs: opts.timeoutMs,
    });
  }

  /** GET /__admin/health. */
  health(): Promise<Health> {
    return this.admin("GET", "/__admin/health");
  }

  /** POST /__admin/reset: the world back to how it was loaded (runtime sheet changes stay). */
  reset(): Promise<{ status: "reset"; virtual_time: string }> {
    return this.admin("POST", "/__admin/reset");
  }

  /** GET /__admin/config: the effective world. */
  config(): Promise<Record<string, unknown>> {
    return this.admin("GET", "/__admin/config");
  }

  /** POST /__admin/reload: re-read the world files. */
  reload(): Promise<Record<string, unknown>> {
    return this.admin("POST", "/__admin/reload");
  }

  /** GET /__admin/changes (full: with their texts). */
  changes(full = false): Promise<{ version: number; changes: Record<string, unknown>[] }> {
    return this.admin("GET", "/__admin/changes", { query: { full: full ? "1" : undefined } });
  }

  /** DELETE /__admin/changes: forget every runtime change (but --api-user's) and reload. */
  forgetChanges(): Promise<Record<string, unknown>> {
    return this.admin("DELETE", "/__admin/changes");
  }

  /** GET /__admin/lint?client_id=: the conformance lint of one API user. */
  lint(clientId: string): Promise<LintReport> {
    return this.admin("GET", "/__admin/lint", { query: { client_id: clientId } });
  }

  /** POST /__admin/cards/reset, or one card's /__admin/cards/{serial}/reset. */
  resetCards(serial?: string): Promise<Record<string, unknown>> {
    return serial
      ? this.admin("POST", `/__admin/cards/${encodeURIComponent(serial)}/reset`)
      : this.admin("POST", "/__admin/cards/reset");
  }

  /**
   * The non-interactive authorization (IF001-01 on the app listener with `mynasim_persona` /
   * `mynasim_outcome`): the redirect is not followed; its Location gives the code and state.
   * A refusing outcome throws {@link AuthorizationError} (`error`, `errorCode`, `state`); an
   * error page (unknown client, redirect mismatch, unknown persona) throws {@link MynasimApiError}.
   */
  async authorize(opts: AuthorizeOptions): Promise<AuthorizeResult> {
    const app = this.urls.app;
    if (!app) throw new Error("authorize: the app URL of this simulator is not known");
    const q: Record<string, string> = {
      response_type: "code",
      client_id: opts.clientId,
      redirect_uri: opts.redirectUri,
      login_type: "0",
    };
    if (opts.state !== undefined) q.state = opts.state;
    if (opts.persona !== undefined) q.mynasim_persona = opts.persona;
    if (opts.outcome !== undefined) q.mynasim_outcome = opts.outcome;
    let codeVerifier: string | undefined;
    if (opts.pkce === true) {
      const p = pkcePair();
      codeVerifier = p.codeVerifier;
      q.code_challenge = p.codeChallenge;
      q.code_challenge_method = "S256";
    } else if (opts.pkce && typeof opts.pkce === "object") {
      q.code_challenge = opts.pkce.codeChallenge;
      q.code_challenge_method = opts.pkce.method ?? "S256";
    }
    Object.assign(q, opts.params ?? {});
    const res = await this.ctx.transport.request({
      method: "GET",
      url: `${app}/online-authorization-web/oauth/authorize${qs(q)}`,
      headers: { accept: "text/html" },
    });
    const location = res.headers.location;
    if (res.status < 300 || res.status > 399 || typeof location !== "string") throw apiError(res);
    const loc = new URL(location, app);
    const p = loc.searchParams;
    const state = p.get("state") ?? undefined;
    const error = p.get("error");
    if (error) {
      throw new AuthorizationError({
        error,
        errorDescription: p.get("error_description") ?? undefined,
        errorCode: p.get("error_code") ?? undefined,
        state,
        location,
      });
    }
    const code = p.get("code");
    if (!code) throw apiError(res);
    // portal.error_redirect: code puts code=access_denied on a refusal.
    if (code === "access_denied") throw new AuthorizationError({ error: code, state, location, errorCode: p.get("error_code") ?? undefined });
    return { code, state, location, codeVerifier };
  }
}

/** Per-transport last virtual time (kept outside the class so worlds share their root's). */
const lastSeen = new WeakMap<Transport, string>();
export function trackVirtualTime(t: Transport): void {
  t.onVirtualTime = (v) => lastSeen.set(t, v);
}

export class ClockApi {
  constructor(private readonly c: MynasimClient) {}
  /** GET /__admin/clock. */
  get(): Promise<Clock> {
    return this.c.admin("GET", "/__admin/clock");
  }
  /** The virtual now as a Date (use `get()` for the +09:00 text). */
  async now(): Promise<Date> {
    return new Date((await this.get()).now);
  }
  /** PUT /__admin/clock with any of now, speed, frozen. */
  set(to: Instant | { now?: Instant; speed?: number; frozen?: boolean }): Promise<Clock> {
    const body = typeof to === "string" || to instanceof Date ? { now: iso(to) } : { ...to, now: to.now === undefined ? undefined : iso(to.now) };
    return this.c.admin("PUT", "/__admin/clock", { body: JSON.parse(JSON.stringify(body)) });
  }
  /** POST /__admin/clock/advance by an ISO-8601 duration (PT2H30M). */
  advance(by: string): Promise<Clock> {
    return this.c.admin("POST", "/__admin/clock/advance", { body: { by } });
  }
  /** Stop the clock (optionally at an instant). */
  freeze(at?: Instant): Promise<Clock> {
    return this.set(at === undefined ? { frozen: true } : { now: at, frozen: true });
  }
  /** Let the clock run again. */
  unfreeze(): Promise<Clock> {
    return this.set({ frozen: false });
  }
  /** Virtual seconds per real second. */
  speed(speed: number): Promise<Clock> {
    return this.set({ speed });
  }
  /** POST /__admin/clock/wall: follow the wall clock again. */
  wall(): Promise<Clock> {
    return this.c.admin("POST", "/__admin/clock/wall");
  }
}

export class AvailabilityApi {
  constructor(private readonly c: MynasimClient) {}
  /** Every system at an instant (default the virtual now). */
  at(at?: Instant): Promise<Availability> {
    return this.c.admin("GET", "/__admin/availability", { query: { at: at === undefined ? undefined : iso(at) } });
  }
  /** One system's windows between from and to. */
  timeline(opts: { system: string; from?: Instant; to?: Instant }): Promise<SystemTimeline>;
  /** Every system with the days off. */
  timeline(opts?: { from?: Instant; to?: Instant }): Promise<Timeline>;
  timeline(opts: { system?: string; from?: Instant; to?: Instant } = {}): Promise<SystemTimeline | Timeline> {
    return this.c.admin("GET", "/__admin/availability/timeline", {
      query: { system: opts.system, from: opts.from && iso(opts.from), to: opts.to && iso(opts.to) },
    });
  }
}

export class FaultsApi {
  constructor(private readonly c: MynasimClient) {}
  /** Add one fault or a list (all or nothing); answers the ids. */
  async add(spec: FaultSpec | FaultSpec[]): Promise<string[]> {
    const r = await this.c.admin<{ ids: string[] }>("POST", "/__admin/faults", { body: spec });
    return r.ids;
  }
  async list(): Promise<Fault[]> {
    return (await this.c.admin<{ faults: Fault[] }>("GET", "/__admin/faults")).faults;
  }
  remove(id: string): Promise<{ status: string }> {
    return this.c.admin("DELETE", `/__admin/faults/${encodeURIComponent(id)}`);
  }
  clear(): Promise<{ status: string }> {
    return this.c.admin("DELETE", "/__admin/faults");
  }
}

export class ScenariosApi {
  constructor(private readonly c: MynasimClient) {}
  /** Start a scenario file from qa.scenarios_dir (`year-end-juki.yaml`, `scenarios/…`). */
  load(file: string): Promise<ScenarioStatus> {
    return this.c.admin("POST", "/__admin/scenarios", { body: { file } });
  }
  /** Start a scenario given as YAML text (at most 1 MiB). */
  loadYaml(yaml: string): Promise<ScenarioStatus> {
    return this.c.admin("POST", "/__admin/scenarios", { body: yaml, headers: { "content-type": "application/yaml" } });
  }
  /** The running scenario (steps, log) and the files available. */
  current(): Promise<ScenarioStatus> {
    return this.c.admin("GET", "/__admin/scenarios");
  }
  /** Stop the scenario (its faults stay until removed). */
  stop(): Promise<{ status: string }> {
    return this.c.admin("DELETE", "/__admin/scenarios");
  }
}

function describeEntry(e: JournalEntry): string {
  return (
    `#${e.seq} ${e.at} ${e.direction} ${e.system} ${e.method} ${e.path} → ${e.status}` +
    (e.error_code ? ` ${e.error_code}` : "") +
    (e.client_id ? ` client_id=${e.client_id}` : "") +
    (e.telegram_id ? ` telegram_id=${e.telegram_id}` : "") +
    (e.faults?.length ? ` faults=${e.faults.join(",")}` : "")
  );
}

export class JournalApi {
  constructor(private readonly c: MynasimClient) {}
  /** GET /__admin/requests: matching entries, newest last. */
  async find(filter: JournalFilter = {}): Promise<JournalEntry[]> {
    return (await this.c.admin<{ requests: JournalEntry[] }>("GET", "/__admin/requests", { query: journalQuery(filter) })).requests;
  }
  /** GET /__admin/requests with the journal's statistics. */
  findWithStats(filter: JournalFilter = {}): Promise<{ requests: JournalEntry[]; journal: JournalStats }> {
    return this.c.admin("GET", "/__admin/requests", { query: journalQuery(filter) });
  }
  /** GET /__admin/requests/count: how many entries match. */
  async count(filter: JournalFilter = {}): Promise<number> {
    const f = { ...filter };
    delete f.limit;
    delete f.bodies;
    return (await this.c.admin<{ count: number }>("GET", "/__admin/requests/count", { query: journalQuery(f) })).count;
  }
  /**
   * Like WireMock's verify(n, filter): the number of matching entries must be `expected`
   * (or within {atLeast, atMost}); else a {@link VerificationError} listing what was found.
   * `withinMs` keeps counting (every 100 ms) until the expectation holds or the time is up,
   * for things that happen asynchronously (holder hops, notifications).
   */
  async verify(expected: CountExpectation, filter: JournalFilter = {}, opts: { withinMs?: number } = {}): Promise<number> {
    const lo = typeof expected === "number" ? expected : expected.atLeast ?? 0;
    const hi = typeof expected === "number" ? expected : expected.atMost ?? Number.POSITIVE_INFINITY;
    const deadline = Date.now() + (opts.withinMs ?? 0);
    for (;;) {
      const n = await this.count(filter);
      if (n >= lo && n <= hi) return n;
      if (Date.now() >= deadline) {
        const entries = await this.find({ ...filter, bodies: false, limit: 50 });
        const want = typeof expected === "number" ? `${expected}` : `between ${lo} and ${hi === Number.POSITIVE_INFINITY ? "∞" : hi}`;
        const shown = entries.map(describeEntry).join("\n  ");
        throw new VerificationError(
          `expected ${want} journal entries matching ${JSON.stringify(filter)}, found ${n}` + (entries.length ? `:\n  ${shown}` : ""),
          { expected: want, actual: n, filter: { ...filter }, entries },
        );
      }
      await sleep(100);
    }
  }
  /** DELETE /__admin/requests. */
  clear(): Promise<{ status: string }> {
    return this.c.admin("DELETE", "/__admin/requests");
  }
  /**
   * The IF001-05 notifications sent to the API user (the portal's outgoing POSTs, journaled
   * with direction `out`), optionally for one service or process.
   */
  notifications(filter: Omit<JournalFilter, "direction"> = {}): Promise<JournalEntry[]> {
    return this.find({ ...filter, direction: "out" });
  }
}

export class ProcessesApi {
  constructor(private readonly c: MynasimClient) {}
  /** The newest IF001-04 processes (newest first). */
  async list(limit?: number): Promise<ProcessSummary[]> {
    return (await this.c.admin<{ processes: ProcessSummary[] }>("GET", "/__admin/processes", { query: { limit } })).processes;
  }
  /** One process: inquiry, per-holder status, every notification attempt. */
  get(processId: string): Promise<ProcessDetail> {
    return this.c.admin("GET", `/__admin/processes/${encodeURIComponent(processId)}`);
  }
}

/** A runtime sheet: services, connections or personas. */
export class SheetApi<T, L = T> {
  constructor(
    protected readonly c: MynasimClient,
    protected readonly section: "services" | "connections" | "personas",
  ) {}
  /** Every entry (for personas: each with its card's state now, GET /__admin/personas). */
  async list(): Promise<L[]> {
    const r = await this.c.admin<Record<string, L[]>>("GET", `/__admin/${this.section}`);
    return r[this.section];
  }
  get(id: string): Promise<T> {
    return this.c.admin("GET", `/__admin/${this.section}/${encodeURIComponent(id)}`);
  }
  /** Add or replace the entry (as in the YAML sheet; an object is sent as JSON, a string as YAML). */
  put(id: string, entry: Record<string, unknown> | string): Promise<T> {
    const yaml = typeof entry === "string";
    return this.c.admin("PUT", `/__admin/${this.section}/${encodeURIComponent(id)}`, {
      body: entry,
      headers: yaml ? { "content-type": "application/yaml" } : undefined,
    });
  }
  /** A JSON merge patch of the entry as `get` shows it. */
  patch(id: string, patch: Record<string, unknown>): Promise<T> {
    return this.c.admin("PATCH", `/__admin/${this.section}/${encodeURIComponent(id)}`, {
      body: JSON.stringify(patch),
      headers: { "content-type": "application/merge-patch+json" },
    });
  }
  delete(id: string): Promise<{ removed: string }> {
    return this.c.admin("DELETE", `/__admin/${this.section}/${encodeURIComponent(id)}`);
  }
}

export class PersonasApi extends SheetApi<Persona, PersonaState> {
  constructor(c: MynasimClient) {
    super(c, "personas");
  }
  /** 提供記録: what was provided about this persona, to whom. */
  async accessRecords(id: string): Promise<AccessRecord[]> {
    return (await this.c.admin<{ access_records: AccessRecord[] }>("GET", `/__admin/personas/${encodeURIComponent(id)}/access-records`)).access_records;
  }
}

export class ConformanceApi {
  constructor(private readonly c: MynasimClient) {}
  /** The tests and the named plans. */
  tests(): Promise<{ tests: ConformanceTest[]; plans: string[] }> {
    return this.c.admin("GET", "/__admin/conformance/tests");
  }
  /** The kept runs (without their tests). */
  runs(): Promise<{ runs: ConformanceRun[]; max_kept: number; max_active: number }> {
    return this.c.admin("GET", "/__admin/conformance/runs");
  }
  /** POST /__admin/conformance/runs. */
  start(opts: ConformanceStartOptions): Promise<ConformanceRun> {
    const body: Record<string, unknown> = { client_id: opts.clientId };
    if (opts.plan !== undefined) body.plan = opts.plan;
    if (opts.completeScreens !== undefined) body.complete_screens = opts.completeScreens;
    return this.c.admin("POST", "/__admin/conformance/runs", { body });
  }
  get(id: string): Promise<ConformanceRun> {
    return this.c.admin("GET", `/__admin/conformance/runs/${encodeURIComponent(id)}`);
  }
  /** Cancel a run; the current test's arrangement is put back. */
  cancel(id: string): Promise<ConformanceRun> {
    return this.c.admin("DELETE", `/__admin/conformance/runs/${encodeURIComponent(id)}`);
  }
  /** Poll a run until it is over (finished or cancelled); bounded by `timeoutMs`. */
  async wait(id: string, opts: ConformanceWaitOptions = {}): Promise<ConformanceRun> {
    const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
    let lastKey: string | undefined = "\u0000";
    for (;;) {
      const run = await this.get(id);
      const key = run.current ? `${run.current.name}#${run.current.index ?? ""}` : undefined;
      if (opts.onCurrent && key !== lastKey) {
        lastKey = key;
        await opts.onCurrent(run.current, run);
      }
      if (run.state !== "running") return run;
      if (Date.now() >= deadline) throw new MynasimTimeoutError(`conformance run ${id} still running after ${opts.timeoutMs ?? 300_000} ms`);
      await sleep(opts.pollMs ?? 250);
    }
  }
  /** The report: JSON (the run), JUnit XML or Markdown. */
  report(id: string, format: "json"): Promise<ConformanceRun>;
  report(id: string, format: "junit" | "markdown"): Promise<string>;
  report(id: string, format: "json" | "junit" | "markdown" = "json"): Promise<ConformanceRun | string> {
    return this.c.admin("GET", `/__admin/conformance/runs/${encodeURIComponent(id)}/report`, {
      query: { format },
      raw: format !== "json",
      headers: { accept: format === "junit" ? "application/xml" : format === "markdown" ? "text/markdown" : "application/json" },
    });
  }
  /** Write the JUnit XML report to a file; answers the XML. */
  async writeJUnit(id: string, file: string): Promise<string> {
    const xml = await this.report(id, "junit");
    await writeFile(file, xml, "utf8");
    return xml;
  }
}

/** A named world: a client of `/worlds/{id}/…` on every listener. */
export class MynasimWorld extends MynasimClient {
  readonly id: string;
  /** The world token (reaches only this world's admin paths). */
  readonly token?: string;
  readonly info: WorldInfo;
  private readonly parent: WorldsApi;

  constructor(parent: WorldsApi, parentCtx: ClientContext, info: WorldInfo) {
    super({ ...parentCtx, prefix: `/worlds/${info.id}`, adminToken: info.token ?? parentCtx.adminToken });
    this.id = info.id;
    this.token = info.token;
    this.info = info;
    this.parent = parent;
  }

  /** DELETE /__admin/worlds/{id}: the world and everything it owns. */
  async delete(): Promise<void> {
    await this.parent.delete(this.id);
  }
}

export class WorldsApi {
  constructor(
    private readonly c: MynasimClient,
    private readonly ctx: () => ClientContext,
  ) {}
  /** Create a named world; answers a client bound to it. */
  async create(opts: CreateWorldOptions = {}): Promise<MynasimWorld> {
    const body: Record<string, unknown> = {};
    if (opts.id !== undefined) body.id = opts.id;
    if (opts.ttl !== undefined) body.ttl = opts.ttl;
    if (opts.clock !== undefined) body.clock = iso(opts.clock);
    if (opts.bind !== undefined) body.bind = opts.bind;
    if (opts.apiUsers !== undefined) body.api_users = opts.apiUsers;
    const info = await this.c.admin<WorldInfo>("POST", "/__admin/worlds", { body });
    return new MynasimWorld(this, this.ctx(), info);
  }
  /** A client of an existing world (token: the world's, or the global one). */
  async open(id: string, token?: string): Promise<MynasimWorld> {
    const ctx = this.ctx();
    const info = await this.get(id);
    return new MynasimWorld(this, token ? { ...ctx, adminToken: token } : ctx, { ...info, token });
  }
  async list(): Promise<WorldInfo[]> {
    return (await this.c.admin<{ worlds: WorldInfo[] }>("GET", "/__admin/worlds")).worlds;
  }
  get(id: string): Promise<WorldInfo> {
    return this.c.admin("GET", `/__admin/worlds/${encodeURIComponent(id)}`);
  }
  async delete(id: string): Promise<void> {
    await this.c.admin("DELETE", `/__admin/worlds/${encodeURIComponent(id)}`);
  }
  /** Bind a service to a world (its unprefixed requests go there). */
  bind(id: string, clientId: string): Promise<{ world: string; client_id: string }> {
    return this.c.admin("PUT", `/__admin/worlds/${encodeURIComponent(id)}/bindings/${encodeURIComponent(clientId)}`);
  }
  unbind(id: string, clientId: string): Promise<{ world: string; unbound: string }> {
    return this.c.admin("DELETE", `/__admin/worlds/${encodeURIComponent(id)}/bindings/${encodeURIComponent(clientId)}`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export { MynasimApiError };
