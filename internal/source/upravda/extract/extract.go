// Package extract reads an article page of Ukrainska Pravda: bytes (with
// the page's URL and edition, when known) in, a news.Article out. It does
// no I/O. The page is read layer by layer (JSON-LD, the current markup, the
// older ones, OpenGraph), so that the site's redesigns degrade the result
// instead of breaking it; the Result says which layers worked, for drift
// alerts.
package extract

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/markup"
	"newsbot/internal/source/upravda/site"
	"newsbot/internal/summary"
	"newsbot/internal/text"
)

// Errors of the extractor. Callers test them with errors.Is.
var (
	// ErrNoHeadline means no layer of the page yielded a headline: the
	// page is not an article, or the site's markup changed.
	ErrNoHeadline = errors.New("no headline on the page")
	// ErrNoEdition means the edition could not be told from the
	// arguments, the URL or the page.
	ErrNoEdition = errors.New("edition unknown")
)

// Result is an article with what the extractor learnt on the way.
type Result struct {
	Article *news.Article
	// JSONLD is set when an Article object was found in JSON-LD.
	JSONLD bool
	// Markup is the template that yielded the headline or the text (one of
	// markup.Current, Old, Y2016, Y2014; "" when none matched: only
	// metadata was read).
	Markup string
	// Description is the page's meta description, for summaries.
	Description string
}

// Options tune Page. The zero value is fine.
type Options struct {
	// Ref is the time of reading, used only for dates printed without a
	// year on pages whose URL has no date (zero: such dates are not read).
	Ref time.Time
	// Budget is the summary length in characters (0: summary.DefaultBudget).
	Budget int
}

// indexedClasses are the classes the extractor looks up; the page is walked
// once to collect them.
var indexedClasses = [...]string{
	// current
	"post_news", "post_article", "post_news_title", "post_article_title",
	"post_news_date", "post_author_date", "post_news_author", "post_author_name",
	"post_article_author_item", "post_news_text", "post_article_text",
	"post_news_tags", "post_news_photo", "post_news_photo_captain",
	"post_news_photo_source", "post_article_header_media",
	"post_article_header_media_source", "post_article_header_media_caption",
	// old (2020-2025)
	"post", "post_title", "post_time", "post_author", "post_text",
	"post_tags", "post_photo_news", "post_photo_news_caption", "post_photo_news_source",
	// 2016
	"post_news__title", "post_news__date", "post_news__text", "post__tags",
	"post_news__photo", "post_news__photo__img", "post_news__photo__author",
	"post_news__photo__about", "post__author", "post__title", "post__text",
	"post__date",
	// 2014
	"title", "dt2", "text", "tags",
}

// classIndex maps each of indexedClasses to its position.
var classIndex = func() map[string]int {
	m := make(map[string]int, len(indexedClasses))
	for i, c := range indexedClasses {
		m[c] = i
	}
	return m
}()

// classStarts holds the first bytes of indexedClasses: most of a page's
// classes are passed over without a look-up.
var classStarts = func() (starts [256]bool) {
	for _, c := range indexedClasses {
		starts[c[0]] = true
	}
	return starts
}()

// page is a parsed page with the nodes the extractor needs, found in one
// walk.
type page struct {
	doc    *goquery.Document
	lang   string
	metas  map[string]string
	links  []*html.Node
	ldJSON []string
	// byClass holds the elements of each of indexedClasses, in document
	// order (see class).
	byClass [len(indexedClasses)][]*html.Node
}

// class returns the elements with the class c, one of indexedClasses, in
// document order.
func (p *page) class(c string) []*html.Node {
	if i, ok := classIndex[c]; ok {
		return p.byClass[i]
	}
	return nil
}

func parsePage(b []byte) (*page, error) {
	root, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("extract: unable to parse the page: %w", err)
	}
	p := &page{
		doc:   goquery.NewDocumentFromNode(root),
		metas: make(map[string]string, 16),
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				p.lang = markup.Attr(n, "lang")
			case atom.Meta:
				key := strings.ToLower(markup.Attr(n, "property"))
				if key == "" {
					key = strings.ToLower(markup.Attr(n, "name"))
				}
				if key == "" {
					key = strings.ToLower(markup.Attr(n, "itemprop"))
				}
				if _, seen := p.metas[key]; key != "" && !seen {
					p.metas[key] = markup.Attr(n, "content")
				}
			case atom.Link:
				p.links = append(p.links, n)
			case atom.Script:
				if strings.EqualFold(strings.TrimSpace(markup.Attr(n, "type")), "application/ld+json") && n.FirstChild != nil {
					p.ldJSON = append(p.ldJSON, n.FirstChild.Data)
				}
				return
			case atom.Style, atom.Svg:
				return
			}
			for c := range strings.FieldsSeq(markup.Attr(n, "class")) {
				if !classStarts[c[0]] {
					continue
				}
				if i, ok := classIndex[c]; ok {
					p.byClass[i] = append(p.byClass[i], n)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return p, nil
}

// first returns the first indexed node with one of the classes (in the
// order given) that passes ok (nil: any).
func (p *page) first(ok func(*html.Node) bool, classes ...string) *html.Node {
	for _, c := range classes {
		for _, n := range p.class(c) {
			if ok == nil || ok(n) {
				return n
			}
		}
	}
	return nil
}

func isTag(a atom.Atom) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.DataAtom == a }
}

// Article parses one article page already in memory. pageURL is where the
// page came from (it gives the ID, the edition and the date for dates
// printed without a year; "" when unknown); edition may be "" to take it
// from the URL or the page.
//
// The layers are read most reliable first: JSON-LD, the current markup
// (post_news_*, post_article_*), the older ones (post_*, post_news__*, the
// 2014 table layout), then OpenGraph and meta tags. Each field takes the
// first layer that has it. Tags come only from the page's tag block; when
// there is none the article has TagsMissing set. The summary is filled in.
//
// Article returns ErrNoHeadline when no layer has a headline and
// ErrNoEdition when the edition cannot be told.
func Article(page []byte, pageURL string, edition news.Lang) (*news.Article, error) {
	x, err := Page(page, pageURL, edition, Options{})
	if err != nil {
		return nil, err
	}
	if x.Article.Headline == "" {
		return x.Article, fmt.Errorf("extract: unable to read %s: %w", displayURL(pageURL), ErrNoHeadline)
	}
	return x.Article, nil
}

func displayURL(u string) string {
	if u == "" {
		return "the page"
	}
	return u
}

// Page reads an article as Article does, and says which layers worked. It
// returns an error only when the page cannot be parsed or its edition is
// unknown; a missing headline is the caller's business.
func Page(b []byte, pageURL string, edition news.Lang, opts Options) (*Result, error) {
	p, err := parsePage(b)
	if err != nil {
		return nil, err
	}
	x := &Result{Article: &news.Article{}}
	a := x.Article
	ld, hasLD := parseJSONLD(p.ldJSON)
	x.JSONLD = hasLD
	base := site.ParseBase(pageURL)

	ref, err := p.identify(a, ld, base, pageURL, edition)
	if err != nil {
		return nil, err
	}
	headNode, tmpl := p.headline()
	x.Markup = tmpl
	a.Headline = p.headlineText(ld, headNode)
	dateRef := ref.Day
	if dateRef.IsZero() {
		dateRef = opts.Ref
	}
	a.Published = p.published(ld, dateRef)
	a.Authors = dedupe(ld.Persons)
	if len(a.Authors) == 0 {
		a.Authors = p.authors()
	}
	p.readText(x, ld)
	// Tags: only from the article's own tag block.
	a.Tags = p.tags()
	a.TagsMissing = len(a.Tags) == 0
	a.Photo = p.photo(ld, base)
	a.Alternates = p.alternates(base)
	a.Summary = Summary(a, x.Description, opts.Budget)
	return x, nil
}

// identify fills the article's ID, edition, family and URL from the page's
// URL, JSON-LD, canonical link and og:url, and returns what the first
// article URL among them says.
func (p *page) identify(a *news.Article, ld ldArticle, base *url.URL, pageURL string, edition news.Lang) (site.Ref, error) {
	canonical := ""
	for _, l := range p.links {
		if strings.EqualFold(markup.Attr(l, "rel"), "canonical") {
			canonical = strings.TrimSpace(markup.Attr(l, "href"))
			break
		}
	}
	urls := []string{pageURL, ld.URL, canonical, p.metas["og:url"]}
	var ref site.Ref
	for _, u := range urls {
		if r, ok := site.ParsePath(site.ResolveRef(base, u)); ok {
			ref = r
			break
		}
	}
	a.ID = ref.ID
	a.Family = ref.Family
	if a.ID == 0 {
		for _, u := range urls {
			if id, ok := trailingID(u); ok {
				a.ID = id
				break
			}
		}
	}
	a.Edition = edition
	if !a.Edition.Valid() {
		a.Edition = ""
		if ref.ID != 0 {
			a.Edition = ref.Edition
		} else if l, ok := news.ParseLang(ld.InLanguage); ok {
			a.Edition = l
		} else if l, ok := news.ParseLang(p.lang); ok {
			a.Edition = l
		} else {
			return ref, fmt.Errorf("extract: unable to read %s: %w", displayURL(pageURL), ErrNoEdition)
		}
	}
	for _, u := range urls {
		if a.URL = site.AbsURL(u); a.URL != "" {
			break
		}
	}
	return ref, nil
}

// headlineText returns the headline of the first layer that has one: JSON-LD,
// the markup's headline node, OpenGraph, Twitter. Each layer is read only
// when the ones before it have nothing.
func (p *page) headlineText(ld ldArticle, headNode *html.Node) string {
	if ld.Headline != "" {
		return ld.Headline
	}
	if h := textOf(headNode); h != "" {
		return h
	}
	if h := text.Collapse(p.metas["og:title"]); h != "" {
		return h
	}
	return text.Collapse(p.metas["twitter:title"])
}

// published returns the time of publication: JSON-LD, the meta tag, then
// the date the page prints (read relative to ref).
func (p *page) published(ld ldArticle, ref time.Time) time.Time {
	if t, ok := parseISOTime(ld.DatePublished); ok {
		return t
	}
	if t, ok := parseISOTime(p.metas["article:published_time"]); ok {
		return t
	}
	if t, ok := p.visibleDate(ref); ok {
		return t
	}
	return time.Time{}
}

// readText fills the article's body and lead and the result's description
// (and its markup, when the headline did not tell it).
func (p *page) readText(x *Result, ld ldArticle) {
	a := x.Article
	body := p.bodyNode()
	var blocks []block
	if body != nil {
		blocks = bodyBlocks(body)
		if x.Markup == "" {
			x.Markup = markupOf(body)
		}
	}
	if len(blocks) > 0 {
		a.Body = joinBlocks(blocks)
	} else if body := ld.ArticleBody(); body != "" {
		a.Body = ldBody(body)
	}
	x.Description = text.Collapse(p.metas["description"])
	if x.Description == "" {
		x.Description = firstNonEmpty(text.Collapse(p.metas["og:description"]), ld.Description)
	}
	// The lead: JSON-LD's description, else the first paragraph of the
	// text (older templates put a pulled quote in the meta description),
	// else the meta description.
	a.Lead = ld.Description
	if a.Lead == "" && len(blocks) > 0 {
		a.Lead = strings.TrimPrefix(blocks[0].text, "• ")
	}
	if a.Lead == "" {
		a.Lead = x.Description
	}
}

// Summary returns an article's summary from its lead and body, falling back
// to the description, then the lead.
func Summary(a *news.Article, description string, budget int) string {
	fallback := description
	if fallback == "" {
		fallback = a.Lead
	}
	return summary.Summarize(a.Lead, a.Body, fallback, a.Edition, budget)
}

// headline returns the markup headline node and the template it belongs to.
func (p *page) headline() (*html.Node, string) {
	if n := p.first(nil, "post_news_title", "post_article_title"); n != nil {
		return n, markup.Current
	}
	if n := p.first(nil, "post_title"); n != nil {
		return n, markup.Old
	}
	if n := p.first(nil, "post_news__title", "post__title"); n != nil {
		return n, markup.Y2016
	}
	if n := p.first(isTag(atom.H1), "title"); n != nil {
		return n, markup.Y2014
	}
	return nil, ""
}

func markupOf(body *html.Node) string {
	switch {
	case markup.HasClass(body, "post_news_text"), markup.HasClass(body, "post_article_text"):
		return markup.Current
	case markup.HasClass(body, "post_text"):
		return markup.Old
	case markup.HasClass(body, "post_news__text"), markup.HasClass(body, "post__text"):
		return markup.Y2016
	}
	return markup.Y2014
}

// bodyNode returns the article's text container.
func (p *page) bodyNode() *html.Node {
	if n := p.first(nil, "post_news_text", "post_article_text", "post_text", "post_news__text", "post__text"); n != nil {
		return n
	}
	return p.first(isTag(atom.Div), "text")
}

func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	return markup.Text(n, markup.IsLabel)
}

// visibleDate reads the date the page prints near the headline.
func (p *page) visibleDate(ref time.Time) (time.Time, bool) {
	for _, c := range []string{"post_news_date", "post_author_date", "post_time", "post_news__date", "post__date", "dt2"} {
		for _, n := range p.class(c) {
			if t, ok := parseVisibleDate(markup.Text(n, nil), ref); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// authors reads the bylines of the markup.
func (p *page) authors() []string {
	var names []string
	if ns := p.class("post_author_name"); len(ns) > 0 {
		for _, n := range ns {
			names = append(names, markup.Text(n, nil))
		}
		return dedupe(names)
	}
	for _, c := range []string{"post_news_author", "post_author", "post__author"} {
		for _, n := range p.class(c) {
			links := p.doc.FindNodes(n).Find("a")
			if links.Length() == 0 {
				names = append(names, splitNames(markup.Text(n, nil))...)
				continue
			}
			links.Each(func(_ int, s *goquery.Selection) {
				names = append(names, splitNames(markup.Text(s.Get(0), nil))...)
			})
		}
		if len(names) > 0 {
			break
		}
	}
	return dedupe(names)
}

// splitNames splits "Olena Example, Taras Sample" into names.
func splitNames(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = text.Collapse(strings.Trim(part, " —–-")); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// tags reads the article's tag block.
func (p *page) tags() []news.Tag {
	var out []news.Tag
	var seen map[string]bool
	add := func(n *html.Node) {
		eachTagLink(n, func(a *html.Node, href string) {
			slug, ok := tagSlug(href)
			name := markup.Text(a, nil)
			if !ok || name == "" || seen[slug] {
				return
			}
			if seen == nil {
				seen = make(map[string]bool)
			}
			seen[slug] = true
			out = append(out, news.Tag{Slug: slug, Name: name})
		})
	}
	for _, c := range []string{"post_news_tags", "post_tags", "post__tags"} {
		for _, n := range p.class(c) {
			add(n)
		}
		if len(out) > 0 {
			return out
		}
	}
	for _, n := range p.class("tags") {
		if n.DataAtom == atom.P || n.DataAtom == atom.Div {
			add(n)
		}
	}
	return out
}

// photo reads the lead picture with its caption and credit.
func (p *page) photo(ld ldArticle, base *url.URL) *news.Photo {
	var ph news.Photo
	var box *html.Node
	var caption, credit string
	switch box = p.first(nil, "post_news_photo", "post_article_header_media", "post_photo_news", "post_news__photo"); {
	case box == nil:
	case markup.HasClass(box, "post_news_photo"):
		caption = textIn(p, box, "post_news_photo_captain")
		credit = textIn(p, box, "post_news_photo_source")
	case markup.HasClass(box, "post_article_header_media"):
		caption = textIn(p, box, "post_article_header_media_caption")
		credit = textIn(p, box, "post_article_header_media_source")
	case markup.HasClass(box, "post_photo_news"):
		caption = textIn(p, box, "post_photo_news_caption")
		credit = textIn(p, box, "post_photo_news_source")
	default:
		credit = textIn(p, box, "post_news__photo__author")
		caption = textIn(p, box, "post_news__photo__about")
		if caption == credit {
			caption = ""
		}
	}
	ph.URL = site.AbsURL(site.ResolveRef(base, ld.ImageURL))
	if ph.URL == "" && box != nil {
		if img := p.doc.FindNodes(box).Find("img").First(); img.Length() > 0 {
			src, _ := img.Attr("src")
			if src == "" {
				src, _ = img.Attr("data-src")
			}
			ph.URL = site.AbsURL(site.ResolveRef(base, src))
		}
	}
	if ph.URL == "" {
		if og := site.AbsURL(site.ResolveRef(base, html.UnescapeString(p.metas["og:image"]))); !isPlaceholder(og) {
			ph.URL = og
		}
	}
	if ph.URL == "" {
		return nil
	}
	ph.Caption = caption
	ph.Credit = credit
	if ph.Caption == "" && ld.ImageCaption != "" && ld.ImageCaption != credit && !strings.HasPrefix(ld.ImageCaption, "Портрет") {
		ph.Caption = ld.ImageCaption
	}
	return &ph
}

// eachTagLink calls f with each link to a tag page below n and its href,
// in document order: the elements the selector a[href*="/tags/"] finds
// (any attribute named href may hold "/tags/"; href is the first one).
func eachTagLink(n *html.Node, f func(a *html.Node, href string)) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == "a" {
			href, found, match := "", false, false
			for _, at := range c.Attr {
				if at.Key != "href" {
					continue
				}
				if !found {
					href, found = at.Val, true
				}
				match = match || strings.Contains(at.Val, "/tags/")
			}
			if match {
				f(c, href)
			}
		}
		eachTagLink(c, f)
	}
}

// isPlaceholder reports whether an og:image is the site's generic share
// picture or logo rather than the article's photo.
func isPlaceholder(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return true
	}
	name := strings.ToLower(path.Base(p.Path))
	return strings.Contains(name, "logo") || strings.HasPrefix(name, "up_for_") || strings.HasSuffix(name, ".svg")
}

// textIn returns the text of the first descendant of n with class c.
func textIn(p *page, n *html.Node, c string) string {
	for _, m := range p.class(c) {
		if isAncestor(n, m) {
			return markup.Text(m, nil)
		}
	}
	return ""
}

func isAncestor(a, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

// alternates reads the hreflang links to the other editions.
func (p *page) alternates(base *url.URL) map[news.Lang]string {
	var out map[news.Lang]string
	for _, l := range p.links {
		if !strings.EqualFold(markup.Attr(l, "rel"), "alternate") {
			continue
		}
		lang, ok := news.ParseLang(markup.Attr(l, "hreflang"))
		if !ok {
			continue
		}
		href := site.AbsURL(site.ResolveRef(base, markup.Attr(l, "href")))
		if href == "" {
			continue
		}
		if out == nil {
			out = make(map[news.Lang]string)
		}
		if _, seen := out[lang]; !seen {
			out[lang] = href
		}
	}
	return out
}

// ldBody turns JSON-LD articleBody (paragraphs separated by tabs or
// newlines) into body text.
func ldBody(s string) string {
	var parts []string
	for p := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '\t' || r == '\n' || r == '\r' }) {
		if p = text.Collapse(html.UnescapeString(p)); p != "" && text.HasLetterOrDigit(p) && !isJunkParagraph(p) {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "\n\n")
}

var trailingIDRe = regexp.MustCompile(`[/-](\d{4,18})/?(?:index\.amp)?$`)

// trailingID reads an ID at the end of a URL path (sister sites:
// /section/slug-813313/).
func trailingID(raw string) (int64, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return 0, false
	}
	m := trailingIDRe.FindStringSubmatch(u.Path)
	if m == nil {
		return 0, false
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	return id, err == nil && id > 0
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// dedupe drops empty and repeated names, keeping the first order.
func dedupe(names []string) []string {
	var out []string
	for _, n := range names {
		if n = text.Collapse(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
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
