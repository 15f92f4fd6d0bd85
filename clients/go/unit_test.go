// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	cases := map[time.Duration]string{
		0:                                 "PT0S",
		2 * time.Hour:                     "PT2H",
		2*time.Hour + 30*time.Minute:      "PT2H30M",
		90 * time.Second:                  "PT1M30S",
		1500 * time.Millisecond:           "PT1.5S",
		-time.Hour:                        "-PT1H",
		49 * time.Hour:                    "PT49H",
		time.Hour + 5*time.Millisecond:    "PT1H0.005S",
		26*time.Hour + time.Second:        "PT26H1S",
		time.Minute + 100*time.Nanosecond: "PT1M0.0000001S",
	}
	for d, want := range cases {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFormatTimeIsJST(t *testing.T) {
	got := FormatTime(time.Date(2026, 12, 29, 1, 0, 0, 0, time.UTC))
	if got != "2026-12-29T10:00:00+09:00" {
		t.Fatalf("got %s", got)
	}
}

func TestParseVersion(t *testing.T) {
	for _, v := range []string{"0.1.0", "v0.1.3", "mynasim 0.1.0", "0.1", "0.1.0-dev+abc", "0.1.0 (abc)"} {
		if !IsSupportedVersion(v) {
			t.Errorf("%q should be supported", v)
		}
	}
	for _, v := range []string{"0.2.0", "1.1.0", "", "x.y", "0", "0.1.0.0"} {
		if IsSupportedVersion(v) {
			t.Errorf("%q should not be supported", v)
		}
	}
	err := checkVersion("9.9.9", false)
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != "9.9.9" || !strings.Contains(err.Error(), SupportedVersions) {
		t.Fatalf("want a *VersionError, got %v", err)
	}
	if checkVersion("9.9.9", true) != nil {
		t.Fatal("WithoutVersionCheck must accept any version")
	}
}

func TestURLsFor(t *testing.T) {
	u := URLsFor("localhost", Ports{App: 32768, SP: 32769, Admin: 32770, Systems: 32771})
	want := URLs{App: "https://localhost:32768", SP: "https://localhost:32769", Admin: "http://localhost:32770", Systems: "http://localhost:32771"}
	if u != want {
		t.Fatalf("got %+v", u)
	}
	u = URLsFor("::1", Ports{Admin: 8081})
	if u.Admin != "http://[::1]:8081" || u.App != "" || u.SP != "" {
		t.Fatalf("got %+v", u)
	}
}

func TestWaitReadyPollsUntil200(t *testing.T) {
	var n int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if atomic.AddInt32(&n, 1) < 3 {
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`{"status":"not ready","reason":"starting"}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	}))
	defer srv.Close()
	if err := waitReady(context.Background(), srv.Client(), srv.URL+"/readyz", 5*time.Second, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if atomic.LoadInt32(&n) != 3 {
		t.Fatalf("polled %d times", n)
	}
}

func TestWaitReadyTimesOutWithTheLastAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		_, _ = w.Write([]byte(`{"status":"not ready","reason":"shutting down"}`))
	}))
	defer srv.Close()
	start := time.Now()
	err := WaitReady(context.Background(), srv.URL, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "shutting down") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatal("not bounded")
	}
}

func TestParseRedirect(t *testing.T) {
	a, err := ParseRedirect("http://localhost:3000/callback?code=abc&state=xyz", 302)
	if err != nil || a.Code != "abc" || a.State != "xyz" {
		t.Fatalf("got %+v %v", a, err)
	}
	_, err = ParseRedirect("http://localhost:3000/callback?error=access_denied&error_description=%E5%88%A9&error_code=MPE1101&state=s", 302)
	var ae *AuthorizationError
	if !errors.As(err, &ae) || ae.Err != "access_denied" || ae.ErrorCode != "MPE1101" || ae.State != "s" || ae.Description != "利" {
		t.Fatalf("got %#v", err)
	}
	_, err = ParseRedirect("http://localhost:3000/callback?code=access_denied&state=s", 302)
	if !errors.As(err, &ae) || ae.Err != "access_denied" {
		t.Fatalf("got %#v", err)
	}
}

func TestAPIErrorShapes(t *testing.T) {
	e := newAPIError("POST", "http://x/__admin/faults", 400, []byte(`{"error":"invalid_fault","message":"kind: unknown"}`))
	if e.Code != "invalid_fault" || e.Message != "kind: unknown" || e.Status != 400 {
		t.Fatalf("%+v", e)
	}
	e = newAPIError("POST", "u", 400, []byte(`{"error":"invalid_grant","error_description":"expired"}`))
	if e.Code != "invalid_grant" || e.Message != "expired" {
		t.Fatalf("%+v", e)
	}
	e = newAPIError("GET", "u", 502, []byte("<html>bad gateway</html>"))
	if e.Code != "" || !strings.Contains(e.Error(), "bad gateway") {
		t.Fatalf("%v", e)
	}
	if !IsAPIError(error(e), "") || IsAPIError(errors.New("x"), "") {
		t.Fatal("IsAPIError")
	}
}

func TestFilterQuery(t *testing.T) {
	q := Filter{System: "juki", Status: 503, ClientID: "SP00000086_AA0003", Direction: "in", Limit: 5, NoBodies: true}.query()
	if q.Encode() != "bodies=0&client_id=SP00000086_AA0003&direction=in&limit=5&status=503&system=juki" {
		t.Fatal(q.Encode())
	}
	if len(Filter{}.query()) != 0 {
		t.Fatal("empty filter must send nothing")
	}
}

func TestPKCE(t *testing.T) {
	p, err := NewPKCE()
	if err != nil || len(p.Verifier) != 43 || len(p.Challenge) != 43 || p.Verifier == p.Challenge {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestAdminCallsCarryTheTokenAndDecodeErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"error":"unauthorized"}`))
			return
		}
		w.Header().Set(VirtualTimeHeader, "2026-12-29T10:00:00+09:00")
		switch r.URL.Path {
		case "/__admin/health":
			_, _ = w.Write([]byte(`{"status":"ok","version":"0.1.0","virtual_time":"2026-12-29T10:00:00+09:00","systems":[],"uptime_ms":1}`))
		case "/__admin/faults/nope":
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"error":"unknown_fault","message":"no fault nope"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	if _, err := Connect(ctx, URLs{Admin: srv.URL}); !IsAPIError(err, "unauthorized") {
		t.Fatalf("without the token: %v", err)
	}
	c, err := Connect(ctx, URLs{Admin: srv.URL}, WithAdminToken("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() != "0.1.0" || c.LastVirtualTime().IsZero() {
		t.Fatalf("version %q vt %v", c.Version(), c.LastVirtualTime())
	}
	err = c.Faults().Remove(ctx, "nope")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "unknown_fault" || ae.Message != "no fault nope" {
		t.Fatalf("got %v", err)
	}
}

func TestConnectRefusesAnUnsupportedVersion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"status":"ok","version":"7.0.0","virtual_time":"2026-12-29T10:00:00+09:00","systems":[],"uptime_ms":1}`))
	}))
	defer srv.Close()
	_, err := Connect(context.Background(), URLs{Admin: srv.URL})
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != "7.0.0" {
		t.Fatalf("got %v", err)
	}
}

func TestStartWithoutBinary(t *testing.T) {
	_, err := Start(context.Background(), WithBinary(filepath.Join(t.TempDir(), "no-such-mynasim")))
	if err == nil || !strings.Contains(err.Error(), "cannot find") {
		t.Fatalf("got %v", err)
	}
}

func TestStartReportsTheLogTailWhenTheBinaryExits(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-mynasim")
	script := "#!/bin/sh\necho 'mynasim: configuration error: my-world.yaml:4:3: server.colour: unknown key' >&2\nexit 2\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), WithBinary(bin), WithStartTimeout(5*time.Second))
	var se *StartError
	if !errors.As(err, &se) || !strings.Contains(se.LogTail, "unknown key") || !strings.Contains(se.Reason, "exited") {
		t.Fatalf("got %v", err)
	}
}

func TestStartTimesOutAndKills(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-mynasim")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho starting\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Start(context.Background(), WithBinary(bin), WithStartTimeout(300*time.Millisecond), WithStopTimeout(time.Second))
	var se *StartError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "no ready file") || !strings.Contains(se.LogTail, "starting") {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("not bounded")
	}
}

func TestOpenAPIVersion(t *testing.T) {
	doc := "openapi: 3.1.0\ninfo:\n  title: mynasim admin API\n  version: 0.1.0\n  summary: x\n  license:\n    version: 9\nservers: []\n"
	if v := openAPIVersion(doc); v != "0.1.0" {
		t.Fatalf("got %q", v)
	}
	if v := openAPIVersion("openapi: 3.1.0\ninfo:\n  title: t\npaths:\n  version: 1\n"); v != "" {
		t.Fatalf("got %q", v)
	}
}
