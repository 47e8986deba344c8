package bot

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// Story buttons. Their callback data refers to the stored article, never
// to a name, so it stays short whatever the tag: "sm:<ed>:<id>:<i>" mutes
// the article's tag i, "su:…:<i>" undoes that, "sf:…:<i>" follows it,
// "sk:<ed>:<id>" opens the menu of tags to mute, "sb:<ed>:<id>" goes back.
// A press on a story the store no longer keeps is answered with a toast.
const maxStoryTags = 6

// editionLabels are the short names of the editions on "read in" buttons.
var editionLabels = map[news.Lang]string{news.Ukrainian: "УКР", news.Russian: "РУС", news.English: "ENG"}

// ArticleFor renders a single story for one reader: Article with the
// story's buttons. It implements delivery.ChatRenderer.
func (r *Renderer) ArticleFor(a *news.Article, lang news.Lang, breaking bool, chat news.Chat) telegram.Message {
	m := r.Article(a, lang, breaking)
	m.ReplyMarkup = r.storyKeyboard(a, lang, chat)
	if chat.Channel {
		m.ReplyMarkup = channelKeyboard(m.ReplyMarkup)
	}
	return m
}

// storyRef is the part of a story button's data naming the article.
func storyRef(a *news.Article) string {
	return string(a.Edition) + ":" + strconv.FormatInt(a.ID, 10)
}

// storyTags are the article's distinct tags with a slug, at most
// maxStoryTags; button indexes count in this list.
func storyTags(a *news.Article) []news.Tag {
	var out []news.Tag
	for _, t := range a.Tags {
		if t.Slug != "" && !slices.ContainsFunc(out, func(o news.Tag) bool { return o.Slug == t.Slug }) {
			out = append(out, t)
		}
		if len(out) == maxStoryTags {
			break
		}
	}
	return out
}

func tagLabel(t news.Tag) string {
	if name := strings.TrimSpace(t.Name); name != "" {
		return truncateWords(name, 40)
	}
	return t.Slug
}

// storyKeyboard is the keyboard under a story for chat: "read in" buttons
// to the other editions that have it, then the undo button of each of its
// tags the chat muted (or a mute button, a menu when it has several tags),
// then a follow button for the first tag the chat does not follow.
func (r *Renderer) storyKeyboard(a *news.Article, lang news.Lang, chat news.Chat) *telegram.InlineKeyboard {
	var rows [][]telegram.InlineButton
	var read []telegram.InlineButton
	for _, l := range news.Langs {
		if u := a.Alternates[l]; l != a.Edition && strings.HasPrefix(u, "http") {
			read = append(read, telegram.URLButton(r.cat.T(lang, "button.read_in", "lang", editionLabels[l]), u))
		}
	}
	if len(read) > 0 {
		rows = append(rows, read)
	}
	ref, tags := storyRef(a), storyTags(a)
	var actions []telegram.InlineButton
	muted := false
	for i, t := range tags {
		if slices.Contains(chat.MutedTags, t.Slug) {
			muted = true
			actions = append(actions, telegram.CallbackButton(r.cat.T(lang, "button.undo_mute", "tag", tagLabel(t)), "su:"+ref+":"+strconv.Itoa(i)))
		}
	}
	switch {
	case muted || len(tags) == 0:
	case len(tags) == 1:
		actions = append(actions, telegram.CallbackButton("🔕 "+tagLabel(tags[0]), "sm:"+ref+":0"))
	default:
		actions = append(actions, telegram.CallbackButton(r.cat.T(lang, "button.mute_menu"), "sk:"+ref))
	}
	for i, t := range tags {
		if !slices.Contains(chat.Tags, t.Slug) && !slices.Contains(chat.MutedTags, t.Slug) {
			actions = append(actions, telegram.CallbackButton("➕ "+tagLabel(t), "sf:"+ref+":"+strconv.Itoa(i)))
			break
		}
	}
	if len(actions) > 0 {
		rows = append(rows, actions)
	}
	return telegram.NewInlineKeyboard(rows...)
}

// muteMenu lists the story's tags the chat has not muted, one mute button
// each, and a back button.
func (r *Renderer) muteMenu(a *news.Article, lang news.Lang, chat news.Chat) *telegram.InlineKeyboard {
	var rows [][]telegram.InlineButton
	ref := storyRef(a)
	for i, t := range storyTags(a) {
		if !slices.Contains(chat.MutedTags, t.Slug) {
			rows = append(rows, []telegram.InlineButton{telegram.CallbackButton("🔕 "+tagLabel(t), "sm:"+ref+":"+strconv.Itoa(i))})
		}
	}
	rows = append(rows, []telegram.InlineButton{telegram.CallbackButton(r.cat.T(lang, "button.prev"), "sb:"+ref)})
	return telegram.NewInlineKeyboard(rows...)
}

// storyPress is a parsed story button.
type storyPress struct {
	kind string
	ed   news.Lang
	id   int64
	tag  int // -1 when the button names no tag
}

func parseStoryPress(kind, value string) (storyPress, bool) {
	parts := strings.Split(value, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return storyPress{}, false
	}
	ed, ok := news.ParseLang(parts[0])
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if !ok || err != nil || id <= 0 {
		return storyPress{}, false
	}
	p := storyPress{kind: kind, ed: ed, id: id, tag: -1}
	if len(parts) == 3 {
		if p.tag, err = strconv.Atoi(parts[2]); err != nil || p.tag < 0 {
			return storyPress{}, false
		}
	}
	return p, true
}

// onStoryButton handles a press of a story button; answer shows a toast.
func (b *Bot) onStoryButton(ctx context.Context, r *request, q *telegram.CallbackQuery, kind, value string, answer func(string)) error {
	p, ok := parseStoryPress(kind, value)
	if !ok {
		answer(b.cat.T(r.lang, "button.stale"))
		return nil
	}
	a, err := b.store.Article(ctx, p.ed, p.id)
	if err != nil || a == nil {
		answer(b.cat.T(r.lang, "story.gone"))
		return nil
	}
	tags := storyTags(a)
	if p.tag >= len(tags) || (p.tag < 0 && kind != "sk" && kind != "sb") {
		answer(b.cat.T(r.lang, "button.stale"))
		return nil
	}
	msgID := q.Message.MessageID
	switch kind {
	case "sk":
		return b.editMarkup(ctx, r.chatID, msgID, b.render.muteMenu(a, r.lang, r.chat))
	case "sb":
	case "sm":
		if err := b.setTagMute(ctx, r, tags[p.tag], true, answer); err != nil {
			return err
		}
	case "su":
		if err := b.setTagMute(ctx, r, tags[p.tag], false, answer); err != nil {
			return err
		}
	case "sf":
		if err := b.followFromStory(ctx, r, tags[p.tag], answer); err != nil {
			return err
		}
	}
	return b.editMarkup(ctx, r.chatID, msgID, b.render.storyKeyboard(a, r.lang, r.chat))
}

// followFromStory follows a story's tag and says so in a toast.
func (b *Bot) followFromStory(ctx context.Context, r *request, t news.Tag, answer func(string)) error {
	_, err := b.update(ctx, r, func(c *news.Chat) error {
		if slices.Contains(c.Tags, t.Slug) {
			return errAlready
		}
		if len(c.Tags)+len(c.Keywords) >= b.cfg.MaxSubs {
			return errTooMany
		}
		c.Tags, c.Inactive = append(c.Tags, t.Slug), false
		return nil
	})
	switch {
	case err == nil, errors.Is(err, errAlready):
		answer(b.cat.T(r.lang, "subscribe.done_short", "tag", tagLabel(t)))
	case errors.Is(err, errTooMany):
		answer(b.cat.T(r.lang, "subscribe.too_many", "limit", strconv.Itoa(b.cfg.MaxSubs)))
	default:
		return err
	}
	return nil
}

// editMarkup replaces a keyboard; "not modified" (a double press) is no
// failure.
func (b *Bot) editMarkup(ctx context.Context, chatID int64, messageID int, kb *telegram.InlineKeyboard) error {
	err := b.api.EditMarkup(ctx, chatID, messageID, kb)
	if telegram.KindOf(err) == telegram.NotModified {
		return nil
	}
	return err
}
