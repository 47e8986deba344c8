package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/delivery"
	"newsbot/internal/i18n"
	"newsbot/internal/news"
)

var _ delivery.HeldRenderer = (*Renderer)(nil)

func heldArticle(id int, headline string, tags ...news.Tag) *news.Article {
	return &news.Article{ID: int64(id), Edition: news.English, Headline: headline, Tags: tags,
		URL: fmt.Sprintf("https://www.pravda.com.ua/eng/news/2026/11/25/%d/", id)}
}

// The held digest lists the stories newest first (as given), grouped under
// the tag the reader follows (else the story's first tag), groups in the
// order of their newest story.
func TestHeldDigestGroupsByTag(t *testing.T) {
	r := NewRenderer(i18n.MustLoad())
	kyiv, war, sport := news.Tag{Slug: "kyiv", Name: "Kyiv"}, news.Tag{Slug: "war", Name: "War"}, news.Tag{Slug: "sport", Name: "Sport"}
	as := []*news.Article{
		heldArticle(4, "Four", war, kyiv),
		heldArticle(3, "Three & more", sport),
		heldArticle(2, "Two", kyiv),
		heldArticle(1, "One"),
	}
	chat := news.Chat{Lang: news.English, Tags: []string{"kyiv", "sport"}}
	m, n := r.HeldDigest(as, news.English, chat, false)
	if n != 4 || m.ParseMode != "HTML" || !m.Silent || !m.DisablePreview {
		t.Fatalf("HeldDigest holds %d, parse mode %q, silent %v", n, m.ParseMode, m.Silent)
	}
	link := func(id int, text string) string {
		return fmt.Sprintf(`• <a href="https://www.pravda.com.ua/eng/news/2026/11/25/%d/">%s</a>`, id, text)
	}
	want := "🌙 <b>While you were away: 4 stories</b>\n\n" +
		"<b>Kyiv</b>\n" + link(4, "Four") + "\n" + link(2, "Two") + "\n\n" +
		"<b>Sport</b>\n" + link(3, "Three &amp; more") + "\n\n" +
		"<b>Other news</b>\n" + link(1, "One")
	if diff := cmp.Diff(want, m.Text); diff != "" {
		t.Errorf("digest (-want +got):\n%s", diff)
	}
	for _, l := range []news.Lang{news.Ukrainian, news.Russian} {
		d, _ := r.HeldDigest(as, l, chat, true)
		if !strings.Contains(d.Text, "4 ") || !strings.HasPrefix(d.Text, "📰") {
			t.Errorf("%s daily digest header: %q", l, strings.SplitN(d.Text, "\n", 2)[0])
		}
	}
}

// A digest longer than Telegram's limit is split: the newest stories that
// fit first, counted as Telegram counts (the text after entity parsing,
// so escaped characters count once and markup not at all).
func TestHeldDigestSplitsAtTheLimit(t *testing.T) {
	r := NewRenderer(i18n.MustLoad())
	var as []*news.Article
	for i := range 60 {
		// 100 visible units each, 500 bytes of escaped HTML.
		as = append(as, heldArticle(1000+i, fmt.Sprintf("%03d ", i)+strings.Repeat("&", 96), news.Tag{Slug: "war", Name: "War"}))
	}
	chat := news.Chat{Lang: news.English}
	m, n := r.HeldDigest(as, news.English, chat, false)
	if n <= 30 || n >= 60 {
		t.Fatalf("the first part holds %d of 60 stories, want 31..59", n)
	}
	if u := visibleUnits(m.Text); u > MaxMessageUnits {
		t.Errorf("the first part is %d units after entity parsing, over %d", u, MaxMessageUnits)
	}
	if !strings.Contains(m.Text, "000 ") || strings.Contains(m.Text, fmt.Sprintf("%03d ", n)) {
		t.Errorf("the first part should hold the first %d stories given (the newest)", n)
	}
	bigger := append([]*news.Article{}, as[:n+1]...)
	if _, k := r.HeldDigest(bigger, news.English, chat, false); k != n {
		t.Errorf("one more story than fits: %d held, want %d", k, n)
	}
	rest, k := r.HeldDigest(as[n:], news.English, chat, false)
	if k != 60-n || visibleUnits(rest.Text) > MaxMessageUnits {
		t.Errorf("the second part holds %d (want %d), %d units", k, 60-n, visibleUnits(rest.Text))
	}
}
