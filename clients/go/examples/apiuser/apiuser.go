// SPDX-License-Identifier: Apache-2.0

// Package apiuser is a small API-user client of Myna Portal's 自己情報取得API, written from
// mynasim's docs only: token (IF001-03), request (IF001-04), the IF001-05 notification
// endpoint and the result (IF001-06) with a bounded backoff. Its test runs it against mynasim.
package apiuser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client is one service (client_id) calling the sp listener.
type Client struct {
	SP          string // sp base URL, e.g. https://localhost:9443 (or …/worlds/{id})
	ClientID    string // SP00000086_AA0003
	RedirectURI string
	HTTP        *http.Client // trusts the portal's CA, has a timeout
	seq         uint32
}

// CommonHeader is a telegram's common header.
type CommonHeader struct {
	TelegramID   string `json:"telegramId"`
	TelegramType string `json:"telegramType"`
	Mode         string `json:"mode"`
	ProcessID    string `json:"processId"`
	ErrorCode    string `json:"errorCode"`
}

// PortalError is an error answer of the portal (token or telegram).
type PortalError struct {
	Status    int
	ErrorCode string // MPE…
	Message   string // errorMessage or error_description
	OAuth     string // the token endpoint's error
	Body      string
}

func (e *PortalError) Error() string {
	return fmt.Sprintf("portal answered %d %s %s: %s", e.Status, e.OAuth, e.ErrorCode, e.Message)
}

// Token exchanges an authorization code for an access token (IF001-03).
func (c *Client) Token(ctx context.Context, code, codeVerifier string) (string, error) {
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {c.RedirectURI},
		"client_id":    {c.ClientID},
	}
	if codeVerifier != "" {
		form.Set("code_verifier", codeVerifier)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.SP+"/online-authorization-web/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body, err := c.send(req)
	if err != nil {
		return "", err
	}
	var out struct {
		AccessToken      string `json:"access_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorCode        string `json:"errorCode"`
	}
	_ = json.Unmarshal(body, &out)
	if status != http.StatusOK || out.AccessToken == "" {
		return "", &PortalError{Status: status, ErrorCode: out.ErrorCode, Message: out.ErrorDescription, OAuth: out.Error, Body: string(body)}
	}
	return out.AccessToken, nil
}

// NewTelegramID builds TL-<the 8 digits of the provider id>-<YYMMDDhhmmss JST>-<4 digits>.
func (c *Client) NewTelegramID(now time.Time) string {
	digits := strings.TrimPrefix(strings.SplitN(c.ClientID, "_", 2)[0], "SP")
	n := atomic.AddUint32(&c.seq, 1) % 10000
	return fmt.Sprintf("TL-%s-%s-%04d", digits, now.In(time.FixedZone("JST", 9*3600)).Format("060102150405"), n)
}

// Request sends IF001-04 and returns the telegramId and processId.
func (c *Client) Request(ctx context.Context, token, inquiry string) (telegramID, processID string, err error) {
	telegramID = c.NewTelegramID(time.Now())
	body := map[string]any{
		"commonHeader":             CommonHeader{TelegramID: telegramID, TelegramType: "IFA0301-R01", Mode: "1"},
		"selfProvisionDataReqInfo": map[string]string{"inquiryCondition": inquiry},
	}
	var out struct {
		CommonHeader CommonHeader `json:"commonHeader"`
		ErrorMessage string       `json:"errorMessage"`
	}
	status, raw, err := c.telegram(ctx, token, "/online-resource-web/request", body, &out)
	if err != nil {
		return telegramID, "", err
	}
	if status != http.StatusOK || out.CommonHeader.ErrorCode != "" {
		return telegramID, "", &PortalError{Status: status, ErrorCode: out.CommonHeader.ErrorCode, Message: out.ErrorMessage, Body: string(raw)}
	}
	return telegramID, out.CommonHeader.ProcessID, nil
}

// ProviderStatus is one holder's status in a result.
type ProviderStatus struct {
	System    string          `json:"system"`
	Name      string          `json:"name"`
	Status    string          `json:"status"` // ok, unavailable, error
	Reason    json.RawMessage `json:"reason,omitempty"`
	ReopensAt string          `json:"reopens_at,omitempty"`
}

// Result is an IF001-06 answer.
type Result struct {
	Header         CommonHeader
	ErrorMessage   string
	ProviderStatus []ProviderStatus
	// Data: one object per providing body (提供機関), each mapping 情報名 to its records.
	Data []map[string]map[string][]map[string]string
}

// StillProcessing is the errorCode of a result not ready yet.
const StillProcessing = "MPE3008"

// Result sends IF001-06 once.
func (c *Client) Result(ctx context.Context, token, telegramID, processID string) (*Result, error) {
	body := map[string]any{"commonHeader": CommonHeader{TelegramID: telegramID, TelegramType: "IFA0303-R01", Mode: "1", ProcessID: processID}}
	var out struct {
		CommonHeader CommonHeader `json:"commonHeader"`
		ErrorMessage string       `json:"errorMessage"`
		Info         struct {
			ProviderStatus   []ProviderStatus `json:"providerStatus"`
			SelfPersonalData string           `json:"selfPersonalData"`
		} `json:"selfPersonalDataProvisionInfo"`
	}
	status, raw, err := c.telegram(ctx, token, "/online-resource-web/result", body, &out)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, &PortalError{Status: status, ErrorCode: out.CommonHeader.ErrorCode, Message: out.ErrorMessage, Body: string(raw)}
	}
	r := &Result{Header: out.CommonHeader, ErrorMessage: out.ErrorMessage, ProviderStatus: out.Info.ProviderStatus}
	if out.Info.SelfPersonalData != "" {
		if err := json.Unmarshal([]byte(out.Info.SelfPersonalData), &r.Data); err != nil {
			return nil, fmt.Errorf("selfPersonalData: %w", err)
		}
	}
	return r, nil
}

// WaitResult waits for the IF001-05 notification of processID on notified (when not nil) and
// then fetches once; without a notification within notifyWait — or without a channel — it
// falls back to polling IF001-06 with a bounded backoff (first, doubling, at most maxTries).
func (c *Client) WaitResult(ctx context.Context, token, telegramID, processID string, notified <-chan CommonHeader, notifyWait time.Duration, first time.Duration, maxTries int) (*Result, error) {
	if notified != nil {
		t := time.NewTimer(notifyWait)
		defer t.Stop()
	wait:
		for {
			select {
			case h := <-notified:
				if h.ProcessID == processID {
					break wait
				}
			case <-t.C:
				break wait
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	delay := first
	for try := 1; ; try++ {
		r, err := c.Result(ctx, token, telegramID, processID)
		if err != nil {
			return nil, err
		}
		if r.Header.ErrorCode != StillProcessing {
			return r, nil
		}
		if try >= maxTries {
			return r, fmt.Errorf("result of process %s still not ready after %d tries", processID, try)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		delay *= 2
	}
}

func (c *Client) telegram(ctx context.Context, token, path string, body any, out any) (int, []byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.SP+path, bytes.NewReader(data))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	status, raw, err := c.send(req)
	if err != nil {
		return 0, nil, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return status, raw, fmt.Errorf("%s answered %d, not a telegram: %.200s", path, status, raw)
	}
	return status, raw, nil
}

func (c *Client) send(req *http.Request) (int, []byte, error) {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, body, err
}

// NotificationServer is the API user's IF001-05 endpoint: it acknowledges each notification
// at once with IFA0302-S01 and hands the header on.
type NotificationServer struct {
	URL      string // http://127.0.0.1:PORT/myna/notify
	C        chan CommonHeader
	srv      *http.Server
	mu       sync.Mutex
	received []CommonHeader
}

// StartNotificationServer listens on a free loopback port.
func StartNotificationServer() (*NotificationServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ns := &NotificationServer{URL: "http://" + ln.Addr().String() + "/myna/notify", C: make(chan CommonHeader, 64)}
	mux := http.NewServeMux()
	mux.HandleFunc("/myna/notify", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			CommonHeader CommonHeader `json:"commonHeader"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
			http.Error(w, "bad telegram", http.StatusBadRequest)
			return
		}
		ack := in.CommonHeader
		ack.TelegramType = "IFA0302-S01"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"commonHeader": ack})
		ns.mu.Lock()
		ns.received = append(ns.received, in.CommonHeader)
		ns.mu.Unlock()
		select {
		case ns.C <- in.CommonHeader:
		default:
		}
	})
	ns.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = ns.srv.Serve(ln) }()
	return ns, nil
}

// Received returns every notification received so far.
func (ns *NotificationServer) Received() []CommonHeader {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return append([]CommonHeader(nil), ns.received...)
}

// Close stops the server.
func (ns *NotificationServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return ns.srv.Shutdown(ctx)
}
