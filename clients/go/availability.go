// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Reason says why a system is up or down.
type Reason struct {
	Code    string `json:"code"` // operating, outside_hours, closed_weekday, closed_holiday, planned_outage, forced_down
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}

// SystemAvailability is one system at an instant.
type SystemAvailability struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Up         bool       `json:"up"`
	Reason     Reason     `json:"reason"`
	NextChange *time.Time `json:"next_change"`
	PartOf     string     `json:"part_of,omitempty"`
}

// Availability is every system at an instant.
type Availability struct {
	At      time.Time            `json:"at"`
	Systems []SystemAvailability `json:"systems"`
}

// System returns the system with this id, or nil.
func (a *Availability) System(id string) *SystemAvailability {
	for i := range a.Systems {
		if a.Systems[i].ID == id {
			return &a.Systems[i]
		}
	}
	return nil
}

// Availability answers every system at an instant (the zero time: the virtual now).
func (c *Client) Availability(ctx context.Context, at time.Time) (*Availability, error) {
	q := url.Values{}
	if !at.IsZero() {
		q.Set("at", FormatTime(at))
	}
	var a Availability
	if err := c.do(ctx, http.MethodGet, c.admin("/__admin/availability", q), nil, "", &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Window is one stretch of a timeline.
type Window struct {
	From   time.Time `json:"from"`
	Until  time.Time `json:"until"`
	Up     bool      `json:"up"`
	Reason Reason    `json:"reason"`
}

// SystemTimeline is the windows of one system.
type SystemTimeline struct {
	System  string    `json:"system"`
	Name    string    `json:"name"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Windows []Window  `json:"windows"`
}

// DayOff is a weekend day or holiday in a timeline of every system.
type DayOff struct {
	Date    string `json:"date"`
	Name    string `json:"name"`
	Holiday bool   `json:"holiday"`
}

// Timeline is one system's windows (system given), or every system's with the days off.
type Timeline struct {
	SystemTimeline
	Now     *time.Time       `json:"now,omitempty"`
	Systems []SystemTimeline `json:"systems,omitempty"`
	DaysOff []DayOff         `json:"days_off,omitempty"`
}

// Timeline answers the windows of one system (or of every system when system is "") between
// from and to (zero: the next 7 days; at most 400 days).
func (c *Client) Timeline(ctx context.Context, system string, from, to time.Time) (*Timeline, error) {
	q := url.Values{}
	if system != "" {
		q.Set("system", system)
	}
	if !from.IsZero() {
		q.Set("from", FormatTime(from))
	}
	if !to.IsZero() {
		q.Set("to", FormatTime(to))
	}
	var t Timeline
	if err := c.do(ctx, http.MethodGet, c.admin("/__admin/availability/timeline", q), nil, "", &t); err != nil {
		return nil, err
	}
	return &t, nil
}
