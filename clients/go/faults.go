// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// Fault kinds (docs/api.md, "Faults").
const (
	FaultLatency               = "latency"
	FaultHTTPError             = "http_error"
	FaultHang                  = "hang"
	FaultReset                 = "reset"
	FaultEmptyResponse         = "empty_response"
	FaultMalformedBody         = "malformed_body"
	FaultTruncatedBody         = "truncated_body"
	FaultSlowBody              = "slow_body"
	FaultDown                  = "down"
	FaultQuota                 = "quota"
	FaultNotificationDrop      = "notification_drop"
	FaultNotificationDelay     = "notification_delay"
	FaultNotificationDuplicate = "notification_duplicate"
)

// Fault is a fault to inject (POST /__admin/faults). Kind and Target are required; zero
// fields are left out.
type Fault struct {
	ID           string   `json:"id,omitempty"`
	Kind         string   `json:"kind"`
	Target       string   `json:"target"`
	Endpoint     string   `json:"endpoint,omitempty"`
	ClientID     string   `json:"client_id,omitempty"`
	Persona      string   `json:"persona,omitempty"`
	TelegramID   string   `json:"telegram_id,omitempty"`
	Probability  *float64 `json:"probability,omitempty"`
	Seed         *int64   `json:"seed,omitempty"`
	Count        int      `json:"count,omitempty"`
	For          string   `json:"for,omitempty"`   // ISO-8601 duration on the virtual clock
	Until        string   `json:"until,omitempty"` // instant; see FormatTime
	LatencyMS    int      `json:"latency_ms,omitempty"`
	LatencyMaxMS int      `json:"latency_max_ms,omitempty"`
	Distribution string   `json:"distribution,omitempty"`
	Sigma        float64  `json:"sigma,omitempty"`
	Status       int      `json:"status,omitempty"`
	ErrorCode    string   `json:"error_code,omitempty"`
	Message      string   `json:"message,omitempty"`
	Limit        int      `json:"limit,omitempty"`
	Window       string   `json:"window,omitempty"`
	DelayMS      int      `json:"delay_ms,omitempty"`
	ChunkBytes   int      `json:"chunk_bytes,omitempty"`
}

// ActiveFault is a fault in force (GET /__admin/faults).
type ActiveFault struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Target      string     `json:"target"`
	Probability float64    `json:"probability"`
	Seed        int64      `json:"seed"`
	Endpoint    string     `json:"endpoint,omitempty"`
	ClientID    string     `json:"client_id,omitempty"`
	Persona     string     `json:"persona,omitempty"`
	TelegramID  string     `json:"telegram_id,omitempty"`
	Remaining   *int       `json:"remaining,omitempty"`
	Until       *time.Time `json:"until,omitempty"`
}

// Faults manages the faults of the client's world.
type Faults struct{ c *Client }

// Faults returns the fault manager of the client's world.
func (c *Client) Faults() *Faults { return &Faults{c} }

// Add injects faults (all or nothing) and returns their ids.
func (f *Faults) Add(ctx context.Context, faults ...Fault) ([]string, error) {
	var body any = faults
	if len(faults) == 1 {
		body = faults[0]
	}
	var out struct {
		IDs []string `json:"ids"`
	}
	if err := f.c.do(ctx, http.MethodPost, f.c.admin("/__admin/faults", nil), body, "", &out); err != nil {
		return nil, err
	}
	return out.IDs, nil
}

// List returns the active faults.
func (f *Faults) List(ctx context.Context) ([]ActiveFault, error) {
	var out struct {
		Faults []ActiveFault `json:"faults"`
	}
	if err := f.c.do(ctx, http.MethodGet, f.c.admin("/__admin/faults", nil), nil, "", &out); err != nil {
		return nil, err
	}
	return out.Faults, nil
}

// Remove removes one fault (an *APIError with status 404 when there is none with that id).
func (f *Faults) Remove(ctx context.Context, id string) error {
	return f.c.do(ctx, http.MethodDelete, f.c.admin("/__admin/faults/"+url.PathEscape(id), nil), nil, "", nil)
}

// Clear removes every fault.
func (f *Faults) Clear(ctx context.Context) error {
	return f.c.do(ctx, http.MethodDelete, f.c.admin("/__admin/faults", nil), nil, "", nil)
}

// Float is a helper for optional float fields (Fault.Probability).
func Float(v float64) *float64 { return &v }

// Int64 is a helper for optional integer fields (Fault.Seed).
func Int64(v int64) *int64 { return &v }

// ScenarioStatus is the running scenario (GET /__admin/scenarios).
type ScenarioStatus struct {
	Scenario    *string `json:"scenario"`
	Description string  `json:"description,omitempty"`
	Source      string  `json:"source,omitempty"`
	CurrentStep int     `json:"current_step,omitempty"`
	Steps       []struct {
		At      time.Time `json:"at"`
		Note    string    `json:"note"`
		Applied bool      `json:"applied"`
	} `json:"steps,omitempty"`
	Log       []string        `json:"log,omitempty"`
	Available []string        `json:"available,omitempty"`
	Replaced  string          `json:"replaced,omitempty"`
	Raw       json.RawMessage `json:"-"`
}

// Name is the running scenario's name ("" when none runs).
func (s *ScenarioStatus) Name() string {
	if s == nil || s.Scenario == nil {
		return ""
	}
	return *s.Scenario
}

// Scenarios loads and stops scenarios in the client's world.
type Scenarios struct{ c *Client }

// Scenarios returns the scenario manager of the client's world.
func (c *Client) Scenarios() *Scenarios { return &Scenarios{c} }

// LoadFile starts a scenario file of the simulator's qa.scenarios_dir ("year-end-juki.yaml"
// or "scenarios/year-end-juki.yaml"). A local path is not read: see LoadYAMLFile.
func (s *Scenarios) LoadFile(ctx context.Context, name string) (*ScenarioStatus, error) {
	return s.post(ctx, map[string]string{"file": name}, "")
}

// LoadYAML starts a scenario given as YAML text (at most 1 MiB).
func (s *Scenarios) LoadYAML(ctx context.Context, yaml string) (*ScenarioStatus, error) {
	return s.post(ctx, yaml, "application/yaml")
}

// LoadYAMLFile reads a local YAML file and starts it as a scenario.
func (s *Scenarios) LoadYAMLFile(ctx context.Context, path string) (*ScenarioStatus, error) {
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return nil, err
	}
	return s.LoadYAML(ctx, string(data))
}

func (s *Scenarios) post(ctx context.Context, body any, ct string) (*ScenarioStatus, error) {
	var raw json.RawMessage
	if err := s.c.do(ctx, http.MethodPost, s.c.admin("/__admin/scenarios", nil), body, ct, &raw); err != nil {
		return nil, err
	}
	return decodeScenario(raw)
}

// Current returns the running scenario (its steps and log) and the files available.
func (s *Scenarios) Current(ctx context.Context) (*ScenarioStatus, error) {
	var raw json.RawMessage
	if err := s.c.do(ctx, http.MethodGet, s.c.admin("/__admin/scenarios", nil), nil, "", &raw); err != nil {
		return nil, err
	}
	return decodeScenario(raw)
}

// Stop stops the running scenario (its faults stay until removed).
func (s *Scenarios) Stop(ctx context.Context) error {
	return s.c.do(ctx, http.MethodDelete, s.c.admin("/__admin/scenarios", nil), nil, "", nil)
}

func decodeScenario(raw json.RawMessage) (*ScenarioStatus, error) {
	var st ScenarioStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, err
	}
	st.Raw = raw
	return &st, nil
}
