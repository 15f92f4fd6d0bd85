// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Container ports of the mynasim image (Dockerfile EXPOSE).
const (
	ContainerAppPort     = 8443
	ContainerSPPort      = 9443
	ContainerAdminPort   = 8081
	ContainerSystemsPort = 8090
)

// Ports are host ports mapped to the listeners (e.g. by a container runtime).
type Ports struct {
	App, SP, Admin, Systems int
}

// URLsFor builds the base URLs of the listeners reached at host on the given ports: https for
// app and sp, http for admin and systems. A zero port leaves that URL empty. An IPv6 host is
// bracketed.
func URLsFor(host string, p Ports) URLs {
	u := func(scheme string, port int) string {
		if port == 0 {
			return ""
		}
		return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
	}
	return URLs{App: u("https", p.App), SP: u("https", p.SP), Admin: u("http", p.Admin), Systems: u("http", p.Systems)}
}

// WaitReady polls GET {adminURL}/readyz (no token needed) until it answers 200, at most
// timeout, every 100 ms; each try is bounded by 2 s. The error names the last answer.
func WaitReady(ctx context.Context, adminURL string, timeout time.Duration) error {
	return waitReady(ctx, &http.Client{Timeout: 2 * time.Second}, adminURL+"/readyz", timeout, 100*time.Millisecond)
}

func waitReady(ctx context.Context, hc *http.Client, u string, timeout, every time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no answer yet"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mynasim: %s not ready within %s: %s", u, timeout, last)
		case <-time.After(every):
		}
	}
}
