// SPDX-License-Identifier: Apache-2.0

// A Testcontainers-for-Go module for mynasim. Not built in this repository's checks: the
// testcontainers-go dependency cannot be downloaded there (so no go.sum is kept); run
// `go mod tidy` where the module proxy is reachable. testcontainers-go needs Go >= 1.21.
module github.com/mynasim/mynasim/clients/go/testcontainers

go 1.21

require (
	github.com/docker/go-connections v0.5.0
	github.com/mynasim/mynasim/clients/go v0.0.0
	github.com/testcontainers/testcontainers-go v0.33.0
)

replace github.com/mynasim/mynasim/clients/go => ../
