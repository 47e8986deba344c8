// Package site knows the shape of www.pravda.com.ua that every reader of
// it needs: the URL scheme of its articles in the three editions (Ukrainian
// at the root, Russian under /rus/, English under /eng/), the time zone it
// states times in, and the resolution of the links it prints. It does no
// I/O.
package site

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Kyiv must resolve on hosts without zoneinfo.

	"newsbot/internal/news"
)

// Host is the host of the real site; ParseArticleURL accepts it with or
// without "www.".
const Host = "www.pravda.com.ua"

// kyiv is the site's time zone, used when a page gives a time without an
// offset. Read-only after initialisation.
var kyiv = loadKyiv()

func loadKyiv() *time.Location {
	if loc, err := time.LoadLocation("Europe/Kyiv"); err == nil {
		return loc
	}
	if loc, err := time.LoadLocation("Europe/Kiev"); err == nil {
		return loc
	}
	return time.FixedZone("EET", 2*60*60)
}

// Kyiv returns the Europe/Kyiv location, in which the site states times.
func Kyiv() *time.Location { return kyiv }

// articlePath matches the path of an article page in any edition:
// /[rus/|eng/]{section}[/{sub}]/{YYYY}/{MM}/{DD}/{ID}/ (day and month may
// be unpadded; an index.amp variant exists). The site's own sitemap lists
// sections beyond the known families (news, articles, columns, projects,
// interview, events, podcasts) and sections with a sub-path, such as
// /podcasts/{show}/2025/12/01/8009801/: every section is accepted, see
// validSection.
var articlePath = regexp.MustCompile(`^/(?:(rus|eng)/)?([a-z][a-z0-9-]*)(?:/([a-z0-9][a-z0-9-]*))?/(\d{4})/(\d{1,2})/(\d{1,2})/(\d{1,18})/?(?:index\.amp)?$`)

// families are the sections documented on the site.
var families = map[string]bool{
	"news": true, "articles": true, "columns": true, "projects": true,
	"interview": true, "events": true, "podcasts": true,
}

// notSections are first path segments that are never a section of
// articles: edition prefixes and the site's service paths.
var notSections = map[string]bool{
	"rus": true, "eng": true, "rss": true, "tags": true, "authors": true, "search": true, "sitemap": true,
}

// validSection reports whether section (and sub, "" when absent) can be the
// section path of an article. A known family under an unknown first segment
// (/deu/news/…) is an edition the site does not have, not a sub-section.
func validSection(section, sub string) bool {
	if notSections[section] || notSections[sub] {
		return false
	}
	return sub == "" || families[section] || !families[sub]
}

// Ref is what an article URL says about the article.
type Ref struct {
	ID      int64
	Edition news.Lang
	// Family is the section: news, articles, columns, … (the first segment
	// after the edition prefix; a sub-section such as a podcast's show is
	// not part of it).
	Family string
	// Day is the date in the URL, at midnight in Kyiv.
	Day time.Time
	// Host is the URL's host, lower case, without "www." (see NormHost).
	Host string
}

// ParsePath parses an absolute http(s) URL whose path is an article path.
// It does not check the host.
func ParsePath(raw string) (Ref, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Ref{}, false
	}
	m := articlePath.FindStringSubmatch(u.Path)
	if m == nil {
		return Ref{}, false
	}
	if !validSection(m[2], m[3]) {
		return Ref{}, false
	}
	id, err := strconv.ParseInt(m[7], 10, 64)
	if err != nil || id <= 0 {
		return Ref{}, false
	}
	y, _ := strconv.Atoi(m[4])
	mo, _ := strconv.Atoi(m[5])
	d, _ := strconv.Atoi(m[6])
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return Ref{}, false
	}
	return Ref{
		ID:      id,
		Edition: editionOfPrefix(m[1]),
		Family:  m[2],
		Day:     time.Date(y, time.Month(mo), d, 0, 0, 0, 0, kyiv),
		Host:    NormHost(u.Host),
	}, true
}

// ParseArticleURL parses the URL of an article page of www.pravda.com.ua
// (with or without "www.", http or https) and returns the article's ID, its
// edition and its family ("news", "articles", "columns", ...; any section
// of the form /{section}[/{sub}]/YYYY/MM/DD/ID/). It reports
// false for any other URL: sister sites, tag pages, lists, junk.
func ParseArticleURL(u string) (id int64, edition news.Lang, family string, ok bool) {
	ref, ok := ParsePath(u)
	if !ok || ref.Host != NormHost(Host) {
		return 0, "", "", false
	}
	return ref.ID, ref.Edition, ref.Family, true
}

// EditionOf returns the edition of an article URL of www.pravda.com.ua.
func EditionOf(articleURL string) (news.Lang, bool) {
	_, ed, _, ok := ParseArticleURL(articleURL)
	return ed, ok
}

// NormHost lower-cases a host and drops a leading "www.".
func NormHost(h string) string {
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

// EditionPrefix returns the path prefix of an edition: "", "rus/" or "eng/".
func EditionPrefix(l news.Lang) string {
	switch l {
	case news.Russian:
		return "rus/"
	case news.English:
		return "eng/"
	}
	return ""
}

// AcceptLanguage returns the Accept-Language header a reader of the
// edition sends.
func AcceptLanguage(l news.Lang) string {
	switch l {
	case news.Russian:
		return "ru-UA,ru;q=0.9,uk;q=0.8,en;q=0.6"
	case news.English:
		return "en-US,en;q=0.9,uk;q=0.6"
	}
	return "uk-UA,uk;q=0.9,en;q=0.6"
}

// Clock reads the hour and minute of a time the site prints ("14" and
// "05" of "14:05"); it reports false for anything out of range.
func Clock(h, m string) (int, int, bool) {
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh > 23 || mm > 59 {
		return 0, 0, false
	}
	return hh, mm, true
}

// Resolve resolves ref against base; ref unchanged when either is not a
// URL.
func Resolve(base, ref string) string {
	return ResolveRef(ParseBase(base), ref)
}

// ParseBase parses a base URL for ResolveRef (nil when base is empty or not
// a URL), so that a page's links are resolved without parsing it each time.
func ParseBase(base string) *url.URL {
	if base == "" {
		return nil
	}
	b, err := url.Parse(base)
	if err != nil {
		return nil
	}
	return b
}

// ResolveRef is Resolve with a parsed base (nil: ref is returned trimmed).
func ResolveRef(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || base == nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return base.ResolveReference(r).String()
}

// AbsURL returns u when it is an absolute http(s) URL, "" otherwise.
func AbsURL(u string) string {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https") {
		return ""
	}
	return u
}
