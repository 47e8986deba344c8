package discover

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/markup"
	"newsbot/internal/source/upravda/site"
)

// listEntry is one link of a news list page.
type listEntry struct {
	URL         string
	Title       string
	Description string
	Time        string // "14:05", Kyiv time
	Important   bool
}

// listResult is what a list page yielded.
type listResult struct {
	Entries []listEntry
	// Markup is the template the entries were read with: "current",
	// "old", "2016", or "" when none matched.
	Markup string
}

// parseList reads the entries of a news list page (/news/), current markup
// first, then the older ones. Relative links are resolved against pageURL.
func parseList(b []byte, pageURL string) (listResult, error) {
	root, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		return listResult{}, fmt.Errorf("discover: unable to parse the list page: %w", err)
	}
	var current, old, y2016 []listEntry
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if markup.Skipped(n) {
				return
			}
			switch {
			case markup.HasClass(n, "article_news_list"):
				if e, tmpl, ok := listItem(n, pageURL); ok {
					if tmpl == markup.Current {
						current = append(current, e)
					} else {
						old = append(old, e)
					}
				}
				return
			case markup.HasClass(n, "article") && n.DataAtom == atom.Div:
				if e, ok := listItem2016(n, pageURL); ok {
					y2016 = append(y2016, e)
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	switch {
	case len(current) > 0:
		return listResult{Entries: current, Markup: markup.Current}, nil
	case len(old) > 0:
		return listResult{Entries: old, Markup: markup.Old}, nil
	case len(y2016) > 0:
		return listResult{Entries: y2016, Markup: markup.Y2016}, nil
	}
	return listResult{}, nil
}

// listItem reads one div.article_news_list: the current markup has
// div.article_title > a, the older one div.article_header > a with
// div.article_subheader.
func listItem(n *html.Node, pageURL string) (listEntry, string, bool) {
	var e listEntry
	var link *html.Node
	tmpl := ""
	findFirst(n, func(c *html.Node) bool {
		switch {
		case markup.HasClass(c, "article_time"):
			if e.Time == "" {
				e.Time = markup.Text(c, nil)
			}
		case markup.HasClass(c, "article_title") && link == nil:
			link, tmpl = firstLink(c), markup.Current
		case markup.HasClass(c, "article_header") && link == nil:
			link, tmpl = firstLink(c), markup.Old
		case markup.HasClass(c, "article_subheader"):
			e.Description = markup.Text(c, nil)
		default:
			return false
		}
		return true
	})
	if link == nil {
		return e, "", false
	}
	e.URL = site.Resolve(pageURL, markup.Attr(link, "href"))
	e.Title = titleText(link)
	e.Important = markup.HasClass(n, "article_news_bold") || markup.HasClass(n, "article_news_red")
	return e, tmpl, e.Title != ""
}

// listItem2016 reads one div.article of the 2016 list (div.article__time,
// div.article__title > a, article_bold / article_red).
func listItem2016(n *html.Node, pageURL string) (listEntry, bool) {
	var e listEntry
	var link *html.Node
	findFirst(n, func(c *html.Node) bool {
		switch {
		case markup.HasClass(c, "article__time"):
			e.Time = markup.Text(c, nil)
		case markup.HasClass(c, "article__title") && link == nil:
			link = firstLink(c)
		default:
			return false
		}
		return true
	})
	if link == nil || e.Time == "" {
		return e, false
	}
	e.URL = site.Resolve(pageURL, markup.Attr(link, "href"))
	e.Title = titleText(link)
	e.Important = markup.HasClass(n, "article_bold") || markup.HasClass(n, "article_red")
	return e, e.Title != ""
}

// findFirst calls visit on every element below n, not descending into an
// element for which visit reports true.
func findFirst(n *html.Node, visit func(*html.Node) bool) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if !visit(c) {
			findFirst(c, visit)
		}
	}
}

func firstLink(n *html.Node) *html.Node {
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && found == nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == atom.A && markup.Attr(c, "href") != "" {
				found = c
				return
			}
			walk(c)
		}
	}
	walk(n)
	return found
}

// titleText returns a link's text without inline labels ("<em>фото</em>").
func titleText(link *html.Node) string {
	if t := markup.Text(link, markup.IsLabel); t != "" {
		return t
	}
	return markup.Text(link, nil)
}

// listItems turns list entries into list items of the edition, keeping only
// article URLs that pass keep. The date comes from the URL, the time from
// the entry.
func listItems(entries []listEntry, keep func(string) (site.Ref, bool)) []news.ListItem {
	var out []news.ListItem
	for _, e := range entries {
		ref, ok := keep(e.URL)
		if !ok {
			continue
		}
		item := news.ListItem{
			ID:          ref.ID,
			Edition:     ref.Edition,
			URL:         e.URL,
			Title:       e.Title,
			Description: e.Description,
			Important:   e.Important,
		}
		if hh, mm, ok := parseClock(e.Time); ok {
			d := ref.Day
			item.Published = time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, kyiv)
		}
		out = append(out, item)
	}
	return out
}

// parseClock reads "14:05".
func parseClock(s string) (int, int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, 0, false
	}
	return site.Clock(h, m)
}
