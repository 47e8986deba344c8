package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
)

const goodToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"TELEGRAM_BOT_TOKEN": goodToken}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RequireToken(); err != nil {
		t.Fatal(err)
	}
	if !c.Embedded() {
		t.Error("empty REDIS_URL should mean the embedded store")
	}
	if diff := cmp.Diff([]news.Lang{"uk", "ru", "en"}, c.Editions); diff != "" {
		t.Errorf("editions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"news", "mainnews"}, c.Feeds); diff != "" {
		t.Errorf("feeds (-want +got):\n%s", diff)
	}
	if c.PollInterval != time.Minute || c.SendRate != 30 || c.HTTPAddr != ":8080" || c.TelegramAPIURL != DefaultTelegramAPIURL {
		t.Errorf("unexpected defaults: %+v", c)
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"TELEGRAM_BOT_TOKEN": goodToken,
		"TELEGRAM_API_URL":   "http://127.0.0.1:8081/",
		"REDIS_URL":          "unix:///run/redis.sock",
		"EDITIONS":           " en , uk,en",
		"POLL_INTERVAL":      "90",
		"ADMIN_CHAT_IDS":     "42,-1001234567890",
		"LOG_LEVEL":          "DEBUG",
		"PAID_BROADCAST":     "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramAPIURL != "http://127.0.0.1:8081" {
		t.Errorf("TelegramAPIURL = %q", c.TelegramAPIURL)
	}
	if diff := cmp.Diff([]news.Lang{"en", "uk"}, c.Editions); diff != "" {
		t.Errorf("editions (-want +got):\n%s", diff)
	}
	if c.PollInterval != 90*time.Second {
		t.Errorf("PollInterval = %s", c.PollInterval)
	}
	if !c.IsAdmin(-1001234567890) || c.IsAdmin(7) {
		t.Errorf("admins = %v", c.AdminChatIDs)
	}
	if !c.PaidBroadcast || c.Embedded() {
		t.Errorf("PaidBroadcast=%v Embedded=%v", c.PaidBroadcast, c.Embedded())
	}
}

func TestTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(goodToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"TELEGRAM_BOT_TOKEN_FILE": path}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramToken != goodToken {
		t.Errorf("token from file = %q", c.TelegramToken)
	}
	_, err = Load(env(map[string]string{"TELEGRAM_BOT_TOKEN_FILE": filepath.Join(t.TempDir(), "missing")}))
	if err == nil || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN_FILE") {
		t.Errorf("missing token file: err = %v", err)
	}
}

func TestRequireToken(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RequireToken(); err == nil || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN") {
		t.Errorf("RequireToken() = %v", err)
	}
}

// Each bad setting yields one line that names the variable.
func TestLoadErrorsNameTheVariable(t *testing.T) {
	tests := []struct{ name, value string }{
		{"TELEGRAM_BOT_TOKEN", "not-a-token"},
		{"TELEGRAM_API_URL", "ftp://example.org"},
		{"TELEGRAM_API_URL", "localhost"},
		{"TELEGRAM_WEBHOOK_SECRET", "has spaces in it"},
		{"REDIS_URL", "mysql://localhost"},
		{"REDIS_URL", "redis://"},
		{"REDIS_URL", "redis+cluster://u:hunter2@h1:7000,,h2:7001"},
		{"REDIS_URL", "redis+cluster://u:hunter2@h1:99999"},
		{"REDIS_URL", "redis+cluster://u:hunter2@h1:7000/3"},
		{"REDIS_URL", "redis+sentinel://u:hunter2@s1:26379/0"},
		{"REDIS_URL", "redis+sentinel://u:hunter2@m@s1:26379/db"},
		{"REDIS_PREFIX", "a b"},
		{"UPRAVDA_BASE_URL", "::"},
		{"EDITIONS", "uk,de"},
		{"EDITIONS", ","},
		{"FEEDS", "news,sport"},
		{"POLL_INTERVAL", "500ms"},
		{"POLL_INTERVAL", "soon"},
		{"SUMMARY_BUDGET", "ten"},
		{"SEND_RATE", "31"},
		{"SEND_RATE", "-1"},
		{"PAID_BROADCAST", "maybe"},
		{"PAID_RATE", "5000"},
		{"STRIKE_LIMIT", "0"},
		{"ADMIN_CHAT_IDS", "12,abc"},
		{"LOG_LEVEL", "loud"},
		{"LOG_FORMAT", "xml"},
		{"SHUTDOWN_TIMEOUT", "1ms"},
		{"STATE_SAVE_INTERVAL", "0"},
		{"HTTP_ADDR", "8080"},
		{"HTTP_ADDR", ":http-alt"},
		{"HTTP_ADDR", ":70000"},
		{"HTTP_ADDR", "local host:80"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Load(env(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("no error for %s=%q", tt.name, tt.value)
			}
			msg := err.Error()
			if strings.Count(msg, "\n") != 0 {
				t.Errorf("want one line, got %q", msg)
			}
			if !strings.Contains(msg, tt.name) {
				t.Errorf("error %q does not name %s", msg, tt.name)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error %q quotes the password", msg)
			}
		})
	}
}

func TestLoadAcceptsClusterAndSentinelURLs(t *testing.T) {
	for _, v := range []string{
		"redis+cluster://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3",
		"rediss+cluster://bot:pw@r1:7000,r2:7000/?pool_size=50",
		"redis+sentinel://mymaster@s1:26379,s2:26379,s3:26379/0",
		"rediss+sentinel://:pw@mymaster@s1,s2/2?sentinel_password=x",
	} {
		c, err := Load(env(map[string]string{"REDIS_URL": v}))
		if err != nil {
			t.Errorf("REDIS_URL=%s: %v", v, err)
			continue
		}
		if c.RedisURL != v || c.Embedded() {
			t.Errorf("REDIS_URL=%s: RedisURL %q, embedded %v", v, c.RedisURL, c.Embedded())
		}
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	secret := "123456789:short"
	_, err := Load(env(map[string]string{"TELEGRAM_BOT_TOKEN": secret}))
	if err == nil {
		t.Fatal("short token accepted")
	}
	if strings.Contains(err.Error(), "short") {
		t.Errorf("error repeats the token: %q", err)
	}
}

// Every variable Load reads is documented in Vars, and vice versa.
func TestVarsDocumented(t *testing.T) {
	read := map[string]bool{}
	Load(func(k string) string { read[k] = true; return "" })
	documented := map[string]bool{}
	for _, v := range Vars {
		documented[v.Name] = true
		if v.Meaning == "" {
			t.Errorf("%s has no meaning", v.Name)
		}
	}
	for k := range read {
		if !documented[k] {
			t.Errorf("%s is read but not in Vars", k)
		}
	}
	for k := range documented {
		if !read[k] {
			t.Errorf("%s is in Vars but never read", k)
		}
	}
}

// envFileVars reads NAME=value lines of an env file, skipping comments.
func envFileVars(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s: line %q is not NAME=value", path, line)
			continue
		}
		if _, dup := vars[name]; dup {
			t.Errorf("%s: %s is listed twice", path, name)
		}
		vars[name] = value
	}
	return vars
}

// .env.example lists every variable of Vars with its default, and nothing
// else.
func TestEnvExampleMatchesVars(t *testing.T) {
	listed := envFileVars(t, filepath.Join("..", "..", ".env.example"))
	for _, v := range Vars {
		value, ok := listed[v.Name]
		if !ok {
			t.Errorf(".env.example does not list %s", v.Name)
			continue
		}
		if !sameDefault(v.Default, value) {
			t.Errorf(".env.example sets %s=%q; its default is %q", v.Name, value, v.Default)
		}
		delete(listed, v.Name)
	}
	for name := range listed {
		t.Errorf(".env.example lists %s, which newsbot does not read", name)
	}
}

// sameDefault compares a default with the value written in a document:
// durations may be written in any form time.ParseDuration reads.
func sameDefault(def, written string) bool {
	if def == written {
		return true
	}
	d1, err1 := time.ParseDuration(def)
	d2, err2 := time.ParseDuration(written)
	return err1 == nil && err2 == nil && d1 == d2
}

// README's configuration table names every variable of Vars, and nothing
// else.
func TestReadmeTableMatchesVars(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
		if name == strings.ToUpper(name) && strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == "" {
			listed[name] = true
		}
	}
	for _, v := range Vars {
		if !listed[v.Name] {
			t.Errorf("README's configuration table does not list %s", v.Name)
		}
		delete(listed, v.Name)
	}
	for name := range listed {
		t.Errorf("README's configuration table lists %s, which newsbot does not read", name)
	}
}

// The default SEND_RATE is the one the limiter meets without a 429 against
// a strict server (docs/delivery.md): config, Vars, README and
// .env.example agree on it.
func TestSendRateDefaultEverywhere(t *testing.T) {
	want := strconv.FormatFloat(DefaultSendRate, 'f', -1, 64)
	for _, v := range Vars {
		if v.Name == "SEND_RATE" && v.Default != want {
			t.Errorf("Vars: SEND_RATE default %q, want %q", v.Default, want)
		}
	}
	if DefaultSendRate != maxSendRate {
		t.Errorf("DefaultSendRate = %v, want Telegram's limit %v: the limiter keeps the margin", DefaultSendRate, maxSendRate)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "| `SEND_RATE` | `"+want+"` |") {
		t.Errorf("README's configuration table does not give SEND_RATE the default %s", want)
	}
	if got := envFileVars(t, filepath.Join("..", "..", ".env.example"))["SEND_RATE"]; got != want {
		t.Errorf(".env.example sets SEND_RATE=%q, want %q", got, want)
	}
}
