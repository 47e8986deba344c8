package upravda

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"newsbot/internal/news"
)

// SiteHost is the host of the real site; ParseArticleURL accepts it with or
// without "www.".
const SiteHost = "www.pravda.com.ua"

// articlePath matches the path of an article page in any edition:
// /[rus/|eng/]{family}/{YYYY}/{MM}/{DD}/{ID}/ (day and month may be unpadded;
// an index.amp variant exists).
var articlePath = regexp.MustCompile(`^/(?:(rus|eng)/)?(news|articles|columns|projects|interview|events|podcasts)/(\d{4})/(\d{1,2})/(\d{1,2})/(\d{1,18})/?(?:index\.amp)?$`)

// articleRef is what an article URL says about the article.
type articleRef struct {
	ID      int64
	Edition news.Lang
	Family  string
	// Day is the date in the URL, at midnight in Kyiv.
	Day time.Time
	// Host is the URL's host, lower case, without "www.".
	Host string
}

// parseArticlePath parses an absolute http(s) URL whose path is an article
// path. It does not check the host.
func parseArticlePath(raw string) (articleRef, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return articleRef{}, false
	}
	m := articlePath.FindStringSubmatch(u.Path)
	if m == nil {
		return articleRef{}, false
	}
	id, err := strconv.ParseInt(m[6], 10, 64)
	if err != nil || id <= 0 {
		return articleRef{}, false
	}
	y, _ := strconv.Atoi(m[3])
	mo, _ := strconv.Atoi(m[4])
	d, _ := strconv.Atoi(m[5])
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return articleRef{}, false
	}
	return articleRef{
		ID:      id,
		Edition: editionOfPrefix(m[1]),
		Family:  m[2],
		Day:     time.Date(y, time.Month(mo), d, 0, 0, 0, 0, kyiv),
		Host:    normHost(u.Host),
	}, true
}

// ParseArticleURL parses the URL of an article page of www.pravda.com.ua
// (with or without "www.", http or https) and returns the article's ID, its
// edition and its family ("news", "articles", "columns", ...). It reports
// false for any other URL: sister sites, tag pages, lists, junk.
func ParseArticleURL(u string) (id int64, edition news.Lang, family string, ok bool) {
	ref, ok := parseArticlePath(u)
	if !ok || ref.Host != normHost(SiteHost) {
		return 0, "", "", false
	}
	return ref.ID, ref.Edition, ref.Family, true
}

// EditionOf returns the edition of an article URL of www.pravda.com.ua.
func EditionOf(articleURL string) (news.Lang, bool) {
	_, ed, _, ok := ParseArticleURL(articleURL)
	return ed, ok
}

// normHost lower-cases a host and drops a leading "www.".
func normHost(h string) string {
	h = strings.ToLower(h)
	return strings.TrimPrefix(h, "www.")
}

func editionOfPrefix(p string) news.Lang {
	switch p {
	case "rus":
		return news.Russian
	case "eng":
		return news.English
	}
	return news.Ukrainian
}

// editionPrefix returns the path prefix of an edition: "", "rus/" or "eng/".
func editionPrefix(l news.Lang) string {
	switch l {
	case news.Russian:
		return "rus/"
	case news.English:
		return "eng/"
	}
	return ""
}

// tagSlug returns the slug of a tag page URL (".../tags/{slug}/"), unescaped.
func tagSlug(href string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return "", false
	}
	p := u.Path
	i := strings.Index(p, "/tags/")
	if i < 0 {
		return "", false
	}
	slug := strings.Trim(p[i+len("/tags/"):], "/")
	if slug == "" || strings.Contains(slug, "/") {
		return "", false
	}
	return slug, true
}
