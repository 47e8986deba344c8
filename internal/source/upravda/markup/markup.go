// Package markup holds what reading any HTML page of the site needs: the
// names of its templates, its attributes and classes, and the visible text
// of an element with white space collapsed. Article extraction and list
// pages both read with it.
package markup

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Names of the site's templates, as the readers report them.
const (
	Current = "current" // since autumn 2025: post_news_*, post_article_*, article_title
	Old     = "old"     // about 2020 to 2025: post_*, article_header
	Y2016   = "2016"    // post_news__* (BEM), article__title
	Y2014   = "2014"    // table layout: h1.title, span.dt2
)

// Collapse trims s and replaces every run of white space, no-break and
// zero-width spaces included, with one space.
func Collapse(s string) string {
	if isCollapsed(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		if j := plainRun(s, i); j > i {
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if isSpace(r) {
			space = b.Len() > 0
			continue
		}
		if r == utf8.RuneError || unicode.IsControl(r) {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(s[i-size : i])
	}
	return b.String()
}

// plainRun returns the end of the run of bytes from s[i] that Collapse
// keeps as they are: printable ASCII other than the space, and two-byte
// runes above U+00A0 (Cyrillic among them), none of which is white space
// or a control character.
func plainRun(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case ' ' < c && c < 0x7f:
			i++
		case 0xc2 <= c && c <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 && (c > 0xc2 || s[i+1] > 0xa0):
			i += 2
		default:
			return i
		}
	}
	return i
}

// isCollapsed reports whether Collapse would return s unchanged: no
// leading, trailing or repeated spaces, no other white space, no control
// characters, valid UTF-8.
func isCollapsed(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prevSpace := false
	for i := 0; i < len(s); {
		if j := plainRun(s, i); j > i {
			prevSpace = false
			i = j
			continue
		}
		if s[i] == ' ' {
			if prevSpace {
				return false
			}
			prevSpace = true
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || isSpace(r) || unicode.IsControl(r) {
			return false
		}
		prevSpace = false
		i += size
	}
	return true
}

// isSpace reports whether r is white space (unicode.IsSpace) or a no-break
// or zero-width space.
func isSpace(r rune) bool {
	if uint32(r) < 0x1680 { // below U+1680 only ASCII and Latin-1 have white space
		return r < utf8.RuneSelf && asciiSpace(byte(r)) || r == '\u0085' || r == '\u00a0'
	}
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff' || r == '\u2060'
}

// asciiSpace reports whether the ASCII byte c is white space.
func asciiSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

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
	return Collapse(b.String())
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
