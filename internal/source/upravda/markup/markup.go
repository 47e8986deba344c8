// Package markup holds what reading any HTML page of the site needs: the
// names of its templates, its attributes and classes, and the visible text
// of an element with blanks collapsed (text.Collapse). Article extraction and list
// pages both read with it.
package markup

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"newsbot/internal/text"
)

// Names of the site's templates, as the readers report them.
const (
	Current = "current" // since autumn 2025: post_news_*, post_article_*, article_title
	Old     = "old"     // about 2020 to 2025: post_*, article_header
	Y2016   = "2016"    // post_news__* (BEM), article__title
	Y2014   = "2014"    // table layout: h1.title, span.dt2
)

// Attr returns the value of an attribute of n ("" when absent).
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

// HasClass reports whether n's class attribute holds the class c.
func HasClass(n *html.Node, c string) bool {
	for f := range strings.FieldsSeq(Attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

// Skipped elements hold no reader-visible text.
func Skipped(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Svg, atom.Template, atom.Iframe, atom.Object,
		atom.Button, atom.Form, atom.Input, atom.Select, atom.Textarea:
		return true
	}
	return false
}

// Text returns the visible text of n's subtree with white space
// collapsed. Nodes for which skip reports true are left out with their
// subtree.
func Text(n *html.Node, skip func(*html.Node) bool) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if Skipped(n) || (skip != nil && skip(n)) {
				return
			}
			if n.DataAtom == atom.Br {
				b.WriteByte(' ')
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && IsBlock(n) {
			b.WriteByte(' ')
		}
	}
	walk(n)
	return text.Collapse(b.String())
}

// IsBlock reports whether n starts a new block of text.
func IsBlock(n *html.Node) bool {
	switch n.DataAtom {
	case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li, atom.Ul, atom.Ol,
		atom.Blockquote, atom.Table, atom.Tr, atom.Td, atom.Th, atom.Section, atom.Article, atom.Header,
		atom.Footer, atom.Figure, atom.Figcaption, atom.Pre, atom.Dl, atom.Dt, atom.Dd, atom.Hr, atom.Main,
		atom.Aside, atom.Nav:
		return true
	}
	return false
}

// IsLabel reports whether n is an inline label inside a title ("фото",
// "оновлено", "ексклюзив") rather than title text.
func IsLabel(n *html.Node) bool {
	if n.DataAtom == atom.Em {
		return true
	}
	for c := range strings.FieldsSeq(Attr(n, "class")) {
		if strings.Contains(c, "label") {
			return true
		}
	}
	return false
}
