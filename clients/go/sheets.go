// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// Entry is one sheet entry as the admin API shows it (a service, connection or persona).
type Entry map[string]any

// Decode converts the entry into a typed value (e.g. a *Service).
func (e Entry) Decode(out any) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// Service is a サービス情報設定シート entry (fields the admin API shows).
type Service struct {
	ClientID     string      `json:"client_id"`
	ProviderName string      `json:"provider_name"`
	Name         string      `json:"name"`
	Purpose      string      `json:"purpose"`
	Items        []string    `json:"items"`
	QueryMethods []string    `json:"query_methods,omitempty"`
	RedirectURIs []string    `json:"redirect_uris"`
	CI           Entry       `json:"ci,omitempty"`
	Connection   *Connection `json:"connection,omitempty"`
	DefinedAt    string      `json:"defined_at,omitempty"`
}

// Connection is a 接続情報設定シート entry.
type Connection struct {
	ClientID          string   `json:"client_id"`
	NotificationURL   string   `json:"notification_url,omitempty"`
	ClientCertSHA256  string   `json:"client_cert_sha256,omitempty"`
	ClientCertSubject string   `json:"client_cert_subject,omitempty"`
	AllowedSources    []string `json:"allowed_sources,omitempty"`
	DefinedAt         string   `json:"defined_at,omitempty"`
}

// Sheet is one runtime sheet: services, connections or personas.
type Sheet struct {
	c       *Client
	section string // "services", "connections", "personas"
}

// Services is the サービス情報設定シート of the client's world.
func (c *Client) Services() *Sheet { return &Sheet{c, "services"} }

// Connections is the 接続情報設定シート of the client's world.
func (c *Client) Connections() *Sheet { return &Sheet{c, "connections"} }

// Personas is the テストデータ設定シート of the client's world.
func (c *Client) Personas() *Sheet { return &Sheet{c, "personas"} }

func (s *Sheet) path(id string) string {
	return s.c.admin("/__admin/"+s.section+"/"+url.PathEscape(id), nil)
}

// List returns every entry (for personas: their card state now, GET /__admin/personas).
func (s *Sheet) List(ctx context.Context) ([]Entry, error) {
	var out map[string][]Entry
	if err := s.c.do(ctx, http.MethodGet, s.c.admin("/__admin/"+s.section, nil), nil, "", &out); err != nil {
		return nil, err
	}
	return out[s.section], nil
}

// Get returns one entry.
func (s *Sheet) Get(ctx context.Context, id string) (Entry, error) {
	var e Entry
	if err := s.c.do(ctx, http.MethodGet, s.path(id), nil, "", &e); err != nil {
		return nil, err
	}
	return e, nil
}

// Put adds or replaces an entry (the entry as in the YAML sheet: a struct, a map, or YAML
// text as a string).
func (s *Sheet) Put(ctx context.Context, id string, entry any) (Entry, error) {
	ct := ""
	if _, ok := entry.(string); ok {
		ct = "application/yaml"
	}
	var e Entry
	if err := s.c.do(ctx, http.MethodPut, s.path(id), entry, ct, &e); err != nil {
		return nil, err
	}
	return e, nil
}

// Patch applies a JSON merge patch to the entry as Get shows it.
func (s *Sheet) Patch(ctx context.Context, id string, patch any) (Entry, error) {
	var e Entry
	if err := s.c.do(ctx, http.MethodPatch, s.path(id), patch, "application/merge-patch+json", &e); err != nil {
		return nil, err
	}
	return e, nil
}

// Delete removes an entry.
func (s *Sheet) Delete(ctx context.Context, id string) error {
	return s.c.do(ctx, http.MethodDelete, s.path(id), nil, "", nil)
}

// Service returns one service, typed.
func (c *Client) Service(ctx context.Context, clientID string) (*Service, error) {
	e, err := c.Services().Get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var s Service
	if err := e.Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

// SetNotificationURL points a service's IF001-05 notifications at u
// (PATCH /__admin/connections/{client_id}).
func (c *Client) SetNotificationURL(ctx context.Context, clientID, u string) error {
	_, err := c.Connections().Patch(ctx, clientID, map[string]string{"notification_url": u})
	return err
}

// AccessRecord is one 提供記録 of a persona.
type AccessRecord struct {
	At        string   `json:"at"`
	ClientID  string   `json:"client_id"`
	Service   string   `json:"service"`
	ProcessID string   `json:"process_id"`
	Outcome   string   `json:"outcome"`
	Items     []string `json:"items"`
}

// AccessRecords returns what was provided about a persona, to whom.
func (c *Client) AccessRecords(ctx context.Context, persona string) ([]AccessRecord, error) {
	var out struct {
		AccessRecords []AccessRecord `json:"access_records"`
	}
	err := c.do(ctx, http.MethodGet, c.admin("/__admin/personas/"+url.PathEscape(persona)+"/access-records", nil), nil, "", &out)
	return out.AccessRecords, err
}

// ResetCards puts every card back to its definition (tries, lock, certificate).
func (c *Client) ResetCards(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, c.admin("/__admin/cards/reset", nil), nil, "", nil)
}

// ForgetChanges forgets every runtime sheet change (but --api-user's) and reloads the files.
func (c *Client) ForgetChanges(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, c.admin("/__admin/changes", nil), nil, "", nil)
}
