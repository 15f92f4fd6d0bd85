// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Outcomes of the non-interactive authorization (mynasim_outcome).
const (
	OutcomeConsent            = "consent"
	OutcomeRefuse             = "refuse"
	OutcomeCancelLink         = "cancel_link"
	OutcomeWrongPIN           = "wrong_pin"
	OutcomeLockCard           = "lock_card"
	OutcomeExpiredCertificate = "expired_certificate"
	OutcomeRevokedCertificate = "revoked_certificate"
)

// AuthorizeRequest is an IF001-01 authorization without the screens.
type AuthorizeRequest struct {
	ClientID    string
	RedirectURI string
	Persona     string // mynasim_persona; "" sends the app's plain authorize (see Authorize)
	Outcome     string // mynasim_outcome; "" means consent
	State       string // "" for none
	// PKCE: CodeChallenge (with method S256 unless CodeChallengeMethod says otherwise).
	CodeChallenge       string
	CodeChallengeMethod string
	// LoginType is login_type (default "0").
	LoginType string
	// Extra query parameters.
	Extra url.Values
}

// Authorization is a successful authorization: the code (and state) of the redirect.
type Authorization struct {
	Code     string
	State    string
	Location string
}

// AuthorizationError is a refusing outcome: the redirect carried error= (e.g. access_denied),
// or the portal answered an error page instead of a redirect.
type AuthorizationError struct {
	Err         string // the redirect's error (access_denied), "" for an error page
	Description string // error_description
	ErrorCode   string // error_code (MPE1101 …) or the X-Mynasim-Error-Code of an error page
	State       string
	Location    string
	Status      int // the HTTP status of the answer
	Body        string
}

func (e *AuthorizationError) Error() string {
	if e.Err != "" {
		return fmt.Sprintf("mynasim: authorization refused: %s %s: %s", e.Err, e.ErrorCode, e.Description)
	}
	return fmt.Sprintf("mynasim: authorize answered %d %s (no redirect)", e.Status, e.ErrorCode)
}

// AuthorizeURL builds the app's IF001-01 URL for r.
func (c *Client) AuthorizeURL(r AuthorizeRequest) string {
	q := url.Values{}
	q.Set("response_type", "code")
	q.Set("client_id", r.ClientID)
	q.Set("redirect_uri", r.RedirectURI)
	if r.State != "" {
		q.Set("state", r.State)
	}
	lt := r.LoginType
	if lt == "" {
		lt = "0"
	}
	q.Set("login_type", lt)
	if r.CodeChallenge != "" {
		q.Set("code_challenge", r.CodeChallenge)
		m := r.CodeChallengeMethod
		if m == "" {
			m = "S256"
		}
		q.Set("code_challenge_method", m)
	}
	if r.Persona != "" {
		q.Set("mynasim_persona", r.Persona)
	}
	if r.Outcome != "" {
		q.Set("mynasim_outcome", r.Outcome)
	}
	for k, vs := range r.Extra {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	return c.urls.App + "/online-authorization-web/oauth/authorize?" + q.Encode()
}

// Authorize sends GET /online-authorization-web/oauth/authorize with mynasim_persona and
// mynasim_outcome, does not follow the redirect and returns the code and state of its
// Location. A refusing outcome returns an *AuthorizationError carrying error (access_denied)
// and error_code. Without Persona it is the app's plain authorize: answered with a redirect
// only when the service has ci: settings or a conformance run with complete_screens is
// waiting for it; otherwise the consent screen comes back and Authorize returns an
// *AuthorizationError with Status 200.
func (c *Client) Authorize(ctx context.Context, r AuthorizeRequest) (*Authorization, error) {
	if c.urls.App == "" {
		return nil, errors.New("mynasim: Authorize needs the app URL")
	}
	resp, body, err := c.roundTrip(ctx, http.MethodGet, c.AuthorizeURL(r), nil, "", false)
	if err != nil {
		return nil, err
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" {
		b := string(body)
		if len(b) > 2000 {
			b = b[:2000]
		}
		return nil, &AuthorizationError{Status: resp.StatusCode, ErrorCode: resp.Header.Get("X-Mynasim-Error-Code"), Body: b}
	}
	return ParseRedirect(loc, resp.StatusCode)
}

// ParseRedirect reads the code and state of an authorization redirect, or returns an
// *AuthorizationError for one carrying error=.
func ParseRedirect(location string, status int) (*Authorization, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("mynasim: the redirect is not a URL: %q", location)
	}
	q := u.Query()
	if e := q.Get("error"); e != "" {
		return nil, &AuthorizationError{Err: e, Description: q.Get("error_description"), ErrorCode: q.Get("error_code"), State: q.Get("state"), Location: location, Status: status}
	}
	code := q.Get("code")
	if code == "access_denied" { // portal.error_redirect: code
		return nil, &AuthorizationError{Err: code, State: q.Get("state"), Location: location, Status: status}
	}
	if code == "" {
		return nil, &AuthorizationError{Location: location, Status: status}
	}
	return &Authorization{Code: code, State: q.Get("state"), Location: location}, nil
}

// PKCE is a code verifier and its S256 challenge.
type PKCE struct {
	Verifier  string
	Challenge string
}

// NewPKCE makes a random code verifier (43 characters) and its S256 challenge.
func NewPKCE() (PKCE, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return PKCE{}, err
	}
	v := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(v))
	return PKCE{Verifier: v, Challenge: base64.RawURLEncoding.EncodeToString(sum[:])}, nil
}

// NewState returns a random state value.
func NewState() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
