package bot

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"newsbot/internal/news"
	"newsbot/internal/telegram"
	"newsbot/internal/text"
)

// Mute buttons: "unm:<ref>" removes a muted word, "unmt:<slug>" a muted
// tag, "unkh:<ref>" a keyword subscription too long to name in 64 bytes,
// "mbrk:on|off" lets breaking alerts through the mutes or not. <ref> is
// nameRef of the word: short whatever the word, resolved against the
// chat's stored list, so a word removed meanwhile gets a "stale" answer.

var errMutesFull = errors.New("bot: too many mutes")

// nameRef is a short, stable reference to a word of a chat's list.
func nameRef(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64(), 36)
}

// byRef finds the word of list whose nameRef is ref.
func byRef(list []string, ref string) (string, bool) {
	for _, s := range list {
		if nameRef(s) == ref {
			return s, true
		}
	}
	return "", false
}

func (b *Bot) cmdMute(ctx context.Context, r *request, arg string) error {
	if arg == "" {
		return b.showMutes(ctx, r, 0)
	}
	query, ok := normalizeQuery(arg)
	if !ok {
		return b.replyKey(ctx, r.chatID, r.lang, "mute.invalid", "limit", strconv.Itoa(news.MaxMuteRunes))
	}
	if t, ok, err := b.exactTag(ctx, r.lang, query); err != nil {
		return err
	} else if ok {
		var msg string
		if err := b.setTagMute(ctx, r, t, true, func(s string) { msg = s }); err != nil {
			return err
		}
		return b.reply(ctx, r.chatID, esc(msg), nil)
	}
	word := text.FoldKeyword(keyword(query))
	_, err := b.update(ctx, r, func(c *news.Chat) error {
		if slices.Contains(c.Mutes, word) {
			return errAlready
		}
		if len(c.Mutes)+len(c.MutedTags) >= news.MaxMutes {
			return errMutesFull
		}
		c.Mutes = append(c.Mutes, word)
		return nil
	})
	switch {
	case errors.Is(err, errAlready):
		return b.replyKey(ctx, r.chatID, r.lang, "mute.already", "word", word)
	case errors.Is(err, errMutesFull):
		return b.replyKey(ctx, r.chatID, r.lang, "mute.too_many", "limit", strconv.Itoa(news.MaxMutes))
	case errors.Is(err, news.ErrInvalid):
		return b.replyKey(ctx, r.chatID, r.lang, "mute.invalid", "limit", strconv.Itoa(news.MaxMuteRunes))
	case err != nil:
		return err
	}
	return b.replyKey(ctx, r.chatID, r.lang, "mute.done", "word", word)
}

// exactTag finds the tag whose name or slug is query, ignoring case.
func (b *Bot) exactTag(ctx context.Context, lang news.Lang, query string) (news.Tag, bool, error) {
	matches, _, err := b.store.FindTags(ctx, lang, query, tagsPerPage)
	if err != nil {
		return news.Tag{}, false, err
	}
	for _, m := range matches {
		if strings.EqualFold(m.Name, query) || strings.EqualFold(m.Slug, query) {
			return m.Tag, true, nil
		}
	}
	return news.Tag{}, false, nil
}

// setTagMute mutes (on) or unmutes a tag and reports the outcome through
// say, a toast or a reply.
func (b *Bot) setTagMute(ctx context.Context, r *request, t news.Tag, on bool, say func(string)) error {
	_, err := b.update(ctx, r, func(c *news.Chat) error {
		has := slices.Contains(c.MutedTags, t.Slug)
		switch {
		case on && has, !on && !has:
			return nil
		case on && len(c.Mutes)+len(c.MutedTags) >= news.MaxMutes:
			return errMutesFull
		case on:
			c.MutedTags = append(c.MutedTags, t.Slug)
		default:
			c.MutedTags = slices.DeleteFunc(slices.Clone(c.MutedTags), func(s string) bool { return s == t.Slug })
		}
		return nil
	})
	switch {
	case errors.Is(err, errMutesFull):
		say(b.cat.T(r.lang, "mute.too_many", "limit", strconv.Itoa(news.MaxMutes)))
	case err != nil:
		return err
	case on:
		say(b.cat.T(r.lang, "mute.tag_done", "tag", tagLabel(t)))
	default:
		say(b.cat.T(r.lang, "unmute.done", "word", tagLabel(t)))
	}
	return nil
}

func (b *Bot) cmdUnmute(ctx context.Context, r *request, arg string) error {
	if arg == "" {
		return b.showMutes(ctx, r, 0)
	}
	query, _ := normalizeQuery(arg)
	word := text.FoldKeyword(keyword(query))
	for _, slug := range r.chat.MutedTags {
		name := b.tagName(ctx, r.lang, slug)
		if strings.EqualFold(slug, query) || strings.EqualFold(name, query) {
			var msg string
			if err := b.setTagMute(ctx, r, news.Tag{Slug: slug, Name: name}, false, func(s string) { msg = s }); err != nil {
				return err
			}
			return b.reply(ctx, r.chatID, esc(msg), nil)
		}
	}
	if !slices.Contains(r.chat.Mutes, word) {
		return b.replyKey(ctx, r.chatID, r.lang, "unmute.not_muted", "word", truncateWords(arg, 64))
	}
	if err := b.removeMute(ctx, r, word); err != nil {
		return err
	}
	return b.replyKey(ctx, r.chatID, r.lang, "unmute.done", "word", word)
}

func (b *Bot) removeMute(ctx context.Context, r *request, word string) error {
	_, err := b.update(ctx, r, func(c *news.Chat) error {
		c.Mutes = slices.DeleteFunc(slices.Clone(c.Mutes), func(s string) bool { return s == word })
		return nil
	})
	return err
}

// muteSettings is the text of /mute without an argument: the mutes, the
// breaking choice and how to add one.
func (b *Bot) muteSettings(ctx context.Context, r *request) string {
	lines := []string{b.cat.T(r.lang, "mute.header")}
	if names := b.muteNames(ctx, r); len(names) > 0 {
		lines = append(lines, b.cat.T(r.lang, "mysubs.mutes", "mutes", strings.Join(names, ", ")))
	} else {
		lines = append(lines, b.cat.T(r.lang, "mute.none"))
	}
	if r.chat.BreakingUnmuted {
		lines = append(lines, b.cat.T(r.lang, "mute.breaking_through"))
	} else {
		lines = append(lines, b.cat.T(r.lang, "mute.breaking_muted"))
	}
	return strings.Join(append(lines, "", b.cat.T(r.lang, "mute.usage")), "\n")
}

// muteNames are the chat's mutes for display, escaped: words, then tags.
func (b *Bot) muteNames(ctx context.Context, r *request) []string {
	var names []string
	for _, w := range r.chat.Mutes {
		names = append(names, esc(w))
	}
	for _, s := range r.chat.MutedTags {
		names = append(names, "#"+esc(b.tagName(ctx, r.lang, s)))
	}
	return names
}

// muteRows are one remove button per mute.
func (b *Bot) muteRows(ctx context.Context, r *request) [][]telegram.InlineButton {
	var rows [][]telegram.InlineButton
	for _, w := range r.chat.Mutes {
		rows = append(rows, []telegram.InlineButton{telegram.CallbackButton(b.cat.T(r.lang, "button.unmute", "word", w), "unm:"+nameRef(w))})
	}
	for _, s := range r.chat.MutedTags {
		if btn, ok := button(b.cat.T(r.lang, "button.unmute", "word", b.tagName(ctx, r.lang, s)), "unmt:"+s); ok {
			rows = append(rows, []telegram.InlineButton{btn})
		}
	}
	return rows
}

// showMutes sends (messageID 0) or edits the mute settings with their
// buttons.
func (b *Bot) showMutes(ctx context.Context, r *request, messageID int) error {
	rows := b.muteRows(ctx, r)
	toggle := telegram.CallbackButton(b.cat.T(r.lang, "button.breaking_through"), "mbrk:on")
	if r.chat.BreakingUnmuted {
		toggle = telegram.CallbackButton(b.cat.T(r.lang, "button.breaking_muted"), "mbrk:off")
	}
	kb := telegram.NewInlineKeyboard(append(rows, []telegram.InlineButton{toggle})...)
	if messageID != 0 {
		err := b.api.EditText(ctx, r.chatID, messageID, b.muteSettings(ctx, r), "HTML", kb)
		if telegram.KindOf(err) == telegram.NotModified {
			return nil
		}
		return err
	}
	return b.reply(ctx, r.chatID, b.muteSettings(ctx, r), kb)
}

// onMuteButton handles the buttons of the mute settings and of /mysubs.
func (b *Bot) onMuteButton(ctx context.Context, r *request, q *telegram.CallbackQuery, kind, value string, answer func(string)) error {
	switch kind {
	case "mbrk":
		if _, err := b.update(ctx, r, func(c *news.Chat) error { c.BreakingUnmuted = value == "on"; return nil }); err != nil {
			return err
		}
	case "unm":
		w, ok := byRef(r.chat.Mutes, value)
		if !ok {
			answer(b.cat.T(r.lang, "button.stale"))
			return b.showMutes(ctx, r, q.Message.MessageID)
		}
		if err := b.removeMute(ctx, r, w); err != nil {
			return err
		}
		answer(b.cat.T(r.lang, "unmute.done", "word", w))
	case "unmt":
		if !slices.Contains(r.chat.MutedTags, value) {
			answer(b.cat.T(r.lang, "button.stale"))
			return b.showMutes(ctx, r, q.Message.MessageID)
		}
		if err := b.setTagMute(ctx, r, news.Tag{Slug: value, Name: b.tagName(ctx, r.lang, value)}, false, answer); err != nil {
			return err
		}
	}
	return b.showMutes(ctx, r, q.Message.MessageID)
}

// onControlButton handles the buttons of this file and story.go; it
// reports false for any other kind.
func (b *Bot) onControlButton(ctx context.Context, r *request, q *telegram.CallbackQuery, kind, value string, answer func(string)) (bool, error) {
	switch kind {
	case "sm", "su", "sf", "sk", "sb", "mbrk", "unm", "unmt", "unkh":
	default:
		return false, nil
	}
	if err := b.mayChange(ctx, r); err != nil {
		if errors.Is(err, errNotAdmin) {
			answer(b.cat.T(r.lang, "group.admin_only"))
			return true, nil
		}
		return true, err
	}
	switch kind {
	case "mbrk", "unm", "unmt":
		return true, b.onMuteButton(ctx, r, q, kind, value, answer)
	case "unkh":
		kw, ok := byRef(r.chat.Keywords, value)
		if !ok {
			answer(b.cat.T(r.lang, "button.stale"))
			return true, nil
		}
		return true, b.unfollow(ctx, r, "", kw)
	}
	return true, b.onStoryButton(ctx, r, q, kind, value, answer)
}
