// SPDX-License-Identifier: Apache-2.0
// Prints "ok", "no-daemon <reason>" or "no-image <image>": does a Docker daemon answer (as
// Testcontainers finds it: DOCKER_HOST, else the default socket) and does it hold the image?
import { getContainerRuntimeClient, ImageName } from "testcontainers";

const image = process.argv[2] ?? "mynasim:latest";
const timer = setTimeout(() => {
  console.log("no-daemon no answer within 20 s");
  process.exit(0);
}, 20_000);
try {
  const client = await getContainerRuntimeClient();
  const exists = await client.image.exists(ImageName.fromString(image));
  console.log(exists ? "ok" : `no-image ${image}`);
} catch (e) {
  console.log(`no-daemon ${String(e?.message ?? e).split("\n")[0]}`);
}
clearTimeout(timer);
process.exit(0);
