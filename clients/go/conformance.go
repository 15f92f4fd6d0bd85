// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"
)

// ConformanceOptions start a conformance run.
type ConformanceOptions struct {
	ClientID string
	// Plan: "all" (default), "basic", or test ids separated by commas ("happy-path:date").
	Plan string
	// CompleteScreens asks mynasim to answer the app's own plain authorize for the client,
	// while a test is current, with the redirect straight to redirect_uri (so an e2e script
	// needs only an HTTP client). A simulator that does not know the field refuses the run
	// with a 400 *APIError; drive the flow with Authorize and the announced persona instead.
	CompleteScreens bool
}

// ConformanceTest is one test of a run, with its verdict and evidence.
type ConformanceTest struct {
	Name          string         `json:"name"`
	Test          string         `json:"test"`
	TitleJA       string         `json:"title_ja"`
	TitleEN       string         `json:"title_en"`
	Arranges      string         `json:"arranges"` // in English, as ArrangesEN
	ArrangesJA    string         `json:"arranges_ja,omitempty"`
	ArrangesEN    string         `json:"arranges_en,omitempty"`
	Expects       string         `json:"expects"` // in English, as ExpectsEN
	ExpectsJA     string         `json:"expects_ja,omitempty"`
	ExpectsEN     string         `json:"expects_en,omitempty"`
	InstructionJA string         `json:"instruction_ja"`
	Action        string         `json:"action"` // consent, refuse, none
	Remedy        string         `json:"remedy"` // in English, as RemedyEN
	RemedyJA      string         `json:"remedy_ja,omitempty"`
	RemedyEN      string         `json:"remedy_en,omitempty"`
	State         string         `json:"state"`   // queued, waiting, settling, done
	Verdict       string         `json:"verdict"` // pending, pass, warning, fail, not_applicable
	Detail        string         `json:"detail"`  // in English, as DetailEN
	DetailJA      string         `json:"detail_ja,omitempty"`
	DetailEN      string         `json:"detail_en,omitempty"`
	DurationMS    int64          `json:"duration_ms"`
	QueryMethod   string         `json:"query_method,omitempty"`
	FailingHolder string         `json:"failing_holder,omitempty"`
	Faults        []string       `json:"faults,omitempty"`
	Evidence      []JournalEntry `json:"evidence"`
	// EvidenceOmitted counts the entries that showed the verdict beyond the (at most 20) in Evidence.
	EvidenceOmitted int `json:"evidence_omitted,omitempty"`
	Index           int `json:"index,omitempty"`
}

// ConformancePersona is the persona whose card works, announced by a run.
type ConformancePersona struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CardSerial string `json:"card_serial"`
	PIN        string `json:"pin"`
}

// ConformanceRun is a run and its verdicts.
type ConformanceRun struct {
	ID       string `json:"id"`
	ClientID string `json:"client_id"`
	Plan     string `json:"plan"`
	// CompleteScreens is true for a run started with ConformanceOptions.CompleteScreens.
	CompleteScreens bool                `json:"complete_screens,omitempty"`
	State           string              `json:"state"` // running, finished, cancelled
	CreatedAt       time.Time           `json:"created_at"`
	Persona         *ConformancePersona `json:"persona"`
	Current         *ConformanceTest    `json:"current"`
	Summary         map[string]int      `json:"summary"`
	Tests           []ConformanceTest   `json:"tests,omitempty"`
}

// Done reports whether the run is over (finished or cancelled).
func (r *ConformanceRun) Done() bool { return r.State == "finished" || r.State == "cancelled" }

// Failed reports whether any test failed.
func (r *ConformanceRun) Failed() bool { return r.Summary["fail"] > 0 }

// Conformance starts, polls and reports conformance runs of the client's world.
type Conformance struct{ c *Client }

// Conformance returns the conformance-run manager.
func (c *Client) Conformance() *Conformance { return &Conformance{c} }

// Start starts a plan for one service.
func (k *Conformance) Start(ctx context.Context, o ConformanceOptions) (*ConformanceRun, error) {
	body := map[string]any{"client_id": o.ClientID}
	if o.Plan != "" {
		body["plan"] = o.Plan
	}
	if o.CompleteScreens {
		body["complete_screens"] = true
	}
	var r ConformanceRun
	if err := k.c.do(ctx, http.MethodPost, k.c.admin("/__admin/conformance/runs", nil), body, "", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Get returns a run: its current test (what the API user should do now) and every verdict.
func (k *Conformance) Get(ctx context.Context, id string) (*ConformanceRun, error) {
	var r ConformanceRun
	if err := k.c.do(ctx, http.MethodGet, k.c.admin("/__admin/conformance/runs/"+url.PathEscape(id), nil), nil, "", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Cancel cancels a run; the current test's arrangement is put back.
func (k *Conformance) Cancel(ctx context.Context, id string) (*ConformanceRun, error) {
	var r ConformanceRun
	if err := k.c.do(ctx, http.MethodDelete, k.c.admin("/__admin/conformance/runs/"+url.PathEscape(id), nil), nil, "", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Wait polls the run every interval (default 250 ms) until it is over or ctx ends (give ctx
// a deadline). onPoll, when not nil, sees every state polled — e.g. to act on Current.
func (k *Conformance) Wait(ctx context.Context, id string, interval time.Duration, onPoll func(*ConformanceRun) error) (*ConformanceRun, error) {
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	for {
		r, err := k.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if onPoll != nil {
			if err := onPoll(r); err != nil {
				return r, err
			}
		}
		if r.Done() {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("mynasim: conformance run %s still %s: %w", id, r.State, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// Report formats.
const (
	ReportJSON     = "json"
	ReportJUnit    = "junit"
	ReportMarkdown = "markdown"
)

// Report returns a run's report: ReportJSON, ReportJUnit (XML, one test case per test) or
// ReportMarkdown.
func (k *Conformance) Report(ctx context.Context, id, format string) ([]byte, error) {
	q := url.Values{}
	if format != "" {
		q.Set("format", format)
	}
	var out []byte
	if err := k.c.do(ctx, http.MethodGet, k.c.admin("/__admin/conformance/runs/"+url.PathEscape(id)+"/report", q), nil, "", &out); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteJUnit writes the run's JUnit XML report to path.
func (k *Conformance) WriteJUnit(ctx context.Context, id, path string) error {
	data, err := k.Report(ctx, id, ReportJUnit)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// Tests lists the conformance tests and the named plans.
func (k *Conformance) Tests(ctx context.Context) (tests []ConformanceTest, plans []string, err error) {
	var out struct {
		Tests []struct {
			ID string `json:"id"`
			ConformanceTest
		} `json:"tests"`
		Plans []string `json:"plans"`
	}
	if err := k.c.do(ctx, http.MethodGet, k.c.admin("/__admin/conformance/tests", nil), nil, "", &out); err != nil {
		return nil, nil, err
	}
	for _, t := range out.Tests {
		ct := t.ConformanceTest
		ct.Test = t.ID
		tests = append(tests, ct)
	}
	return tests, out.Plans, nil
}

// LintFinding is one finding of the conformance lint.
type LintFinding struct {
	Rule     string         `json:"rule"`
	Severity string         `json:"severity"`
	TitleJA  string         `json:"title_ja"`
	TitleEN  string         `json:"title_en"`
	Remedy   string         `json:"remedy"` // in English, as RemedyEN
	RemedyJA string         `json:"remedy_ja,omitempty"`
	RemedyEN string         `json:"remedy_en,omitempty"`
	Detail   string         `json:"detail"` // in English, as DetailEN
	DetailJA string         `json:"detail_ja,omitempty"`
	DetailEN string         `json:"detail_en,omitempty"`
	Evidence []JournalEntry `json:"evidence"`
	// EvidenceOmitted counts the entries that showed it beyond the (at most 20) in Evidence.
	EvidenceOmitted int `json:"evidence_omitted,omitempty"`
}

// Lint returns the conformance lint findings of one API user.
func (c *Client) Lint(ctx context.Context, clientID string) ([]LintFinding, error) {
	var out struct {
		Findings []LintFinding `json:"findings"`
	}
	raw := json.RawMessage{}
	if err := c.do(ctx, http.MethodGet, c.admin("/__admin/lint", url.Values{"client_id": {clientID}}), nil, "", &raw); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out.Findings, nil
}
