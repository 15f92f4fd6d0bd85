// SPDX-License-Identifier: Apache-2.0
// Validates OpenAPI documents against the OpenAPI 3.1 schema (a maintained validator from npm),
// then checks that the validator itself refuses a document with a key its schema does not
// allow — the kind of stray key an unquoted comma in a YAML flow mapping makes.
// Usage: node validate_openapi.mjs FILE...   (exit 1 on any invalid document)
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { parse } from "yaml";

// Keys without a value: the schema allows them where it allows any keyword (a Schema Object's
// description, a Tag), but these documents never mean one — in YAML they are the trace of an
// unquoted comma inside a flow mapping.
function keysWithoutValue(node, path, found) {
  if (Array.isArray(node)) node.forEach((v, i) => keysWithoutValue(v, `${path}/${i}`, found));
  else if (node && typeof node === "object")
    for (const [k, v] of Object.entries(node)) {
      if (v === null) found.push(`${path}/${k}`);
      keysWithoutValue(v, `${path}/${k}`, found);
    }
  return found;
}

let failed = false;
for (const file of process.argv.slice(2)) {
  const validator = new Validator();
  const document = parse(readFileSync(file, "utf8"));
  for (const key of keysWithoutValue(document, "", [])) {
    failed = true;
    console.log(`${file}: key without a value: ${key}`);
  }
  const res = await validator.validate(document);
  if (res.valid) {
    console.log(`${file}: valid OpenAPI ${validator.version}`);
  } else {
    failed = true;
    console.log(`${file}: INVALID`);
    for (const e of (res.errors ?? []).slice(0, 20)) console.log(`  ${e.instancePath} ${e.message} ${JSON.stringify(e.params ?? {})}`);
  }
}

// The check must be able to fail: a stray key beside a response code is refused.
const probe = parse(readFileSync(process.argv[2], "utf8"));
const firstPath = Object.values(probe.paths)[0];
const firstOperation = Object.values(firstPath).find((o) => o && o.responses);
firstOperation.responses["or beyond the supported span"] = null;
if ((await new Validator().validate(probe)).valid) {
  failed = true;
  console.log("the validator accepted a document with a stray key in responses");
} else {
  console.log("a stray key in responses is refused, as it must be");
}
process.exit(failed ? 1 : 0);
