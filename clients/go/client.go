// SPDX-License-Identifier: Apache-2.0

// Package mynasim is a client for mynasim, the simulator of Myna Portal's 自己情報取得API and
// the government systems behind it. It starts a simulator on free ports (or connects to a
// running one), drives its admin API (virtual clock, faults, scenarios, journal, runtime
// sheets, worlds, availability, conformance runs) and authorizes test users without the
// browser screens.
//
//	c, err := mynasim.Start(ctx)
//	if err != nil { ... }
//	defer c.Close()
//	c.Clock().Set(ctx, time.Date(2026, 12, 29, 10, 0, 0, 0, mynasim.JST))
package mynasim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// DefaultAdminToken is the admin bearer token of the Compose setup and the docs' examples.
// A simulator bound to loopback without a configured token ignores it.
const DefaultAdminToken = "dev-admin-token"

// DefaultHTTPTimeout bounds every HTTP call the client makes unless WithHTTPTimeout says otherwise.
const DefaultHTTPTimeout = 10 * time.Second

// VirtualTimeHeader is the header carrying the virtual now (RFC 3339) on mynasim's answers.
const VirtualTimeHeader = "Mynasim-Virtual-Time"

// JST is Asia/Tokyo (a fixed +09:00 zone, so that no tzdata is needed).
var JST = time.FixedZone("JST", 9*60*60)

// URLs are the base URLs of the four listeners (for a world client: the world's base URLs,
// ending in /worlds/{id}).
type URLs struct {
	App     string `json:"app"`
	SP      string `json:"sp"`
	Admin   string `json:"admin"`
	Systems string `json:"systems"`
}

// Client talks to one mynasim (or one world of it). It is safe for concurrent use.
type Client struct {
	urls     URLs
	token    string
	http     *http.Client // no redirects followed
	caFile   string
	version  string
	world    string // "" for the default world
	server   *process
	lastVTMu sync.Mutex
	lastVT   time.Time
}

// URLs returns the base URLs of the listeners this client uses.
func (c *Client) URLs() URLs { return c.urls }

// Version is the version of the simulator, as read at connect.
func (c *Client) Version() string { return c.version }

// CAFile is the CA certificate file trusted for the app and sp listeners ("" when none).
func (c *Client) CAFile() string { return c.caFile }

// HTTPClient returns the client's HTTP client: it trusts the simulator's CA, follows no
// redirects and has the client's timeout. Handy for an API user's own calls in tests.
func (c *Client) HTTPClient() *http.Client { return c.http }

// WorldID is the id of the named world this client is bound to ("" for the default world).
func (c *Client) WorldID() string { return c.world }

// LastVirtualTime is the virtual now carried by the latest answer that had the
// Mynasim-Virtual-Time header (zero when none was seen yet).
func (c *Client) LastVirtualTime() time.Time {
	c.lastVTMu.Lock()
	defer c.lastVTMu.Unlock()
	return c.lastVT
}

// Close stops the simulator if this client started it (Start, or FromEnv without URLs in the
// environment); otherwise it does nothing. It is safe to call more than once.
func (c *Client) Close() error {
	if c.server == nil {
		return nil
	}
	return c.server.stop()
}

// Log returns the tail (at most n bytes) of the simulator's output when this client started it.
func (c *Client) Log(n int) string {
	if c.server == nil {
		return ""
	}
	return c.server.tail(n)
}

// APIError is an error answer of the simulator: the HTTP status and the JSON body's
// error code and message ({error, message} or {error, error_description}).
type APIError struct {
	Method  string
	URL     string
	Status  int
	Code    string // the body's "error" (e.g. invalid_fault, unknown_world)
	Message string // the body's "message" or "error_description"
	Body    []byte
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" && e.Code == "" {
		msg = strings.TrimSpace(string(e.Body))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
	}
	if e.Code != "" {
		return fmt.Sprintf("mynasim: %s %s: %d %s: %s", e.Method, e.URL, e.Status, e.Code, msg)
	}
	return fmt.Sprintf("mynasim: %s %s: %d: %s", e.Method, e.URL, e.Status, msg)
}

// IsAPIError reports whether err is an *APIError with the given error code (any code when
// code is "").
func IsAPIError(err error, code string) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return code == "" || ae.Code == code
	}
	return false
}

// VersionError is returned at connect when the simulator's version is outside SupportedVersions.
type VersionError struct {
	Version   string
	Supported string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("mynasim: simulator version %q is not supported by this client (supported: %s)", e.Version, e.Supported)
}

// Option configures Start, Connect and FromEnv.
type Option func(*config)

type config struct {
	binary       string
	args         []string
	env          []string
	startTimeout time.Duration
	stopTimeout  time.Duration
	token        string
	caFile       string
	httpTimeout  time.Duration
	skipVersion  bool
	workDir      string
}

func newConfig(opts []Option) *config {
	cfg := &config{startTimeout: 30 * time.Second, stopTimeout: 10 * time.Second, httpTimeout: DefaultHTTPTimeout}
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// WithBinary names the mynasim binary Start runs (default: "mynasim" on PATH).
func WithBinary(path string) Option { return func(c *config) { c.binary = path } }

// WithArgs adds arguments to "mynasim serve" (e.g. "--config", "world.yaml", "--api-user", URL).
func WithArgs(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// WithEnv adds KEY=VALUE entries to the started simulator's environment.
func WithEnv(kv ...string) Option { return func(c *config) { c.env = append(c.env, kv...) } }

// WithStartTimeout bounds how long Start waits for the ready file (default 30 s).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// WithStopTimeout bounds how long Close waits after SIGTERM before killing (default 10 s).
func WithStopTimeout(d time.Duration) Option { return func(c *config) { c.stopTimeout = d } }

// WithAdminToken sends "Authorization: Bearer token" on admin calls. With Start, the
// simulator is also started with --admin-token.
func WithAdminToken(token string) Option { return func(c *config) { c.token = token } }

// WithCAFile trusts this CA certificate (PEM) for the app and sp listeners.
func WithCAFile(path string) Option { return func(c *config) { c.caFile = path } }

// WithHTTPTimeout bounds every HTTP call (default 10 s).
func WithHTTPTimeout(d time.Duration) Option { return func(c *config) { c.httpTimeout = d } }

// WithWorkDir runs the started simulator in this directory (default: the current one).
func WithWorkDir(dir string) Option { return func(c *config) { c.workDir = dir } }

// WithoutVersionCheck connects whatever version the simulator reports.
func WithoutVersionCheck() Option { return func(c *config) { c.skipVersion = true } }

// Connect connects to a running simulator at the given base URLs (Admin is required; App and
// SP are needed for Authorize and an API user's calls). It reads the version from
// GET /__admin/health and refuses one outside SupportedVersions with a *VersionError.
func Connect(ctx context.Context, urls URLs, opts ...Option) (*Client, error) {
	cfg := newConfig(opts)
	c, err := newClient(urls, cfg)
	if err != nil {
		return nil, err
	}
	h, err := c.Health(ctx)
	if err != nil {
		return nil, err
	}
	c.version = h.Version
	if c.version == "" {
		// GET /__admin/health names no version (0.1.0 does not): read the admin API's own
		// document, whose info.version is the simulator's API version.
		if c.version, err = c.apiVersion(ctx); err != nil {
			return nil, err
		}
	}
	if err := checkVersion(c.version, cfg.skipVersion); err != nil {
		return nil, err
	}
	return c, nil
}

func newClient(urls URLs, cfg *config) (*Client, error) {
	if urls.Admin == "" {
		return nil, errors.New("mynasim: the admin URL is required")
	}
	urls.Admin = strings.TrimRight(urls.Admin, "/")
	urls.App = strings.TrimRight(urls.App, "/")
	urls.SP = strings.TrimRight(urls.SP, "/")
	urls.Systems = strings.TrimRight(urls.Systems, "/")
	hc, err := newHTTPClient(cfg.caFile, cfg.httpTimeout)
	if err != nil {
		return nil, err
	}
	return &Client{urls: urls, token: cfg.token, http: hc, caFile: cfg.caFile}, nil
}

func newHTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("mynasim: reading the CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mynasim: no PEM certificate in the CA file %s", caFile)
		}
		tlsCfg.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy: nil, // loopback and test containers: never through a proxy
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   5 * time.Second,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	// SNI: Go sends the URL's host name; for an IP literal it sends none, so name the
	// certificate's host (the simulator's certificates carry "localhost").
	tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		cfg := tlsCfg.Clone()
		if net.ParseIP(host) != nil {
			cfg.ServerName = "localhost"
		} else {
			cfg.ServerName = host
		}
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// Health is GET /__admin/health.
type Health struct {
	Status      string          `json:"status"`
	Version     string          `json:"version"`
	VirtualTime time.Time       `json:"virtual_time"`
	Systems     []string        `json:"systems"`
	UptimeMS    int64           `json:"uptime_ms"`
	Raw         json.RawMessage `json:"-"` // the whole answer
}

// Health reads GET /__admin/health of the process (never world-prefixed).
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, c.rootAdmin()+"/__admin/health", nil, "", &raw); err != nil {
		return nil, err
	}
	var h Health
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("mynasim: decoding health: %w", err)
	}
	h.Raw = raw
	return &h, nil
}

// rootAdmin is the admin base URL without the /worlds/{id} suffix.
func (c *Client) rootAdmin() string {
	if c.world == "" {
		return c.urls.Admin
	}
	return strings.TrimSuffix(c.urls.Admin, "/worlds/"+c.world)
}

// admin builds an admin URL of this client's world.
func (c *Client) admin(path string, q url.Values) string {
	u := c.urls.Admin + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// do sends a request with an optional JSON (or raw, when contentType is set and body is
// []byte/string) body and decodes a JSON answer into out (unless out is nil). Answers of
// 400 and above become *APIError.
func (c *Client) do(ctx context.Context, method, u string, body any, contentType string, out any) error {
	resp, data, err := c.roundTrip(ctx, method, u, body, contentType, true)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		return newAPIError(method, u, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	switch o := out.(type) {
	case *[]byte:
		*o = data
		return nil
	case *json.RawMessage:
		*o = append((*o)[:0], data...)
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("mynasim: %s %s: decoding the answer: %w", method, u, err)
	}
	return nil
}

func (c *Client) roundTrip(ctx context.Context, method, u string, body any, contentType string, auth bool) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case []byte:
			rd = bytes.NewReader(b)
		case string:
			rd = strings.NewReader(b)
		default:
			data, err := json.Marshal(body)
			if err != nil {
				return nil, nil, fmt.Errorf("mynasim: encoding the request: %w", err)
			}
			rd = bytes.NewReader(data)
			if contentType == "" {
				contentType = "application/json"
			}
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("mynasim: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if auth && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("mynasim: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("mynasim: %s %s: reading the answer: %w", method, u, err)
	}
	c.noteVirtualTime(resp.Header)
	return resp, data, nil
}

func (c *Client) noteVirtualTime(h http.Header) {
	v := h.Get(VirtualTimeHeader)
	if v == "" {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return
	}
	c.lastVTMu.Lock()
	c.lastVT = t
	c.lastVTMu.Unlock()
}

func newAPIError(method, u string, status int, body []byte) *APIError {
	e := &APIError{Method: method, URL: u, Status: status, Body: body}
	var b struct {
		Error            string `json:"error"`
		Message          string `json:"message"`
		ErrorDescription string `json:"error_description"`
		ErrorMessage     string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Code = b.Error
		e.Message = b.Message
		if e.Message == "" {
			e.Message = b.ErrorDescription
		}
		if e.Message == "" {
			e.Message = b.ErrorMessage
		}
	}
	return e
}

// Reset puts the world back to how it was loaded (clock, cards, sessions, codes, tokens,
// processes, faults, journal, startup scenario); runtime sheet changes stay.
// It answers the virtual now after the reset.
func (c *Client) Reset(ctx context.Context) (time.Time, error) {
	var out struct {
		VirtualTime time.Time `json:"virtual_time"`
	}
	err := c.do(ctx, http.MethodPost, c.admin("/__admin/reset", nil), nil, "", &out)
	return out.VirtualTime, err
}

// Status is the {"status": …} answer of several admin calls.
type Status struct {
	Status string `json:"status"`
}

// apiVersion reads info.version of GET /__admin/openapi/mynasim-admin.yaml.
func (c *Client) apiVersion(ctx context.Context) (string, error) {
	var doc []byte
	if err := c.do(ctx, http.MethodGet, c.rootAdmin()+"/__admin/openapi/mynasim-admin.yaml", nil, "", &doc); err != nil {
		return "", err
	}
	return openAPIVersion(string(doc)), nil
}

// openAPIVersion finds "version:" inside the top-level "info:" block of a YAML document.
func openAPIVersion(doc string) string {
	inInfo := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "info:") {
			inInfo = true
			continue
		}
		if !inInfo {
			continue
		}
		if line != "" && line[0] != ' ' && line[0] != '#' {
			return ""
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "version:") && len(line)-len(strings.TrimLeft(line, " ")) <= 2 {
			return strings.Trim(strings.TrimSpace(strings.TrimPrefix(t, "version:")), `"'`)
		}
	}
	return ""
}
