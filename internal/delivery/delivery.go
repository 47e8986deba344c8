// Package delivery sends new articles to the readers who follow them: it
// fans an article out to its subscribers into the durable queue of package
// queue, and a pool of senders drains the queue within Telegram's rate
// limits.
//
// Delivery keeps the policy: who gets what (fan-out), what goes in one
// message (coalescing, rendering), how far apart a chat's messages go
// (per-chat and per-group intervals), when to retry and what a failure
// means. Failed sends are handled by telegram.Kind in one place
// (Engine.handleFailure): migrated groups move, bad markup is resent as
// plain text, 403s count strikes, transient failures retry with back-off
// and end in a dead-letter list. Package queue keeps the state in Redis
// (claims under leases, the sent-ledger, the shared rate and the pause
// after a 429), so several processes share one queue and one budget;
// delivery talks to it through the small interfaces below and never
// imports go-redis. docs/delivery.md describes the design.
package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/queue"
	"newsbot/internal/store"
	"newsbot/internal/telegram"
)

// Sender sends one message; *telegram.Client implements it. Every error
// should be a *telegram.Error; anything else counts as telegram.Unknown.
type Sender interface {
	Send(ctx context.Context, m telegram.Message) (int, error)
}

// Renderer turns articles and announcements into messages. The engine sets
// ChatID and PaidBroadcast; Silent is forced to !breaking.
type Renderer interface {
	// Article renders one article; ChatID is left 0 and Silent = !breaking.
	Article(a *news.Article, lang news.Lang, breaking bool) telegram.Message
	// Digest renders several articles waiting for one chat as one message
	// (headlines and links) within 4096 UTF-16 units.
	Digest(as []*news.Article, lang news.Lang, breaking bool) telegram.Message
	// Announcement renders an operator's broadcast.
	Announcement(text string, lang news.Lang) telegram.Message
	// Plain returns the same content as plain text, for a resend after
	// Telegram rejected the markup.
	Plain(m telegram.Message) telegram.Message
}

// ChatRenderer is a Renderer that can render a single article for one
// reader (the buttons under a story depend on what the reader follows and
// mutes); the engine prefers it when the renderer has it.
type ChatRenderer interface {
	ArticleFor(a *news.Article, lang news.Lang, breaking bool, chat news.Chat) telegram.Message
}

// Defaults for Config.
const (
	DefaultRate           = 30.0
	DefaultPaidRate       = 1000.0
	DefaultChatInterval   = time.Second
	DefaultGroupPerMinute = 20
	DefaultWorkers        = 8
	DefaultPaidWorkers    = 64
	DefaultMaxAttempts    = 5
	DefaultStrikeLimit    = 3
	DefaultLease          = 90 * time.Second
	DefaultBackoff        = 2 * time.Second
	DefaultPollInterval   = 250 * time.Millisecond
)

// Config tunes an Engine. The zero value of every field gives its default.
type Config struct {
	// Rate is the global send rate per bot token (SEND_RATE), shared by
	// every process through Redis; DefaultRate (25/s) when 0.
	Rate float64
	// PaidBroadcast (PAID_BROADCAST) lets sends above Rate go out as paid
	// broadcasts (allow_paid_broadcast), up to PaidRate in total.
	PaidBroadcast bool
	// PaidRate is the total rate in paid mode; DefaultPaidRate when 0.
	PaidRate float64
	// ChatInterval is the minimum time between two messages to one private
	// chat; DefaultChatInterval when 0.
	ChatInterval time.Duration
	// GroupPerMinute is the most messages a group gets per minute;
	// DefaultGroupPerMinute when 0.
	GroupPerMinute int
	// Workers is the number of concurrent senders in this process. When 0
	// it follows rate × round trip: about 1.5 × Rate × the measured send
	// time, plus 2, between DefaultWorkers and maxAutoWorkers(Rate); in
	// paid mode DefaultPaidWorkers.
	Workers int
	// MaxAttempts is how many failed sends a message gets before it goes to
	// the dead-letter list; DefaultMaxAttempts when 0.
	MaxAttempts int
	// StrikeLimit is the number of consecutive 403 answers after which a
	// chat is marked inactive; DefaultStrikeLimit when 0.
	StrikeLimit int
	// Lease is how long a claimed chat is held before another sender may
	// reclaim it (its holder presumed dead); DefaultLease when 0. A live
	// holder renews its lease every Lease/3 while it works, so only a dead
	// sender's claims run out; a send is abandoned (as ambiguous) after
	// max(Lease/3, 15s).
	Lease time.Duration
	// Backoff is the delay before the first retry of a failed send,
	// doubled on each further attempt up to 32×; DefaultBackoff when 0.
	Backoff time.Duration
	// PollInterval is how often an idle sender looks for work queued by
	// other processes; DefaultPollInterval when 0. Work queued by this
	// process wakes the senders at once.
	PollInterval time.Duration
	// AtMostOnce selects the policy for a send whose request was written
	// but whose answer was lost (telegram.NetworkAmbiguous): false (the
	// default) sends again, risking a duplicate; true counts it as
	// delivered, risking a loss. See docs/delivery.md.
	AtMostOnce bool
	// autoWorkers: Workers was 0; the senders at work follow the round
	// trip (Engine.activeWorkers) up to Workers.
	autoWorkers bool

	// Logger receives the engine's logs; nothing is logged when nil.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Observer hears of deliveries and dead letters, for metrics; none
	// when nil.
	Observer Observer
}

// Observer hears what the engine delivers and gives up on; the app
// implements it. Its methods are called from the sending goroutines and
// must be quick and safe for concurrent use.
type Observer interface {
	// Delivered is called for every article delivered to a chat with the
	// time since it was queued (its discovery, or its promotion) and the
	// time since its publication (negative when the site gave none, or a
	// time in the future).
	Delivered(sinceDiscovery, sincePublication time.Duration)
	// DeadLettered is called when a message goes to the dead-letter list.
	DeadLettered()
}

// nopObserver is the Observer of an engine configured without one.
type nopObserver struct{}

func (nopObserver) Delivered(_, _ time.Duration) {}
func (nopObserver) DeadLettered()                {}

// Stats is a snapshot of the queue, shared by every process.
type Stats = queue.Stats

// Item names what a chat was owed: an article of an edition, a broadcast
// or a notice.
type Item struct {
	Edition     news.Lang `json:"edition,omitempty"`
	ArticleID   int64     `json:"article_id,omitempty"`
	BroadcastID int64     `json:"broadcast_id,omitempty"`
	NoticeID    int64     `json:"notice_id,omitempty"`
}

// String is "uk:123" for an article, "bc:7" for a broadcast, "nt:8" for a
// notice.
func (it Item) String() string { return it.internal().String() }

func (it Item) internal() item {
	return item{edition: it.Edition, articleID: it.ArticleID, broadcast: it.BroadcastID, notice: it.NoticeID}
}

func (it item) public() Item {
	return Item{Edition: it.edition, ArticleID: it.articleID, BroadcastID: it.broadcast, NoticeID: it.notice}
}

// DeadLetter is a message given up on.
type DeadLetter struct {
	ChatID   int64     `json:"chat_id"`
	Items    []Item    `json:"items"`
	Kind     string    `json:"kind"`  // telegram.Kind name of the last failure
	Error    string    `json:"error"` // its text
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
}

// chatStore is what the engine needs from *store.Store.
type chatStore interface {
	Chat(ctx context.Context, id int64) (news.Chat, error)
	UpdateChat(ctx context.Context, id int64, fn func(c *news.Chat, created bool) error) (news.Chat, error)
	MigrateChat(ctx context.Context, from, to int64) error
	Subscribers(ctx context.Context, ed news.Lang, slug string) ([]int64, error)
	BreakingSubscribers(ctx context.Context, ed news.Lang) ([]int64, error)
	KeywordSubscribers(ctx context.Context, ed news.Lang) (map[string][]int64, error)
	MutedBy(ctx context.Context, ed news.Lang, match func(mute string) bool) ([]int64, error)
	MutedTagSubscribers(ctx context.Context, ed news.Lang, slug string) ([]int64, error)
	BreakingUnmutedSubscribers(ctx context.Context, ed news.Lang) ([]int64, error)
	ChatIDs(ctx context.Context) ([]int64, error)
	CountChats(ctx context.Context) (active, inactive int64, perLang map[news.Lang]int64, err error)
	Article(ctx context.Context, ed news.Lang, id int64) (*news.Article, error)
	SaveArticle(ctx context.Context, a *news.Article) error
}

var _ chatStore = (*store.Store)(nil)

// queueStore is what the engine needs from *queue.Queue: the durable
// queue, the fan-out markers and the broadcast texts.
type queueStore interface {
	Enqueue(ctx context.Context, now time.Time, ref string, recipients map[int64]int) (int, error)
	Claim(ctx context.Context, now time.Time, token string, lease time.Duration) (queue.ClaimResult, error)
	Renew(ctx context.Context, now time.Time, c queue.Claim, lease time.Duration) (bool, error)
	Finish(ctx context.Context, now time.Time, c queue.Claim, o queue.Outcome) (bool, error)
	Migrate(ctx context.Context, now time.Time, c queue.Claim, to int64) error
	Stats(ctx context.Context, now time.Time) (queue.Stats, error)
	DeadLetters(ctx context.Context, n int) ([][]byte, error)
	FanOut(ctx context.Context, ref string) (int, bool, error)
	SetFanOut(ctx context.Context, ref string, recipients int) error
	AddBroadcast(ctx context.Context, text string) (int64, error)
	BroadcastText(ctx context.Context, n int64) (string, error)
}

var _ queueStore = (*queue.Queue)(nil)

// sendLimiter is the shared rate limit; *queue.Limiter implements it.
type sendLimiter interface {
	// Wait returns when a send may start, or a queue.PausedError when a
	// pause longer than maxPause is in force.
	Wait(ctx context.Context, maxPause time.Duration) (queue.Slot, error)
	// Pause makes every sender wait d.
	Pause(ctx context.Context, d time.Duration) error
}

var _ sendLimiter = (*queue.Limiter)(nil)

// Engine fans articles out and sends them. It is safe for concurrent use;
// Run may be called once at a time.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	st    chatStore
	send  Sender
	r     Renderer
	q     queueStore
	lim   sendLimiter
	guard *arrivalGuard // this process's free sends, as the server sees them
	cache *articleCache

	privIv, groupIv time.Duration // per-chat spacing, with a safety margin
	freeIv, paidIv  time.Duration // global spacing; paidIv 0: no paid budget
	sendTimeout     time.Duration

	id  string        // this engine's name in claim tokens
	seq atomic.Uint64 // claim token counter

	wakeMu sync.Mutex
	wakeCh chan struct{} // closed (and replaced) to wake idle senders

	running  atomic.Bool
	sendTime atomic.Int64 // moving mean of a send's duration (ns)
}

// New returns an engine reading chats and articles from st and keeping
// its queue and rate limit in q. It returns an error wrapping
// news.ErrInvalid for a missing part or a negative or inconsistent setting.
func New(cfg Config, st *store.Store, q *queue.Queue, s Sender, r Renderer) (*Engine, error) {
	if st == nil || q == nil {
		return nil, fmt.Errorf("delivery: no store or queue: %w", news.ErrInvalid)
	}
	return newEngine(cfg, st, q, func(free, paid time.Duration, now func() time.Time) sendLimiter {
		return q.Limiter(free, paid, now)
	}, s, r)
}

// newEngine builds an engine on any chatStore and queueStore (tests may
// use fakes); newLimiter makes its rate limiter.
func newEngine(cfg Config, st chatStore, q queueStore,
	newLimiter func(free, paid time.Duration, now func() time.Time) sendLimiter, s Sender, r Renderer) (*Engine, error) {
	if s == nil || r == nil || st == nil || q == nil {
		return nil, fmt.Errorf("delivery: a store, a sender and a renderer are required: %w", news.ErrInvalid)
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:    cfg,
		log:    cfg.Logger,
		now:    cfg.Now,
		st:     st,
		send:   s,
		r:      r,
		q:      q,
		cache:  newArticleCache(articleCacheSize, articleCacheTTL),
		id:     id,
		wakeCh: make(chan struct{}),
	}
	e.privIv = withMargin(cfg.ChatInterval)
	e.groupIv = withMargin(time.Minute / time.Duration(cfg.GroupPerMinute))
	// Claims are renewed while a send runs (keepLease), so the timeout of
	// one send need not fit in a lease; a short one would turn a slow
	// answer into an ambiguous send, and a retry into a duplicate.
	e.sendTimeout = max(cfg.Lease/3, minSendTimeout)
	e.freeIv = freeInterval(cfg.Rate)
	if cfg.PaidBroadcast && cfg.PaidRate > cfg.Rate {
		e.paidIv = rateInterval(cfg.PaidRate - cfg.Rate)
	}
	e.lim = newLimiter(e.freeIv, e.paidIv, cfg.Now)
	e.guard = newArrivalGuard(cfg.Rate, cfg.Now)
	return e, nil
}

// minSendTimeout is the shortest time one Bot API send is given.
const minSendTimeout = 15 * time.Second

// withMargin adds 10% (at least 20 ms) to a per-chat interval: the spacing
// is measured from when a request starts, and a request may reach Telegram
// a little later or earlier than the one before it.
func withMargin(d time.Duration) time.Duration {
	return d + max(d/10, 20*time.Millisecond)
}

// JitterMargin is the spread of arrival times the shared free rate
// leaves room for between processes: Rate slots are spread over a second
// plus JitterMargin. Within a process the arrival guard (guard.go) adds
// the margin the measured jitter needs.
const JitterMargin = 2 * time.Millisecond

// freeInterval is the spacing of free slots for a rate: Rate sends per
// second plus JitterMargin.
func freeInterval(perSecond float64) time.Duration {
	return time.Duration(float64(time.Second+JitterMargin) / perSecond)
}

func rateInterval(perSecond float64) time.Duration {
	return time.Duration(float64(time.Second) / perSecond)
}

func (c *Config) setDefaults() error {
	bad := func(what string) error {
		return fmt.Errorf("delivery: invalid config: %s: %w", what, news.ErrInvalid)
	}
	switch {
	case c.Rate < 0:
		return bad("negative rate")
	case c.PaidRate < 0:
		return bad("negative paid rate")
	case c.ChatInterval < 0, c.GroupPerMinute < 0, c.Workers < 0, c.MaxAttempts < 0,
		c.StrikeLimit < 0, c.Lease < 0, c.Backoff < 0, c.PollInterval < 0:
		return bad("negative setting")
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.PaidRate == 0 {
		c.PaidRate = DefaultPaidRate
	}
	if c.ChatInterval == 0 {
		c.ChatInterval = DefaultChatInterval
	}
	if c.GroupPerMinute == 0 {
		c.GroupPerMinute = DefaultGroupPerMinute
	}
	if c.Workers == 0 && !c.PaidBroadcast {
		c.autoWorkers = true
	}
	if c.Workers == 0 {
		c.Workers = maxAutoWorkers(c.Rate)
		if c.PaidBroadcast {
			c.Workers = DefaultPaidWorkers
		}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.StrikeLimit == 0 {
		c.StrikeLimit = DefaultStrikeLimit
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.Lease < 3*time.Second {
		return bad("lease shorter than 3s")
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	return nil
}

func randomID() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("delivery: unable to make an engine ID: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// token returns a new claim token, unique across processes.
func (e *Engine) token() string {
	return e.id + "." + strconv.FormatUint(e.seq.Add(1), 36)
}

// wake tells idle senders of this process that work was queued.
func (e *Engine) wake() {
	e.wakeMu.Lock()
	close(e.wakeCh)
	e.wakeCh = make(chan struct{})
	e.wakeMu.Unlock()
}

func (e *Engine) wakeChan() <-chan struct{} {
	e.wakeMu.Lock()
	defer e.wakeMu.Unlock()
	return e.wakeCh
}

// Stats returns a snapshot of the shared queue.
func (e *Engine) Stats(ctx context.Context) (Stats, error) {
	return e.q.Stats(ctx, e.now())
}

// DeadLetters returns up to n dead letters, newest first.
func (e *Engine) DeadLetters(ctx context.Context, n int) ([]DeadLetter, error) {
	raw, err := e.q.DeadLetters(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, 0, len(raw))
	for _, r := range raw {
		var d DeadLetter
		if err := json.Unmarshal(r, &d); err != nil {
			continue // a damaged entry is skipped, not fatal
		}
		out = append(out, d)
	}
	return out, nil
}

// errRunning is returned by Run when the engine is already running.
var errRunning = errors.New("delivery: Run called while already running")
