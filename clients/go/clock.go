// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ClockState is the virtual clock (GET /__admin/clock).
type ClockState struct {
	Now      time.Time `json:"now"`
	Speed    float64   `json:"speed"`
	Frozen   bool      `json:"frozen"`
	Timezone string    `json:"timezone"`
}

// ClockSettings is a change of the clock (PUT /__admin/clock); nil fields are left as they are.
type ClockSettings struct {
	Now    *time.Time `json:"-"`
	Speed  *float64   `json:"speed,omitempty"`
	Frozen *bool      `json:"frozen,omitempty"`
}

// Clock is the virtual clock of the client's world.
type Clock struct{ c *Client }

// Clock returns the virtual clock of the client's world.
func (c *Client) Clock() *Clock { return &Clock{c} }

// Get reads the clock.
func (k *Clock) Get(ctx context.Context) (*ClockState, error) {
	var st ClockState
	if err := k.c.do(ctx, http.MethodGet, k.c.admin("/__admin/clock", nil), nil, "", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Now is the virtual now (GET /__admin/clock), in Asia/Tokyo.
func (k *Clock) Now(ctx context.Context) (time.Time, error) {
	st, err := k.Get(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return st.Now.In(JST), nil
}

// Set moves the virtual now to t (speed and freezing unchanged).
func (k *Clock) Set(ctx context.Context, t time.Time) (*ClockState, error) {
	return k.Update(ctx, ClockSettings{Now: &t})
}

// SetFrozen moves the virtual now to t and stops it there.
func (k *Clock) SetFrozen(ctx context.Context, t time.Time) (*ClockState, error) {
	f := true
	return k.Update(ctx, ClockSettings{Now: &t, Frozen: &f})
}

// Freeze stops the virtual clock where it is.
func (k *Clock) Freeze(ctx context.Context) (*ClockState, error) {
	f := true
	return k.Update(ctx, ClockSettings{Frozen: &f})
}

// Run lets a frozen clock run again.
func (k *Clock) Run(ctx context.Context) (*ClockState, error) {
	f := false
	return k.Update(ctx, ClockSettings{Frozen: &f})
}

// Speed sets how many virtual seconds pass per real second (0 … 1 000 000).
func (k *Clock) Speed(ctx context.Context, speed float64) (*ClockState, error) {
	return k.Update(ctx, ClockSettings{Speed: &speed})
}

// Update applies a ClockSettings (PUT /__admin/clock).
func (k *Clock) Update(ctx context.Context, s ClockSettings) (*ClockState, error) {
	body := map[string]any{}
	if s.Now != nil {
		body["now"] = FormatTime(*s.Now)
	}
	if s.Speed != nil {
		body["speed"] = *s.Speed
	}
	if s.Frozen != nil {
		body["frozen"] = *s.Frozen
	}
	var st ClockState
	if err := k.c.do(ctx, http.MethodPut, k.c.admin("/__admin/clock", nil), body, "", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Advance moves the virtual clock by d (sent as an ISO-8601 duration).
func (k *Clock) Advance(ctx context.Context, d time.Duration) (*ClockState, error) {
	return k.AdvanceISO(ctx, FormatDuration(d))
}

// AdvanceISO moves the virtual clock by an ISO-8601 duration such as "PT2H30M" or "P1D".
func (k *Clock) AdvanceISO(ctx context.Context, iso string) (*ClockState, error) {
	var st ClockState
	if err := k.c.do(ctx, http.MethodPost, k.c.admin("/__admin/clock/advance", nil), map[string]string{"by": iso}, "", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Wall makes the virtual clock follow the server's wall clock again (speed 1, running).
func (k *Clock) Wall(ctx context.Context) (*ClockState, error) {
	var st ClockState
	if err := k.c.do(ctx, http.MethodPost, k.c.admin("/__admin/clock/wall", nil), nil, "", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// FormatTime formats t as mynasim expects it: RFC 3339 in Asia/Tokyo (+09:00).
func FormatTime(t time.Time) string {
	return t.In(JST).Format(time.RFC3339Nano)
}

// FormatDuration renders d as an ISO-8601 duration ("PT2H30M", "PT0.5S", "-PT1H").
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "PT0S"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	b.WriteString("PT")
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	if h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if d > 0 {
		s := d / time.Second
		frac := d - s*time.Second
		if frac == 0 {
			fmt.Fprintf(&b, "%dS", s)
		} else {
			fs := strings.TrimRight(fmt.Sprintf("%09d", int64(frac)), "0")
			fmt.Fprintf(&b, "%d.%sS", s, fs)
		}
	}
	return b.String()
}
