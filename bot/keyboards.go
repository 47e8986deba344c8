package bot

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
)

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// Callback data: "lang:uk", "sub:<slug>", "kw:<keyword>", "unsub:<slug>",
// "unkw:<keyword>", "page:<n>", "bc:yes", "bc:no". Buttons whose data would
// not fit in 64 bytes are left out.
var slugPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,58}$`)

func button(text, data string) (tgbotapi.InlineKeyboardButton, bool) {
	if len(data) > maxCallbackData {
		return tgbotapi.InlineKeyboardButton{}, false
	}
	return tgbotapi.NewInlineKeyboardButtonData(text, data), true
}

func languageKeyboard() tgbotapi.InlineKeyboardMarkup {
	var row []tgbotapi.InlineKeyboardButton
	for _, l := range news.Langs {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(i18n.LangName(l), "lang:"+string(l)))
	}
	return tgbotapi.NewInlineKeyboardMarkup(row)
}

// tagKeyboard lays out tags two to a row; byName adds a last button that
// follows the typed name as a keyword.
func tagKeyboard(tags []news.TagCount, prefix string, cat *i18n.Catalog, lang news.Lang, byName string) tgbotapi.InlineKeyboardMarkup {
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
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
			rows = append(rows, []tgbotapi.InlineKeyboardButton{btn})
		}
	}
	return tgbotapi.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// removeKeyboard has one button per subscription that removes it.
func (b *Bot) removeKeyboard(ctx context.Context, r *request) tgbotapi.InlineKeyboardMarkup {
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, slug := range r.chat.Tags {
		if btn, ok := button(b.cat.T(r.lang, "button.remove", "tag", b.tagName(ctx, r.lang, slug)), "unsub:"+slug); ok {
			rows = append(rows, []tgbotapi.InlineKeyboardButton{btn})
		}
	}
	for _, kw := range r.chat.Keywords {
		if btn, ok := button(b.cat.T(r.lang, "button.remove", "tag", kw), "unkw:"+kw); ok {
			rows = append(rows, []tgbotapi.InlineKeyboardButton{btn})
		}
	}
	return tgbotapi.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// onCallback handles a button press. Every callback query is answered, so
// the reader's button stops spinning, whatever happens.
func (b *Bot) onCallback(ctx context.Context, q *tgbotapi.CallbackQuery) error {
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
		if !slugPattern.MatchString(value) {
			return nil
		}
		return b.followTag(ctx, r, news.Tag{Slug: value, Name: b.tagName(ctx, r.lang, value)})
	case "kw":
		kw, ok := normalizeQuery(value)
		if !ok {
			return nil
		}
		return b.followKeyword(ctx, r, keyword(kw))
	case "unsub":
		if !slugPattern.MatchString(value) {
			return nil
		}
		return b.unfollow(ctx, r, value, "")
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
