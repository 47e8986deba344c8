// Package telegramtest is a fake Telegram Bot API server for tests and local runs.
//
// It speaks real HTTP and real JSON on a local port (httptest), with
// Telegram's response and error shapes, so the production client
// (internal/telegram, and tgbotapi underneath) runs unchanged against it:
// point TELEGRAM_API_URL at Server.URL.
//
// What it models:
//   - the methods newsbot uses: getMe, getUpdates (offset confirmation, long
//     polling, allowed_updates, 409 while a webhook is set or when a newer
//     poll starts), sendMessage, sendPhoto, editMessageText,
//     answerCallbackQuery, getChatMember, getChat, setMyCommands/getMyCommands (per
//     language_code), setWebhook/deleteWebhook/getWebhookInfo; JSON,
//     form-encoded and multipart bodies are all accepted;
//   - Telegram's validation: empty or too long text (UTF-16 units after
//     entity parsing), HTML parse mode (only Telegram's tags; stricter than
//     Telegram in one respect: a bare '&' is refused, to catch missing
//     escaping), inline keyboards (callback_data 1–64 bytes);
//   - rate limits (Options) on every method that sends or edits a message:
//     a global token bucket per bot token and/or a strict sliding-second
//     window (GlobalPerSecond, changeable mid-run), a paid bucket for
//     allow_paid_broadcast sends, a minimum spacing or a burst-then-1/s
//     bucket per private chat and a sliding 20-per-minute window per group,
//     all answered with 429 and parameters.retry_after like Telegram;
//     requests made inside an announced retry_after are counted and, with
//     StrictRetryAfter, refused again. Strict(rtt) is the strictest set;
//   - forum supergroups with topics (forum.go): CreateForum, CreateTopic,
//     CloseTopic, DeleteTopic, messages in a topic (SendTextInTopic), and
//     400 TOPIC_CLOSED or "message thread not found" for sends to a closed
//     or missing topic; the per-group limit counts all of a group's topics;
//   - round-trip latency (Latency, SetLatency);
//   - faults: blocked chats (403), migrated groups (400 with
//     migrate_to_chat_id), injected 5xx answers (JSON 500 and a proxy's HTML
//     502), slow answers, dropped connections after delivery (the ambiguous
//     case) and one-off failures (FailNext).
//
// Reader actions (SendText, PressButton, ChatMember) become updates for
// getUpdates, or are POSTed to the webhook when one is set. Channels (with
// their admins, posts and forwarded posts) are in channel.go.
//
// Rate limits use Options.Now, so tests can drive them with a fake clock;
// long-poll timeouts, slow answers and webhook retries use real time.
package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults.
const (
	// DefaultToken is the token accepted when Options.Token is empty.
	DefaultToken = "123456789:test-token"
	// DefaultBotUserName is the bot's username in getMe.
	DefaultBotUserName = "newsbot_test_bot"
	// DefaultJitter is the default of Options.Jitter.
	DefaultJitter = 20 * time.Millisecond
)

// Options configures a Server. Zero limits are not enforced. Limits apply
// to every method that sends or edits a message (sendMessage, sendPhoto,
// editMessageText, and the edit and copy methods as they are added); a
// request refused with 429 uses up nothing. Strict returns Telegram's
// limits applied as strictly as Telegram might.
type Options struct {
	// Token is the only token accepted (DefaultToken when empty); requests
	// with any other get 401 {"ok":false,"error_code":401,"description":"Unauthorized"}.
	Token string
	// BotUserName is the bot's username in getMe (DefaultBotUserName when
	// empty).
	BotUserName string

	// GlobalRate is the messages per second allowed for the whole token
	// (Telegram: about 30), as a token bucket.
	GlobalRate float64
	// GlobalBurst is the bucket size (default ceil(GlobalRate): one
	// second's worth). The bucket starts full.
	GlobalBurst int
	// ChatInterval is the minimum spacing of messages to one private chat
	// (Telegram: about 1 s).
	ChatInterval time.Duration
	// GroupPerMinute is the number of messages per group or supergroup
	// (negative chat ID) in any sliding minute (Telegram: 20).
	GroupPerMinute int
	// PaidRate is the rate of the separate bucket (burst ceil(PaidRate))
	// used by sends with allow_paid_broadcast=true instead of the global
	// one (Telegram: 1000). Paid sends never use the global bucket, so
	// with a zero PaidRate they are not limited per token at all.
	PaidRate float64
	// Jitter is how early a send may arrive and still pass every limit
	// above: a sender that paces by its own clock sees its requests bunch
	// up by network and scheduling delays on the way. Zero means
	// DefaultJitter (20 ms); negative means exact limits. Long-run rates
	// stay exact: a bucket may go at most Jitter's worth of tokens into
	// debt, repaid by its refill; ChatInterval accepts spacings down to
	// ChatInterval-Jitter (never below ChatInterval/2); a group send
	// passes when the window would have room Jitter later.
	Jitter time.Duration

	// GlobalPerSecond is the most sends and edits of the whole token in
	// any sliding second (a strict Telegram: 30), with no jitter
	// allowance. It applies with GlobalRate when both are set; paid sends
	// do not count. SetGlobalPerSecond changes it while the server runs.
	GlobalPerSecond int
	// ChatBurst, with ChatInterval, makes the per-chat limit of a private
	// chat a bucket: ChatBurst messages at once, then one per
	// ChatInterval (a strict Telegram: 3, then 1 s). Zero keeps the plain
	// minimum spacing of ChatInterval.
	ChatBurst int
	// StrictRetryAfter answers 429 again (with the time left) to every
	// send or edit made before an announced retry_after is over: the
	// token's after a global 429, the chat's after a chat or group one.
	// Such requests are counted in Stats.InsideRetryAfter either way.
	StrictRetryAfter bool
	// Latency is added to every round trip, half on the way in (before the
	// request reaches the limits) and half on the way out; SetLatency
	// changes it while the server runs. Real time, not Now.
	Latency time.Duration

	// Now is the clock of the rate limits and message dates (time.Now when
	// nil).
	Now func() time.Time
}

// User is a Telegram user acting in a test.
type User struct {
	ID           int64
	FirstName    string
	UserName     string
	LanguageCode string
}

// Chat is where a user acts. Type is "private", "group" or "supergroup"
// ("channel" for AddChannel); when empty it is "private" for positive IDs
// and "group" for negative ones. A zero ID means the user's private chat.
// UserName is a public channel's username (channel.go).
type Chat struct {
	ID       int64
	Type     string
	Title    string
	UserName string
}

// Command is one entry of a command menu set by setMyCommands.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// Sent is one message the bot delivered (or edited).
type Sent struct {
	Method    string // sendMessage, sendPhoto or editMessageText
	ChatID    int64
	MessageID int
	// Text is the text (the caption for photos) exactly as sent, markup
	// included; Plain is what the reader sees after entity parsing.
	Text      string
	Plain     string
	ParseMode string
	Silent    bool
	// ReplyMarkup is the reply_markup JSON, nil when none was sent.
	ReplyMarkup json.RawMessage
	// Params holds every request parameter: integers as int64, booleans
	// as bool, JSON-valued ones (reply_markup, link_preview_options, …)
	// decoded (objects as map[string]any, numbers as float64), the rest as
	// strings.
	Params map[string]any
	At     time.Time
	Paid   bool // allow_paid_broadcast
}

// CallbackAnswer is one answerCallbackQuery call.
type CallbackAnswer struct {
	ID        string
	Text      string
	ShowAlert bool
}

// Stats counts what the server saw.
type Stats struct {
	// Requests counts requests per Bot API method (known methods only,
	// failed ones included).
	Requests map[string]int
	// Delivered counts messages sent or edited (every Sent).
	Delivered int
	// TooManyRequests counts 429 answers of the rate limits, broken down
	// by limit in the Flood fields. 429s from FailNext are not counted.
	TooManyRequests int
	FloodGlobal     int
	FloodPaid       int
	FloodChat       int
	FloodGroup      int
	// InsideRetryAfter counts sends and edits made while a retry_after
	// given earlier (to the token, or to the same chat) was not over.
	InsideRetryAfter int
	// ServerErrors counts 5xx answers injected by SetFaults or FailNext.
	ServerErrors int
	// Drops counts connections closed after delivery without an answer.
	Drops int
	// Slow counts answers delayed by SlowDelay.
	Slow int
	// Duplicates counts sends whose text (or photo and caption) had
	// already been delivered to the same chat.
	Duplicates int
	// Forbidden counts 403 answers (blocked chats); Migrations counts
	// answers with migrate_to_chat_id; BadRequests counts every other 400;
	// Unauthorized counts 401 answers.
	Forbidden    int
	Migrations   int
	BadRequests  int
	Unauthorized int
	// WebhookPosts counts updates accepted by the webhook; WebhookErrors
	// counts failed webhook deliveries (retried).
	WebhookPosts  int
	WebhookErrors int
}

// Faults are injected into the send methods (sendMessage, sendPhoto,
// editMessageText). Each rate is a probability in [0, 1], drawn from a
// generator seeded with Seed.
type Faults struct {
	// ServerErrorRate answers 5xx before delivery (nothing is recorded):
	// alternately a JSON 500 and a proxy's HTML 502 page.
	ServerErrorRate float64
	// SlowRate delivers, then answers after SlowDelay.
	SlowRate  float64
	SlowDelay time.Duration
	// DropRate delivers and records the message, then closes the
	// connection without answering: the client cannot know whether it was
	// delivered.
	DropRate float64
	Seed     int64
}

// Server is a running fake Bot API server. It is safe for concurrent use.
type Server struct {
	opts      Options
	now       func() time.Time
	jitter    time.Duration
	botID     int64
	srv       *httptest.Server
	closed    chan struct{}
	closeOnce sync.Once
	stop      context.CancelFunc
	workers   sync.WaitGroup
	hooks     *http.Client

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change

	// updates
	nextUpdateID int
	queue        []update
	allowed      []string      // allowed_updates; nil: Telegram's default
	pollKick     chan struct{} // closed when a newer getUpdates starts
	webhook      webhook

	// chats and messages
	chats            map[int64]*chat
	sent             []Sent
	sentBy           map[int64][]int // chat ID → indexes into sent
	callbacks        []CallbackAnswer
	pendingCallbacks map[string]bool
	nextCallback     int64
	commands         map[string][]Command
	inline           inlineState  // see inline.go
	channels         channelState // see channel.go

	// limits and faults
	global      bucket
	paid        bucket
	window      []time.Time // accepted sends of the last second (GlobalPerSecond)
	pausedUntil time.Time   // end of the retry_after last given for the token
	faults      Faults
	rng         *rand.Rand
	injected5   int
	failNext    map[string][]failure
	stats       Stats
}

// webhook is the state set by setWebhook.
type webhook struct {
	url, secret string
	lastErrDate int64
	lastErrMsg  string
}

// failure is one FailNext answer.
type failure struct {
	code        int
	description string
}

// NewServer starts a fake Bot API server. Close it when done.
func NewServer(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.BotUserName == "" {
		opts.BotUserName = DefaultBotUserName
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	jitter := opts.Jitter
	switch {
	case jitter == 0:
		jitter = DefaultJitter
	case jitter < 0:
		jitter = 0
	}
	botID, err := strconv.ParseInt(strings.SplitN(opts.Token, ":", 2)[0], 10, 64)
	if err != nil || botID <= 0 {
		botID = 1000001
	}
	s := &Server{
		opts:             opts,
		now:              now,
		jitter:           jitter,
		botID:            botID,
		closed:           make(chan struct{}),
		hooks:            &http.Client{Timeout: 10 * time.Second},
		changed:          make(chan struct{}),
		nextUpdateID:     1,
		pollKick:         make(chan struct{}),
		chats:            make(map[int64]*chat),
		sentBy:           make(map[int64][]int),
		pendingCallbacks: make(map[string]bool),
		nextCallback:     4242000000000001,
		commands:         make(map[string][]Command),
		failNext:         make(map[string][]failure),
		stats:            Stats{Requests: make(map[string]int)},
		rng:              rand.New(rand.NewPCG(0, 0)),
	}
	s.global = newBucket(opts.GlobalRate, opts.GlobalBurst)
	s.paid = newBucket(opts.PaidRate, 0)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.workers.Add(1)
	go s.deliverWebhooks(ctx)
	return s
}

// URL returns the base URL of the server, to pass as the client's API URL
// (the client appends /bot<token>/<method>).
func (s *Server) URL() string { return s.srv.URL }

// Token returns the token the server accepts.
func (s *Server) Token() string { return s.opts.Token }

// Close ends pending long polls and slow answers, stops webhook delivery and
// shuts the server down.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.stop()
		s.srv.CloseClientConnections()
		s.srv.Close()
		s.workers.Wait()
	})
}

// notifyLocked wakes everyone waiting for a change. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Sent returns every delivered message (sendMessage, sendPhoto,
// editMessageText), in order of delivery.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// SentTo returns the messages delivered to one chat, in order.
func (s *Server) SentTo(chatID int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentToLocked(chatID)
}

func (s *Server) sentToLocked(chatID int64) []Sent {
	idx := s.sentBy[chatID]
	out := make([]Sent, len(idx))
	for i, j := range idx {
		out[i] = s.sent[j]
	}
	return out
}

// WaitSent blocks until at least n messages were delivered to chatID and
// returns them; when ctx ends first it returns what was delivered so far
// with an error.
func (s *Server) WaitSent(ctx context.Context, chatID int64, n int) ([]Sent, error) {
	for {
		s.mu.Lock()
		got := s.sentToLocked(chatID)
		changed := s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("telegramtest: %d of %d messages delivered to chat %d: %w", len(got), n, chatID, ctx.Err())
		}
	}
}

// Callbacks returns the IDs of the answered callback queries, in order.
func (s *Server) Callbacks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(s.callbacks))
	for i, a := range s.callbacks {
		ids[i] = a.ID
	}
	return ids
}

// CallbackAnswers returns every answerCallbackQuery call, in order.
func (s *Server) CallbackAnswers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callbacks)
}

// Commands returns the command menu set for languageCode ("" for the
// default menu), or nil.
func (s *Server) Commands(languageCode string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands[languageCode])
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = maps.Clone(s.stats.Requests)
	return st
}

// Block makes sends and edits to chatID answer 403 ("Forbidden: bot was
// blocked by the user"; for groups "Forbidden: bot was kicked from the
// group chat").
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatLocked(chatID).blocked = true
}

// Unblock undoes Block.
func (s *Server) Unblock(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatLocked(chatID).blocked = false
}

// Migrate makes sends to groupID answer 400 "Bad Request: group chat was
// upgraded to a supergroup chat" with parameters.migrate_to_chat_id newID.
// newID becomes a supergroup.
func (s *Server) Migrate(groupID, newID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.chatLocked(groupID)
	old.migrateTo = newID
	c := s.chatLocked(newID)
	c.typ = "supergroup"
	if c.title == "" {
		c.title = old.title
	}
}

// SetMemberStatus sets what getChatMember answers for userID in chatID:
// "creator", "administrator", "member", "restricted", "left" or "kicked".
// Users not set are members.
func (s *Server) SetMemberStatus(chatID, userID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID)
	if c.members == nil {
		c.members = make(map[int64]string)
	}
	c.members[userID] = status
}

// SetFaults replaces the injected faults and reseeds their generator.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.rng = rand.New(rand.NewPCG(uint64(f.Seed), uint64(f.Seed)^0x9e3779b97f4a7c15))
}

// FailNext makes the next n calls of method (case-insensitive) answer code
// with description, before anything else is checked. A 429 carries
// parameters.retry_after read from "retry after N" in description (1 when
// absent). A description starting with '<' is sent as a text/html body, the
// way a proxy's error page would be.
func (s *Server) FailNext(method string, code int, description string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(method)
	for range n {
		s.failNext[key] = append(s.failNext[key], failure{code: code, description: description})
	}
}

// bucket is a token bucket on the injected clock; a zero rate is no limit.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
	started             bool
}

func newBucket(rate float64, burst int) bucket {
	if rate <= 0 {
		return bucket{}
	}
	b := float64(burst)
	if burst <= 0 {
		b = math.Ceil(rate)
	}
	return bucket{rate: rate, burst: b, tokens: b}
}

// wait reports how long until a token is available (zero: now). A caller
// tolerating jitter may take the token when the wait is within it: the
// bucket then goes into debt, repaid by its refill.
func (b *bucket) wait(now time.Time) time.Duration {
	if b.rate <= 0 {
		return 0
	}
	b.refill(now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// take consumes a token.
func (b *bucket) take(now time.Time) {
	if b.rate <= 0 {
		return
	}
	b.refill(now)
	b.tokens--
}

func (b *bucket) refill(now time.Time) {
	if !b.started {
		b.started = true
		b.last = now
		return
	}
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
}

// retryAfterSeconds rounds a wait up to whole seconds, at least one, as
// Telegram's retry_after is.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
