// Package bot is newsbot's Telegram edge: the update loop (long polling or
// webhook), the reader and admin commands, inline keyboards and the
// rendering of articles into messages.
package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// API is what the bot needs from the Bot API; *telegram.Client implements it.
type API interface {
	Send(ctx context.Context, m telegram.Message) (int, error)
	EditText(ctx context.Context, chatID int64, messageID int, text, parseMode string, markup *telegram.InlineKeyboard) error
	EditMarkup(ctx context.Context, chatID int64, messageID int, markup *telegram.InlineKeyboard) error
	AnswerCallback(ctx context.Context, callbackID, text string) error
	GetUpdates(ctx context.Context, offset int, timeout time.Duration, allowed []string) ([]telegram.Update, error)
	ChatAdmin(ctx context.Context, chatID, userID int64) (bool, error)
}

// Store is what the bot keeps in Redis; *store.Store implements it.
type Store interface {
	Chat(ctx context.Context, id int64) (news.Chat, error)
	UpdateChat(ctx context.Context, id int64, fn func(c *news.Chat, created bool) error) (news.Chat, error)
	DeleteChat(ctx context.Context, id int64) error
	FindTags(ctx context.Context, ed news.Lang, query string, limit int) (matches, suggestions []news.TagCount, err error)
	TopTags(ctx context.Context, ed news.Lang, offset, limit int) ([]news.TagCount, int, error)
	TagName(ctx context.Context, ed news.Lang, slug string) (string, error)
	Latest(ctx context.Context, ed news.Lang, n int, slug string) ([]*news.Article, error)
	Search(ctx context.Context, ed news.Lang, query string, limit int) ([]*news.Article, error)
	Article(ctx context.Context, ed news.Lang, id int64) (*news.Article, error)
	UpdateOffset(ctx context.Context) (int, error)
	SetUpdateOffset(ctx context.Context, offset int) error
	ClaimUpdate(ctx context.Context, updateID int, holder string, ttl time.Duration) (claimed, done bool, err error)
	RenewUpdateClaims(ctx context.Context, holder string, updateIDs []int, ttl time.Duration) (lost []int, err error)
	FinishUpdate(ctx context.Context, updateID int, ttl time.Duration) error
	ParkUpdates(ctx context.Context, updates map[int][]byte) error
	ParkedUpdates(ctx context.Context) (map[int][]byte, error)
	UnparkUpdate(ctx context.Context, updateID int) error
	PutBroadcastDraft(ctx context.Context, chatID, userID int64, text string, ttl time.Duration) error
	TakeBroadcastDraft(ctx context.Context, chatID, userID int64) (string, bool, error)
}

// Admin serves the operators' commands; nil disables them.
type Admin interface {
	// Stats returns what /stats shows.
	Stats(ctx context.Context) (Stats, error)
	// Recipients counts the readers a broadcast would reach.
	Recipients(ctx context.Context) (int, error)
	// Broadcast queues an announcement to every active reader.
	Broadcast(ctx context.Context, text string) (int, error)
}

// handleTimeout bounds the handling of one batch of updates.
const handleTimeout = 30 * time.Second

// AllowedUpdates are the update kinds the bot asks Telegram for.
var AllowedUpdates = []string{"message", "callback_query", "my_chat_member", "inline_query"}

// Config holds the bot's settings.
type Config struct {
	UserName     string  // the bot's @username, for /command@bot in groups
	AdminChatIDs []int64 // chats allowed to use admin commands
	MaxSubs      int     // tags and keywords per chat, default 50
	PollTimeout  time.Duration
	Workers      int // updates handled at once (one chat's updates stay in order), default 16
	Logger       *slog.Logger
	Now          func() time.Time
	// Channels lets admins set up channels (channel.go); nil turns
	// /channel off.
	Channels ChannelAPI
	// ClaimTTL is the lifetime of a polled update's claim (renewed while
	// it is handled): how long after a replica dies another handles the
	// updates it had in hand. Default 10s; the app uses ROLE_LEASE.
	ClaimTTL time.Duration
}

// Bot handles Telegram updates.
type Bot struct {
	api    API
	store  Store
	admin  Admin
	cat    *i18n.Catalog
	render *Renderer
	cfg    Config
	log    *slog.Logger

	admins adminCache
	inline inlineRunner // see inline.go
	pushed pushLanes    // updates received by webhook, see dispatch.go
}

// New returns a bot. admin may be nil.
func New(api API, st Store, admin Admin, cat *i18n.Catalog, cfg Config) *Bot {
	if cfg.MaxSubs <= 0 {
		cfg.MaxSubs = 50
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 30 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = defaultClaimTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Bot{api: api, store: st, admin: admin, cat: cat, render: NewRenderer(cat), cfg: cfg,
		log: cfg.Logger}
}

// Renderer returns the bot's article renderer (for the delivery engine).
func (b *Bot) Renderer() *Renderer { return b.render }

// repollPause is the longest Poll waits before polling again while an
// update is held back (a poll from its offset returns at once the ones
// after it, known already): the most a slow handler delays the others.
const repollPause = 250 * time.Millisecond

// pollState is Poll's offset bookkeeping.
type pollState struct {
	offset int // the getUpdates offset: every update before it is handled
	next   int // one past the highest update ID received
	stored int // the offset last stored in Redis
}

// Poll receives updates by long polling until ctx is done. Updates are
// handled concurrently across chats and in order within a chat (see
// dispatcher); polling goes on while they are, so a slow or flooding chat
// holds no one else up. The offset confirmed to Telegram and stored in
// Redis is that of the first update neither handled nor parked in Redis
// (park.go): after a crash the next holder of the update role (or this
// replica restarted) resumes the parked updates and polls again every
// update in hand, with the handled ones after it, which the shared claims
// (claims.go) skip. While an update is held back a poll returns at once
// with the known ones: Poll then waits until the updates in hand are
// handled, at most repollPause, before polling again. On shutdown the
// updates received are handled (for at most handleTimeout) before Poll
// returns. A rejected token ends the loop with the error; other failures
// are retried with backoff.
func (b *Bot) Poll(ctx context.Context) error {
	offset, err := b.store.UpdateOffset(ctx)
	if err != nil {
		b.log.Warn("Unable to read the stored update offset; starting from Telegram's.", "err", err)
	}
	p := &pollState{offset: offset, next: offset, stored: offset}
	d := newDispatcher(b)
	d.claims, d.stop = newClaimer(b), ctx.Done()
	rctx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() { defer close(renewed); d.claims.renew(rctx) }()
	defer func() { b.drain(ctx, d, p); stopRenew(); <-renewed }()
	b.resume(ctx, d)
	backoff := time.Second
	for ctx.Err() == nil {
		b.advance(ctx, d, p)
		updates, err := b.api.GetUpdates(ctx, p.offset, b.cfg.PollTimeout, AllowedUpdates)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			switch telegram.KindOf(err) {
			case telegram.Unauthorized:
				return err
			case telegram.Conflict:
				b.log.Error("Another process is polling with this token (409); retrying.", "err", err)
			default:
				b.log.Warn("Unable to get updates; retrying.", "err", err, "backoff", backoff)
			}
			if !sleep(ctx, backoff) {
				break
			}
			backoff = min(backoff*2, time.Minute)
			continue
		}
		backoff = time.Second
		b.received(ctx, d, p, updates)
	}
	return nil
}

// advance moves the offset past the updates handled and stores it.
func (b *Bot) advance(ctx context.Context, d *dispatcher, p *pollState) {
	p.offset = max(p.offset, d.safeOffset(p.next))
	if p.offset > p.stored && b.storeOffset(ctx, p.offset) {
		p.stored = p.offset
	}
}

// drain waits for the updates received to be handled and stores the
// offset.
func (b *Bot) drain(ctx context.Context, d *dispatcher, p *pollState) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
	defer cancel()
	d.wait(wctx)
	b.advance(wctx, d, p)
}

// storeOffset stores the offset and reports whether it could.
func (b *Bot) storeOffset(ctx context.Context, offset int) bool {
	if err := b.store.SetUpdateOffset(context.WithoutCancel(ctx), offset); err != nil {
		b.log.Error("Unable to store the update offset; updates may be polled again after a restart.", "err", err)
		return false
	}
	return true
}

// HandleBatch handles updates concurrently, keeping each chat's updates in
// order, and returns when all are done.
func (b *Bot) HandleBatch(ctx context.Context, updates []telegram.Update) {
	lanes := make([][]telegram.Update, b.cfg.Workers)
	for _, u := range updates {
		lane := uint64(chatOf(u)) % uint64(len(lanes))
		lanes[lane] = append(lanes[lane], u)
	}
	var wg sync.WaitGroup
	for _, lane := range lanes {
		if len(lane) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, u := range lane {
				b.HandleUpdate(ctx, u)
			}
		}()
	}
	wg.Wait()
}

func chatOf(u telegram.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

// HandleUpdate handles one update. Failures are logged here, once, and the
// reader gets a short localized message; nothing panics out of a handler.
func (b *Bot) HandleUpdate(ctx context.Context, u telegram.Update) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("A handler panicked; the update is skipped.", "update_id", u.UpdateID, "panic", p)
		}
	}()
	ctx = withUpdateThread(ctx, u) // a forum topic's update is the topic's (topics.go)
	var err error
	switch {
	case u.Message != nil:
		err = b.onMessage(ctx, u.Message)
	case u.CallbackQuery != nil:
		err = b.onCallback(ctx, u.CallbackQuery)
	case u.MyChatMember != nil:
		err = b.onChatMember(ctx, u.MyChatMember)
	case u.InlineQuery != nil:
		err = b.onInlineQuery(ctx, u.InlineQuery)
	}
	if err != nil && ctx.Err() == nil {
		b.log.Error("Unable to handle an update.", "update_id", u.UpdateID, "chat_id", chatOf(u), "err", err)
	}
}

// onChatMember follows the bot's own membership: a reader who blocks the
// bot or removes it from a group becomes inactive at once (subscriptions
// kept); one who comes back is active again.
func (b *Bot) onChatMember(ctx context.Context, m *telegram.ChatMemberUpdated) error {
	if m.Chat.IsChannel() {
		return b.onChannelMember(ctx, m)
	}
	var inactive bool
	switch m.NewChatMember.Status {
	case "kicked", "left":
		inactive = true
	case "member", "administrator", "creator", "restricted":
		inactive = false
	default:
		return nil
	}
	_, err := b.store.UpdateChat(ctx, m.Chat.ID, func(c *news.Chat, created bool) error {
		if created && inactive {
			return errSkip // never stored: nothing to deactivate
		}
		if created {
			c.Lang = langOf(m.From.LanguageCode)
			c.Group = news.IsGroupID(m.Chat.ID)
			c.Created = b.cfg.Now()
		}
		c.Inactive = inactive
		c.Strikes = 0
		return nil
	})
	if err != nil && !errors.Is(err, errSkip) {
		return err
	}
	if err := b.followGroup(ctx, m.Chat.ID, inactive); err != nil {
		return err
	}
	if err == nil {
		b.log.Info("The bot's membership changed.", "chat_id", m.Chat.ID, "status", m.NewChatMember.Status)
	}
	return nil
}

var errSkip = errors.New("bot: nothing to change")

func langOf(code string) news.Lang {
	if l, ok := news.ParseLang(code); ok {
		return l
	}
	return news.English
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
