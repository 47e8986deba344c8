package bot

import (
	"context"
	"strings"
	"unicode/utf8"

	"newsbot/internal/news"
)

const (
	// searchResults is the most stories /search lists.
	searchResults = 10
	// maxSearchRunes bounds a search query.
	maxSearchRunes = 200
)

// cmdSearch lists the stored stories of the reader's edition whose
// headline, lead or tags hold every word of the query (at a word's start),
// newest first: "/search budget", "/search зеленськ нато"; a "uk:", "ru:"
// or "en:" prefix searches that edition instead.
func (b *Bot) cmdSearch(ctx context.Context, r *request, arg string) error {
	query := strings.Join(strings.Fields(arg), " ")
	if query == "" || utf8.RuneCountInString(query) > maxSearchRunes {
		return b.replyKey(ctx, r.chatID, r.lang, "search.usage")
	}
	ed := r.lang
	if l, rest, ok := searchEdition(query); ok && rest != "" {
		ed, query = l, rest
	}
	as, err := b.store.Search(ctx, ed, query, searchResults)
	if err != nil {
		return err
	}
	if len(as) == 0 {
		return b.replyKey(ctx, r.chatID, r.lang, "search.none", "query", truncateWords(query, 64))
	}
	header := b.cat.T(r.lang, "search.header", "query", esc(truncateWords(query, 64)))
	return b.reply(ctx, r.chatID, b.render.latestList(header, as), nil)
}

// searchEdition splits a "uk:", "ru:" or "en:" prefix (any case) off a
// query: the edition it names and the rest, or ok false without one.
func searchEdition(query string) (ed news.Lang, rest string, ok bool) {
	q := strings.TrimSpace(query)
	head, tail, found := strings.Cut(q, ":")
	if !found {
		return "", q, false
	}
	if l, valid := news.ParseLang(strings.ToLower(strings.TrimSpace(head))); valid && len(strings.TrimSpace(head)) == 2 {
		return l, strings.TrimSpace(tail), true
	}
	return "", q, false
}
