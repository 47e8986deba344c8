package upravdatest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"strings"
	texttemplate "text/template"
	"time"
	_ "time/tzdata" // Europe/Kyiv must resolve on hosts without zoneinfo.
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"newsbot/internal/news"
)

// kyiv is the site's time zone. Read-only after initialisation.
var kyiv = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		return time.FixedZone("EET", 2*60*60)
	}
	return loc
}()

// Localised words of the pages.
type words struct {
	SiteName, NewsCategory, PubsCategory, ReadAlso, Ad, Trending, Support string
	Months                                                                [12]string
	Weekdays                                                              [7]string
}

var locale = map[news.Lang]words{
	news.Ukrainian: {
		SiteName: "Українська правда", NewsCategory: "Новини", PubsCategory: "Публікації",
		ReadAlso: "Читайте також:", Ad: "Реклама:", Trending: "Тренди", Support: "Підтримайте Українську правду на Patreon!",
		Months:   [12]string{"січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня", "листопада", "грудня"},
		Weekdays: [7]string{"Неділя", "Понеділок", "Вівторок", "Середа", "Четвер", "П'ятниця", "Субота"},
	},
	news.Russian: {
		SiteName: "Украинская правда", NewsCategory: "Новости", PubsCategory: "Публикации",
		ReadAlso: "Читайте также:", Ad: "Реклама:", Trending: "Тренды", Support: "Поддержите Украинскую правду на Patreon!",
		Months:   [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
		Weekdays: [7]string{"Воскресенье", "Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота"},
	},
	news.English: {
		SiteName: "Ukrainska Pravda", NewsCategory: "News", PubsCategory: "Stories",
		ReadAlso: "Read more:", Ad: "Advertisement:", Trending: "Trending", Support: "Support Ukrainska Pravda on Patreon!",
		Months:   [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		Weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	},
}

// shortDate is the current design's date: "24 жовтня, 15:26" (no year).
func shortDate(t time.Time, l news.Lang) string {
	t = t.In(kyiv)
	return fmt.Sprintf("%d %s, %02d:%02d", t.Day(), locale[l].Months[t.Month()-1], t.Hour(), t.Minute())
}

// longDate is the older design's date: "Неділя, 13 квітня 2025, 10:59".
func longDate(t time.Time, l news.Lang) string {
	t = t.In(kyiv)
	w := locale[l]
	return fmt.Sprintf("%s, %d %s %d, %02d:%02d", w.Weekdays[t.Weekday()], t.Day(), w.Months[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// pageData is what the article templates see.
type pageData struct {
	Article
	URL         string
	Base        string
	Prefix      string
	Lang        string
	Words       words
	Date        string
	JSONLD      template.JS
	Alternates  []alternate
	Description string
	FirstPara   string
	Rest        []string
	ReadAlso    string
}

type alternate struct{ Lang, URL string }

// renderArticle renders an article page; the caller holds s.mu.
func (s *Site) renderArticle(a Article) ([]byte, error) {
	d := pageData{
		Article:     a,
		URL:         s.srv.URL + articlePath(a),
		Base:        s.srv.URL,
		Prefix:      prefixOf(a.Edition),
		Lang:        string(a.Edition),
		Words:       locale[a.Edition],
		Description: a.Lead,
	}
	if a.OldMarkup {
		d.Date = longDate(a.Published, a.Edition)
	} else {
		d.Date = shortDate(a.Published, a.Edition)
	}
	for _, l := range news.Langs {
		if other, ok := s.articles[artKey{l, a.ID}]; ok {
			d.Alternates = append(d.Alternates, alternate{string(l), s.srv.URL + articlePath(other)})
		}
	}
	if len(a.Body) > 0 {
		d.FirstPara, d.Rest = a.Body[0], a.Body[1:]
	}
	// A "read also" link to the newest other article of the edition.
	for _, o := range s.listed(a.Edition, func(o Article) bool { return o.ID != a.ID }) {
		d.ReadAlso = o.Headline
		break
	}
	if !a.NoJSONLD {
		js, err := jsonLD(a, d.URL)
		if err != nil {
			return nil, err
		}
		d.JSONLD = template.JS(js)
	}
	tmpl := currentNewsTmpl
	switch {
	case a.OldMarkup:
		tmpl = oldTmpl
	case a.Family != "news":
		tmpl = currentPubTmpl
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("render article %d: %w", a.ID, err)
	}
	return b.Bytes(), nil
}

// jsonLD returns the page's Article object. json.Marshal escapes <, > and
// &, so the result is safe inside a script element.
func jsonLD(a Article, pageURL string) (string, error) {
	typ := "NewsArticle"
	if a.Family != "news" {
		typ = "Article"
	}
	obj := map[string]any{
		"@context":         "https://schema.org",
		"@type":            typ,
		"headline":         a.Headline,
		"description":      a.Lead,
		"articleBody":      strings.Join(a.Body, "\t"),
		"datePublished":    a.Published.In(kyiv).Format(time.RFC3339),
		"dateModified":     a.Published.In(kyiv).Format(time.RFC3339),
		"inLanguage":       string(a.Edition),
		"mainEntityOfPage": map[string]any{"@type": "WebPage", "@id": pageURL},
		"publisher":        map[string]any{"@type": "NewsMediaOrganization", "name": locale[a.Edition].SiteName},
	}
	var authors []any
	for _, n := range a.Authors {
		authors = append(authors, map[string]any{"@type": "Person", "name": n})
	}
	if len(authors) > 0 {
		obj["author"] = authors
	} else {
		obj["author"] = map[string]any{"@type": "Organization", "name": locale[a.Edition].SiteName}
	}
	var kw []string
	for _, t := range a.Tags {
		kw = append(kw, t.Name)
	}
	if len(kw) > 0 {
		obj["keywords"] = kw
	}
	if a.PhotoURL != "" {
		obj["image"] = map[string]any{"@type": "ImageObject", "url": a.PhotoURL, "caption": a.PhotoCredit}
	}
	b, err := json.MarshalIndent(obj, "", "    ")
	return string(b), err
}

const headTmpl = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8"/>
<title>{{.Headline}} | {{.Words.SiteName}}</title>
<meta name="description" content="{{.Description}}"/>
<meta property="og:title" content="{{.Headline}}"/>
<meta property="og:description" content="{{.Description}}"/>
<meta property="og:type" content="article"/>
<meta property="og:url" content="{{.URL}}"/>
{{if .PhotoURL}}<meta property="og:image" content="{{.PhotoURL}}"/>{{end}}
<link rel="canonical" href="{{.URL}}"/>
{{range .Alternates}}<link rel="alternate" hreflang="{{.Lang}}" href="{{.URL}}"/>
{{end}}{{if .JSONLD}}<script type="application/ld+json">{{.JSONLD}}</script>{{end}}
<script>window.dataLayer = window.dataLayer || [];</script>
</head>
<body>
<header class="main_header">
  <nav class="main_menu"><a href="{{.Base}}{{.Prefix}}/news/">{{.Words.NewsCategory}}</a></nav>
  <div class="header_tags"><span>{{.Words.Trending}}</span>
    <a href="{{.Base}}{{.Prefix}}/tags/trending-topic/">trending topic</a>
  </div>
</header>
`

const footTmpl = `
<aside class="section_other_news">
  <div class="section_title"><span>{{.Words.NewsCategory}}</span></div>
  <div class="article_news"><div class="article_title"><a href="{{.Base}}{{.Prefix}}/tags/other-tag/">other</a></div></div>
</aside>
<footer class="footer">© {{.Words.SiteName}}</footer>
</body>
</html>
`

const textTmpl = `
{{if .FirstPara}}<p>{{.FirstPara}}</p>
<div class="advtext_mob">{{.Words.Ad}}</div>
<div class="nts-ad nts-ad-h280"><div class="UPR_ITA"></div></div>
{{end}}{{if .ReadAlso}}<p><strong>{{.Words.ReadAlso}}</strong> <a href="{{.Base}}{{.Prefix}}/news/">{{.ReadAlso}}</a></p>
{{end}}{{range .Rest}}<p>{{.}}</p>
{{end}}<div class="image-box"><div class="image-box__caption">illustration</div></div>
<p>{{.Words.Support}}</p>
`

var currentNewsTmpl = template.Must(template.New("news").Parse(headTmpl + `
<div class="layout">
<article class="post_news">
  <header class="post_news_header">
    <h1 class="post_news_title">
      {{.Headline}}
    </h1>
    <div class="post_news_date">{{range $i, $a := .Authors}}{{if $i}}, {{end}}<span class="post_news_author"><a href="{{$.Base}}{{$.Prefix}}/authors/{{$i}}/">{{$a}}</a></span>{{end}}{{if .Authors}} — {{end}}{{.Date}}</div>
  </header>
  <div class="post_news_body">
    {{if .PhotoURL}}<div class="post_news_photo">
      <picture><img src="{{.PhotoURL}}" alt="{{.Headline}}" loading="lazy"></picture>
      <div class="post_news_photo_captain">{{.PhotoCaption}}</div>
      <div class="post_news_photo_source">{{.PhotoCredit}}</div>
    </div>{{end}}
    <aside class="post_news_service"><div class="post_article_social"><a href="#">share</a></div><div class="post_views">1024</div></aside>
    <div class="post_news_text">` + textTmpl + `</div>
    <div class="post_news_tags">
      {{range .Tags}}<a href="{{$.Base}}{{$.Prefix}}/tags/{{.Slug}}/">
        {{.Name}}
      </a>
      {{end}}
    </div>
    <div class="unit_bottom_banner"><div class="advtext">{{.Words.Ad}}</div></div>
  </div>` + footTmpl))

var currentPubTmpl = template.Must(template.New("pub").Parse(headTmpl + `
<article class="post_article">
  <header class="post_article_header">
    <div class="post_article_header_content">
      <span class="article_label article_label_adv"></span>
      <h1 class="post_article_title">
        {{.Headline}}
      </h1>
      <div class="post_article_author">
        {{range $i, $a := .Authors}}<a href="{{$.Base}}{{$.Prefix}}/authors/{{$i}}/" class="post_article_author_item">
          <span class="post_author_media"><picture><img src="{{$.Base}}/img/{{$i}}.jpg" alt=""></picture></span>
          <span class="post_author_name">
            {{$a}}
          </span>
        </a>
        {{end}}<span class="post_author_date">{{.Date}}</span>
      </div>
    </div>
    {{if .PhotoURL}}<div class="post_article_header_media">
      <picture><img src="{{.PhotoURL}}" alt="{{.Headline}}"></picture>
      {{if .PhotoCaption}}<div class="post_article_header_media_caption">{{.PhotoCaption}}</div>{{end}}
      <div class="post_article_header_media_source">{{.PhotoCredit}}</div>
    </div>{{end}}
  </header>
  <div class="layout_wrapper_article">
    <aside class="post_article_service"><div class="tooltip">copied</div></aside>
    <div class="post_article_body_wrapper"><div class="post_article_body">
      <div class="post_article_text">` + textTmpl + `{{if .Authors}}<p><strong><em>{{range $i, $a := .Authors}}{{if $i}}, {{end}}{{$a}}{{end}}</em></strong></p>{{end}}
      </div>
      <div class="post_news_tags">
        {{range .Tags}}<a href="{{$.Base}}{{$.Prefix}}/tags/{{.Slug}}/">
          {{.Name}}
        </a>
        {{end}}
      </div>
      <div class="unit_side_banner"><div class="advtext">{{.Words.Ad}}</div></div>
    </div></div>
  </div>` + footTmpl))

var oldTmpl = template.Must(template.New("old").Parse(headTmpl + `
<div class="container_main">
<article class="post">
  <h1 class="post_title">{{.Headline}}</h1>
  <div class="post_time">{{if .Authors}}<span class="post_author">{{range $i, $a := .Authors}}{{if $i}}, {{end}}<a href="{{$.Base}}{{$.Prefix}}/authors/{{$i}}/">{{$a}}</a>{{end}}</span>{{end}}{{.Date}}</div>
  {{if .PhotoURL}}<div class="post_photo_news"><img src="{{.PhotoURL}}" alt="">{{if .PhotoCredit}}<div class="post_photo_news_source">{{.PhotoCredit}}</div>{{end}}</div>{{end}}
  <div class="post_text">` + textTmpl + `<div class="advtext">{{.Words.Ad}}</div>
  </div>
  <div class="post_tags">
    {{range .Tags}}<a href="{{$.Base}}{{$.Prefix}}/tags/{{.Slug}}/">{{.Name}}</a>{{end}}
  </div>
</article>
</div>` + footTmpl))

// listData is what the list template sees.
type listData struct {
	Lang   string
	Words  words
	Base   string
	Prefix string
	Items  []listEntry
	Old    bool
}

type listEntry struct {
	URL, Title, Time, Lead string
	Bold, Red              bool
	Label                  string
}

// renderList renders an edition's /news/ page; the caller holds s.mu.
func (s *Site) renderList(ed news.Lang) ([]byte, error) {
	d := listData{Lang: string(ed), Words: locale[ed], Base: s.srv.URL, Prefix: prefixOf(ed), Old: s.listMarkup == ListOld}
	items := s.listed(ed, func(a Article) bool { return a.Family == "news" })
	if len(items) > 50 {
		items = items[:50]
	}
	for i, a := range items {
		e := listEntry{
			URL:   s.srv.URL + articlePath(a),
			Title: a.Headline,
			Time:  a.Published.In(kyiv).Format("15:04"),
			Lead:  a.Lead,
			Bold:  a.Important,
		}
		if d.Old {
			// The older markup used relative links.
			e.URL = articlePath(a)
		}
		if i%3 == 1 {
			e.Label = "фото"
		}
		d.Items = append(d.Items, e)
		if s.junk && i == 0 {
			d.Items = append(d.Items, listEntry{URL: "https://www.epravda.com.ua/news/2026/01/08/813999/", Title: "sister site", Time: e.Time},
				listEntry{URL: "https://life.pravda.com.ua/society/2026/01/08/242999/", Title: "life", Time: e.Time})
		}
	}
	var b bytes.Buffer
	if err := listTmpl.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("render list %s: %w", ed, err)
	}
	return b.Bytes(), nil
}

var listTmpl = template.Must(template.New("list").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"/><title>{{.Words.NewsCategory}} | {{.Words.SiteName}}</title></head>
<body>
<header class="main_header"><nav><a href="{{.Base}}{{.Prefix}}/articles/">{{.Words.PubsCategory}}</a></nav></header>
{{if .Old}}<div class="container_sub_news_list"><div class="container_sub_news_list_wrapper mode1">
{{range .Items}}<div class="article_news_list{{if .Bold}} article_news_bold{{end}}{{if .Red}} article_news_red{{end}}">
  <div class="article_time">{{.Time}}</div>
  <div class="article_content">
    <div class="article_header"><a href="{{.URL}}">{{if .Label}}<em>{{.Label}}</em>{{end}}{{.Title}}</a></div>
    <div class="article_subheader">{{.Lead}}</div>
  </div>
</div>
{{end}}</div></div>
{{else}}<div class="section_news_list_wrapper">
{{range .Items}}<div class="article_news_list{{if .Bold}} article_news_bold{{end}}{{if .Red}} article_news_red{{end}}">
  <div class="article_time">{{.Time}}</div>
  <div class="article_title"><a href="{{.URL}}">{{.Title}}{{if .Label}} <span class="article_label">{{.Label}}</span>{{end}}</a></div>
</div>
{{end}}</div>
{{end}}</body>
</html>
`))

// feedItem is what the feed template sees.
type feedItem struct {
	Title, Link, Category, Creator, PubDate, Description, Content, Image string
}

type feedData struct {
	Encoding, Title, Link, Lang string
	TTL                         int
	Items                       []feedItem
}

// renderFeed renders one feed of an edition ("" = everything); the caller
// holds s.mu.
func (s *Site) renderFeed(ed news.Lang, feed string) ([]byte, string, error) {
	w := locale[ed]
	keep := func(a Article) bool { return true }
	switch feed {
	case "news":
		keep = func(a Article) bool { return a.Family == "news" }
	case "mainnews":
		keep = func(a Article) bool { return a.Family == "news" && a.Important }
	case "pubs":
		keep = func(a Article) bool { return a.Family != "news" }
	}
	d := feedData{Encoding: "UTF-8", Title: w.SiteName, Link: s.srv.URL + prefixOf(ed) + "/", Lang: string(ed), TTL: s.ttl}
	if s.charset == "windows-1251" {
		d.Encoding = "windows-1251"
	}
	items := s.listed(ed, keep)
	if len(items) > s.feedLimit {
		items = items[:s.feedLimit]
	}
	for i, a := range items {
		cat := w.NewsCategory
		if a.Family != "news" {
			cat = w.PubsCategory
		}
		var content strings.Builder
		for _, p := range a.Body {
			content.WriteString("<p>" + template.HTMLEscapeString(p) + "</p>")
		}
		d.Items = append(d.Items, feedItem{
			Title:       a.Headline,
			Link:        s.srv.URL + articlePath(a),
			Category:    cat,
			Creator:     strings.Join(a.Authors, ", "),
			PubDate:     a.Published.In(kyiv).Format(time.RFC1123Z),
			Description: a.Lead,
			Content:     content.String(),
			Image:       a.PhotoURL,
		})
		if s.junk && i == 0 {
			d.Items = append(d.Items,
				feedItem{Title: "sister site", Link: "https://www.epravda.com.ua/news/2026/01/08/813999/", Category: cat, PubDate: d.Items[0].PubDate},
				feedItem{Title: "life", Link: "https://life.pravda.com.ua/society/2026/01/08/242999/", Category: cat, PubDate: d.Items[0].PubDate},
				feedItem{Title: "video", Link: "xYz0AbC1dEf", PubDate: d.Items[0].PubDate})
		}
	}
	var b bytes.Buffer
	if err := feedTmpl.Execute(&b, d); err != nil {
		return nil, "", fmt.Errorf("render feed %s %s: %w", ed, feed, err)
	}
	if d.Encoding == "windows-1251" {
		out, err := toWindows1251(b.String())
		return out, "application/rss+xml; charset=windows-1251", err
	}
	return b.Bytes(), "application/rss+xml; charset=utf-8", nil
}

// toWindows1251 encodes s, writing characters the charset lacks as XML
// character references.
func toWindows1251(s string) ([]byte, error) {
	enc := charmap.Windows1251
	var b bytes.Buffer
	for _, r := range s {
		if c, ok := enc.EncodeRune(r); ok {
			b.WriteByte(c)
			continue
		}
		if r == utf8.RuneError {
			continue
		}
		fmt.Fprintf(&b, "&#%d;", r)
	}
	return b.Bytes(), nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

var feedTmpl = texttemplate.Must(texttemplate.New("feed").Funcs(texttemplate.FuncMap{"x": xmlEscape}).Parse(`<?xml version="1.0" encoding="{{.Encoding}}"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>{{x .Title}}</title>
    <link>{{x .Link}}</link>
    <description>{{x .Title}}</description>
    <language>{{.Lang}}</language>
{{if .TTL}}    <ttl>{{.TTL}}</ttl>
{{end}}{{range .Items}}    <item>
      <title>{{x .Title}}</title>
      <link>{{x .Link}}</link>
{{if .Creator}}      <dc:creator>{{x .Creator}}</dc:creator>
{{end}}      <category>{{x .Category}}</category>
      <pubDate>{{.PubDate}}</pubDate>
      <description>{{x .Description}}</description>
      <content:encoded>{{x .Content}}</content:encoded>
      <guid>{{x .Link}}</guid>
{{if .Image}}      <enclosure url="{{x .Image}}" type="image/jpeg" length="0"/>
{{end}}    </item>
{{end}}  </channel>
</rss>
`))
