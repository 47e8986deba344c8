package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/telegram"
	"newsbot/internal/text"
)

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// Callback data: "lang:uk", "sub:<slug>", "kw:<keyword>", "unsub:<slug>",
// "unkw:<keyword>", "page:<n>", "bc:yes", "bc:no". Buttons whose data would
// not fit in 64 bytes are left out; a slug in data is checked as the store
// checks slugs (text.NormalizeSlug).

func button(text, data string) (telegram.InlineButton, bool) {
	if len(data) > maxCallbackData {
		return telegram.InlineButton{}, false
	}
	return telegram.CallbackButton(text, data), true
}

func languageKeyboard() *telegram.InlineKeyboard {
	var row []telegram.InlineButton
	for _, l := range news.Langs {
		row = append(row, telegram.CallbackButton(i18n.LangName(l), "lang:"+string(l)))
	}
	return telegram.NewInlineKeyboard(row)
}

// tagKeyboard lays out tags two to a row; byName adds a last button that
// follows the typed name as a keyword.
func tagKeyboard(tags []news.TagCount, prefix string, cat *i18n.Catalog, lang news.Lang, byName string) *telegram.InlineKeyboard {
	var rows [][]telegram.InlineButton
	var row []telegram.InlineButton
	for _, t := range tags {
		label := t.Name
		if label == "" {
			label = t.Slug
		}
		if t.Count > 0 {
			label += " (" + strconv.FormatInt(t.Count, 10) + ")"
		}
		btn, ok := button(label, prefix+t.Slug)
		if !ok {
			continue
		}
		row = append(row, btn)
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	if byName != "" {
		if btn, ok := button(cat.T(lang, "subscribe.follow_name", "query", byName), "kw:"+byName); ok {
			rows = append(rows, []telegram.InlineButton{btn})
		}
	}
	return telegram.NewInlineKeyboard(rows...)
}

// removeKeyboard has one button per subscription that removes it.
func (b *Bot) removeKeyboard(ctx context.Context, r *request) *telegram.InlineKeyboard {
	var rows [][]telegram.InlineButton
	for _, slug := range r.chat.Tags {
		if btn, ok := button(b.cat.T(r.lang, "button.remove", "tag", b.tagName(ctx, r.lang, slug)), "unsub:"+slug); ok {
			rows = append(rows, []telegram.InlineButton{btn})
		}
	}
	for _, kw := range r.chat.Keywords {
		btn, ok := button(b.cat.T(r.lang, "button.remove", "tag", kw), "unkw:"+kw)
		if !ok { // too long to name: a short reference (mute.go)
			btn = telegram.CallbackButton(b.cat.T(r.lang, "button.remove", "tag", kw), "unkh:"+nameRef(kw))
		}
		rows = append(rows, []telegram.InlineButton{btn})
	}
	return telegram.NewInlineKeyboard(rows...)
}

// onCallback handles a button press. Every callback query is answered, so
// the reader's button stops spinning, whatever happens.
func (b *Bot) onCallback(ctx context.Context, q *telegram.CallbackQuery) error {
	answered := false
	answer := func(text string) {
		if !answered {
			answered = true
			if err := b.api.AnswerCallback(ctx, q.ID, text); err != nil {
				b.log.Warn("Unable to answer a callback query.", "err", err)
			}
		}
	}
	defer answer("")
	if q.Message == nil || q.Message.Chat == nil {
		return nil // a button of an inline message: not ours
	}
	r, err := b.load(ctx, q.Message.Chat, q.From)
	if err != nil {
		answer(b.cat.T(langOfUser(q.From), "error.internal"))
		return err
	}
	kind, value, _ := strings.Cut(q.Data, ":")
	if handled, err := b.onChannelButton(ctx, r, kind, value, answer); handled {
		return err
	}
	if handled, err := b.onControlButton(ctx, r, q, kind, value, answer); handled {
		return err
	}
	switch kind {
	case "lang", "sub", "kw", "unsub", "unkw":
		if err := b.mayChange(ctx, r); err != nil {
			if errors.Is(err, errNotAdmin) {
				answer(b.cat.T(r.lang, "group.admin_only"))
				return nil
			}
			return err
		}
	}
	switch kind {
	case "lang":
		lang, ok := news.ParseLang(value)
		if !ok {
			return nil
		}
		return b.setLanguage(ctx, r, lang)
	case "sub":
		slug, err := text.NormalizeSlug(value)
		if err != nil {
			return nil
		}
		return b.followTag(ctx, r, news.Tag{Slug: slug, Name: b.tagName(ctx, r.lang, slug)})
	case "kw":
		kw, ok := normalizeQuery(value)
		if !ok {
			return nil
		}
		return b.followKeyword(ctx, r, keyword(kw))
	case "unsub":
		slug, err := text.NormalizeSlug(value)
		if err != nil {
			return nil
		}
		return b.unfollow(ctx, r, slug, "")
	case "unkw":
		return b.unfollow(ctx, r, "", value)
	case "page":
		page, err := strconv.Atoi(value)
		if err != nil || page < 0 || page > 1000 {
			return nil
		}
		return b.showTopTags(ctx, r, page, q.Message.MessageID)
	case "bc":
		return b.confirmBroadcast(ctx, r, value == "yes", q.Message.MessageID)
	}
	return nil // stale or forged data: ignored, but answered
}
