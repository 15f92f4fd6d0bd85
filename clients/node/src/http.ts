// SPDX-License-Identifier: Apache-2.0
// A small HTTP(S) client on node:http / node:https: a CA to trust, SNI, a deadline on every call.

import * as http from "node:http";
import * as https from "node:https";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import { MynasimApiError, MynasimConnectionError } from "./errors.js";

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  url: string;
  method: string;
}

export interface HttpRequest {
  method: string;
  url: string | URL;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown;
  timeoutMs?: number;
}

/** Largest answer read (the journal with bodies can be big). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * One transport: keep-alive agents for http and https, the https one trusting `ca`
 * (PEM) in addition to nothing else when given (`ca` replaces the system roots, as mynasim's
 * certificates come from its own development CA).
 */
export class Transport {
  readonly ca?: string | Buffer;
  readonly timeoutMs: number;
  /** TLS name to send (SNI) and verify instead of the URL's host (e.g. `localhost` for a Docker host IP). */
  readonly serverName?: string;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** Called with every `Mynasim-Virtual-Time` header seen. */
  onVirtualTime?: (value: string) => void;

  constructor(opts: { ca?: string | Buffer; timeoutMs?: number; serverName?: string } = {}) {
    this.ca = opts.ca;
    this.serverName = opts.serverName;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ca: opts.ca });
  }

  /** Destroy the kept connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const url = typeof req.url === "string" ? new URL(req.url) : req.url;
    const method = req.method.toUpperCase();
    const headers: Record<string, string> = { accept: "application/json", ...(req.headers ?? {}) };
    let payload: Buffer | undefined;
    if (req.body !== undefined) {
      if (typeof req.body === "string" || Buffer.isBuffer(req.body)) {
        payload = Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, "utf8");
      } else {
        payload = Buffer.from(JSON.stringify(req.body), "utf8");
        if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/json";
      }
      headers["content-length"] = String(payload.length);
    }
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const isHttps = url.protocol === "https:";
    const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const options: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname,
      port: url.port || (isHttps ? 443 : 80),
      path: url.pathname + url.search,
      headers,
      agent: isHttps ? this.httpsAgent : this.httpAgent,
    };
    if (isHttps) {
      options.ca = this.ca;
      // SNI: the host name (not sent for an IP address, which TLS forbids).
      const name = this.serverName ?? hostname;
      if (!isIP(name)) options.servername = name;
      if (this.serverName) {
        const expected = this.serverName;
        options.checkServerIdentity = (_host, cert) => checkServerIdentity(expected, cert);
      }
    }
    const where = `${method} ${url.href}`;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const done = (err: Error | null, res?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(res!);
      };
      const r = (isHttps ? https : http).request(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            r.destroy();
            done(new MynasimConnectionError(`${where}: answer larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () => {
          const vt = res.headers["mynasim-virtual-time"];
          if (typeof vt === "string" && this.onVirtualTime) this.onVirtualTime(vt);
          done(null, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
            url: url.href,
            method,
          });
        });
        res.on("error", (e) => done(new MynasimConnectionError(`${where}: ${e.message}`, { cause: e })));
      });
      const timer = setTimeout(() => {
        const e = new MynasimConnectionError(`${where}: no complete answer within ${timeoutMs} ms`);
        r.destroy(e);
        done(e);
      }, timeoutMs);
      r.on("error", (e) => done(e instanceof MynasimConnectionError ? e : new MynasimConnectionError(`${where}: ${e.message}`, { cause: e })));
      if (payload) r.write(payload);
      r.end();
    });
  }
}

function hasHeader(h: Record<string, string>, name: string): boolean {
  return Object.keys(h).some((k) => k.toLowerCase() === name);
}

/** Parse a JSON answer; `undefined` for an empty body. */
export function parseJson(res: HttpResponse): unknown {
  if (res.text.length === 0) return undefined;
  try {
    return JSON.parse(res.text);
  } catch {
    return res.text;
  }
}

/** The typed error for an answer whose status was not expected. */
export function apiError(res: HttpResponse): MynasimApiError {
  const body = parseJson(res);
  let error = `http_${res.status}`;
  let detail = "";
  let errorCode: string | undefined;
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    if (typeof b.error === "string") error = b.error;
    if (typeof b.message === "string") detail = b.message;
    else if (typeof b.error_description === "string") detail = b.error_description;
    else if (typeof b.errorMessage === "string") detail = b.errorMessage;
    if (typeof b.errorCode === "string" && b.errorCode) errorCode = b.errorCode;
    const ch = b.commonHeader as Record<string, unknown> | undefined;
    if (!errorCode && ch && typeof ch.errorCode === "string" && ch.errorCode) errorCode = ch.errorCode;
  } else if (typeof body === "string") {
    detail = body.length > 500 ? body.slice(0, 500) + "…" : body;
  }
  const hdr = res.headers["x-mynasim-error-code"];
  if (!errorCode && typeof hdr === "string") errorCode = hdr;
  return new MynasimApiError({ status: res.status, error, detail, errorCode, body, method: res.method, url: res.url });
}
