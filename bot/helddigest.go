package bot

import (
	"html"
	"slices"
	"strings"

	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// HeldDigest renders the stories a chat's quiet hours or daily digest held
// (given newest first) as one message: a header with their count, then the
// headlines as links, grouped under a tag (the first of the story's tags
// the chat follows, else its first tag; groups in the order of their
// newest story). It returns the message and how many of as it holds: all
// of them unless Telegram's limit (4096 UTF-16 units of the text after
// entity parsing) forces a split, when the newest that fit go first and
// the caller sends the rest in the next part. It implements
// delivery.HeldRenderer.
func (r *Renderer) HeldDigest(as []*news.Article, lang news.Lang, chat news.Chat, daily bool) (telegram.Message, int) {
	if len(as) == 0 {
		return telegram.Message{}, 0
	}
	fits := func(n int) bool { return visibleUnits(r.heldText(as[:n], lang, chat, daily)) <= MaxMessageUnits }
	n := len(as)
	if !fits(n) {
		// The most that fit: fits(lo) holds (or lo is 1), fits(hi) does not.
		lo, hi := 1, n
		for hi-lo > 1 {
			if mid := (lo + hi) / 2; fits(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		n = lo
	}
	text := r.heldText(as[:n], lang, chat, daily)
	if visibleUnits(text) > MaxMessageUnits { // one absurd story: its link stays
		text = link(as[0].URL, truncateWords(strings.TrimSpace(as[0].Headline), 1000))
	}
	return telegram.Message{Text: text, ParseMode: "HTML", Silent: true, DisablePreview: true}, n
}

// heldText renders the digest of as.
func (r *Renderer) heldText(as []*news.Article, lang news.Lang, chat news.Chat, daily bool) string {
	type group struct {
		label string
		lines []string
	}
	var groups []*group
	byLabel := map[string]*group{}
	for _, a := range as {
		label := esc(digestLabel(r, a, lang, chat))
		g := byLabel[label]
		if g == nil {
			g = &group{label: label}
			byLabel[label] = g
			groups = append(groups, g)
		}
		g.lines = append(g.lines, "• "+link(a.URL, truncateWords(strings.TrimSpace(a.Headline), 300)))
	}
	key := "digest.quiet_header"
	if daily {
		key = "digest.daily_header"
	}
	var b strings.Builder
	b.WriteString(r.cat.N(lang, key, len(as)))
	for _, g := range groups {
		b.WriteString("\n\n<b>" + g.label + "</b>\n" + strings.Join(g.lines, "\n"))
	}
	return b.String()
}

// digestLabel is the name of the group a story goes under.
func digestLabel(r *Renderer, a *news.Article, lang news.Lang, chat news.Chat) string {
	tag := -1
	for i, t := range a.Tags {
		if slices.Contains(chat.Tags, t.Slug) {
			tag = i
			break
		}
	}
	if tag < 0 && len(a.Tags) > 0 {
		tag = 0
	}
	if tag < 0 {
		return r.cat.T(lang, "digest.other")
	}
	if name := strings.TrimSpace(a.Tags[tag].Name); name != "" {
		return name
	}
	return a.Tags[tag].Slug
}

// visibleUnits is the length Telegram checks against its limit: the text
// of an HTML message after entity parsing (tags removed, entities
// decoded), in UTF-16 units.
func visibleUnits(s string) int {
	return Units(html.UnescapeString(tags.ReplaceAllString(s, "")))
}
