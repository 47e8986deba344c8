package bot

import (
	"html"
	"regexp"
	"strings"
	"time"
	"unicode/utf16"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// MaxMessageUnits is Telegram's limit on a message's text, in UTF-16 code
// units. Rendered HTML is kept within it, markup included, so the limit
// holds whatever Telegram counts.
const MaxMessageUnits = telegram.MaxTextUnits

// kyiv is the time zone article times are shown in; a fixed +02:00 stands
// in when the system has no time zone database.
var kyiv = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Kyiv"); err == nil {
		return loc
	}
	return time.FixedZone("EET", 2*60*60)
}()

// Renderer turns articles into Telegram messages in HTML parse mode. It
// implements delivery.Renderer.
type Renderer struct {
	cat *i18n.Catalog
}

// NewRenderer returns a renderer using the catalog for its labels.
func NewRenderer(cat *i18n.Catalog) *Renderer { return &Renderer{cat: cat} }

// Units returns the length of s in UTF-16 code units, as Telegram counts.
func Units(s string) int { return telegram.Units(s) }

// esc escapes text for HTML parse mode. Site text arrives with entities
// already decoded (goquery's Text), so only <, >, & and " need escaping.
func esc(s string) string { return html.EscapeString(s) }

// truncateWords shortens plain text to at most max UTF-16 units, cutting at
// a word boundary and adding an ellipsis; it never cuts a word in half.
func truncateWords(s string, max int) string {
	if Units(s) <= max {
		return s
	}
	if max <= 1 {
		return ""
	}
	units, cut := 0, 0
	for i, r := range s {
		if r == ' ' || r == '\n' {
			cut = i
		}
		if units+utf16.RuneLen(r) > max-1 {
			break
		}
		units += utf16.RuneLen(r)
	}
	return strings.TrimRight(s[:cut], " ,;:—-\n") + "…"
}

// tagLabels joins tag names for display.
func tagLabels(tags []news.Tag) string {
	names := make([]string, 0, len(tags))
	for _, t := range tags {
		name := strings.TrimSpace(t.Name)
		if name == "" {
			name = t.Slug
		}
		names = append(names, esc(name))
	}
	return strings.Join(names, " · ")
}

func link(url, text string) string {
	return `<a href="` + esc(url) + `">` + esc(text) + `</a>`
}

// Article renders one article: a breaking label when it is an alert, the
// headline in bold, the summary, the tags and a link. Breaking alerts ring;
// everything else is silent.
func (r *Renderer) Article(a *news.Article, lang news.Lang, breaking bool) telegram.Message {
	var head strings.Builder
	if breaking {
		head.WriteString("🔴 <b>" + esc(r.cat.T(lang, "article.breaking")) + "</b>\n")
	}
	head.WriteString("<b>" + esc(strings.TrimSpace(a.Headline)) + "</b>\n\n")
	var tail strings.Builder
	if len(a.Tags) > 0 {
		tail.WriteString("\n\n" + r.cat.T(lang, "article.tags", "tags", tagLabels(a.Tags)))
	}
	tail.WriteString("\n\n" + link(a.URL, r.cat.T(lang, "article.read")))

	summary := strings.TrimSpace(a.Summary)
	if summary == "" {
		summary = strings.TrimSpace(a.Lead)
	}
	// The summary is what gives way when the message would be too long.
	budget := MaxMessageUnits - Units(head.String()) - Units(tail.String())
	text := head.String() + fitEscaped(summary, budget) + tail.String()
	if Units(text) > MaxMessageUnits { // absurd headline or tags: keep the link
		text = "<b>" + esc(truncateWords(a.Headline, 1000)) + "</b>\n\n" + link(a.URL, r.cat.T(lang, "article.read"))
	}
	return telegram.Message{
		Text:       strings.TrimSpace(strings.ReplaceAll(text, "\n\n\n", "\n\n")),
		ParseMode:  "HTML",
		Silent:     !breaking,
		PreviewURL: a.URL,
	}
}

// fitEscaped returns the escaped text, shortened at a word so that the
// escaped form fits in budget units.
func fitEscaped(s string, budget int) string {
	if budget <= 0 {
		return ""
	}
	out := esc(s)
	for max := budget; Units(out) > budget && max > 0; max -= max/8 + 1 {
		out = esc(truncateWords(s, max))
	}
	return out
}

// Digest renders several articles waiting for one chat as a single message:
// a count, then each headline as a link. Articles that do not fit are left
// out with their count shown.
func (r *Renderer) Digest(as []*news.Article, lang news.Lang, breaking bool) telegram.Message {
	if len(as) == 1 {
		return r.Article(as[0], lang, breaking)
	}
	var b strings.Builder
	if breaking {
		b.WriteString("🔴 <b>" + esc(r.cat.T(lang, "article.breaking")) + "</b>\n")
	}
	b.WriteString(r.cat.N(lang, "digest.header", len(as)) + "\n")
	for _, a := range as {
		line := "\n• " + link(a.URL, truncateWords(strings.TrimSpace(a.Headline), 300))
		if Units(b.String())+Units(line) > MaxMessageUnits-20 {
			b.WriteString("\n…")
			break
		}
		b.WriteString(line)
	}
	return telegram.Message{Text: b.String(), ParseMode: "HTML", Silent: !breaking, DisablePreview: true}
}

// Announcement renders an operator's /broadcast text. The text is the
// operator's own and is sent as written, escaped.
func (r *Renderer) Announcement(text string, lang news.Lang) telegram.Message {
	head := r.cat.T(lang, "broadcast.header") + "\n\n"
	body := fitEscaped(strings.TrimSpace(text), MaxMessageUnits-Units(head))
	return telegram.Message{Text: head + body, ParseMode: "HTML", DisablePreview: true}
}

var (
	anchor = regexp.MustCompile(`<a href="([^"]*)">([^<]*)</a>`)
	tags   = regexp.MustCompile(`<[^>]*>`)
)

// Plain returns the message as plain text, links written out after their
// text: the fallback when Telegram rejects the markup.
func (r *Renderer) Plain(m telegram.Message) telegram.Message {
	if m.ParseMode == "" {
		return m
	}
	s := anchor.ReplaceAllString(m.Text, "$2 ($1)")
	s = tags.ReplaceAllString(s, "")
	m.Text = html.UnescapeString(s)
	m.ParseMode = ""
	if Units(m.Text) > MaxMessageUnits {
		m.Text = truncateWords(m.Text, MaxMessageUnits)
	}
	return m
}

// latestList renders /latest: a header and one line per article with its
// time in Kyiv and the headline as a link.
func (r *Renderer) latestList(header string, as []*news.Article) string {
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, a := range as {
		when := ""
		if !a.Published.IsZero() {
			when = a.Published.In(kyiv).Format("02.01 15:04") + " "
		}
		line := "\n" + esc(when) + link(a.URL, truncateWords(strings.TrimSpace(a.Headline), 300))
		if Units(b.String())+Units(line) > MaxMessageUnits-2 {
			b.WriteString("\n…")
			break
		}
		b.WriteString(line)
	}
	return b.String()
}
