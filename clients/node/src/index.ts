// SPDX-License-Identifier: Apache-2.0
// mynasim client for Node.js: start or connect to the simulator, drive its admin API.

export { Mynasim, SUPPORTED_VERSIONS, isSupportedVersion } from "./mynasim.js";
export type { ConnectOptions, StartOptions, ReadyFile } from "./mynasim.js";
export {
  MynasimClient,
  MynasimWorld,
  ClockApi,
  AvailabilityApi,
  FaultsApi,
  ScenariosApi,
  JournalApi,
  ProcessesApi,
  SheetApi,
  PersonasApi,
  ConformanceApi,
  WorldsApi,
  pkcePair,
} from "./client.js";
export type {
  AuthorizeOptions,
  AuthorizeResult,
  ConformanceStartOptions,
  ConformanceWaitOptions,
  CountExpectation,
  MynasimUrls,
} from "./client.js";
export { Transport } from "./http.js";
export type { HttpRequest, HttpResponse } from "./http.js";
export * from "./errors.js";
export type * from "./types.js";
