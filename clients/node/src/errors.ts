// SPDX-License-Identifier: Apache-2.0
// Typed errors of the mynasim client.

/** Base class of every error this library throws. */
export class MynasimClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * An answer of mynasim with a status that the call did not expect: the admin API's
 * `{error, message}` / `{error, error_description}` body, or a portal error page
 * (`X-Mynasim-Error-Code`).
 */
export class MynasimApiError extends MynasimClientError {
  /** HTTP status. */
  readonly status: number;
  /** The machine-readable error (`error` of the body, e.g. `invalid_fault`, `unknown_world`). */
  readonly error: string;
  /** The catalogue errorCode when the answer carries one (MPE…). */
  readonly errorCode?: string;
  /** The human message (`message` or `error_description`). */
  readonly detail: string;
  /** The parsed body (object) or its text. */
  readonly body: unknown;
  readonly method: string;
  readonly url: string;

  constructor(args: {
    status: number;
    error: string;
    detail: string;
    errorCode?: string;
    body: unknown;
    method: string;
    url: string;
  }) {
    super(
      `${args.method} ${args.url} answered ${args.status} ${args.error}` +
        (args.errorCode ? ` (${args.errorCode})` : "") +
        (args.detail ? `: ${args.detail}` : ""),
    );
    this.status = args.status;
    this.error = args.error;
    this.detail = args.detail;
    this.errorCode = args.errorCode;
    this.body = args.body;
    this.method = args.method;
    this.url = args.url;
  }
}

/** The network failed or a call ran past its deadline. */
export class MynasimConnectionError extends MynasimClientError {}

/** mynasim could not be started (binary missing, exit before ready, no ready file in time). */
export class MynasimStartError extends MynasimClientError {
  /** The tail of the process's output. */
  readonly logTail: string;
  constructor(message: string, logTail: string, options?: { cause?: unknown }) {
    super(logTail ? `${message}\n--- mynasim log (tail) ---\n${logTail}` : message, options);
    this.logTail = logTail;
  }
}

/** The simulator's version is outside the range this client supports. */
export class MynasimVersionError extends MynasimClientError {
  readonly version: string;
  readonly supported: string;
  constructor(version: string, supported: string) {
    super(`mynasim ${version} is not supported by this client (supported: ${supported})`);
    this.version = version;
    this.supported = supported;
  }
}

/**
 * The authorization ended with an error redirect (`redirect_uri?error=access_denied&…`):
 * a refusing outcome such as `refuse`, `lock_card`, `expired_certificate`.
 */
export class AuthorizationError extends MynasimClientError {
  /** OAuth `error` (e.g. `access_denied`). */
  readonly error: string;
  readonly errorDescription?: string;
  /** The catalogue errorCode (`error_code`, e.g. MPE1101). */
  readonly errorCode?: string;
  readonly state?: string;
  /** The full Location the portal redirected to. */
  readonly location: string;
  constructor(args: {
    error: string;
    errorDescription?: string;
    errorCode?: string;
    state?: string;
    location: string;
  }) {
    super(
      `authorization refused: ${args.error}` +
        (args.errorCode ? ` (${args.errorCode})` : "") +
        (args.errorDescription ? `: ${args.errorDescription}` : ""),
    );
    this.error = args.error;
    this.errorDescription = args.errorDescription;
    this.errorCode = args.errorCode;
    this.state = args.state;
    this.location = args.location;
  }
}

/** `journal.verify(n, filter)` found another number of entries; carries what it found. */
export class VerificationError extends MynasimClientError {
  readonly expected: number | string;
  readonly actual: number;
  readonly filter: Record<string, unknown>;
  readonly entries: unknown[];
  constructor(message: string, args: { expected: number | string; actual: number; filter: Record<string, unknown>; entries: unknown[] }) {
    super(message);
    this.expected = args.expected;
    this.actual = args.actual;
    this.filter = args.filter;
    this.entries = args.entries;
  }
}

/** A bounded wait (conformance run, poll) ran out. */
export class MynasimTimeoutError extends MynasimClientError {}
