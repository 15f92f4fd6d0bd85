// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"os"
)

// Environment variables read by FromEnv.
const (
	EnvAdminURL   = "MYNASIM_ADMIN_URL"
	EnvAppURL     = "MYNASIM_APP_URL"
	EnvSPURL      = "MYNASIM_SP_URL"
	EnvSystemsURL = "MYNASIM_SYSTEMS_URL"
	EnvCA         = "MYNASIM_CA"
	EnvAdminToken = "MYNASIM_ADMIN_TOKEN"
	EnvBinary     = "MYNASIM_BIN"
)

// FromEnv connects to the simulator named by MYNASIM_ADMIN_URL (with MYNASIM_APP_URL,
// MYNASIM_SP_URL, optional MYNASIM_SYSTEMS_URL, MYNASIM_CA and MYNASIM_ADMIN_TOKEN) when
// MYNASIM_ADMIN_URL is set; otherwise it starts one (MYNASIM_BIN, else "mynasim" on PATH)
// and Close stops it (with MYNASIM_ADMIN_TOKEN as its --admin-token when set). Options given
// here win over the environment.
func FromEnv(ctx context.Context, opts ...Option) (*Client, error) {
	var envOpts []Option
	if tok := os.Getenv(EnvAdminToken); tok != "" {
		envOpts = append(envOpts, WithAdminToken(tok))
	}
	if ca := os.Getenv(EnvCA); ca != "" {
		envOpts = append(envOpts, WithCAFile(ca))
	}
	if admin := os.Getenv(EnvAdminURL); admin != "" {
		urls := URLs{
			Admin:   admin,
			App:     os.Getenv(EnvAppURL),
			SP:      os.Getenv(EnvSPURL),
			Systems: os.Getenv(EnvSystemsURL),
		}
		return Connect(ctx, urls, append(envOpts, opts...)...)
	}
	if bin := os.Getenv(EnvBinary); bin != "" {
		envOpts = append(envOpts, WithBinary(bin))
	}
	return Start(ctx, append(envOpts, opts...)...)
}
