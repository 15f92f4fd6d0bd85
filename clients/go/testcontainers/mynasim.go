// SPDX-License-Identifier: Apache-2.0

// Package mynasim is a Testcontainers for Go module running the mynasim simulator in a
// container (the image built by mynasim's Dockerfile).
//
//	ctr, err := mynasim.Run(ctx, "mynasim:latest",
//		mynasim.WithClock(time.Date(2026, 12, 29, 10, 0, 0, 0, client.JST)))
//	defer testcontainers.TerminateContainer(ctr)
//	c, err := ctr.Client(ctx) // a *client.Client of github.com/mynasim/mynasim/clients/go
//
// The URL building and the readiness wait live in the client package (URLsFor, WaitReady),
// where they are tested without a container runtime.
package mynasim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/go-connections/nat"
	client "github.com/mynasim/mynasim/clients/go"
	"github.com/testcontainers/testcontainers-go"
)

const (
	readyFile = "/tmp/mynasim-ready.json"
	certsDir  = "/var/lib/mynasim/certs"
	worldDir  = "/world"
)

// Container is a running mynasim.
type Container struct {
	testcontainers.Container
	settings settings
	caFile   string
}

type settings struct {
	token        string
	clock        time.Time
	frozen       bool
	readyTimeout time.Duration
}

// Option is a mynasim-specific option; it is also a testcontainers.ContainerCustomizer.
type Option func(*settings, *testcontainers.GenericContainerRequest)

// Customize is a no-op: Run applies an Option itself (testcontainers-go's module convention).
func (o Option) Customize(*testcontainers.GenericContainerRequest) error { return nil }

// WithWorld copies a world folder into the container and serves its world.yaml (it may
// include "mynasim:fixtures/world.yaml").
func WithWorld(dir string) Option {
	return WithWorldFile(dir, "world.yaml")
}

// WithWorldFile copies a world folder into the container and serves the named entry file.
func WithWorldFile(dir, entry string) Option {
	return func(_ *settings, req *testcontainers.GenericContainerRequest) {
		req.Files = append(req.Files, testcontainers.ContainerFile{HostFilePath: dir, ContainerFilePath: worldDir, FileMode: 0o755})
		req.Env["MYNASIM_CONFIG"] = worldDir + "/" + filepath.Base(dir) + "/" + entry
	}
}

// WithClock sets the virtual clock to t once the simulator is ready (frozen: stopped there).
func WithClock(t time.Time) Option {
	return func(s *settings, _ *testcontainers.GenericContainerRequest) { s.clock = t }
}

// WithFrozenClock sets the virtual clock to t and stops it there.
func WithFrozenClock(t time.Time) Option {
	return func(s *settings, _ *testcontainers.GenericContainerRequest) { s.clock, s.frozen = t, true }
}

// WithAdminToken sets the admin bearer token (default client.DefaultAdminToken).
func WithAdminToken(token string) Option {
	return func(s *settings, req *testcontainers.GenericContainerRequest) {
		s.token = token
		req.Env["MYNASIM_ADMIN_TOKEN"] = token
	}
}

// WithAPIUser points the sample services (or one, "CLIENT_ID=URL") at your app, as
// --api-user; repeatable. From a container, the host is host.docker.internal.
func WithAPIUser(spec string) Option {
	return func(_ *settings, req *testcontainers.GenericContainerRequest) {
		req.Cmd = append(req.Cmd, "--api-user", spec)
	}
}

// WithScenario starts a scenario of the image's scenarios folder ("year-end-juki.yaml").
func WithScenario(file string) Option {
	return func(_ *settings, req *testcontainers.GenericContainerRequest) {
		req.Cmd = append(req.Cmd, "--scenario", "/usr/share/mynasim/scenarios/"+file)
	}
}

// WithReadyTimeout bounds the wait for /readyz (default 60 s).
func WithReadyTimeout(d time.Duration) Option {
	return func(s *settings, _ *testcontainers.GenericContainerRequest) { s.readyTimeout = d }
}

// Run starts a mynasim container from img and waits until its admin /readyz answers 200.
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image: img,
			ExposedPorts: []string{
				fmt.Sprintf("%d/tcp", client.ContainerAppPort),
				fmt.Sprintf("%d/tcp", client.ContainerSPPort),
				fmt.Sprintf("%d/tcp", client.ContainerAdminPort),
				fmt.Sprintf("%d/tcp", client.ContainerSystemsPort),
			},
			Cmd: []string{"serve", "--host", "0.0.0.0", "--admin-host", "0.0.0.0", "--ready-file", readyFile},
			Env: map[string]string{
				"MYNASIM_ADMIN_TOKEN": client.DefaultAdminToken,
				"MYNASIM_CERTS_DIR":   certsDir,
			},
		},
		Started: true,
	}
	s := settings{token: client.DefaultAdminToken, readyTimeout: 60 * time.Second}
	for _, opt := range opts {
		if o, ok := opt.(Option); ok {
			o(&s, &req)
			continue
		}
		if err := opt.Customize(&req); err != nil {
			return nil, fmt.Errorf("mynasim: customize: %w", err)
		}
	}

	ctr, err := testcontainers.GenericContainer(ctx, req)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr, settings: s}
	}
	if err != nil {
		return c, fmt.Errorf("mynasim: generic container: %w", err)
	}
	urls, err := c.URLs(ctx)
	if err != nil {
		return c, err
	}
	if err := client.WaitReady(ctx, urls.Admin, s.readyTimeout); err != nil {
		return c, err
	}
	if !s.clock.IsZero() {
		cl, err := c.Client(ctx)
		if err != nil {
			return c, err
		}
		if s.frozen {
			_, err = cl.Clock().SetFrozen(ctx, s.clock)
		} else {
			_, err = cl.Clock().Set(ctx, s.clock)
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// URLs are the listeners' base URLs on the host's mapped ports.
func (c *Container) URLs(ctx context.Context) (client.URLs, error) {
	host, err := c.Host(ctx)
	if err != nil {
		return client.URLs{}, err
	}
	var p client.Ports
	for _, m := range []struct {
		port string
		dst  *int
	}{
		{fmt.Sprintf("%d/tcp", client.ContainerAppPort), &p.App},
		{fmt.Sprintf("%d/tcp", client.ContainerSPPort), &p.SP},
		{fmt.Sprintf("%d/tcp", client.ContainerAdminPort), &p.Admin},
		{fmt.Sprintf("%d/tcp", client.ContainerSystemsPort), &p.Systems},
	} {
		mp, err := c.MappedPort(ctx, natPort(m.port))
		if err != nil {
			return client.URLs{}, err
		}
		*m.dst = mp.Int()
	}
	return client.URLsFor(host, p), nil
}

// CAFile copies the simulator's CA certificate out of the container (once) and returns the
// local path, for trusting the app and sp listeners.
func (c *Container) CAFile(ctx context.Context) (string, error) {
	if c.caFile != "" {
		return c.caFile, nil
	}
	caPath := certsDir + "/ca.crt"
	if rd, err := c.CopyFileFromContainer(ctx, readyFile); err == nil {
		var rf client.ReadyFile
		data, _ := io.ReadAll(rd)
		rd.Close()
		if json.Unmarshal(data, &rf) == nil && rf.CAFile != "" {
			caPath = rf.CAFile
		}
	}
	rd, err := c.CopyFileFromContainer(ctx, caPath)
	if err != nil {
		return "", fmt.Errorf("mynasim: copying %s: %w", caPath, err)
	}
	defer rd.Close()
	f, err := os.CreateTemp("", "mynasim-ca-*.crt")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, rd); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	c.caFile = f.Name()
	return c.caFile, nil
}

// Client connects a client (admin token, CA, version check) to this container.
func (c *Container) Client(ctx context.Context, opts ...client.Option) (*client.Client, error) {
	urls, err := c.URLs(ctx)
	if err != nil {
		return nil, err
	}
	ca, err := c.CAFile(ctx)
	if err != nil {
		return nil, err
	}
	base := []client.Option{client.WithAdminToken(c.settings.token), client.WithCAFile(ca)}
	return client.Connect(ctx, urls, append(base, opts...)...)
}

func natPort(s string) nat.Port { return nat.Port(s) }
