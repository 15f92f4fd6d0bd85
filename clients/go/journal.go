// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// JournalEntry is one request into a system, one hop between systems or one notification
// to an API user (GET /__admin/requests).
type JournalEntry struct {
	Seq             int64     `json:"seq"` // the order entries were recorded in: when each exchange ended
	At              time.Time `json:"at"`
	Started         time.Time `json:"started"`   // when the exchange began (virtual time)
	StartSeq        int64     `json:"start_seq"` // orders exchanges begun at the same instant
	Direction       string    `json:"direction"`
	System          string    `json:"system"`
	Listener        string    `json:"listener,omitempty"`
	Method          string    `json:"method"`
	Path            string    `json:"path"`
	URL             string    `json:"url,omitempty"`
	Status          int       `json:"status"`
	LatencyMS       float64   `json:"latency_ms"`
	ClientID        string    `json:"client_id,omitempty"`
	ClaimedClientID string    `json:"claimed_client_id,omitempty"`
	Persona         string    `json:"persona,omitempty"`
	TelegramID      string    `json:"telegram_id,omitempty"`
	ProcessID       string    `json:"process_id,omitempty"`
	RequestID       string    `json:"request_id,omitempty"`
	ErrorCode       string    `json:"error_code,omitempty"`
	RequestBody     string    `json:"request_body,omitempty"`
	ResponseBody    string    `json:"response_body,omitempty"`
	Faults          []string  `json:"faults,omitempty"`
	Node            string    `json:"node,omitempty"`
}

func (e JournalEntry) String() string {
	s := fmt.Sprintf("#%d %s %s %s %s %d", e.Seq, e.Direction, e.System, e.Method, e.Path, e.Status)
	if e.ErrorCode != "" {
		s += " " + e.ErrorCode
	}
	if e.ClientID != "" {
		s += " client=" + e.ClientID
	}
	if e.ProcessID != "" {
		s += " process=" + e.ProcessID
	}
	if len(e.Faults) > 0 {
		s += " faults=" + strings.Join(e.Faults, ",")
	}
	return s
}

// Filter narrows the journal; zero fields are not sent.
type Filter struct {
	System     string // a system id: portal, network, juki, municipal, …
	Path       string // a path prefix
	Status     int
	ClientID   string // the service an entry is filed under (never claimed_client_id)
	TelegramID string
	ProcessID  string
	Direction  string // "in" or "out"
	Limit      int
	NoBodies   bool // leave out request and response bodies
}

func (f Filter) query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("system", f.System)
	set("path", f.Path)
	set("client_id", f.ClientID)
	set("telegram_id", f.TelegramID)
	set("process_id", f.ProcessID)
	set("direction", f.Direction)
	if f.Status != 0 {
		q.Set("status", strconv.Itoa(f.Status))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.NoBodies {
		q.Set("bodies", "0")
	}
	return q
}

func (f Filter) String() string {
	q := f.query()
	if len(q) == 0 {
		return "(no filter)"
	}
	return q.Encode()
}

// JournalStats are the journal's bounds and use.
type JournalStats struct {
	Entries    int64 `json:"entries"`
	Bytes      int64 `json:"bytes"`
	Dropped    int64 `json:"dropped"`
	MaxEntries int64 `json:"max_entries"`
	MaxBytes   int64 `json:"max_bytes"`
}

// Journal reads and clears the journal of the client's world.
type Journal struct{ c *Client }

// Journal returns the journal of the client's world.
func (c *Client) Journal() *Journal { return &Journal{c} }

// Find returns the entries matching f, newest last.
func (j *Journal) Find(ctx context.Context, f Filter) ([]JournalEntry, error) {
	var out struct {
		Requests []JournalEntry `json:"requests"`
		Journal  JournalStats   `json:"journal"`
	}
	if err := j.c.do(ctx, http.MethodGet, j.c.admin("/__admin/requests", f.query()), nil, "", &out); err != nil {
		return nil, err
	}
	return out.Requests, nil
}

// Count returns how many entries match f (GET /__admin/requests/count).
func (j *Journal) Count(ctx context.Context, f Filter) (int, error) {
	f.Limit = 0
	f.NoBodies = false
	var out struct {
		Count int `json:"count"`
	}
	if err := j.c.do(ctx, http.MethodGet, j.c.admin("/__admin/requests/count", f.query()), nil, "", &out); err != nil {
		return 0, err
	}
	return out.Count, nil
}

// Stats returns the journal's bounds and use.
func (j *Journal) Stats(ctx context.Context) (*JournalStats, error) {
	var out struct {
		Journal JournalStats `json:"journal"`
	}
	if err := j.c.do(ctx, http.MethodGet, j.c.admin("/__admin/requests/count", nil), nil, "", &out); err != nil {
		return nil, err
	}
	return &out.Journal, nil
}

// Clear empties the journal.
func (j *Journal) Clear(ctx context.Context) error {
	return j.c.do(ctx, http.MethodDelete, j.c.admin("/__admin/requests", nil), nil, "", nil)
}

// VerificationError is returned by Verify when the count differs: it lists the entries found.
type VerificationError struct {
	Filter   Filter
	Expected string
	Actual   int
	Found    []JournalEntry
}

func (e *VerificationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mynasim: expected %s journal entries matching %s, found %d", e.Expected, e.Filter, e.Actual)
	for i, en := range e.Found {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … %d more", len(e.Found)-20)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(en.String())
	}
	return b.String()
}

// Verify checks that exactly n entries match f (like WireMock's verify(n, …)); otherwise it
// returns a *VerificationError carrying the entries found.
func (j *Journal) Verify(ctx context.Context, n int, f Filter) error {
	return j.verify(ctx, f, strconv.Itoa(n), func(got int) bool { return got == n })
}

// VerifyAtLeast checks that at least n entries match f.
func (j *Journal) VerifyAtLeast(ctx context.Context, n int, f Filter) error {
	return j.verify(ctx, f, "at least "+strconv.Itoa(n), func(got int) bool { return got >= n })
}

func (j *Journal) verify(ctx context.Context, f Filter, expected string, ok func(int) bool) error {
	got, err := j.Count(ctx, f)
	if err != nil {
		return err
	}
	if ok(got) {
		return nil
	}
	lf := f
	lf.Limit = 50
	lf.NoBodies = true
	found, err := j.Find(ctx, lf)
	if err != nil {
		return err
	}
	return &VerificationError{Filter: f, Expected: expected, Actual: got, Found: found}
}

// Notifications returns the IF001-05 notification attempts sent to an API user: the
// journal's outgoing entries of system "api-user" filed under the service (Status 0 when the
// endpoint could not be reached; ResponseBody then says why).
func (j *Journal) Notifications(ctx context.Context, clientID string) ([]Notification, error) {
	entries, err := j.Find(ctx, Filter{ClientID: clientID, Direction: "out", System: "api-user"})
	if err != nil {
		return nil, err
	}
	out := make([]Notification, 0, len(entries))
	for _, e := range entries {
		n := Notification{Entry: e}
		var body struct {
			CommonHeader CommonHeader `json:"commonHeader"`
		}
		if json.Unmarshal([]byte(e.RequestBody), &body) == nil {
			n.Header = body.CommonHeader
		}
		out = append(out, n)
	}
	return out, nil
}

// CommonHeader is the commonHeader of a telegram.
type CommonHeader struct {
	TelegramID   string `json:"telegramId"`
	TelegramType string `json:"telegramType"`
	Mode         string `json:"mode"`
	ProcessID    string `json:"processId"`
	ErrorCode    string `json:"errorCode"`
}

// Notification is one IF001-05 notification attempt as the journal recorded it.
type Notification struct {
	Entry  JournalEntry
	Header CommonHeader
}

// Process is one IF001-04 process (GET /__admin/processes/{id}).
type Process struct {
	ProcessID  string `json:"process_id"`
	ClientID   string `json:"client_id"`
	Persona    string `json:"persona"`
	TelegramID string `json:"telegram_id"`
	Ready      bool   `json:"ready"`
	ErrorKey   string `json:"error_key"`
	ErrorCode  string `json:"error_code,omitempty"`
	Inquiry    struct {
		Method string `json:"method"`
	} `json:"inquiry"`
	ProviderStatus []map[string]any `json:"provider_status"`
	Notifications  []struct {
		At           time.Time `json:"at"`
		Status       int       `json:"status"`
		Error        string    `json:"error"`
		TelegramType string    `json:"telegram_type"`
	} `json:"notifications"`
	Created time.Time `json:"created"`
}

// Process returns one IF001-04 process: inquiry, holders' status, every notification attempt.
func (c *Client) Process(ctx context.Context, processID string) (*Process, error) {
	var p Process
	if err := c.do(ctx, http.MethodGet, c.admin("/__admin/processes/"+url.PathEscape(processID), nil), nil, "", &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ProcessSummary is one entry of GET /__admin/processes.
type ProcessSummary struct {
	ProcessID     string     `json:"process_id"`
	ClientID      string     `json:"client_id"`
	Persona       string     `json:"persona"`
	TelegramID    string     `json:"telegram_id"`
	Ready         bool       `json:"ready"`
	ErrorKey      string     `json:"error_key"`
	ErrorCode     string     `json:"error_code"`
	Created       time.Time  `json:"created"`
	ReadyAt       *time.Time `json:"ready_at"`
	Notifications int        `json:"notifications"`
	Expired       bool       `json:"expired"`
}

// Processes returns the newest IF001-04 processes kept (newest first; limit 1–200, 0 = default).
func (c *Client) Processes(ctx context.Context, limit int) ([]ProcessSummary, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Processes []ProcessSummary `json:"processes"`
	}
	if err := c.do(ctx, http.MethodGet, c.admin("/__admin/processes", q), nil, "", &out); err != nil {
		return nil, err
	}
	return out.Processes, nil
}
