// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// ReadyFile is the JSON the simulator writes to --ready-file once every listener is ready.
type ReadyFile struct {
	URLs        URLs           `json:"urls"`
	Ports       map[string]int `json:"ports"`
	PID         int            `json:"pid"`
	Version     string         `json:"version"`
	CAFile      string         `json:"ca_file"`
	VirtualTime string         `json:"virtual_time"`
}

// StartError is returned by Start when the simulator did not become ready: it carries the
// tail of its log.
type StartError struct {
	Reason  string
	LogTail string
}

func (e *StartError) Error() string {
	return fmt.Sprintf("mynasim: the simulator did not start: %s\n--- log tail ---\n%s", e.Reason, e.LogTail)
}

type process struct {
	cmd     *exec.Cmd
	dir     string // temp dir: ready file and log
	logPath string
	done    chan struct{}
	waitErr error
	stopTO  time.Duration
	once    sync.Once
	stopErr error
}

// Start runs "mynasim serve --port-base 0 --ready-file F" (plus WithArgs) from WithBinary or
// PATH, waits (bounded by WithStartTimeout, default 30 s) for the ready file, checks the
// version and returns a client for it. ctx bounds the start only: the simulator runs until
// Close stops it (SIGTERM, then a kill after WithStopTimeout). On Linux it also gets SIGTERM
// if the starting process dies without Close.
func Start(ctx context.Context, opts ...Option) (*Client, error) {
	cfg := newConfig(opts)
	return start(ctx, cfg)
}

func start(ctx context.Context, cfg *config) (*Client, error) {
	bin := cfg.binary
	if bin == "" {
		bin = "mynasim"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("mynasim: cannot find the mynasim binary %q (put it on PATH, or use WithBinary / MYNASIM_BIN): %w", bin, err)
	}
	dir, err := os.MkdirTemp("", "mynasim-go-")
	if err != nil {
		return nil, fmt.Errorf("mynasim: %w", err)
	}
	p := &process{dir: dir, logPath: filepath.Join(dir, "mynasim.log"), done: make(chan struct{}), stopTO: cfg.stopTimeout}
	ready := filepath.Join(dir, "ready.json")
	args := []string{"serve", "--port-base", "0", "--ready-file", ready}
	if cfg.token != "" {
		args = append(args, "--admin-token", cfg.token)
	}
	args = append(args, cfg.args...)
	logf, err := os.Create(p.logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mynasim: %w", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = cfg.workDir
	cmd.Env = append(os.Environ(), cfg.env...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mynasim: starting %s: %w", path, err)
	}
	logf.Close()
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()

	rf, err := p.waitReady(ctx, ready, cfg.startTimeout)
	if err != nil {
		tail := p.tail(4000)
		_ = p.stop()
		if se := (*StartError)(nil); errors.As(err, &se) {
			se.LogTail = tail
			return nil, se
		}
		return nil, &StartError{Reason: err.Error(), LogTail: tail}
	}
	if rf.CAFile != "" && cfg.caFile == "" {
		cfg.caFile = rf.CAFile
	}
	c, err := newClient(rf.URLs, cfg)
	if err != nil {
		_ = p.stop()
		return nil, err
	}
	c.server = p
	c.version = rf.Version
	if err := checkVersion(c.version, cfg.skipVersion); err != nil {
		_ = p.stop()
		return nil, err
	}
	return c, nil
}

func (p *process) waitReady(ctx context.Context, path string, timeout time.Duration) (*ReadyFile, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
			var rf ReadyFile
			if err := json.Unmarshal(data, &rf); err == nil && rf.URLs.Admin != "" {
				return &rf, nil
			}
		}
		select {
		case <-p.done:
			return nil, &StartError{Reason: fmt.Sprintf("it exited before it was ready (%v)", p.waitErr)}
		case <-ctx.Done():
			return nil, &StartError{Reason: ctx.Err().Error()}
		case <-deadline.C:
			return nil, &StartError{Reason: fmt.Sprintf("no ready file after %s", timeout)}
		case <-tick.C:
		}
	}
}

func (p *process) tail(n int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}

// stop sends SIGTERM, waits up to stopTO, then kills; it removes the temp dir.
func (p *process) stop() error {
	p.once.Do(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			t := time.NewTimer(p.stopTO)
			select {
			case <-p.done:
				t.Stop()
			case <-t.C:
				_ = p.cmd.Process.Kill()
				<-p.done
				p.stopErr = fmt.Errorf("mynasim: the simulator did not stop within %s after SIGTERM and was killed", p.stopTO)
			}
		}
		if p.stopErr == nil && p.waitErr != nil {
			var ee *exec.ExitError
			if errors.As(p.waitErr, &ee) && ee.ExitCode() != 0 {
				p.stopErr = fmt.Errorf("mynasim: the simulator exited with %v", p.waitErr)
			}
		}
		os.RemoveAll(p.dir)
	})
	return p.stopErr
}
