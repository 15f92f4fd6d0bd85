// SPDX-License-Identifier: Apache-2.0
// Shapes of the admin API (docs/openapi/mynasim-admin.yaml). Wire names are kept (snake_case);
// fields not listed are still present on the objects returned.

export type Instant = string | Date;

export interface Clock {
  /** The virtual now, RFC 3339 with the +09:00 offset. */
  now: string;
  speed: number;
  frozen: boolean;
  timezone: "Asia/Tokyo";
}

export interface Health {
  status: "ok";
  virtual_time: string;
  systems: string[];
  uptime_ms: number;
  version?: string;
  [k: string]: unknown;
}

export interface AvailabilityReason {
  code: "operating" | "outside_hours" | "closed_weekday" | "closed_holiday" | "planned_outage" | "forced_down";
  message: string;
  detail?: string;
}

export interface SystemAvailability {
  id: string;
  name: string;
  kind: "portal" | "network" | "juki" | "intermediate";
  up: boolean;
  reason: AvailabilityReason;
  next_change: string | null;
  part_of?: string;
}

export interface Availability {
  at: string;
  systems: SystemAvailability[];
}

export interface TimelineWindow {
  from: string;
  until: string;
  up: boolean;
  reason: AvailabilityReason;
}

export interface SystemTimeline {
  system: string;
  name: string;
  from: string;
  to: string;
  windows: TimelineWindow[];
}

export interface Timeline {
  from: string;
  to: string;
  now: string;
  systems: SystemTimeline[];
  days_off: { date: string; name: string; holiday: boolean }[];
}

export type FaultKind =
  | "latency"
  | "http_error"
  | "hang"
  | "reset"
  | "empty_response"
  | "malformed_body"
  | "truncated_body"
  | "slow_body"
  | "down"
  | "quota"
  | "notification_drop"
  | "notification_delay"
  | "notification_duplicate";

/** A fault as POST /__admin/faults takes it. */
export interface FaultSpec {
  kind: FaultKind;
  target: string;
  id?: string;
  endpoint?: string;
  client_id?: string;
  persona?: string;
  telegram_id?: string;
  probability?: number;
  seed?: number;
  count?: number;
  for?: string;
  until?: string;
  latency_ms?: number;
  latency_max_ms?: number;
  distribution?: "fixed" | "uniform" | "lognormal";
  sigma?: number;
  status?: number;
  error_code?: string;
  message?: string;
  limit?: number;
  window?: string;
  delay_ms?: number;
  chunk_bytes?: number;
}

export interface Fault {
  id: string;
  kind: FaultKind;
  target: string;
  probability: number;
  seed: number;
  endpoint?: string;
  client_id?: string;
  persona?: string;
  telegram_id?: string;
  remaining?: number;
  until?: string;
  [k: string]: unknown;
}

export interface ScenarioStatus {
  scenario: string | null;
  description?: string;
  source?: string;
  current_step?: number;
  steps?: { at: string; note: string; applied: boolean }[];
  log?: string[];
  available?: string[];
  replaced?: string;
}

export interface JournalEntry {
  /** The order entries were recorded in: when each exchange ended. */
  seq: number;
  at: string;
  /** When the exchange began (virtual time); order by (started, start_seq). */
  started: string;
  /** Orders the exchanges begun at the same virtual instant (a frozen clock). */
  start_seq: number;
  direction: "in" | "out";
  system: string;
  listener?: string;
  method: string;
  path: string;
  url?: string;
  status: number;
  latency_ms: number;
  client_id?: string;
  claimed_client_id?: string;
  persona?: string;
  telegram_id?: string;
  process_id?: string;
  request_id?: string;
  error_code?: string;
  request_body?: string;
  response_body?: string;
  faults?: string[];
  node?: string;
  world?: string;
}

export interface JournalStats {
  entries: number;
  bytes: number;
  dropped: number;
  max_entries: number;
  max_bytes: number;
}

/** Filters of GET /__admin/requests and /__admin/requests/count. */
export interface JournalFilter {
  system?: string;
  /** Path prefix. */
  path?: string;
  status?: number;
  /** The service an entry is filed under (proved, never claimed). */
  clientId?: string;
  telegramId?: string;
  processId?: string;
  direction?: "in" | "out";
  limit?: number;
  /** false: leave out request and response bodies. */
  bodies?: boolean;
}

export interface ProcessSummary {
  process_id: string;
  client_id: string;
  persona: string;
  telegram_id: string;
  ready: boolean;
  error_key: string;
  error_code: string;
  created: string;
  ready_at: string | null;
  notifications: number;
  expired: boolean;
}

export interface NotificationAttempt {
  at: string;
  status: number;
  error: string;
  telegram_type: string;
  [k: string]: unknown;
}

export interface ProcessDetail {
  process_id: string;
  client_id: string;
  persona: string;
  telegram_id: string;
  ready: boolean;
  error_key: string;
  inquiry: { method: "date" | "range" | "latest"; [k: string]: unknown };
  provider_status: { system: string; status: string; [k: string]: unknown }[];
  notifications: NotificationAttempt[];
  created: string;
  [k: string]: unknown;
}

export interface Connection {
  client_id: string;
  notification_url?: string;
  client_cert_sha256?: string;
  client_cert_subject?: string;
  allowed_sources?: string[];
  defined_at: string;
  [k: string]: unknown;
}

export interface Service {
  client_id: string;
  provider_name: string;
  name: string;
  purpose: string;
  items: string[];
  query_methods?: ("date" | "range" | "latest")[];
  redirect_uris: string[];
  ci?: Record<string, unknown>;
  connection?: Connection | null;
  defined_at: string;
  [k: string]: unknown;
}

export interface Persona {
  id: string;
  name: string;
  card: { serial: string; pin: string; pin_tries_left?: number; certificate?: "valid" | "expired" | "revoked" };
  data?: unknown[];
  defined_at: string;
  [k: string]: unknown;
}

export interface PersonaState {
  id: string;
  name: string;
  note?: string;
  card_serial: string;
  pin_tries_left: number;
  locked: boolean;
  certificate: "valid" | "expired" | "revoked";
  has_data: boolean;
}

export interface AccessRecord {
  at: string;
  client_id: string;
  service: string;
  process_id: string;
  outcome: string;
  items: string[];
}

export interface WorldInfo {
  id: string;
  declared: boolean;
  created: string;
  idle_ms: number;
  ttl_ms: number | null;
  requests: number;
  virtual_time: string;
  bound: string[];
  urls: { admin: string; control_room: string; app: string; sp: string };
  token?: string;
}

export interface CreateWorldOptions {
  /** `^[a-z0-9][a-z0-9-]{0,62}$`; default w- and 12 random hex digits. */
  id?: string;
  /** Idle time before removal (ISO-8601 duration, wall clock), e.g. PT1H. */
  ttl?: string;
  /** The world's starting instant (reset returns to it). */
  clock?: Instant;
  /** client_ids whose unprefixed requests go to this world. */
  bind?: string[];
  /** `[CLIENT_ID=]URL` of the API user's app in this world, as --api-user. */
  apiUsers?: string[];
}

export interface LintFinding {
  rule: string;
  severity: "error" | "warning" | "advice";
  title_ja: string;
  title_en: string;
  /** The remedy in English (as `remedy_en`). */
  remedy: string;
  remedy_ja?: string;
  remedy_en?: string;
  /** What exactly was seen, in English (as `detail_en`). */
  detail: string;
  detail_ja?: string;
  detail_en?: string;
  /** At most 20 entries; `evidence_omitted` counts the rest. */
  evidence: JournalEntry[];
  evidence_omitted?: number;
}

export interface LintReport {
  client_id: string;
  entries_read: number;
  rules: number;
  findings: LintFinding[];
}

export type Verdict = "pending" | "pass" | "warning" | "fail" | "not_applicable";

export interface ConformanceTestResult {
  name: string;
  test: string;
  title_ja: string;
  title_en: string;
  /** What mynasim arranges, in English (as `arranges_en`). */
  arranges: string;
  arranges_ja?: string;
  arranges_en?: string;
  /** What passes, in English (as `expects_en`). */
  expects: string;
  expects_ja?: string;
  expects_en?: string;
  instruction_ja: string;
  action: "consent" | "refuse" | "none";
  /** The remedy in English (as `remedy_en`). */
  remedy: string;
  remedy_ja?: string;
  remedy_en?: string;
  state: "queued" | "waiting" | "settling" | "done";
  verdict: Verdict;
  /** What was seen, in English (as `detail_en`). */
  detail: string;
  detail_ja?: string;
  detail_en?: string;
  duration_ms: number;
  query_method?: "date" | "range" | "latest";
  failing_holder?: string;
  faults?: string[];
  /** At most 20 entries; `evidence_omitted` counts the rest. */
  evidence: JournalEntry[];
  evidence_omitted?: number;
  index?: number;
}

export interface ConformanceRun {
  id: string;
  client_id: string;
  plan: string;
  state: "running" | "finished" | "cancelled";
  created_at: string;
  persona: { id: string; name: string; card_serial: string; pin: string } | null;
  current: ConformanceTestResult | null;
  summary: Partial<Record<Verdict, number>>;
  tests?: ConformanceTestResult[];
  [k: string]: unknown;
}

export interface ConformanceTest {
  id: string;
  title_ja: string;
  title_en: string;
  /** What mynasim arranges, in English (as `arranges_en`). */
  arranges: string;
  arranges_ja?: string;
  arranges_en?: string;
  /** What passes, in English (as `expects_en`). */
  expects: string;
  expects_ja?: string;
  expects_en?: string;
  instruction_ja: string;
  remedy: string;
  remedy_ja?: string;
  remedy_en?: string;
  action: "consent" | "refuse" | "none";
}

/** Outcomes of the non-interactive authorization (`mynasim_outcome`). */
export type AuthorizeOutcome =
  | "consent"
  | "refuse"
  | "cancel_link"
  | "wrong_pin"
  | "lock_card"
  | "expired_certificate"
  | "revoked_certificate";
