package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// Channels. An admin of a channel where the bot is an admin allowed to
// post sets it up from a private chat with the bot: "/channel @name",
// "/channel -100…" or a post of the channel forwarded to the bot. The
// channel is then the private chat's active channel: the settings
// commands of channelScoped (and their buttons) change the channel's
// settings, and replies come to the private chat, until "/channel off";
// "/channel" alone lists the channels set up, with buttons to switch. The
// channel is stored as a chat of its own (news.Chat.Channel) and gets its
// news like a group: one post per story, at the group pace. Whether the
// person is still an admin is checked again (through the admin cache) on
// every change; a channel the bot was removed from is inactive.

// ChannelAPI is what channel set-up needs from the Bot API;
// *telegram.Client implements it.
type ChannelAPI interface {
	GetChat(ctx context.Context, chat string) (telegram.Chat, error)
	ChatMember(ctx context.Context, chatID, userID int64) (telegram.ChatMember, error)
	Self() telegram.User
}

// channelScoped are the commands that act on the active channel when sent
// in a private chat that has one; the others (/start, /help, /stop,
// /latest, /search…) stay the private chat's own.
var channelScoped = map[string]bool{
	"subscribe": true, "unsubscribe": true, "mute": true, "unmute": true, "quiet": true,
	"timezone": true, "breaking": true, "language": true, "digest": true,
}

// channelButtons are the button kinds that act on the active channel
// (the buttons of the replies to channelScoped commands).
var channelButtons = map[string]bool{
	"lang": true, "sub": true, "kw": true, "unsub": true, "unkw": true, "page": true,
	"mbrk": true, "unm": true, "unmt": true, "unkh": true,
}

var errNoChannelAPI = errors.New("bot: channels are not set up (no ChannelAPI)")

// subject is the chat whose settings the request reads and changes: the
// chat itself, or the channel a private chat acts on.
func (r *request) subject() int64 {
	if r.channel != 0 {
		return r.channel
	}
	return r.chatID
}

// toChannel points r at its private chat's active channel when the
// command (or button kind) is one that acts on it. refusal is the catalog
// key to answer instead of going on ("" to go on), with the channel's
// title for it.
func (b *Bot) toChannel(ctx context.Context, r *request, scoped bool) (refusal, title string, err error) {
	id := r.chat.ActiveChannel
	if r.group || id == 0 || !scoped || r.user == nil {
		return "", "", nil
	}
	ch, err := b.store.Chat(ctx, id)
	if errors.Is(err, news.ErrNotFound) {
		return "channel.gone", "", b.forgetChannel(ctx, r, id)
	}
	if err != nil {
		return "", "", err
	}
	if ch.Inactive {
		return "channel.inactive", ch.Title, nil
	}
	// The person's rights, again: the admin cache asks Telegram at most
	// every few minutes.
	admin, err := b.chatAdmin(ctx, id, r.user.ID)
	switch {
	case err != nil && inaccessible(err):
		return "channel.bot_cannot_post", ch.Title, nil
	case err != nil:
		return "", "", fmt.Errorf("bot: unable to check the channel's admins: %w", err)
	case !admin:
		return "channel.not_admin", ch.Title, b.forgetChannel(ctx, r, id)
	}
	r.channel, r.group, r.chat, r.known, r.title = id, true, ch, true, ch.Title
	r.lang = ch.Lang
	if !r.lang.Valid() {
		r.lang = news.English
	}
	return "", "", nil
}

// inaccessible reports whether a Bot API error says the bot cannot see
// the channel's members: it is no longer an admin there, or the channel
// is gone.
func inaccessible(err error) bool {
	switch telegram.KindOf(err) {
	case telegram.BadRequest, telegram.ChatNotFound, telegram.Blocked:
		return true
	}
	return false
}

// keepInactive runs a settings change on a channel without the
// reactivation the settings commands bring to a chat: only the bot's own
// membership (onChannelMember) and a new set-up make a channel active.
func keepInactive(c *news.Chat, fn func(c *news.Chat) error) error {
	inactive := c.Inactive
	err := fn(c)
	c.Inactive = inactive
	return err
}

// forgetChannel removes a channel from the private chat's list.
func (b *Bot) forgetChannel(ctx context.Context, r *request, id int64) error {
	_, err := b.update(ctx, r, func(c *news.Chat) error {
		c.Channels = slices.DeleteFunc(slices.Clone(c.Channels), func(v int64) bool { return v == id })
		if c.ActiveChannel == id {
			c.ActiveChannel = 0
		}
		return nil
	})
	return err
}

// cmdChannel is /channel: "@name" or an ID sets a channel up and makes it
// active, "off" returns to the private chat's own settings, nothing lists
// the channels set up.
func (b *Bot) cmdChannel(ctx context.Context, r *request, arg string) error {
	switch {
	case r.group:
		return b.replyKey(ctx, r.chatID, r.lang, "channel.private_only")
	case r.user == nil:
		return nil
	case b.cfg.Channels == nil:
		b.replyKey(ctx, r.chatID, r.lang, "error.internal")
		return errNoChannelAPI
	case arg == "":
		return b.listChannels(ctx, r)
	case strings.EqualFold(arg, "off"):
		return b.selectChannel(ctx, r, 0)
	}
	ref, ok := channelRef(arg)
	if !ok {
		return b.replyKey(ctx, r.chatID, r.lang, "channel.usage")
	}
	return b.setUpChannel(ctx, r, ref)
}

// channelRef reads what /channel names: "@name", "name", a t.me link or a
// chat ID; ok is false for anything else.
func channelRef(arg string) (string, bool) {
	s := strings.TrimSpace(arg)
	for _, p := range []string{"https://t.me/", "http://t.me/", "t.me/"} {
		s = strings.TrimPrefix(s, p)
	}
	if id, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.FormatInt(id, 10), id < 0
	}
	s = strings.TrimPrefix(s, "@")
	if len(s) < 4 || len(s) > 32 {
		return "", false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", false
		}
	}
	return "@" + s, true
}

// onForwardedPost sets up the channel a post forwarded to the bot comes
// from.
func (b *Bot) onForwardedPost(ctx context.Context, m *telegram.IncomingMessage, ch *telegram.Chat) error {
	r, err := b.load(ctx, m.Chat, m.From)
	if err != nil {
		b.replyKey(ctx, m.Chat.ID, langOfUser(m.From), "error.internal")
		return err
	}
	if b.cfg.Channels == nil {
		b.replyKey(ctx, r.chatID, r.lang, "error.internal")
		return errNoChannelAPI
	}
	err = b.setUpChannel(ctx, r, strconv.FormatInt(ch.ID, 10))
	if err != nil && ctx.Err() == nil {
		b.replyKey(ctx, r.chatID, r.lang, "error.internal")
	}
	return err
}

// setUpChannel checks that the person administers the channel ref and
// that the bot may post in it, then stores the channel and makes it the
// private chat's active one.
func (b *Bot) setUpChannel(ctx context.Context, r *request, ref string) error {
	api := b.cfg.Channels
	ch, err := api.GetChat(ctx, ref)
	switch kind := telegram.KindOf(err); {
	case err != nil && (kind == telegram.ChatNotFound || kind == telegram.BadRequest):
		return b.replyKey(ctx, r.chatID, r.lang, "channel.not_found", "channel", ref)
	case err != nil:
		return fmt.Errorf("bot: unable to look the channel up: %w", err)
	case !ch.IsChannel():
		return b.replyKey(ctx, r.chatID, r.lang, "channel.not_channel", "channel", channelTitle(ch))
	}
	if key, err := b.channelRights(ctx, ch.ID, r.user.ID); err != nil || key != "" {
		if err != nil {
			return err
		}
		return b.replyKey(ctx, r.chatID, r.lang, key, "channel", channelTitle(ch))
	}
	if _, err := b.update(ctx, r, func(c *news.Chat) error {
		if !slices.Contains(c.Channels, ch.ID) {
			if len(c.Channels) >= news.MaxChannels {
				return errTooMany
			}
			c.Channels = append(c.Channels, ch.ID)
		}
		c.ActiveChannel = ch.ID
		return nil
	}); errors.Is(err, errTooMany) {
		return b.replyKey(ctx, r.chatID, r.lang, "channel.too_many", "limit", strconv.Itoa(news.MaxChannels))
	} else if err != nil {
		return err
	}
	c, err := b.store.UpdateChat(ctx, ch.ID, func(c *news.Chat, created bool) error {
		if created || !c.Lang.Valid() {
			c.Lang, c.Created = r.lang, b.cfg.Now()
		}
		c.Group, c.Channel, c.Title = true, true, channelTitle(ch)
		c.Inactive, c.Strikes = false, 0
		return nil
	})
	if err != nil {
		return err
	}
	b.log.Info("A channel was set up from a private chat.", "chat_id", ch.ID, "user_id", r.user.ID)
	return b.replyKey(ctx, r.chatID, r.lang, "channel.selected", "channel", c.Title)
}

// channelRights returns "" when userID administers the channel and the bot
// administers it with the right to post, or the catalog key of the
// refusal.
func (b *Bot) channelRights(ctx context.Context, channelID, userID int64) (string, error) {
	api := b.cfg.Channels
	m, err := api.ChatMember(ctx, channelID, userID)
	switch {
	case err != nil && inaccessible(err):
		return "channel.bot_cannot_post", nil // the bot is not an admin: the member list is closed to it
	case err != nil:
		return "", fmt.Errorf("bot: unable to check the channel's admins: %w", err)
	case !m.IsAdmin():
		return "channel.not_admin", nil
	}
	me, err := api.ChatMember(ctx, channelID, api.Self().ID)
	if err != nil {
		return "", fmt.Errorf("bot: unable to check the bot's rights in the channel: %w", err)
	}
	if me.Status != "administrator" || !me.CanPostMessages {
		return "channel.bot_cannot_post", nil
	}
	return "", nil
}

func channelTitle(ch telegram.Chat) string {
	switch {
	case strings.TrimSpace(ch.Title) != "":
		return truncateWords(strings.TrimSpace(ch.Title), 64)
	case ch.UserName != "":
		return "@" + ch.UserName
	}
	return strconv.FormatInt(ch.ID, 10)
}

// selectChannel makes id (one of the private chat's channels, or 0 for
// the chat itself) the active channel.
func (b *Bot) selectChannel(ctx context.Context, r *request, id int64) error {
	if id != 0 && !slices.Contains(r.chat.Channels, id) {
		return b.replyKey(ctx, r.chatID, r.lang, "button.stale")
	}
	var ch news.Chat
	if id != 0 {
		var err error
		if ch, err = b.store.Chat(ctx, id); err != nil && !errors.Is(err, news.ErrNotFound) {
			return err
		}
		admin, err := b.chatAdmin(ctx, id, r.user.ID)
		switch {
		case err != nil && inaccessible(err):
			return b.replyKey(ctx, r.chatID, r.lang, "channel.bot_cannot_post", "channel", ch.Title)
		case err != nil:
			return fmt.Errorf("bot: unable to check the channel's admins: %w", err)
		case !admin:
			if err := b.forgetChannel(ctx, r, id); err != nil {
				return err
			}
			return b.replyKey(ctx, r.chatID, r.lang, "channel.not_admin", "channel", ch.Title)
		}
	}
	if _, err := b.update(ctx, r, func(c *news.Chat) error { c.ActiveChannel = id; return nil }); err != nil {
		return err
	}
	if id == 0 {
		return b.replyKey(ctx, r.chatID, r.lang, "channel.off")
	}
	return b.replyKey(ctx, r.chatID, r.lang, "channel.selected", "channel", ch.Title)
}

// listChannels answers /channel alone: the channels set up here, with a
// button each to act on it and one to return to the chat's own settings.
func (b *Bot) listChannels(ctx context.Context, r *request) error {
	if len(r.chat.Channels) == 0 {
		return b.replyKey(ctx, r.chatID, r.lang, "channel.usage")
	}
	var rows [][]telegram.InlineButton
	for _, id := range r.chat.Channels {
		label := strconv.FormatInt(id, 10)
		if ch, err := b.store.Chat(ctx, id); err == nil && ch.Title != "" {
			label = ch.Title
		}
		if id == r.chat.ActiveChannel {
			label = "✅ " + label
		}
		rows = append(rows, []telegram.InlineButton{telegram.CallbackButton(label, "ch:"+strconv.FormatInt(id, 10))})
	}
	own := b.cat.T(r.lang, "button.channel_off")
	if r.chat.ActiveChannel == 0 {
		own = "✅ " + own
	}
	rows = append(rows, []telegram.InlineButton{telegram.CallbackButton(own, "ch:off")})
	return b.reply(ctx, r.chatID, b.cat.T(r.lang, "channel.list"), telegram.NewInlineKeyboard(rows...))
}

// onChannelButton handles the buttons of /channel ("ch:<id>", "ch:off")
// and points the settings buttons at the active channel. handled is true
// when the press was answered here.
func (b *Bot) onChannelButton(ctx context.Context, r *request, kind, value string, answer func(string)) (handled bool, err error) {
	if kind == "ch" {
		if r.group || r.user == nil {
			return true, nil
		}
		id, _ := strconv.ParseInt(value, 10, 64) // "off" is 0
		return true, b.selectChannel(ctx, r, id)
	}
	refusal, title, err := b.toChannel(ctx, r, channelButtons[kind])
	if err != nil {
		return true, err
	}
	if refusal != "" {
		answer(b.cat.T(r.lang, refusal, "channel", title))
		return true, nil
	}
	return false, nil
}

// cmdMySubsAndChannels is /mysubs: the chat's own settings and, in a
// private chat, those of each channel set up from it.
func (b *Bot) cmdMySubsAndChannels(ctx context.Context, r *request, arg string) error {
	if err := b.cmdMySubs(ctx, r, arg); err != nil || r.group || len(r.chat.Channels) == 0 {
		return err
	}
	lines := []string{b.cat.T(r.lang, "channel.mysubs_header")}
	for _, id := range r.chat.Channels {
		ch, err := b.store.Chat(ctx, id)
		if errors.Is(err, news.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		cr := &request{chatID: r.chatID, channel: id, user: r.user, group: true, chat: ch, known: true, lang: ch.Lang}
		if !cr.lang.Valid() {
			cr.lang = news.English
		}
		state := ""
		switch {
		case ch.Inactive:
			state = " " + b.cat.T(r.lang, "channel.state_inactive")
		case id == r.chat.ActiveChannel:
			state = " " + b.cat.T(r.lang, "channel.state_active")
		}
		lines = append(lines, "", "📢 <b>"+esc(ch.Title)+"</b>"+state)
		lines = append(lines, b.settingsLines(ctx, cr)...)
	}
	return b.reply(ctx, r.chatID, strings.Join(lines, "\n"), nil)
}

// onChannelMember follows the bot's membership of a channel: removed, or
// left without the right to post, the channel is inactive (its settings
// kept); made an admin who may post again, it is active again. A channel
// nobody set up is not stored.
func (b *Bot) onChannelMember(ctx context.Context, m *telegram.ChatMemberUpdated) error {
	nm := m.NewChatMember
	inactive := nm.Status != "administrator" || !nm.CanPostMessages
	_, err := b.store.UpdateChat(ctx, m.Chat.ID, func(c *news.Chat, created bool) error {
		if created {
			return errSkip
		}
		c.Inactive, c.Strikes = inactive, 0
		return nil
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err == nil {
		b.log.Info("The bot's membership of a channel changed.", "chat_id", m.Chat.ID, "status", nm.Status,
			"can_post", nm.CanPostMessages)
	}
	return err
}

// channelKeyboard keeps the link buttons of a story's keyboard: in a
// channel, its readers cannot use the others (they change settings).
func channelKeyboard(kb *telegram.InlineKeyboard) *telegram.InlineKeyboard {
	if kb == nil {
		return nil
	}
	var rows [][]telegram.InlineButton
	for _, row := range kb.Rows {
		var kept []telegram.InlineButton
		for _, btn := range row {
			if btn.URL != "" {
				kept = append(kept, btn)
			}
		}
		if len(kept) > 0 {
			rows = append(rows, kept)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return telegram.NewInlineKeyboard(rows...)
}
