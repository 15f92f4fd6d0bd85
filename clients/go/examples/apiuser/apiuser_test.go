// SPDX-License-Identifier: Apache-2.0

package apiuser_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	mynasim "github.com/mynasim/mynasim/clients/go"
	"github.com/mynasim/mynasim/clients/go/examples/apiuser"
)

// One simulator for the package (FromEnv: a running one named by MYNASIM_ADMIN_URL, else
// MYNASIM_BIN / mynasim on PATH); every test gets a world of its own, with its own clock,
// faults, sheets and journal.
var sim *mynasim.Client

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	c, err := mynasim.FromEnv(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sim = c
	code := m.Run()
	if err := c.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

const callback = "http://localhost:3000/callback"

// world makes a world whose clock stands still at the given JST instant.
func world(t *testing.T, ctx context.Context, at time.Time) *mynasim.World {
	t.Helper()
	w, err := sim.Worlds().Create(ctx, mynasim.WorldOptions{TTL: 10 * time.Minute, Clock: at})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Delete(context.Background()); err != nil {
			t.Errorf("deleting the world: %v", err)
		}
	})
	if _, err := w.Clock().Freeze(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// signIn runs IF001-01 (taro consents, no screens, state and PKCE) and IF001-03.
func signIn(t *testing.T, ctx context.Context, w *mynasim.World, u *apiuser.Client, persona string) string {
	t.Helper()
	pkce, err := mynasim.NewPKCE()
	if err != nil {
		t.Fatal(err)
	}
	state := mynasim.NewState()
	a, err := w.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: u.ClientID, RedirectURI: u.RedirectURI, Persona: persona, State: state, CodeChallenge: pkce.Challenge})
	if err != nil {
		t.Fatal(err)
	}
	if a.State != state {
		t.Fatalf("state %q came back as %q", state, a.State)
	}
	token, err := u.Token(ctx, a.Code, pkce.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func apiUser(w *mynasim.World, clientID string) *apiuser.Client {
	return &apiuser.Client{SP: w.URLs().SP, ClientID: clientID, RedirectURI: callback, HTTP: w.HTTPClient()}
}

func TestIF001FlowWithTheNotification(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := world(t, ctx, time.Date(2026, 12, 8, 10, 0, 0, 0, mynasim.JST)) // a Tuesday morning

	ns, err := apiuser.StartNotificationServer()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	const svc = "SP00000086_AA0003"
	if err := w.SetNotificationURL(ctx, svc, ns.URL); err != nil {
		t.Fatal(err)
	}

	u := apiUser(w, svc)
	token := signIn(t, ctx, w, u, "taro")
	tid, pid, err := u.Request(ctx, token, "Latest")
	if err != nil {
		t.Fatal(err)
	}
	r, err := u.WaitResult(ctx, token, tid, pid, ns.C, 10*time.Second, 200*time.Millisecond, 5)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.ErrorCode != "" || r.Header.TelegramType != "IFA0303-S01" || r.Header.TelegramID != tid {
		t.Fatalf("%+v %s", r.Header, r.ErrorMessage)
	}
	if len(r.Data) == 0 || len(r.ProviderStatus) != 1 || r.ProviderStatus[0].Status != "ok" {
		t.Fatalf("%+v %+v", r.Data, r.ProviderStatus)
	}
	found := false
	for _, body := range r.Data {
		for _, info := range body {
			if recs := info["地方税関係情報"]; len(recs) > 0 && recs[0]["課税年度"] != "" {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("no 地方税関係情報 in %+v", r.Data)
	}

	// What reached which system, for this process.
	j := w.Journal()
	for system, n := range map[string]int{"portal": 1, "network": 1, "juki": 1, "municipal": 1, "japan-pension": 0} {
		f := mynasim.Filter{System: system, ProcessID: pid, Direction: "in"}
		if system == "portal" {
			f.Path = "/online-resource-web/request"
		}
		if err := j.Verify(ctx, n, f); err != nil {
			t.Error(err)
		}
	}
	// The IF001-05 notification: sent once, acknowledged, received.
	notes, err := j.Notifications(ctx, svc)
	if err != nil || len(notes) != 1 || notes[0].Entry.Status != 200 || notes[0].Header.ProcessID != pid {
		t.Fatalf("notifications %+v %v", notes, err)
	}
	if got := ns.Received(); len(got) != 1 || got[0].TelegramType != "IFA0302-R01" || got[0].TelegramID != tid {
		t.Fatalf("received %+v", got)
	}
	p, err := w.Process(ctx, pid)
	if err != nil || !p.Ready || len(p.Notifications) != 1 || p.Notifications[0].Status != 200 {
		t.Fatalf("%+v %v", p, err)
	}
	// One result fetch, after the notification: the lint finds nothing to say about it.
	if err := j.Verify(ctx, 1, mynasim.Filter{ClientID: svc, Path: "/online-resource-web/result"}); err != nil {
		t.Error(err)
	}
	findings, err := w.Lint(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if f.Severity != "advice" {
			t.Errorf("lint: %s %s: %s", f.Rule, f.Severity, f.Detail)
		}
	}
	recs, err := w.AccessRecords(ctx, "taro")
	if err != nil || len(recs) != 1 || recs[0].ProcessID != pid || recs[0].ClientID != svc {
		t.Fatalf("access records %+v %v", recs, err)
	}
}

func TestYearEndStopOfJuki(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := world(t, ctx, time.Date(2026, 12, 8, 10, 0, 0, 0, mynasim.JST))
	// Move the clock into 住基ネット's year-end stop (12-28 21:00 – 01-04 08:00).
	if _, err := w.Clock().Set(ctx, time.Date(2026, 12, 29, 10, 0, 0, 0, mynasim.JST)); err != nil {
		t.Fatal(err)
	}
	const svc = "SP00000086_AA0003"
	u := apiUser(w, svc)
	token := signIn(t, ctx, w, u, "taro")
	tid, pid, err := u.Request(ctx, token, "Latest")
	if err != nil {
		t.Fatal(err) // the request is accepted; the result says why nothing came
	}
	r, err := u.WaitResult(ctx, token, tid, pid, nil, 0, 100*time.Millisecond, 6)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.ErrorCode != "MPE4003" || !strings.Contains(r.ErrorMessage, "住民基本台帳ネットワークシステム") {
		t.Fatalf("%+v %s", r.Header, r.ErrorMessage)
	}
	var juki *apiuser.ProviderStatus
	for i := range r.ProviderStatus {
		if r.ProviderStatus[i].System == "juki" {
			juki = &r.ProviderStatus[i]
		}
	}
	if juki == nil || juki.Status != "unavailable" || juki.ReopensAt != "2027-01-04T08:00:00+09:00" {
		t.Fatalf("%+v", r.ProviderStatus)
	}
	// 住基ネット refused the hop; no 中間サーバ was asked.
	if err := w.Journal().Verify(ctx, 1, mynasim.Filter{System: "juki", ProcessID: pid, Status: 503}); err != nil {
		t.Error(err)
	}
	if err := w.Journal().Verify(ctx, 0, mynasim.Filter{System: "municipal"}); err != nil {
		t.Error(err)
	}
	// Availability agrees, and names the reopening.
	av, err := w.Availability(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if s := av.System("juki"); s == nil || s.Up || s.NextChange == nil || !s.NextChange.Equal(time.Date(2027, 1, 4, 8, 0, 0, 0, mynasim.JST)) {
		t.Fatalf("%+v", s)
	}
}

func TestPartialResultWhenOneIntermediateServerFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := world(t, ctx, time.Date(2026, 12, 8, 10, 0, 0, 0, mynasim.JST))
	// SP00000300_DD0001 asks for 地方税関係情報 (自治体中間サーバ) and 医療保険資格情報
	// (医療保険者等中間サーバ and 自治体中間サーバ): the 医療保険者 one fails for this service.
	const svc = "SP00000300_DD0001"
	ids, err := w.Faults().Add(ctx, mynasim.Fault{Kind: mynasim.FaultHTTPError, Target: "medical-insurers", ClientID: svc, Status: 500})
	if err != nil {
		t.Fatal(err)
	}
	u := apiUser(w, svc)
	token := signIn(t, ctx, w, u, "taro")
	tid, pid, err := u.Request(ctx, token, "Latest")
	if err != nil {
		t.Fatal(err)
	}
	r, err := u.WaitResult(ctx, token, tid, pid, nil, 0, 100*time.Millisecond, 6)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.ErrorCode != "MPE5001" {
		t.Fatalf("%+v %s", r.Header, r.ErrorMessage)
	}
	status := map[string]string{}
	for _, p := range r.ProviderStatus {
		status[p.System] = p.Status
	}
	if status["medical-insurers"] != "error" || status["municipal"] != "ok" || len(r.Data) == 0 {
		t.Fatalf("%+v %+v", r.ProviderStatus, r.Data)
	}
	// Verification by count: what reached which system, and which fault shaped it.
	j := w.Journal()
	if err := j.Verify(ctx, 1, mynasim.Filter{System: "medical-insurers", ProcessID: pid, Status: 500}); err != nil {
		t.Error(err)
	}
	if err := j.Verify(ctx, 1, mynasim.Filter{System: "municipal", ProcessID: pid, Status: 200}); err != nil {
		t.Error(err)
	}
	hits, err := j.Find(ctx, mynasim.Filter{System: "medical-insurers", ProcessID: pid, NoBodies: true})
	if err != nil || len(hits) != 1 || len(hits[0].Faults) != 1 || hits[0].Faults[0] != ids[0] {
		t.Fatalf("%+v %v", hits, err)
	}
	// A second request without the fault is complete again.
	if err := w.Faults().Clear(ctx); err != nil {
		t.Fatal(err)
	}
	tid2, pid2, err := u.Request(ctx, token, "Latest")
	if err != nil {
		t.Fatal(err)
	}
	r, err = u.WaitResult(ctx, token, tid2, pid2, nil, 0, 100*time.Millisecond, 6)
	if err != nil || r.Header.ErrorCode != "" {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestRefusedConsentEndsTheFlow(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := world(t, ctx, time.Date(2026, 12, 8, 10, 0, 0, 0, mynasim.JST))
	_, err := w.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: "SP00000086_AA0003", RedirectURI: callback, Persona: "taro", Outcome: mynasim.OutcomeRefuse, State: "s"})
	var ae *mynasim.AuthorizationError
	if !errors.As(err, &ae) || ae.Err != "access_denied" || ae.ErrorCode != "MPE1101" {
		t.Fatalf("%#v", err)
	}
	if err := w.Journal().Verify(ctx, 0, mynasim.Filter{Path: "/online-authorization-web/oauth/token"}); err != nil {
		t.Error(err)
	}
}
