// SPDX-License-Identifier: Apache-2.0
// Print the README's first example: the fenced block after `<!-- example:first -->`.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "README.md";
const text = readFileSync(file, "utf8");
const marker = text.indexOf("<!-- example:first -->");
if (marker < 0) throw new Error(`${file}: no <!-- example:first --> marker`);
const rest = text.slice(marker).split("\n");
const open = rest.findIndex((l) => /^```(js|javascript|mjs|ts)?\s*$/.test(l));
if (open < 0) throw new Error(`${file}: no code fence after the marker`);
const close = rest.findIndex((l, i) => i > open && /^```\s*$/.test(l));
if (close < 0) throw new Error(`${file}: the example's fence is not closed`);
process.stdout.write(rest.slice(open + 1, close).join("\n") + "\n");
