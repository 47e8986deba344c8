// Package redistest starts real redis-server processes for tests.
//
// Tests that need Redis call Start; it fails the test with an install hint
// when redis-server is missing (go test -short skips instead). Each server
// listens on a unix socket in its own temporary directory, so parallel tests
// never fight over ports, and can be restarted on the same socket and data.
//
// StartCluster starts a Redis Cluster (3 masters, or 3+3 WithReplicas) and
// StartSentinel a master, a replica and three sentinels, on loopback TCP
// ports chosen free (retried when taken meanwhile); both skip the test with
// the reason when redis-server is missing or older than 7.0, and can fail
// over on demand.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process owned by a test.
type Server struct {
	t    testing.TB
	dir  string
	aof  bool
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Option changes how the server is started.
type Option func(*Server)

// WithAOF turns on append-only persistence (appendfsync always), so a
// restart keeps every acknowledged write.
func WithAOF() Option { return func(s *Server) { s.aof = true } }

// Start starts a redis-server and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if testing.Short() {
			t.Skip("redis-server not installed; skipped in -short mode")
		}
		t.Fatal("redistest: redis-server not found in PATH; install it (Debian: apt-get install -y redis-server)")
	}
	// Unix socket paths are limited to about 100 bytes: keep the directory short.
	dir, err := os.MkdirTemp("", "nbr")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	s := &Server{t: t, dir: dir}
	for _, o := range opts {
		o(s)
	}
	t.Cleanup(func() {
		s.Stop()
		os.RemoveAll(dir)
	})
	s.start(bin)
	return s
}

// Addr is the unix socket path of the server.
func (s *Server) Addr() string { return filepath.Join(s.dir, "redis.sock") }

// URL is a redis URL for the server, as REDIS_URL takes it.
func (s *Server) URL() string { return "unix://" + s.Addr() }

// Dir is the server's working directory (data and logs).
func (s *Server) Dir() string { return s.dir }

// Client returns a new client connected to the server, closed at test end.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.Addr()})
	s.t.Cleanup(func() { c.Close() })
	return c
}

func (s *Server) start(bin string) {
	s.t.Helper()
	args := []string{
		"--port", "0",
		"--unixsocket", s.Addr(),
		"--unixsocketperm", "700",
		"--dir", s.dir,
		"--save", "",
		"--daemonize", "no",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}
	if s.aof {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("redistest: start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		select {
		case <-done:
			s.t.Fatalf("redistest: redis-server exited at start: %s", s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redistest: redis-server not ready after 10s: %v; log: %s", err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL) and waits for it to exit. With AOF on and
// appendfsync always, every acknowledged write survives.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// Restart stops the server and starts it again on the same socket and data
// directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	bin, _ := exec.LookPath("redis-server")
	s.start(bin)
}

func (s *Server) logTail() string { return logTailOf(filepath.Join(s.dir, "redis.log")) }

// logTailOf returns the last lines of a server's log file.
func logTailOf(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 10 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
