package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/telegram"
	"newsbot/internal/text"
)

const (
	defaultLatest = 5
	maxLatest     = 20
	tagsPerPage   = 8
	maxQueryRunes = 64
)

// request is one reader action being handled.
type request struct {
	chatID int64
	user   *telegram.User
	group  bool
	chat   news.Chat // stored settings, or defaults for an unknown chat
	known  bool      // the chat is stored
	lang   news.Lang
	title  string // the group's title; "" in private chats
	// channel is the channel a private chat acts on (channel.go), 0 for
	// the chat itself; see subject.
	channel int64
	thread  int // the forum topic the settings are of; 0: the chat's own
}

var (
	errTooMany  = errors.New("bot: too many subscriptions")
	errAlready  = errors.New("bot: already subscribed")
	errNotAdmin = errors.New("bot: not a chat admin")
)

// load builds the request for a chat, with the stored settings when there
// are any; an unknown chat speaks the user's Telegram language.
func (b *Bot) load(ctx context.Context, chat *telegram.Chat, user *telegram.User) (*request, error) {
	r := &request{chatID: chat.ID, user: user, group: !chat.IsPrivate(), title: chat.Title}
	id, thread, err := b.settingsID(ctx, chat)
	if err != nil {
		return nil, err
	}
	r.thread = thread
	c, err := b.store.Chat(ctx, id)
	switch {
	case err == nil:
		r.chat, r.known = c, true
	case errors.Is(err, news.ErrNotFound):
		lang := news.English
		if user != nil {
			lang = langOf(user.LanguageCode)
		}
		r.chat = news.Chat{ID: id, Lang: lang, Group: r.group, Topic: topicOf(r)}
	default:
		return nil, err
	}
	r.lang = r.chat.Lang
	if !r.lang.Valid() {
		r.lang = news.English
	}
	return r, nil
}

// mayChange reports whether the user may change the chat's settings: anyone
// in a private chat, only admins in a group.
func (b *Bot) mayChange(ctx context.Context, r *request) error {
	if !r.group {
		return nil
	}
	if r.user == nil {
		return errNotAdmin
	}
	ok, err := b.chatAdmin(ctx, r.subject(), r.user.ID)
	if err != nil {
		return fmt.Errorf("bot: unable to check chat admins: %w", err)
	}
	if !ok {
		return errNotAdmin
	}
	return nil
}

func (b *Bot) onMessage(ctx context.Context, m *telegram.IncomingMessage) error {
	if m.Chat == nil || m.From == nil && !m.Chat.IsPrivate() {
		return nil
	}
	command, rawArg, ok := m.BotCommand()
	if !ok {
		if ch := m.ForwardedFromChannel(); ch != nil && m.Chat.IsPrivate() {
			return b.onForwardedPost(ctx, m, ch)
		}
		if m.Chat.IsPrivate() {
			return b.replyKey(ctx, m.Chat.ID, langOfUser(m.From), "unknown")
		}
		return nil // groups talk among themselves; the bot stays quiet
	}
	command, to, addressed := strings.Cut(command, "@")
	if addressed && !strings.EqualFold(to, b.cfg.UserName) {
		return nil // addressed to another bot
	}
	if ignoredInGroup(m.Chat, command, addressed) {
		return nil // another bot's command, most likely
	}
	r, err := b.load(ctx, m.Chat, m.From)
	if err != nil {
		b.replyKey(ctx, m.Chat.ID, langOfUser(m.From), "error.internal")
		return err
	}
	c, arg := commandsByName[strings.ToLower(command)], strings.TrimSpace(rawArg)
	if c != nil {
		// Settings sent in a private chat may be meant for a channel.
		refusal, title, err := b.toChannel(ctx, r, channelScoped[c.name])
		if err != nil {
			b.replyKey(ctx, r.chatID, r.lang, "error.internal")
			return err
		}
		if refusal != "" {
			return b.replyKey(ctx, r.chatID, r.lang, refusal, "channel", title)
		}
	}
	switch {
	case c == nil:
		return b.replyKey(ctx, r.chatID, r.lang, "unknown")
	case c.admin && !b.isAdmin(ctx, r):
		return b.replyKey(ctx, r.chatID, r.lang, "admin.only")
	case c.changes:
		if err := b.mayChange(ctx, r); err != nil {
			if errors.Is(err, errNotAdmin) {
				return b.replyKey(ctx, r.chatID, r.lang, "group.admin_only")
			}
			b.replyKey(ctx, r.chatID, r.lang, "error.internal")
			return err
		}
	}
	err = c.run(b, ctx, r, arg)
	if err != nil && ctx.Err() == nil {
		b.replyKey(ctx, r.chatID, r.lang, "error.internal")
	}
	return err
}

func langOfUser(u *telegram.User) news.Lang {
	if u == nil {
		return news.English
	}
	return langOf(u.LanguageCode)
}

// reply sends an HTML message without a link preview.
func (b *Bot) reply(ctx context.Context, chatID int64, text string, markup *telegram.InlineKeyboard) error {
	_, err := b.api.Send(ctx, telegram.Message{ChatID: chatID, ThreadID: updateThread(ctx), Text: text, ParseMode: "HTML",
		DisablePreview: true, ReplyMarkup: markup})
	if err != nil {
		return fmt.Errorf("bot: unable to reply: %w", err)
	}
	return nil
}

func (b *Bot) replyKey(ctx context.Context, chatID int64, lang news.Lang, key string, pairs ...string) error {
	return b.reply(ctx, chatID, b.cat.T(lang, key, escPairs(pairs)...), nil)
}

// escPairs escapes the values of name/value pairs for HTML.
func escPairs(pairs []string) []string {
	out := make([]string, len(pairs))
	for i, p := range pairs {
		if i%2 == 1 {
			p = esc(p)
		}
		out[i] = p
	}
	return out
}

// update changes the chat's stored settings, creating the chat with the
// request's defaults when it is new.
func (b *Bot) update(ctx context.Context, r *request, fn func(c *news.Chat) error) (news.Chat, error) {
	c, err := b.store.UpdateChat(ctx, r.chat.ID, func(c *news.Chat, created bool) error {
		if created {
			c.Lang, c.Group, c.Created = r.chat.Lang, r.group, b.cfg.Now()
			c.Channel, c.Title = r.channel != 0, r.title
			c.Topic = topicOf(r)
		}
		if !c.Lang.Valid() {
			c.Lang = news.English
		}
		if r.channel != 0 {
			return keepInactive(c, fn)
		}
		return fn(c)
	})
	if err == nil {
		r.chat, r.known, r.lang = c, true, c.Lang
	}
	return c, err
}

func userName(u *telegram.User) string {
	if u == nil || strings.TrimSpace(u.FirstName) == "" {
		return "👋"
	}
	return truncateWords(strings.TrimSpace(u.FirstName), 64)
}

func (b *Bot) cmdStart(ctx context.Context, r *request, _ string) error {
	returning := r.known && (len(r.chat.Tags) > 0 || len(r.chat.Keywords) > 0 || r.chat.Breaking)
	if _, err := b.update(ctx, r, func(c *news.Chat) error {
		c.Inactive, c.Strikes = false, 0
		return nil
	}); err != nil {
		return err
	}
	name := userName(r.user)
	if r.group {
		name = groupName(r.title)
	}
	if returning {
		return b.replyKey(ctx, r.chatID, r.lang, "start.back", "name", name)
	}
	kb := languageKeyboard()
	return b.reply(ctx, r.chatID, b.cat.T(r.lang, "start.greeting", "name", esc(name)), kb)
}

func (b *Bot) cmdHelp(ctx context.Context, r *request, _ string) error {
	return b.reply(ctx, r.chatID, helpText(b.cat, r.lang, b.isAdmin(ctx, r)), nil)
}

func (b *Bot) cmdLanguage(ctx context.Context, r *request, arg string) error {
	if arg == "" {
		kb := languageKeyboard()
		return b.reply(ctx, r.chatID, b.cat.T(r.lang, "lang.choose"), kb)
	}
	lang, ok := news.ParseLang(arg)
	if !ok {
		return b.replyKey(ctx, r.chatID, r.lang, "lang.unknown", "value", truncateWords(arg, 20))
	}
	return b.setLanguage(ctx, r, lang)
}

func (b *Bot) setLanguage(ctx context.Context, r *request, lang news.Lang) error {
	if _, err := b.update(ctx, r, func(c *news.Chat) error {
		c.Lang, c.LangChosen, c.Inactive = lang, true, false
		return nil
	}); err != nil {
		return err
	}
	return b.replyKey(ctx, r.chatID, lang, "lang.set")
}

// normalizeQuery tidies what a reader typed as a tag name; it reports false
// for input that cannot be a tag (control characters, markup, too long).
func normalizeQuery(s string) (string, bool) {
	if text.HasHidden(s) {
		return "", false
	}
	s = text.Collapse(s)
	if s == "" || utf8.RuneCountInString(s) > maxQueryRunes {
		return "", false
	}
	for _, r := range s {
		switch {
		case text.IsLetterOrDigit(r), r == ' ', r == '-', r == '\'', r == '’', r == '.', r == '_', r == '«', r == '»', r == '"':
		default:
			return "", false
		}
	}
	return s, true
}

// keyword is the keyword a reader means by a query, in the form the store
// keeps keywords (text.FoldKeyword), so that it compares equal to theirs.
func keyword(s string) string { return text.FoldKeyword(strings.Trim(s, `"«»`)) }

func (b *Bot) cmdSubscribe(ctx context.Context, r *request, arg string) error {
	if arg == "" {
		return b.showTopTags(ctx, r, 0, 0)
	}
	query, ok := normalizeQuery(arg)
	if !ok {
		return b.replyKey(ctx, r.chatID, r.lang, "subscribe.invalid")
	}
	matches, suggestions, err := b.store.FindTags(ctx, r.lang, query, tagsPerPage)
	if err != nil {
		return err
	}
	switch {
	case len(matches) == 1:
		return b.followTag(ctx, r, matches[0].Tag)
	case len(matches) > 1:
		kb := tagKeyboard(matches, "sub:", b.cat, r.lang, "")
		return b.reply(ctx, r.chatID, b.cat.T(r.lang, "subscribe.choose", "query", esc(query)), kb)
	case len(suggestions) > 0:
		kb := tagKeyboard(suggestions, "sub:", b.cat, r.lang, keyword(query))
		return b.reply(ctx, r.chatID, b.cat.T(r.lang, "subscribe.suggest", "query", esc(query)), kb)
	default:
		return b.followKeyword(ctx, r, keyword(query))
	}
}

func (b *Bot) followTag(ctx context.Context, r *request, t news.Tag) error {
	_, err := b.update(ctx, r, func(c *news.Chat) error {
		for _, s := range c.Tags {
			if s == t.Slug {
				return errAlready
			}
		}
		if len(c.Tags)+len(c.Keywords) >= b.cfg.MaxSubs {
			return errTooMany
		}
		c.Tags = append(c.Tags, t.Slug)
		c.Inactive = false
		return nil
	})
	name := t.Name
	if name == "" {
		name = t.Slug
	}
	switch {
	case errors.Is(err, errAlready):
		return b.replyKey(ctx, r.chatID, r.lang, "subscribe.already", "tag", name)
	case errors.Is(err, errTooMany):
		return b.replyKey(ctx, r.chatID, r.lang, "subscribe.too_many", "limit", strconv.Itoa(b.cfg.MaxSubs))
	case err != nil:
		return err
	}
	return b.replyKey(ctx, r.chatID, r.lang, "subscribe.done", "tag", name)
}

func (b *Bot) followKeyword(ctx context.Context, r *request, kw string) error {
	_, err := b.update(ctx, r, func(c *news.Chat) error {
		for _, k := range c.Keywords {
			if k == kw {
				return errAlready
			}
		}
		if len(c.Tags)+len(c.Keywords) >= b.cfg.MaxSubs {
			return errTooMany
		}
		c.Keywords = append(c.Keywords, kw)
		c.Inactive = false
		return nil
	})
	switch {
	case errors.Is(err, errAlready):
		return b.replyKey(ctx, r.chatID, r.lang, "subscribe.already", "tag", kw)
	case errors.Is(err, errTooMany):
		return b.replyKey(ctx, r.chatID, r.lang, "subscribe.too_many", "limit", strconv.Itoa(b.cfg.MaxSubs))
	case errors.Is(err, news.ErrInvalid):
		return b.replyKey(ctx, r.chatID, r.lang, "subscribe.invalid")
	case err != nil:
		return err
	}
	return b.replyKey(ctx, r.chatID, r.lang, "subscribe.by_name", "query", kw)
}

// showTopTags sends (messageID 0) or edits the paged keyboard of the most
// frequent recent tags.
func (b *Bot) showTopTags(ctx context.Context, r *request, page, messageID int) error {
	tags, total, err := b.store.TopTags(ctx, r.lang, page*tagsPerPage, tagsPerPage)
	if err != nil {
		return err
	}
	if total == 0 {
		return b.replyKey(ctx, r.chatID, r.lang, "subscribe.none_known")
	}
	pages := (total + tagsPerPage - 1) / tagsPerPage
	if page >= pages { // a button of an older, longer list
		return b.showTopTags(ctx, r, pages-1, messageID)
	}
	kb := tagKeyboard(tags, "sub:", b.cat, r.lang, "")
	var nav []telegram.InlineButton
	if page > 0 {
		nav = append(nav, telegram.CallbackButton(b.cat.T(r.lang, "button.prev"), "page:"+strconv.Itoa(page-1)))
	}
	if page+1 < pages {
		nav = append(nav, telegram.CallbackButton(b.cat.T(r.lang, "button.next"), "page:"+strconv.Itoa(page+1)))
	}
	if len(nav) > 0 {
		kb.Rows = append(kb.Rows, nav)
	}
	text := b.cat.T(r.lang, "subscribe.pick", "page", strconv.Itoa(page+1), "pages", strconv.Itoa(pages))
	if messageID != 0 {
		return b.api.EditText(ctx, r.chatID, messageID, text, "HTML", kb)
	}
	return b.reply(ctx, r.chatID, text, kb)
}

func (b *Bot) cmdUnsubscribe(ctx context.Context, r *request, arg string) error {
	if len(r.chat.Tags) == 0 && len(r.chat.Keywords) == 0 {
		return b.replyKey(ctx, r.chatID, r.lang, "unsubscribe.nothing")
	}
	if arg == "" {
		kb := b.removeKeyboard(ctx, r)
		return b.reply(ctx, r.chatID, b.cat.T(r.lang, "unsubscribe.pick"), kb)
	}
	query, ok := normalizeQuery(arg)
	if !ok {
		return b.replyKey(ctx, r.chatID, r.lang, "unsubscribe.not_following", "tag", truncateWords(arg, 64))
	}
	qSlug, _ := text.NormalizeSlug(query) // "" for no slug: none matches
	qName := text.FoldName(query)
	for _, slug := range r.chat.Tags {
		name := b.tagName(ctx, r.lang, slug)
		if slug == qSlug || text.FoldName(name) == qName {
			return b.unfollow(ctx, r, slug, "")
		}
	}
	kw := keyword(query)
	for _, k := range r.chat.Keywords {
		if k == kw {
			return b.unfollow(ctx, r, "", kw)
		}
	}
	return b.replyKey(ctx, r.chatID, r.lang, "unsubscribe.not_following", "tag", query)
}

// unfollow removes one tag (by slug) or keyword.
func (b *Bot) unfollow(ctx context.Context, r *request, slug, kw string) error {
	removed := false
	_, err := b.update(ctx, r, func(c *news.Chat) error {
		c.Tags = remove(c.Tags, slug, &removed)
		c.Keywords = remove(c.Keywords, kw, &removed)
		return nil
	})
	if err != nil {
		return err
	}
	label := kw
	if slug != "" {
		label = b.tagName(ctx, r.lang, slug)
	}
	if !removed {
		return b.replyKey(ctx, r.chatID, r.lang, "unsubscribe.not_following", "tag", label)
	}
	return b.replyKey(ctx, r.chatID, r.lang, "unsubscribe.done", "tag", label)
}

func remove(list []string, v string, removed *bool) []string {
	if v == "" {
		return list
	}
	out := list[:0:0]
	for _, s := range list {
		if s == v {
			*removed = true
			continue
		}
		out = append(out, s)
	}
	return out
}

// tagName is a tag's display name in lang, or its slug when unknown.
func (b *Bot) tagName(ctx context.Context, lang news.Lang, slug string) string {
	name, err := b.store.TagName(ctx, lang, slug)
	if err != nil || name == "" {
		return slug
	}
	return name
}

func (b *Bot) cmdMySubs(ctx context.Context, r *request, _ string) error {
	c := r.chat
	lines := append([]string{b.cat.T(r.lang, "mysubs.header")}, b.settingsLines(ctx, r)...)
	if len(c.Tags) == 0 && len(c.Keywords) == 0 {
		lines = append(lines, "", b.cat.T(r.lang, "mysubs.none"))
		return b.reply(ctx, r.chatID, strings.Join(lines, "\n"), telegram.NewInlineKeyboard(b.muteRows(ctx, r)...))
	}
	kb := b.removeKeyboard(ctx, r)
	kb.Rows = append(kb.Rows, b.muteRows(ctx, r)...)
	return b.reply(ctx, r.chatID, strings.Join(lines, "\n"), kb)
}

// settingsLines are the lines of /mysubs that show a chat's settings:
// language, breaking alerts, tags, keywords, mutes.
func (b *Bot) settingsLines(ctx context.Context, r *request) []string {
	c := r.chat
	lines := []string{b.cat.T(r.lang, "mysubs.language", "lang", i18n.LangName(r.lang))}
	if c.Breaking {
		lines = append(lines, b.cat.T(r.lang, "mysubs.breaking_on"))
	} else {
		lines = append(lines, b.cat.T(r.lang, "mysubs.breaking_off"))
	}
	if len(c.Tags) > 0 {
		names := make([]string, len(c.Tags))
		for i, s := range c.Tags {
			names[i] = esc(b.tagName(ctx, r.lang, s))
		}
		lines = append(lines, b.cat.T(r.lang, "mysubs.tags", "tags", strings.Join(names, ", ")))
	}
	if len(c.Keywords) > 0 {
		kws := make([]string, len(c.Keywords))
		for i, k := range c.Keywords {
			kws[i] = esc(k)
		}
		lines = append(lines, b.cat.T(r.lang, "mysubs.keywords", "keywords", strings.Join(kws, ", ")))
	}
	if names := b.muteNames(ctx, r); len(names) > 0 {
		lines = append(lines, b.cat.T(r.lang, "mysubs.mutes", "mutes", strings.Join(names, ", ")))
	}
	lines = append(lines, b.scheduleLines(r)...)
	return lines
}

func (b *Bot) cmdBreaking(ctx context.Context, r *request, arg string) error {
	var on bool
	switch strings.ToLower(arg) {
	case "on", "1", "yes", "true", "так", "да", "вкл":
		on = true
	case "off", "0", "no", "false", "ні", "нет", "выкл", "вимк":
		on = false
	default:
		state := b.cat.T(r.lang, "state.off")
		if r.chat.Breaking {
			state = b.cat.T(r.lang, "state.on")
		}
		return b.replyKey(ctx, r.chatID, r.lang, "breaking.usage", "state", state)
	}
	if _, err := b.update(ctx, r, func(c *news.Chat) error {
		c.Breaking, c.Inactive = on, false
		return nil
	}); err != nil {
		return err
	}
	if on {
		return b.replyKey(ctx, r.chatID, r.lang, "breaking.on")
	}
	return b.replyKey(ctx, r.chatID, r.lang, "breaking.off")
}

// cmdLatest lists the newest stored articles of the reader's edition:
// "/latest", "/latest 10", "/latest 10 Russia" or "/latest Russia".
func (b *Bot) cmdLatest(ctx context.Context, r *request, arg string) error {
	n := defaultLatest
	fields := strings.Fields(arg)
	if len(fields) > 0 {
		if v, err := strconv.Atoi(fields[0]); err == nil {
			if v < 1 {
				return b.replyKey(ctx, r.chatID, r.lang, "latest.usage")
			}
			n = min(v, maxLatest)
			fields = fields[1:]
		}
	}
	slug, label := "", ""
	if len(fields) > 0 {
		query, ok := normalizeQuery(strings.Join(fields, " "))
		if !ok {
			return b.replyKey(ctx, r.chatID, r.lang, "latest.usage")
		}
		matches, _, err := b.store.FindTags(ctx, r.lang, query, 1)
		if err != nil {
			return err
		}
		if len(matches) == 0 {
			return b.replyKey(ctx, r.chatID, r.lang, "latest.none_tag", "tag", query)
		}
		slug, label = matches[0].Slug, matches[0].Name
	}
	as, err := b.store.Latest(ctx, r.lang, n, slug)
	if err != nil {
		return err
	}
	if len(as) == 0 {
		if slug != "" {
			return b.replyKey(ctx, r.chatID, r.lang, "latest.none_tag", "tag", label)
		}
		return b.replyKey(ctx, r.chatID, r.lang, "latest.none")
	}
	header := b.cat.T(r.lang, "latest.header")
	if slug != "" {
		header = b.cat.T(r.lang, "latest.header_tag", "tag", esc(label))
	}
	return b.reply(ctx, r.chatID, b.render.latestList(header, as), nil)
}

func (b *Bot) cmdStop(ctx context.Context, r *request, _ string) error {
	if err := b.store.DeleteChat(ctx, r.chat.ID); err != nil {
		return err
	}
	b.log.Info("A chat asked to be forgotten; its data is deleted.", "chat_id", r.chat.ID)
	return b.replyKey(ctx, r.chatID, r.lang, "stop.done")
}
