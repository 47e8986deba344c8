package store

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseURL(t *testing.T) {
	wd, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		Network, Addr, Username, Password string
		DB                                int
		TLS                               bool
	}
	tests := []struct {
		url  string
		want want
	}{
		{"redis://localhost:6379/2", want{Network: "tcp", Addr: "localhost:6379", DB: 2}},
		{"redis://localhost", want{Network: "tcp", Addr: "localhost:6379"}},
		{"redis://:pw@10.0.0.5:6380", want{Network: "tcp", Addr: "10.0.0.5:6380", Password: "pw"}},
		{"rediss://bot:pw@redis.example:6380/1", want{Network: "tcp", Addr: "redis.example:6380", Username: "bot", Password: "pw", DB: 1, TLS: true}},
		{"unix:///run/redis/redis.sock", want{Network: "unix", Addr: "/run/redis/redis.sock"}},
		{"unix:///run/redis/redis.sock?db=4", want{Network: "unix", Addr: "/run/redis/redis.sock", DB: 4}},
		{"unix://:pw@/run/redis.sock?db=1", want{Network: "unix", Addr: "/run/redis.sock", Password: "pw", DB: 1}},
		{"unix://data/redis.sock?db=2", want{Network: "unix", Addr: filepath.Join(wd, "data/redis.sock"), DB: 2}},
		{"  redis://localhost:1/0  ", want{Network: "tcp", Addr: "localhost:1"}},
	}
	for _, tt := range tests {
		o, err := parseURL(tt.url)
		if err != nil {
			t.Errorf("parseURL(%q): %v", tt.url, err)
			continue
		}
		got := want{o.Network, o.Addr, o.Username, o.Password, o.DB, o.TLSConfig != nil}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseURL(%q) (-want +got):\n%s", tt.url, diff)
		}
		if tt.want.TLS && o.TLSConfig.ServerName != "redis.example" {
			t.Errorf("parseURL(%q): TLS server name %q", tt.url, o.TLSConfig.ServerName)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		url      string
		contains string
	}{
		{"", "empty"},
		{"localhost:6379", "scheme"},
		{"http://localhost", "not supported"},
		{"redis://", "no host"},
		{"unix://", "socket path"},
		{"redis://user:hunter2@localhost:port/0", "not a valid URL"},
		{"redis://user:hunter2@localhost:6379/abc", "database"},
		{"redis://user:hunter2@localhost:6379/0?bogus=1", "REDIS_URL"},
	}
	for _, tt := range tests {
		_, err := parseURL(tt.url)
		if err == nil {
			t.Errorf("parseURL(%q) succeeded", tt.url)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.contains) || !strings.HasPrefix(msg, "store: ") {
			t.Errorf("parseURL(%q) = %q, want it to start with store: and mention %q", tt.url, msg, tt.contains)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("parseURL(%q) leaks the password: %q", tt.url, msg)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"зеленський", "зеленський", 2, 0},
		{"зеленскій", "зеленський", 2, 2},
		{"kitten", "sitting", 3, 3},
		{"kitten", "sitting", 2, 3}, // over the limit: limit+1
		{"", "abc", 5, 3},
		{"abc", "", 1, 2},
		{strings.Repeat("a", 100), strings.Repeat("a", 100), 3, 4}, // too long to compare
	}
	for _, tt := range tests {
		if got := editDistance([]rune(tt.a), []rune(tt.b), tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

func TestCleanTagName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Верховна\n\tРада  ", "Верховна Рада"},
		{"a\x00b", "a b"},
		{"bad\xffutf", "badutf"},
		{strings.Repeat("x", 200), strings.Repeat("x", 120)},
	}
	for _, tt := range tests {
		if got := cleanTagName(tt.in); got != tt.want {
			t.Errorf("cleanTagName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseMultiHostURLs(t *testing.T) {
	c, err := parseClusterURL("redis://bot:p%40ss@10.0.0.1:7000, 10.0.0.2 ,[::1]:7002/?pool_size=7")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10.0.0.1:7000", "10.0.0.2:6379", "[::1]:7002"}, c.Addrs); diff != "" {
		t.Errorf("cluster addrs (-want +got):\n%s", diff)
	}
	if c.Username != "bot" || c.Password != "p@ss" || c.PoolSize != 7 || c.DialTimeout != defaultDialTimeout {
		t.Errorf("cluster options: user %q password %q pool %d dial %s", c.Username, c.Password, c.PoolSize, c.DialTimeout)
	}
	f, err := parseSentinelURL("rediss://:pw@mymaster@s1,s2:26380/3?sentinel_password=spw")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"s1:26379", "s2:26380"}, f.SentinelAddrs); diff != "" {
		t.Errorf("sentinel addrs (-want +got):\n%s", diff)
	}
	if f.MasterName != "mymaster" || f.Password != "pw" || f.SentinelPassword != "spw" || f.DB != 3 || f.TLSConfig == nil {
		t.Errorf("sentinel options: master %q password %q sentinel password %q db %d tls %v", f.MasterName, f.Password, f.SentinelPassword, f.DB, f.TLSConfig != nil)
	}
	for _, raw := range []string{"redis+cluster://h1:1,h2:2", "REDIS+SENTINEL://m@h1", "rediss+cluster://h"} {
		if kind, _ := splitTopology(raw); kind == topologySingle {
			t.Errorf("splitTopology(%q) = single", raw)
		}
	}
}

func TestParseMultiHostURLErrors(t *testing.T) {
	tests := []struct{ url, contains string }{
		{"redis+cluster://user:hunter2@h1:7000,,h2:7001", "empty host"},
		{"redis+cluster://user:hunter2@h1:70000", "bad port"},
		{"redis+cluster://user:hunter2@h1:x", "bad port"},
		{"redis+cluster://user:hunter2@h1:7000/2", "only database 0"},
		{"redis+cluster://user:hunter2@h1:7000/?bogus=1", "REDIS_URL"},
		{"redis+sentinel://user:hunter2@s1:26379/0", "master name"},
		{"redis+sentinel://user:hunter2@@s1:26379/0", "master name"},
		{"redis+sentinel://user:hunter2@m@s1:26379/abc", "database"},
		{"redis+sentinel://user:hunter2@m@s1/0?bogus=hunter2", "REDIS_URL"},
		{"redis+cluster://", "empty host"},
	}
	for _, tt := range tests {
		_, err := NewClient(tt.url)
		if err == nil {
			t.Errorf("NewClient(%q) succeeded", tt.url)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "store: ") || !strings.Contains(msg, tt.contains) {
			t.Errorf("NewClient(%q) = %q, want it to start with store: and mention %q", tt.url, msg, tt.contains)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("NewClient(%q) leaks the password: %q", tt.url, msg)
		}
	}
}
