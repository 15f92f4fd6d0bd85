// SPDX-License-Identifier: Apache-2.0

package mynasim_test

import (
	"context"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mynasim "github.com/mynasim/mynasim/clients/go"
)

// Integration tests: each starts its own simulator (MYNASIM_BIN, default the build tree's).

const (
	client  = "SP00000086_AA0003"
	redirCB = "http://localhost:3000/callback"
)

func binary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("MYNASIM_BIN")
	if bin == "" {
		bin = "/work/main/build/release/simulator/mynasim"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the mynasim binary is needed (MYNASIM_BIN): %v", err)
	}
	return bin
}

func start(t *testing.T, opts ...mynasim.Option) *mynasim.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := mynasim.Start(ctx, append([]mynasim.Option{mynasim.WithBinary(binary(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("stopping: %v", err)
		}
	})
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func jst(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, mynasim.JST)
}

func TestStartAndStop(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	c, err := mynasim.Start(ctx, mynasim.WithBinary(binary(t)))
	if err != nil {
		t.Fatal(err)
	}
	if !mynasim.IsSupportedVersion(c.Version()) {
		t.Fatalf("version %q", c.Version())
	}
	out, err := exec.Command(binary(t), "version").Output()
	if err != nil || !strings.Contains(string(out), c.Version()) {
		t.Fatalf("mynasim version says %q, the ready file %q", out, c.Version())
	}
	h, err := c.Health(ctx)
	if err != nil || h.Status != "ok" {
		t.Fatalf("health %+v %v", h, err)
	}
	u := c.URLs()
	if !strings.HasPrefix(u.App, "https://") || !strings.HasPrefix(u.Admin, "http://") || c.CAFile() == "" {
		t.Fatalf("urls %+v ca %q", u, c.CAFile())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("a second Close must be a no-op: ", err)
	}
	if _, err := c.Health(ctx); err == nil {
		t.Fatal("the simulator still answers after Close")
	}
}

func TestStartPassesArgsAndReportsBadConfig(t *testing.T) {
	t.Parallel()
	_, err := mynasim.Start(ctxT(t), mynasim.WithBinary(binary(t)), mynasim.WithArgs("--config", filepath.Join(t.TempDir(), "missing.yaml")))
	var se *mynasim.StartError
	if !errors.As(err, &se) || !strings.Contains(se.LogTail, "missing.yaml") {
		t.Fatalf("want a StartError naming the file, got %v", err)
	}
}

func TestFromEnvStartsFromPATHAndConnectsToURLs(t *testing.T) {
	// Not parallel: it changes the environment.
	t.Setenv("PATH", filepath.Dir(binary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, k := range []string{"MYNASIM_BIN", "MYNASIM_ADMIN_URL", "MYNASIM_APP_URL", "MYNASIM_SP_URL", "MYNASIM_CA", "MYNASIM_ADMIN_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	ctx := ctxT(t)
	started, err := mynasim.FromEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer started.Close()
	if _, err := started.Clock().SetFrozen(ctx, jst(2026, 12, 19, 22, 30)); err != nil {
		t.Fatal(err)
	}

	t.Setenv("MYNASIM_ADMIN_URL", started.URLs().Admin)
	t.Setenv("MYNASIM_APP_URL", started.URLs().App)
	t.Setenv("MYNASIM_SP_URL", started.URLs().SP)
	t.Setenv("MYNASIM_CA", started.CAFile())
	connected, err := mynasim.FromEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now, err := connected.Clock().Now(ctx)
	if err != nil || !now.Equal(jst(2026, 12, 19, 22, 30)) {
		t.Fatalf("connected to another simulator? now %v %v", now, err)
	}
	if _, err := connected.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: redirCB, Persona: "taro"}); err != nil {
		t.Fatalf("TLS with MYNASIM_CA: %v", err)
	}
	if err := connected.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := started.Health(ctx); err != nil {
		t.Fatal("Close of a connected client must not stop the simulator: ", err)
	}
}

func TestAdminToken(t *testing.T) {
	t.Parallel()
	c := start(t, mynasim.WithAdminToken("s3cret-token"))
	ctx := ctxT(t)
	if _, err := c.Clock().Get(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := mynasim.Connect(ctx, c.URLs())
	var ae *mynasim.APIError
	if !errors.As(err, &ae) || ae.Status != 401 {
		t.Fatalf("without the token: %v", err)
	}
	if _, err := mynasim.Connect(ctx, c.URLs(), mynasim.WithAdminToken("s3cret-token")); err != nil {
		t.Fatal(err)
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := ctxT(t)
	k := c.Clock()
	st, err := k.SetFrozen(ctx, jst(2026, 12, 19, 22, 30))
	if err != nil || !st.Frozen || !st.Now.Equal(jst(2026, 12, 19, 22, 30)) || st.Timezone != "Asia/Tokyo" {
		t.Fatalf("%+v %v", st, err)
	}
	if vt := c.LastVirtualTime(); !vt.Equal(jst(2026, 12, 19, 22, 30)) {
		t.Fatalf("Mynasim-Virtual-Time: %v", vt)
	}
	if st, err = k.AdvanceISO(ctx, "PT2H30M"); err != nil || !st.Now.Equal(jst(2026, 12, 20, 1, 0)) {
		t.Fatalf("%+v %v", st, err)
	}
	if st, err = k.Advance(ctx, 90*time.Minute); err != nil || !st.Now.Equal(jst(2026, 12, 20, 2, 30)) {
		t.Fatalf("%+v %v", st, err)
	}
	now, err := k.Now(ctx)
	if err != nil || !now.Equal(jst(2026, 12, 20, 2, 30)) || now.Location() != mynasim.JST {
		t.Fatalf("%v %v", now, err)
	}
	if st, err = k.Speed(ctx, 60); err != nil || st.Speed != 60 {
		t.Fatalf("%+v %v", st, err)
	}
	if st, err = k.Run(ctx); err != nil || st.Frozen {
		t.Fatalf("%+v %v", st, err)
	}
	if st, err = k.Freeze(ctx); err != nil || !st.Frozen {
		t.Fatalf("%+v %v", st, err)
	}
	if st, err = k.Set(ctx, jst(2027, 1, 4, 8, 0)); err != nil || !st.Now.Equal(jst(2027, 1, 4, 8, 0)) {
		t.Fatalf("%+v %v", st, err)
	}
	if st, err = k.Wall(ctx); err != nil || st.Frozen || st.Speed != 1 || time.Since(st.Now).Abs() > time.Minute {
		t.Fatalf("%+v %v", st, err)
	}
	_, err = k.AdvanceISO(ctx, "two hours")
	var ae *mynasim.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code == "" {
		t.Fatalf("bad duration: %v", err)
	}
}

func TestResetPutsTheClockBack(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := ctxT(t)
	if _, err := c.Clock().SetFrozen(ctx, jst(2030, 1, 1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Faults().Add(ctx, mynasim.Fault{Kind: mynasim.FaultDown, Target: "juki", For: "PT30M"}); err != nil {
		t.Fatal(err)
	}
	vt, err := c.Reset(ctx)
	if err != nil || vt.Year() == 2030 {
		t.Fatalf("%v %v", vt, err)
	}
	if fs, err := c.Faults().List(ctx); err != nil || len(fs) != 0 {
		t.Fatalf("%v %v", fs, err)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := ctxT(t)
	f := c.Faults()
	ids, err := f.Add(ctx, mynasim.Fault{ID: "pension-500", Kind: mynasim.FaultHTTPError, Target: "japan-pension", Status: 500, Count: 3})
	if err != nil || len(ids) != 1 || ids[0] != "pension-500" {
		t.Fatalf("%v %v", ids, err)
	}
	ids, err = f.Add(ctx,
		mynasim.Fault{Kind: mynasim.FaultHTTPError, Target: "network", Probability: mynasim.Float(0.1), Seed: mynasim.Int64(42)},
		mynasim.Fault{Kind: mynasim.FaultDown, Target: "juki", For: "PT30M"})
	if err != nil || len(ids) != 2 {
		t.Fatalf("%v %v", ids, err)
	}
	list, err := f.List(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("%+v %v", list, err)
	}
	if err := f.Remove(ctx, "pension-500"); err != nil {
		t.Fatal(err)
	}
	err = f.Remove(ctx, "pension-500")
	var ae *mynasim.APIError
	if !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("removing twice: %v", err)
	}
	_, err = f.Add(ctx, mynasim.Fault{Kind: "meteor", Target: "juki"})
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code == "" || ae.Message == "" {
		t.Fatalf("invalid fault: %#v", err)
	}
	if err := f.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if list, _ = f.List(ctx); len(list) != 0 {
		t.Fatalf("%+v", list)
	}
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := ctxT(t)
	s := c.Scenarios()
	st, err := s.LoadFile(ctx, "year-end-juki.yaml")
	if err != nil || st.Name() != "year-end-juki" {
		t.Fatalf("%+v %v", st, err)
	}
	if cur, err := s.Current(ctx); err != nil || cur.Name() != "year-end-juki" || len(cur.Available) == 0 {
		t.Fatalf("%+v %v", cur, err)
	}
	yaml := "name: mine\nclock: {start: \"2026-12-19T22:30:00+09:00\", frozen: true}\nsteps:\n  - at: \"2026-12-19T22:30:00+09:00\"\n    note: slow municipal\n    add_faults: [{id: slow, kind: latency, target: municipal, latency_ms: 800}]\n"
	st, err = s.LoadYAML(ctx, yaml)
	if err != nil || st.Name() != "mine" || st.Replaced != "year-end-juki" {
		t.Fatalf("%+v %v", st, err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if cur, err := s.Current(ctx); err != nil || cur.Name() != "" {
		t.Fatalf("%+v %v", cur, err)
	}
	_, err = s.LoadYAML(ctx, "name: [broken")
	var ae *mynasim.APIError
	if !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("%v", err)
	}
	_, err = s.LoadFile(ctx, "../../etc/passwd")
	if !errors.As(err, &ae) || ae.Status != 403 {
		t.Fatalf("%v", err)
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := ctxT(t)
	p, _ := mynasim.NewPKCE()
	a, err := c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: redirCB, Persona: "taro", State: "xyz", CodeChallenge: p.Challenge})
	if err != nil || a.Code == "" || a.State != "xyz" || !strings.HasPrefix(a.Location, redirCB) {
		t.Fatalf("%+v %v", a, err)
	}
	_, err = c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: redirCB, Persona: "taro", Outcome: mynasim.OutcomeRefuse, State: "s1"})
	var ae *mynasim.AuthorizationError
	if !errors.As(err, &ae) || ae.Err != "access_denied" || ae.ErrorCode != "MPE1101" || ae.State != "s1" {
		t.Fatalf("refuse: %#v", err)
	}
	_, err = c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: redirCB, Persona: "ken"})
	if !errors.As(err, &ae) || ae.ErrorCode != "MPE1103" {
		t.Fatalf("ken's locked card: %#v", err)
	}
	_, err = c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: redirCB, Persona: "nobody"})
	if !errors.As(err, &ae) || ae.Err != "" || ae.Status != 400 || ae.ErrorCode != "MPE1004" {
		t.Fatalf("unknown persona: %#v", err)
	}
	_, err = c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: "http://evil.example/cb", Persona: "taro"})
	if !errors.As(err, &ae) || ae.ErrorCode != "MPE1002" {
		t.Fatalf("redirect mismatch: %#v", err)
	}
	// The plain authorize of a service with ci: settings needs no persona.
	a, err = c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: "SP00000300_DD0001", RedirectURI: redirCB, State: "ci"})
	if err != nil || a.Code == "" || a.State != "ci" {
		t.Fatalf("ci service: %+v %v", a, err)
	}
}

func TestJournalCountVerifyAndClear(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := ctxT(t)
	j := c.Journal()
	if err := j.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: redirCB, Persona: "taro", State: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	f := mynasim.Filter{ClientID: client, Path: "/online-authorization-web/oauth/authorize"}
	if n, err := j.Count(ctx, f); err != nil || n != 2 {
		t.Fatalf("count %d %v", n, err)
	}
	if err := j.Verify(ctx, 2, f); err != nil {
		t.Fatal(err)
	}
	if err := j.VerifyAtLeast(ctx, 1, f); err != nil {
		t.Fatal(err)
	}
	err := j.Verify(ctx, 3, f)
	var ve *mynasim.VerificationError
	if !errors.As(err, &ve) || ve.Actual != 2 || len(ve.Found) != 2 || !strings.Contains(err.Error(), "/online-authorization-web/oauth/authorize") {
		t.Fatalf("%v", err)
	}
	entries, err := j.Find(ctx, mynasim.Filter{ClientID: client, Limit: 1})
	if err != nil || len(entries) != 1 || entries[0].ClientID != client || entries[0].Status != 302 {
		t.Fatalf("%+v %v", entries, err)
	}
	if err := j.Verify(ctx, 0, mynasim.Filter{System: "juki"}); err != nil {
		t.Fatal(err)
	}
	if err := j.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if err := j.Verify(ctx, 0, f); err != nil {
		t.Fatal(err)
	}
}

func TestSheets(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := ctxT(t)
	const id = "SP00000999_ZZ0001"
	e, err := c.Services().Put(ctx, id, map[string]any{
		"provider_name": "テスト信用金庫", "name": "口座開設", "purpose": "口座開設",
		"items": []string{"TM00000000000003"}, "redirect_uris": []string{"http://localhost:4000/cb"},
	})
	if err != nil || e["client_id"] != id {
		t.Fatalf("%v %v", e, err)
	}
	if _, err := c.Services().Patch(ctx, id, map[string]any{"name": "口座開設（改）"}); err != nil {
		t.Fatal(err)
	}
	svc, err := c.Service(ctx, id)
	if err != nil || svc.Name != "口座開設（改）" || svc.Items[0] != "TM00000000000003" {
		t.Fatalf("%+v %v", svc, err)
	}
	if _, err := c.Connections().Put(ctx, id, map[string]any{"notification_url": "http://127.0.0.1:4000/notify"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetNotificationURL(ctx, id, "http://127.0.0.1:4001/notify"); err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connections().Get(ctx, id)
	if err != nil || conn["notification_url"] != "http://127.0.0.1:4001/notify" {
		t.Fatalf("%v %v", conn, err)
	}
	list, err := c.Services().List(ctx)
	if err != nil || len(list) < 7 {
		t.Fatalf("%d %v", len(list), err)
	}
	if _, err := c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: id, RedirectURI: "http://localhost:4000/cb", Persona: "taro"}); err != nil {
		t.Fatalf("the new service: %v", err)
	}
	if err := c.Services().Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = c.Services().Get(ctx, id)
	var ae *mynasim.APIError
	if !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("%v", err)
	}
	_, err = c.Services().Put(ctx, "SP00000998_ZZ0001", map[string]any{"name": "no items"})
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != "invalid_entry" || ae.Message == "" {
		t.Fatalf("%#v", err)
	}
	// Personas: YAML text works as well as JSON.
	p, err := c.Personas().Get(ctx, "taro")
	if err != nil || p["id"] != "taro" {
		t.Fatalf("%v %v", p, err)
	}
	ps, err := c.Personas().List(ctx)
	if err != nil || len(ps) < 8 {
		t.Fatalf("%d %v", len(ps), err)
	}
}

func TestWorlds(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := ctxT(t)
	w, err := c.Worlds().Create(ctx, mynasim.WorldOptions{TTL: time.Hour, Clock: jst(2026, 12, 29, 10, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if w.WorldID() == "" || w.Info.Token == "" || !strings.HasSuffix(w.URLs().App, "/worlds/"+w.WorldID()) {
		t.Fatalf("%+v %+v", w.Info, w.URLs())
	}
	wnow, err := w.Clock().Now(ctx)
	if err != nil || wnow.Sub(jst(2026, 12, 29, 10, 0)).Abs() > time.Minute { // it runs from there
		t.Fatalf("world clock %v %v", wnow, err)
	}
	dnow, err := c.Clock().Now(ctx)
	if err != nil || dnow.Equal(wnow) {
		t.Fatalf("default clock %v %v", dnow, err)
	}
	// A flow inside the world lands in the world's journal only.
	if _, err := w.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: redirCB, Persona: "taro"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Journal().Verify(ctx, 1, mynasim.Filter{ClientID: client}); err != nil {
		t.Fatal(err)
	}
	if err := c.Journal().Verify(ctx, 0, mynasim.Filter{ClientID: client}); err != nil {
		t.Fatal(err)
	}
	av, err := w.Availability(ctx, time.Time{})
	if err != nil || av.System("juki") == nil || av.System("juki").Up {
		t.Fatalf("juki in the world's year-end stop: %+v %v", av, err)
	}
	list, err := c.Worlds().List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("%+v %v", list, err)
	}
	named, err := c.Worlds().Create(ctx, mynasim.WorldOptions{ID: "qa-go", Bind: []string{"SP00000086_AA0004"}})
	if err != nil || named.WorldID() != "qa-go" || len(named.Info.Bound) != 1 {
		t.Fatalf("%+v %v", named, err)
	}
	_, err = c.Worlds().Create(ctx, mynasim.WorldOptions{ID: "qa-go"})
	var ae *mynasim.APIError
	if !errors.As(err, &ae) || ae.Status != 409 {
		t.Fatalf("%v", err)
	}
	if err := named.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	// The world's token died with it; the process's admin says the world is gone.
	_, err = w.Clock().Get(ctx)
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != "unknown_world_token" {
		t.Fatalf("after delete, with the world token: %v", err)
	}
	_, err = c.Worlds().Get(ctx, w.WorldID())
	if !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("after delete: %v", err)
	}
}

func TestAvailabilityAndTimeline(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := ctxT(t)
	av, err := c.Availability(ctx, jst(2026, 12, 29, 10, 0))
	if err != nil {
		t.Fatal(err)
	}
	j := av.System("juki")
	if j == nil || j.Up || j.Reason.Code != "planned_outage" || j.NextChange == nil || !j.NextChange.Equal(jst(2027, 1, 4, 8, 0)) {
		t.Fatalf("%+v", j)
	}
	tl, err := c.Timeline(ctx, "juki", jst(2026, 12, 28, 0, 0), jst(2027, 1, 5, 0, 0))
	if err != nil || tl.System != "juki" || len(tl.Windows) == 0 {
		t.Fatalf("%+v %v", tl, err)
	}
	all, err := c.Timeline(ctx, "", time.Time{}, time.Time{})
	if err != nil || len(all.Systems) < 15 {
		t.Fatalf("%d %v", len(all.Systems), err)
	}
	_, err = c.Timeline(ctx, "atlantis", time.Time{}, time.Time{})
	var ae *mynasim.APIError
	if !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("%v", err)
	}
}

func TestConformanceRunWithTheAnnouncedPersona(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	run, err := c.Conformance().Start(ctx, mynasim.ConformanceOptions{ClientID: client, Plan: "consent-refused"})
	if err != nil {
		t.Fatal(err)
	}
	acted := false
	run, err = c.Conformance().Wait(ctx, run.ID, 200*time.Millisecond, func(r *mynasim.ConformanceRun) error {
		if acted || r.Current == nil || r.Current.Action != "refuse" || r.Persona == nil {
			return nil
		}
		acted = true
		_, err := c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: redirCB, Persona: r.Persona.ID, Outcome: mynasim.OutcomeRefuse, State: mynasim.NewState()})
		var ae *mynasim.AuthorizationError
		if !errors.As(err, &ae) || ae.Err != "access_denied" {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !acted || run.State != "finished" || len(run.Tests) != 1 || run.Tests[0].Verdict != "pass" {
		t.Fatalf("acted %v run %+v", acted, run)
	}
	path := filepath.Join(t.TempDir(), "conformance.xml")
	if err := c.Conformance().WriteJUnit(ctx, run.ID, path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var suite struct {
		XMLName xml.Name
	}
	if err := xml.Unmarshal(data, &suite); err != nil || !strings.Contains(string(data), "consent-refused") {
		t.Fatalf("%v %s", err, data)
	}
	md, err := c.Conformance().Report(ctx, run.ID, mynasim.ReportMarkdown)
	if err != nil || len(md) == 0 {
		t.Fatalf("%v", err)
	}
}

func TestConformanceRunWithCompleteScreens(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	run, err := c.Conformance().Start(ctx, mynasim.ConformanceOptions{ClientID: client, Plan: "consent-refused", CompleteScreens: true})
	if err != nil {
		t.Fatal(err)
	}
	if !run.CompleteScreens {
		t.Fatalf("%+v", run)
	}
	acted := false
	run, err = c.Conformance().Wait(ctx, run.ID, 200*time.Millisecond, func(r *mynasim.ConformanceRun) error {
		if acted || r.Current == nil || r.Current.State != "waiting" {
			return nil
		}
		acted = true
		// The app's own plain authorize (no mynasim_persona): mynasim completes the screens.
		_, err := c.Authorize(ctx, mynasim.AuthorizeRequest{ClientID: client, RedirectURI: redirCB, State: "app-state"})
		var ae *mynasim.AuthorizationError
		if !errors.As(err, &ae) || ae.Err != "access_denied" || ae.State != "app-state" {
			t.Errorf("plain authorize during consent-refused: %#v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !acted || run.Failed() || run.Summary["pass"] != 1 {
		t.Fatalf("%+v", run.Tests)
	}
}
