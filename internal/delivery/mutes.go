package delivery

import (
	"context"

	"newsbot/internal/news"
	"newsbot/internal/text"
)

// applyMutes removes from recipients the chats that muted one of the
// article's tags or a word or phrase of its text (headline, lead, summary,
// tag names: what keyword subscriptions match). The text is split and
// folded once; each distinct mute of the edition is matched once, with the
// word-start matching of name subscriptions (text.MatchKeyword), linear in
// the text: no per-reader pattern. A breaking alert still reaches the
// breaking subscribers who let breaking news through their mutes.
func (e *Engine) applyMutes(ctx context.Context, a *news.Article, recipients map[int64]int) error {
	if len(recipients) == 0 {
		return nil
	}
	muted := make(map[int64]bool)
	seen := make(map[string]bool, len(a.Tags))
	for _, t := range a.Tags {
		if t.Slug == "" || seen[t.Slug] {
			continue
		}
		seen[t.Slug] = true
		ids, err := e.st.MutedTagSubscribers(ctx, a.Edition, t.Slug)
		if err != nil {
			continue // a slug the store rejects has no muters either
		}
		for _, id := range ids {
			muted[id] = true
		}
	}
	var words []string
	ids, err := e.st.MutedBy(ctx, a.Edition, func(w string) bool {
		if words == nil {
			words = text.SearchWords(a.Searchable()...)
		}
		return text.MatchKeyword(words, w)
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		muted[id] = true
	}
	return e.dropMuted(ctx, a, recipients, muted)
}

// dropMuted deletes the muted chats from recipients, keeping the breaking
// alerts of the chats that let them through.
func (e *Engine) dropMuted(ctx context.Context, a *news.Article, recipients map[int64]int, muted map[int64]bool) error {
	if len(muted) == 0 {
		return nil
	}
	var through map[int64]bool
	if a.Important {
		ids, err := e.st.BreakingUnmutedSubscribers(ctx, a.Edition)
		if err != nil {
			return err
		}
		through = make(map[int64]bool, len(ids))
		for _, id := range ids {
			through[id] = true
		}
	}
	for id := range muted {
		if prio, ok := recipients[id]; ok && !(prio == prioBreaking && through[id]) {
			delete(recipients, id)
		}
	}
	return nil
}
