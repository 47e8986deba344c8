package bot

import (
	"strings"
	"testing"
	"time"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

func testArticle() *news.Article {
	return &news.Article{
		ID: 8060010, Edition: news.English, URL: "https://www.pravda.com.ua/eng/news/2026/11/25/8060010/",
		Headline:  "Russia & <Belarus> hold \"drills\"",
		Summary:   "Troops gathered near the border. Officials said the drills would last a week.",
		Tags:      []news.Tag{{Slug: "russia", Name: "Russia"}, {Slug: "belarus", Name: "Belarus <Minsk>"}},
		Published: time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC),
	}
}

func TestArticleMessage(t *testing.T) {
	r := NewRenderer(i18n.MustLoad())
	m := r.Article(testArticle(), news.English, false)
	for _, want := range []string{
		"<b>Russia &amp; &lt;Belarus&gt; hold &#34;drills&#34;</b>",
		"Troops gathered near the border.",
		"Tags: Russia · Belarus &lt;Minsk&gt;",
		`<a href="https://www.pravda.com.ua/eng/news/2026/11/25/8060010/">Read on Ukrainska Pravda</a>`,
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("message lacks %q:\n%s", want, m.Text)
		}
	}
	if m.ParseMode != "HTML" || !m.Silent || strings.Contains(m.Text, "Breaking") {
		t.Errorf("normal article: ParseMode=%q Silent=%v text=%q", m.ParseMode, m.Silent, m.Text)
	}
	b := r.Article(testArticle(), news.Ukrainian, true)
	if b.Silent || !strings.Contains(b.Text, "Терміново") {
		t.Errorf("breaking article: Silent=%v text=%q", b.Silent, b.Text)
	}
}

// A huge summary is cut at a word so the message fits Telegram's limit.
func TestArticleFitsLimit(t *testing.T) {
	r := NewRenderer(i18n.MustLoad())
	a := testArticle()
	a.Summary = strings.Repeat("Слово & ще 😀 ", 2000)
	m := r.Article(a, news.Ukrainian, false)
	if n := Units(m.Text); n > MaxMessageUnits {
		t.Fatalf("message is %d UTF-16 units, limit %d", n, MaxMessageUnits)
	}
	if !strings.Contains(m.Text, "…") || !strings.Contains(m.Text, "Read on") && !strings.Contains(m.Text, "Читати") {
		t.Errorf("truncated message lost its ellipsis or link: %q", m.Text[len(m.Text)-200:])
	}
	if strings.Contains(m.Text, "&am…") || strings.Contains(m.Text, "\uFFFD") {
		t.Error("truncation cut an entity or a character")
	}
	a.Headline = strings.Repeat("h", 6000)
	if n := Units(r.Article(a, news.English, false).Text); n > MaxMessageUnits {
		t.Errorf("absurd headline: %d units", n)
	}
}

func TestUnits(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{{"abc", 3}, {"Київ", 4}, {"😀", 2}, {"a😀б", 4}, {"", 0}}
	for _, tt := range tests {
		if got := Units(tt.s); got != tt.want {
			t.Errorf("Units(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestTruncateWords(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		want string
	}{
		{"short text", 50, "short text"},
		{"one two three four", 10, "one two…"},
		{"Україна переможе, точно", 18, "Україна переможе…"},
		{"unbreakable", 5, "…"},
	}
	for _, tt := range tests {
		if got := truncateWords(tt.s, tt.max); got != tt.want {
			t.Errorf("truncateWords(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
		}
		if got := truncateWords(tt.s, tt.max); Units(got) > tt.max {
			t.Errorf("truncateWords(%q, %d) is %d units", tt.s, tt.max, Units(got))
		}
	}
}

func TestDigest(t *testing.T) {
	r := NewRenderer(i18n.MustLoad())
	var as []*news.Article
	for i := 0; i < 3; i++ {
		a := testArticle()
		a.Headline = "Story " + string(rune('A'+i))
		as = append(as, a)
	}
	m := r.Digest(as, news.Russian, false)
	for _, want := range []string{"3 новых материала", "Story A", "Story C", `<a href="https://www.pravda.com.ua/`} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("digest lacks %q:\n%s", want, m.Text)
		}
	}
	if !m.Silent {
		t.Error("a normal digest should be silent")
	}
	// Hundreds of long headlines stay within the limit.
	for len(as) < 400 {
		a := testArticle()
		a.Headline = strings.Repeat("long headline ", 20)
		as = append(as, a)
	}
	if n := Units(r.Digest(as, news.English, true).Text); n > MaxMessageUnits {
		t.Errorf("digest of %d articles is %d units", len(as), n)
	}
	if one := r.Digest(as[:1], news.English, false); !strings.Contains(one.Text, "Read on Ukrainska Pravda") {
		t.Errorf("a digest of one is the article itself: %q", one.Text)
	}
}

func TestPlain(t *testing.T) {
	r := NewRenderer(i18n.MustLoad())
	m := r.Plain(telegram.Message{ParseMode: "HTML", Text: `<b>A &amp; B</b> <a href="https://x.test/1">link</a>`})
	if m.ParseMode != "" || m.Text != "A & B link (https://x.test/1)" {
		t.Errorf("Plain = %+v", m)
	}
}

func TestAnnouncementEscapes(t *testing.T) {
	r := NewRenderer(i18n.MustLoad())
	m := r.Announcement("Maintenance <tonight> & tomorrow", news.English)
	if !strings.Contains(m.Text, "Maintenance &lt;tonight&gt; &amp; tomorrow") {
		t.Errorf("announcement not escaped: %q", m.Text)
	}
}
