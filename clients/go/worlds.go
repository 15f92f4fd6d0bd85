// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// WorldOptions configure a new named world (POST /__admin/worlds); zero fields are left out.
type WorldOptions struct {
	ID       string        // ^[a-z0-9][a-z0-9-]{0,62}$; default w- and 12 random hex digits
	TTL      time.Duration // removed after this long idle (wall clock); default worlds.idle_ttl
	Clock    time.Time     // the world's starting instant (reset returns to it)
	Bind     []string      // client_ids whose unprefixed requests go to this world
	APIUsers []string      // [CLIENT_ID=]URL, as --api-user
}

// WorldInfo describes a named world.
type WorldInfo struct {
	ID          string    `json:"id"`
	Declared    bool      `json:"declared"`
	Created     time.Time `json:"created"`
	IdleMS      int64     `json:"idle_ms"`
	TTLMS       *int64    `json:"ttl_ms"`
	Requests    int64     `json:"requests"`
	VirtualTime time.Time `json:"virtual_time"`
	Bound       []string  `json:"bound"`
	URLs        struct {
		Admin       string `json:"admin"`
		ControlRoom string `json:"control_room"`
		App         string `json:"app"`
		SP          string `json:"sp"`
	} `json:"urls"`
	Token string `json:"token,omitempty"`
}

// World is a named world: a *Client whose every call goes under /worlds/{id}/, with the
// world's token, plus Delete.
type World struct {
	*Client
	Info   WorldInfo
	parent *Client
}

// Worlds manages the named worlds of the simulator (always on the process, not on a world).
type Worlds struct{ c *Client }

// Worlds returns the named-world manager.
func (c *Client) Worlds() *Worlds { return &Worlds{c} }

// Create creates a named world and returns a client bound to it.
func (w *Worlds) Create(ctx context.Context, o WorldOptions) (*World, error) {
	body := map[string]any{}
	if o.ID != "" {
		body["id"] = o.ID
	}
	if o.TTL > 0 {
		body["ttl"] = FormatDuration(o.TTL)
	}
	if !o.Clock.IsZero() {
		body["clock"] = FormatTime(o.Clock)
	}
	if len(o.Bind) > 0 {
		body["bind"] = o.Bind
	}
	if len(o.APIUsers) > 0 {
		body["api_users"] = o.APIUsers
	}
	var info WorldInfo
	if err := w.c.do(ctx, http.MethodPost, w.c.rootAdmin()+"/__admin/worlds", body, "", &info); err != nil {
		return nil, err
	}
	return w.c.bindWorld(info), nil
}

// Open returns a client bound to an existing world (token: the world's, or "" to keep the
// client's own admin token).
func (w *Worlds) Open(ctx context.Context, id, token string) (*World, error) {
	info, err := w.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	info.Token = token
	return w.c.bindWorld(*info), nil
}

func (c *Client) bindWorld(info WorldInfo) *World {
	root := c.rootClient()
	wc := &Client{
		http:    root.http,
		caFile:  root.caFile,
		version: root.version,
		token:   root.token,
		world:   info.ID,
	}
	if info.Token != "" {
		wc.token = info.Token
	}
	// The world's answer names its URLs as the simulator sees them; keep the client's own
	// host (e.g. a mapped container port) with the world's path.
	suffix := "/worlds/" + info.ID
	wc.urls = URLs{
		Admin:   root.urls.Admin + suffix,
		App:     firstNonEmpty(withSuffix(root.urls.App, suffix), strings.TrimRight(info.URLs.App, "/")),
		SP:      firstNonEmpty(withSuffix(root.urls.SP, suffix), strings.TrimRight(info.URLs.SP, "/")),
		Systems: withSuffix(root.urls.Systems, suffix),
	}
	return &World{Client: wc, Info: info, parent: root}
}

// rootClient is a client of the default world with the same transport.
func (c *Client) rootClient() *Client {
	if c.world == "" {
		return c
	}
	rc := Client{http: c.http, caFile: c.caFile, version: c.version, token: c.token}
	suffix := "/worlds/" + c.world
	rc.urls = URLs{
		Admin:   strings.TrimSuffix(c.urls.Admin, suffix),
		App:     strings.TrimSuffix(c.urls.App, suffix),
		SP:      strings.TrimSuffix(c.urls.SP, suffix),
		Systems: strings.TrimSuffix(c.urls.Systems, suffix),
	}
	return &rc
}

func withSuffix(base, suffix string) string {
	if base == "" {
		return ""
	}
	return base + suffix
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Delete removes the world and everything it owns (through the parent client, whose
// token reaches /__admin/worlds; a world token alone cannot).
func (w *World) Delete(ctx context.Context) error {
	err := w.parent.do(ctx, http.MethodDelete, w.parent.rootAdmin()+"/__admin/worlds/"+url.PathEscape(w.Info.ID), nil, "", nil)
	return err
}

// Get returns one named world.
func (w *Worlds) Get(ctx context.Context, id string) (*WorldInfo, error) {
	var info WorldInfo
	if err := w.c.do(ctx, http.MethodGet, w.c.rootAdmin()+"/__admin/worlds/"+url.PathEscape(id), nil, "", &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// List returns the named worlds.
func (w *Worlds) List(ctx context.Context) ([]WorldInfo, error) {
	var out struct {
		Worlds []WorldInfo `json:"worlds"`
	}
	if err := w.c.do(ctx, http.MethodGet, w.c.rootAdmin()+"/__admin/worlds", nil, "", &out); err != nil {
		return nil, err
	}
	return out.Worlds, nil
}

// Delete removes a named world by id.
func (w *Worlds) Delete(ctx context.Context, id string) error {
	return w.c.do(ctx, http.MethodDelete, w.c.rootAdmin()+"/__admin/worlds/"+url.PathEscape(id), nil, "", nil)
}

// Bind binds a service to a world (its unprefixed requests go there).
func (w *Worlds) Bind(ctx context.Context, id, clientID string) error {
	return w.c.do(ctx, http.MethodPut, w.c.rootAdmin()+"/__admin/worlds/"+url.PathEscape(id)+"/bindings/"+url.PathEscape(clientID), nil, "", nil)
}

// Unbind unbinds a service from a world.
func (w *Worlds) Unbind(ctx context.Context, id, clientID string) error {
	return w.c.do(ctx, http.MethodDelete, w.c.rootAdmin()+"/__admin/worlds/"+url.PathEscape(id)+"/bindings/"+url.PathEscape(clientID), nil, "", nil)
}
