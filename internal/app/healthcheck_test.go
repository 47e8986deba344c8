package app

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// Every subcommand answers --help with its usage and exit 0, before the
// configuration is read (a broken environment does not hide the help).
func TestSubcommandHelp(t *testing.T) {
	badEnv := func(k string) string {
		if k == "POLL_INTERVAL" {
			return "often"
		}
		return ""
	}
	for cmd := range commandUsage {
		for _, flag := range []string{"--help", "-h"} {
			var out, errs bytes.Buffer
			if code := Run(context.Background(), []string{cmd, flag}, badEnv, &out, &errs); code != exitOK {
				t.Errorf("newsbot %s %s: exit %d, stderr %q", cmd, flag, code, errs.String())
			}
			if !strings.Contains(out.String(), "newsbot "+cmd) && cmd != "run" {
				t.Errorf("newsbot %s %s printed %q", cmd, flag, out.String())
			}
		}
	}
}

// serveHealthz serves /healthz with status on a loopback port and returns
// HTTP_ADDR pointing at it.
func serveHealthz(t *testing.T, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return ":" + port
}

func TestHealthcheck(t *testing.T) {
	tests := []struct {
		name     string
		httpAddr string
		want     int
	}{
		{"healthy", serveHealthz(t, http.StatusOK), exitOK},
		{"unhealthy", serveHealthz(t, http.StatusServiceUnavailable), exitFailed},
		{"nothing listening", freeAddr(t), exitFailed}, // 127.0.0.1:port: the check dials loopback
		{"endpoint off", "off", exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			env := func(k string) string {
				if k == "HTTP_ADDR" {
					return tt.httpAddr
				}
				return ""
			}
			if code := Run(context.Background(), []string{"healthcheck"}, env, &out, &errs); code != tt.want {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.want, errs.String())
			}
		})
	}
}

// An HTTP_ADDR that is busy stops the bot with exit 2 and one line naming
// it, before any call to Redis or Telegram.
func TestBusyHTTPAddrExits2BeforeAnyNetworkCall(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var calls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "unexpected", http.StatusInternalServerError)
	}))
	defer api.Close()
	redisLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer redisLn.Close()
	var redisCalls atomic.Int32
	go func() {
		for {
			c, err := redisLn.Accept()
			if err != nil {
				return
			}
			redisCalls.Add(1)
			c.Close()
		}
	}()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken,
		"TELEGRAM_API_URL":   api.URL,
		"REDIS_URL":          "redis://" + redisLn.Addr().String(),
		"HTTP_ADDR":          busy.Addr().String(),
	}
	var out, errs bytes.Buffer
	code := Run(context.Background(), nil, func(k string) string { return env[k] }, &out, &errs)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if msg := strings.TrimSpace(errs.String()); !strings.Contains(msg, "HTTP_ADDR") || strings.Contains(msg, "\n") {
		t.Errorf("stderr %q, want one line naming HTTP_ADDR", msg)
	}
	if n := calls.Load() + redisCalls.Load(); n != 0 {
		t.Errorf("%d network calls before the bad setting was reported", n)
	}
}
