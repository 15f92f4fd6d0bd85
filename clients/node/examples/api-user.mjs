// SPDX-License-Identifier: Apache-2.0
// A small API user of the 自己情報取得API (IF001), written from mynasim's docs/api.md:
// token (IF001-03), request (IF001-04), result (IF001-06) with a bounded back-off, and an
// IF001-05 notification endpoint. It knows nothing about mynasim's admin API.

import { createServer } from "node:http";
import { Transport } from "mynasim"; // only the HTTPS transport (CA + SNI + deadlines)

/** `TL-<8 provider digits>-<YYMMDDhhmmss JST>-<4 digits>`, unique per call in this process. */
let seq = 0;
export function telegramId(clientId, now = new Date()) {
  const digits = /^SP(\d{8})_/.exec(clientId)?.[1];
  if (!digits) throw new Error(`not a client_id: ${clientId}`);
  const jst = new Date(now.getTime() + 9 * 3600_000).toISOString(); // YYYY-MM-DDThh:mm:ss
  const stamp = jst.slice(2, 4) + jst.slice(5, 7) + jst.slice(8, 10) + jst.slice(11, 13) + jst.slice(14, 16) + jst.slice(17, 19);
  seq = (seq + 1) % 10000;
  return `TL-${digits}-${stamp}-${String(seq).padStart(4, "0")}`;
}

export class ApiUser {
  /**
   * @param {{spUrl: string, clientId: string, redirectUri: string, ca?: string|Buffer, serverName?: string}} opts
   *   serverName: the TLS name to verify when the URL's host is not in the certificate (Docker).
   */
  constructor(opts) {
    this.spUrl = opts.spUrl.replace(/\/$/, "");
    this.clientId = opts.clientId;
    this.redirectUri = opts.redirectUri;
    this.http = new Transport({ ca: opts.ca, timeoutMs: 10_000, serverName: opts.serverName });
  }

  close() {
    this.http.close();
  }

  /** IF001-03: authorization code → access token. */
  async token(code, codeVerifier) {
    const form = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: this.redirectUri, client_id: this.clientId });
    if (codeVerifier) form.set("code_verifier", codeVerifier);
    const res = await this.http.request({
      method: "POST",
      url: `${this.spUrl}/online-authorization-web/oauth/token`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    const body = JSON.parse(res.text);
    if (res.status !== 200) throw Object.assign(new Error(`token: ${res.status} ${body.error} ${body.errorCode ?? ""}`), { status: res.status, body });
    return body.access_token;
  }

  async #telegram(path, accessToken, body) {
    const res = await this.http.request({
      method: "POST",
      url: `${this.spUrl}${path}`,
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
      body,
    });
    return { status: res.status, body: JSON.parse(res.text) };
  }

  /** IF001-04: answers {status, telegramId, processId, errorCode, errorMessage}. */
  async request(accessToken, inquiryCondition = "Latest") {
    const tid = telegramId(this.clientId);
    const { status, body } = await this.#telegram("/online-resource-web/request", accessToken, {
      commonHeader: { telegramId: tid, telegramType: "IFA0301-R01", mode: "1", processId: "", errorCode: "" },
      selfProvisionDataReqInfo: { inquiryCondition },
    });
    const h = body.commonHeader ?? {};
    return { status, telegramId: tid, processId: h.processId ?? "", errorCode: h.errorCode ?? "", errorMessage: body.errorMessage ?? "" };
  }

  /** IF001-06 once: answers {status, errorCode, errorMessage, data, providerStatus}. */
  async result(accessToken, tid, processId) {
    const { status, body } = await this.#telegram("/online-resource-web/result", accessToken, {
      commonHeader: { telegramId: tid, telegramType: "IFA0303-R01", mode: "1", processId, errorCode: "" },
    });
    const info = body.selfPersonalDataProvisionInfo ?? {};
    return {
      status,
      errorCode: body.commonHeader?.errorCode ?? "",
      errorMessage: body.errorMessage ?? "",
      data: typeof info.selfPersonalData === "string" ? JSON.parse(info.selfPersonalData) : undefined,
      providerStatus: info.providerStatus ?? [],
    };
  }

  /**
   * IF001-06 until it is no longer MPE3008: after `firstDelayMs`, doubling up to `maxDelayMs`,
   * at most `attempts` times (a bounded fallback when no notification comes).
   */
  async pollResult(accessToken, tid, processId, { firstDelayMs = 100, maxDelayMs = 1600, attempts = 12 } = {}) {
    let delay = firstDelayMs;
    for (let i = 0; i < attempts; i++) {
      await new Promise((r) => setTimeout(r, delay));
      const r = await this.result(accessToken, tid, processId);
      if (r.errorCode !== "MPE3008") return r;
      delay = Math.min(delay * 2, maxDelayMs);
    }
    throw new Error(`result of ${processId} still not ready after ${attempts} polls`);
  }
}

/**
 * An IF001-05 endpoint on 127.0.0.1 (port 0): acknowledges at once with IFA0302-S01 and
 * resolves `waitFor(processId)` when that process is notified.
 */
export async function startNotificationEndpoint() {
  const seen = new Map();
  const waiters = new Map();
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      let header = {};
      try {
        header = JSON.parse(raw).commonHeader ?? {};
      } catch {
        /* answered all the same */
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ commonHeader: { ...header, telegramType: "IFA0302-S01", errorCode: "" } }));
      if (header.processId) {
        seen.set(header.processId, header);
        waiters.get(header.processId)?.(header);
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}/myna/notify`,
    /** The notification's commonHeader, or null after `timeoutMs`. */
    waitFor(processId, timeoutMs = 10_000) {
      if (seen.has(processId)) return Promise.resolve(seen.get(processId));
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(null), timeoutMs);
        waiters.set(processId, (h) => {
          clearTimeout(t);
          resolve(h);
        });
      });
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
