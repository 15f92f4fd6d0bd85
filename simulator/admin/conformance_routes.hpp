// SPDX-License-Identifier: Apache-2.0
// /__admin/conformance/*: the conformance tests and their runs (start, follow, cancel, report).
#pragma once

#include "conformance/runner.hpp"
#include "core/router.hpp"

namespace mynasim {

void register_conformance_routes(router& r, conformance_runner& runner);

}  // namespace mynasim
