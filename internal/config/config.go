// Package config reads newsbot's settings from environment variables into
// one Config and validates them. Every error names the variable at fault and
// never repeats a secret.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"newsbot/internal/news"
)

// Defaults for the variables that have one.
const (
	DefaultTelegramAPIURL  = "https://api.telegram.org"
	DefaultUpravdaBaseURL  = "https://www.pravda.com.ua"
	DefaultDataDir         = "./data"
	DefaultRedisPrefix     = "newsbot:"
	DefaultPollInterval    = 60 * time.Second
	DefaultSendRate        = 30.0 // the limiter keeps the jitter margin itself (docs/delivery.md)
	DefaultStrikeLimit     = 3
	DefaultHTTPAddr        = ":8080"
	DefaultShutdownTimeout = 20 * time.Second
	DefaultRoleLease       = 10 * time.Second
	DefaultDeliveryLease   = 90 * time.Second
	minDeliveryLease       = 3 * time.Second
	DefaultSaveInterval    = 30 * time.Second
	DefaultSummaryBudget   = 600
	DefaultWatchWindow     = 24 * time.Hour
	DefaultStoryRetention  = 30 * 24 * time.Hour
	maxWatchWindow         = 48 * time.Hour // Telegram's edit window
	minPollInterval        = time.Second
	maxSendRate            = 30.0 // Telegram's free limit per token
	maxPaidRate            = 1000.0
)

// Config is every setting of the bot.
type Config struct {
	TelegramToken   string
	TelegramAPIURL  string
	WebhookURL      string
	WebhookSecret   string
	RedisURL        string // empty: embedded store
	RedisPrefix     string
	DataDir         string
	SaveInterval    time.Duration
	UpravdaBaseURL  string
	Editions        []news.Lang
	Feeds           []string
	PollInterval    time.Duration
	WatchWindow     time.Duration
	StoryRetention  time.Duration // stories kept for /search, /latest and inline mode
	SummaryBudget   int
	SendRate        float64
	PaidBroadcast   bool
	PaidRate        float64
	StrikeLimit     int
	AdminChatIDs    []int64
	HTTPAddr        string // empty: no HTTP endpoint
	LogLevel        slog.Level
	LogFormat       string // text or json
	ShutdownTimeout time.Duration
	RoleLease       time.Duration
	DeliveryLease   time.Duration
}

// Var documents one environment variable; Vars is the table the README
// and .env.example are checked against.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable newsbot reads.
var Vars = []Var{
	{"TELEGRAM_BOT_TOKEN", "", "Bot token from @BotFather (required to run the bot)."},
	{"TELEGRAM_BOT_TOKEN_FILE", "", "Path of a file holding the token (Docker/Kubernetes secrets); used when TELEGRAM_BOT_TOKEN is empty."},
	{"TELEGRAM_API_URL", DefaultTelegramAPIURL, "Bot API endpoint: Telegram, a self-hosted Bot API server, or a test fake."},
	{"TELEGRAM_WEBHOOK_URL", "", "Public HTTPS URL for webhook mode; empty means long polling."},
	{"TELEGRAM_WEBHOOK_SECRET", "", "Secret token Telegram sends with webhook calls; generated at start when empty."},
	{"REDIS_URL", "", "redis://, rediss://, unix://, redis+cluster://host1:port,host2:port or redis+sentinel://master@host1:port,host2:port/db URL (docs/operations.md); empty runs an embedded store saved in DATA_DIR."},
	{"REDIS_PREFIX", DefaultRedisPrefix, "Prefix of every Redis key."},
	{"DATA_DIR", DefaultDataDir, "Directory of the embedded store (journal, snapshot, lock, socket) and of the store-identity file."},
	{"STATE_SAVE_INTERVAL", DefaultSaveInterval.String(), "How often the embedded store writes a snapshot and drops the journal it covers (also at shutdown); every write is journaled at once."},
	{"UPRAVDA_BASE_URL", DefaultUpravdaBaseURL, "Base URL of Ukrainska Pravda (a mirror or a local server)."},
	{"EDITIONS", "uk,ru,en", "Editions to follow: uk, ru, en."},
	{"FEEDS", "news,mainnews", "Feeds to read: news, mainnews, pubs."},
	{"POLL_INTERVAL", DefaultPollInterval.String(), "How often each edition is polled (minimum 1s; be polite: 60s suits the site)."},
	{"WATCH_WINDOW", DefaultWatchWindow.String(), "How long an announced story is watched for promotion to breaking news and for corrections (1m to 48h)."},
	{"STORY_RETENTION", "720h0m0s", "How long stored stories are kept and found by /search and inline queries (at least 24h); about 4.5 KB of Redis per story."},
	{"SUMMARY_BUDGET", strconv.Itoa(DefaultSummaryBudget), "Maximum characters of an article summary."},
	{"SEND_RATE", "30", "Messages per second for the whole bot token, shared by every process (at most 30)."},
	{"PAID_BROADCAST", "false", "Use allow_paid_broadcast (costs Telegram Stars) to send faster than 30/s."},
	{"PAID_RATE", "1000", "Messages per second when PAID_BROADCAST is on (at most 1000)."},
	{"STRIKE_LIMIT", strconv.Itoa(DefaultStrikeLimit), "403 answers in a row before a chat is marked inactive."},
	{"ADMIN_CHAT_IDS", "", "Comma-separated chat IDs allowed to use admin commands and receive alerts."},
	{"HTTP_ADDR", DefaultHTTPAddr, "Address (host:port or :port) of the health, metrics and webhook endpoint; off disables it."},
	{"LOG_LEVEL", "info", "debug, info, warn or error."},
	{"LOG_FORMAT", "text", "text or json."},
	{"SHUTDOWN_TIMEOUT", DefaultShutdownTimeout.String(), "How long a graceful shutdown may take."},
	{"ROLE_LEASE", DefaultRoleLease.String(), "Lease of a singleton role (poller, updates) among replicas: another replica takes over within 2x this after the holder dies."},
	{"DELIVERY_LEASE", DefaultDeliveryLease.String(), "How long the chats a replica is sending to stay claimed after it dies, before another replica sends to them (minimum 3s; renewed every third of it while the sender lives)."},
}

var tokenPattern = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,}$`)

// Load reads the configuration through getenv (os.Getenv in production).
// It returns every problem found, one line each, naming the variable.
func Load(getenv func(string) string) (Config, error) {
	l := loader{getenv: getenv}
	c := Config{
		TelegramAPIURL:  l.url("TELEGRAM_API_URL", DefaultTelegramAPIURL, "http", "https"),
		WebhookURL:      l.url("TELEGRAM_WEBHOOK_URL", "", "https", "http"),
		WebhookSecret:   l.str("TELEGRAM_WEBHOOK_SECRET", ""),
		RedisURL:        l.redisURL("REDIS_URL"),
		RedisPrefix:     l.str("REDIS_PREFIX", DefaultRedisPrefix),
		DataDir:         l.str("DATA_DIR", DefaultDataDir),
		SaveInterval:    l.duration("STATE_SAVE_INTERVAL", DefaultSaveInterval, time.Second),
		UpravdaBaseURL:  l.url("UPRAVDA_BASE_URL", DefaultUpravdaBaseURL, "http", "https"),
		Editions:        l.editions("EDITIONS"),
		Feeds:           l.feeds("FEEDS"),
		PollInterval:    l.duration("POLL_INTERVAL", DefaultPollInterval, minPollInterval),
		WatchWindow:     l.duration("WATCH_WINDOW", DefaultWatchWindow, time.Minute),
		StoryRetention:  l.duration("STORY_RETENTION", DefaultStoryRetention, 24*time.Hour),
		SummaryBudget:   l.integer("SUMMARY_BUDGET", DefaultSummaryBudget, 100, 3000),
		SendRate:        l.rate("SEND_RATE", DefaultSendRate, maxSendRate),
		PaidBroadcast:   l.boolean("PAID_BROADCAST", false),
		PaidRate:        l.rate("PAID_RATE", maxPaidRate, maxPaidRate),
		StrikeLimit:     l.integer("STRIKE_LIMIT", DefaultStrikeLimit, 1, 100),
		AdminChatIDs:    l.chatIDs("ADMIN_CHAT_IDS"),
		HTTPAddr:        l.listenAddr("HTTP_ADDR", DefaultHTTPAddr),
		LogLevel:        l.level("LOG_LEVEL"),
		LogFormat:       l.oneOf("LOG_FORMAT", "text", "text", "json"),
		ShutdownTimeout: l.duration("SHUTDOWN_TIMEOUT", DefaultShutdownTimeout, time.Second),
		RoleLease:       l.duration("ROLE_LEASE", DefaultRoleLease, 300*time.Millisecond),
		DeliveryLease:   l.duration("DELIVERY_LEASE", DefaultDeliveryLease, minDeliveryLease),
	}
	c.TelegramToken = l.token()
	if c.WebhookSecret != "" && !regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`).MatchString(c.WebhookSecret) {
		l.fail("TELEGRAM_WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	if c.WatchWindow > maxWatchWindow {
		l.fail("WATCH_WINDOW", "must be at most %s (Telegram's edit window), got %s", maxWatchWindow, c.WatchWindow)
	}
	if c.RedisPrefix != "" && strings.ContainsAny(c.RedisPrefix, " \t\r\n{}") {
		l.fail("REDIS_PREFIX", "must not contain spaces or braces")
	}
	return c, errors.Join(l.errs...)
}

// RequireToken reports a clear error when the bot has no token; commands
// that do not talk to Telegram skip it.
func (c Config) RequireToken() error {
	if c.TelegramToken == "" {
		return errors.New("config: TELEGRAM_BOT_TOKEN is required (or TELEGRAM_BOT_TOKEN_FILE); get one from @BotFather")
	}
	return nil
}

// Embedded reports whether the bot runs its own in-process store.
func (c Config) Embedded() bool { return c.RedisURL == "" }

// IsAdmin reports whether chatID is listed in ADMIN_CHAT_IDS.
func (c Config) IsAdmin(chatID int64) bool {
	for _, id := range c.AdminChatIDs {
		if id == chatID {
			return true
		}
	}
	return false
}

type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) fail(name, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf("config: %s %s", name, fmt.Sprintf(format, args...)))
}

func (l *loader) str(name, def string) string {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return def
	}
	return v
}

// listenAddr reads a TCP listen address, host:port or :port; "off" or a
// set-but-empty value is not distinguishable from unset, so an empty value
// keeps the default and "off" disables the endpoint.
func (l *loader) listenAddr(name, def string) string {
	v := l.str(name, def)
	if v == "off" || v == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		l.fail(name, "must be host:port or :port, like :8080 (%q)", v)
		return ""
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		l.fail(name, "has a bad port %q (0-65535)", port)
		return ""
	}
	if strings.ContainsAny(host, " /") {
		l.fail(name, "has a bad host %q", host)
		return ""
	}
	return v
}

func (l *loader) token() string {
	tok := strings.TrimSpace(l.getenv("TELEGRAM_BOT_TOKEN"))
	name := "TELEGRAM_BOT_TOKEN"
	if tok == "" {
		if path := strings.TrimSpace(l.getenv("TELEGRAM_BOT_TOKEN_FILE")); path != "" {
			name = "TELEGRAM_BOT_TOKEN_FILE"
			b, err := os.ReadFile(path)
			if err != nil {
				l.fail(name, "cannot be read: %v", errors.Unwrap(err))
				return ""
			}
			tok = strings.TrimSpace(string(b))
		}
	}
	if tok != "" && !tokenPattern.MatchString(tok) {
		// Never echo the value: it is a secret even when malformed.
		l.fail(name, "is not a bot token (expected digits, a colon and at least 20 letters, digits, _ or -)")
		return ""
	}
	return tok
}

func (l *loader) url(name, def string, schemes ...string) string {
	v := l.str(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		l.fail(name, "is not an absolute URL: %q", v)
		return ""
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return strings.TrimRight(v, "/")
		}
	}
	l.fail(name, "must use %s, not %q", strings.Join(schemes, " or "), u.Scheme)
	return ""
}

func (l *loader) redisURL(name string) string {
	v := l.str(name, "")
	if v == "" {
		return ""
	}
	if scheme, rest, ok := strings.Cut(v, "://"); ok {
		switch strings.ToLower(scheme) {
		case "redis+cluster", "rediss+cluster":
			l.multiHostRedisURL(name, rest, false)
			return v
		case "redis+sentinel", "rediss+sentinel":
			l.multiHostRedisURL(name, rest, true)
			return v
		}
	}
	u, err := url.Parse(v)
	if err != nil {
		l.fail(name, "is not a URL (expected redis://host:port/db, rediss://…, unix:///path, redis+cluster://host1:port,host2:port or redis+sentinel://master@host1:port,host2:port/db)")
		return ""
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			l.fail(name, "has no host (expected redis://host:port/db)")
		}
	case "unix":
		if u.Path == "" && u.Host == "" {
			l.fail(name, "has no socket path (expected unix:///path/to/redis.sock)")
		}
	default:
		l.fail(name, "must start with redis://, rediss://, unix://, redis+cluster:// or redis+sentinel://, not %q", u.Scheme+"://")
	}
	return v
}

// multiHostRedisURL checks the part after "://" of a redis+cluster:// or
// redis+sentinel:// URL: [user:password@][master@]host[:port],…[/db][?opts].
// The messages never quote the credentials.
func (l *loader) multiHostRedisURL(name, rest string, sentinel bool) {
	authority, path := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	at := strings.LastIndex(authority, "@")
	hosts, before := authority[at+1:], authority[:max(at, 0)]
	if sentinel {
		master := before[strings.LastIndex(before, "@")+1:]
		if at < 0 || master == "" || strings.ContainsAny(master, ":/ ") {
			l.fail(name, "has no master name (expected redis+sentinel://[user:password@]master@host1:26379,host2:26379/db)")
			return
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = h, "6379"
		}
		if n, err := strconv.Atoi(port); host == "" || err != nil || n < 1 || n > 65535 {
			l.fail(name, "has a malformed host in its list (expected host:port,host:port)")
			return
		}
	}
	u, err := url.Parse("redis://x" + path)
	if err != nil {
		l.fail(name, "has a malformed path or query")
		return
	}
	db := strings.Trim(u.Path, "/")
	if _, err := strconv.Atoi(db); db != "" && err != nil {
		l.fail(name, "has a database that is not a number")
	} else if !sentinel && db != "" && db != "0" {
		l.fail(name, "names database %s, but a Redis Cluster has only database 0", db)
	}
}

func (l *loader) duration(name string, def, min time.Duration) time.Duration {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, err2 := strconv.Atoi(v); err2 == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
	}
	if err != nil {
		l.fail(name, "is not a duration (examples: 60s, 5m): %q", v)
		return def
	}
	if d < min {
		l.fail(name, "must be at least %s, got %s", min, d)
		return def
	}
	return d
}

func (l *loader) integer(name string, def, min, max int) int {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		l.fail(name, "must be a whole number from %d to %d, got %q", min, max, v)
		return def
	}
	return n
}

func (l *loader) rate(name string, def, max float64) float64 {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > max {
		l.fail(name, "must be a number above 0 and at most %g, got %q", max, v)
		return def
	}
	return f
}

func (l *loader) boolean(name string, def bool) bool {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail(name, "must be true or false, got %q", v)
		return def
	}
	return b
}

func (l *loader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(l.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	l.fail(name, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	return def
}

func (l *loader) level(name string) slog.Level {
	switch v := strings.ToLower(l.str(name, "info")); v {
	case "debug":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		l.fail(name, "must be debug, info, warn or error, got %q", v)
		return slog.LevelInfo
	}
}

func (l *loader) list(name, def string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Split(l.str(name, def), ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func (l *loader) editions(name string) []news.Lang {
	var out []news.Lang
	for _, p := range l.list(name, "uk,ru,en") {
		lang, ok := news.ParseLang(p)
		if !ok || string(lang) != p {
			l.fail(name, "lists an unknown edition %q (use uk, ru, en)", p)
			continue
		}
		out = append(out, lang)
	}
	if len(out) == 0 && len(l.errs) == 0 {
		l.fail(name, "lists no edition (use uk, ru, en)")
	}
	return out
}

func (l *loader) feeds(name string) []string {
	var out []string
	for _, p := range l.list(name, "news,mainnews") {
		switch p {
		case "news", "mainnews", "pubs":
			out = append(out, p)
		default:
			l.fail(name, "lists an unknown feed %q (use news, mainnews, pubs)", p)
		}
	}
	if len(out) == 0 {
		l.fail(name, "lists no feed (use news, mainnews, pubs)")
	}
	return out
}

func (l *loader) chatIDs(name string) []int64 {
	var out []int64
	for _, p := range l.list(name, "") {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id == 0 {
			l.fail(name, "lists %q, which is not a chat ID (use numbers such as 123456789 or -1001234567890)", p)
			continue
		}
		out = append(out, id)
	}
	return out
}
