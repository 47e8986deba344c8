package upravda

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"newsbot/internal/runes"
)

// collapse trims s and replaces every run of white space, no-break and
// zero-width spaces included, with one space.
func collapse(s string) string {
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

// plainRun returns the end of the run of bytes from s[i] that collapse
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

// isCollapsed reports whether collapse would return s unchanged: no
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

// cutLowerPrefix reports whether strings.ToLower(s) starts with the lower-case
// p and returns the rest of s after the runes that matched, without building
// the lower-case string.
func cutLowerPrefix(s, p string) (string, bool) {
	for _, pr := range p {
		if s == "" {
			return "", false
		}
		r, size := utf8.DecodeRuneInString(s)
		if runes.ToLower(r) != pr {
			return "", false
		}
		s = s[size:]
	}
	return s, true
}

// attr returns the value of an attribute of n ("" when absent).
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

// hasClass reports whether n's class attribute holds the class c.
func hasClass(n *html.Node, c string) bool {
	for f := range strings.FieldsSeq(attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

// skipped elements hold no reader-visible text.
func skipped(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Svg, atom.Template, atom.Iframe, atom.Object,
		atom.Button, atom.Form, atom.Input, atom.Select, atom.Textarea:
		return true
	}
	return false
}

// nodeText returns the visible text of n's subtree with white space
// collapsed. Nodes for which skip reports true are left out with their
// subtree.
func nodeText(n *html.Node, skip func(*html.Node) bool) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if skipped(n) || (skip != nil && skip(n)) {
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
		if n.Type == html.ElementNode && isBlock(n) {
			b.WriteByte(' ')
		}
	}
	walk(n)
	return collapse(b.String())
}

// isBlock reports whether n starts a new block of text.
func isBlock(n *html.Node) bool {
	switch n.DataAtom {
	case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li, atom.Ul, atom.Ol,
		atom.Blockquote, atom.Table, atom.Tr, atom.Td, atom.Th, atom.Section, atom.Article, atom.Header,
		atom.Footer, atom.Figure, atom.Figcaption, atom.Pre, atom.Dl, atom.Dt, atom.Dd, atom.Hr, atom.Main,
		atom.Aside, atom.Nav:
		return true
	}
	return false
}

// junkClassPrefixes mark elements inside an article's text that are not part of
// it: ads, banners, widgets, photo boxes, tag lines, share buttons.
var junkClassPrefixes = []string{
	"advtext", "nts-ad", "unit_", "banner", "tooltip", "hint_box", "image-box", "post_news_photo",
	"post_article_social", "post_news_service", "post_article_service", "post__social", "social",
	"post_news_tags", "post_tags", "post__tags", "tags", "read_also", "readalso", "also_read",
	"article_read", "post_related", "block_related", "related", "subscribe", "donat", "support_",
	"fb-", "twitter-", "instagram-", "telegram-", "comments", "comentario", "admixer", "tb_center",
	"post__source", "post_news_author", "post_author", "google-auto", "adsbygoogle",
}

// isJunk reports whether an element inside an article's text is junk.
func isJunk(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Aside, atom.Nav, atom.Picture, atom.Img, atom.Figure, atom.Video, atom.Audio, atom.Footer:
		return true
	}
	if n.Data == "comentario-comments" {
		return true
	}
	for c := range strings.FieldsSeq(attr(n, "class")) {
		for _, p := range junkClassPrefixes {
			if strings.HasPrefix(c, p) {
				return true
			}
		}
	}
	return false
}

// junkParagraphPrefixes start paragraphs that point elsewhere or ask for
// money: never article text. Compared in lower case.
var junkParagraphPrefixes = []string{
	"читайте також", "читайте также", "читайте тако", "read more", "read also", "also read", "see also",
	"дивіться також", "смотрите также", "реклама:", "advertisement:",
	"support ukrainska pravda", "підтримайте українську правду", "поддержите украинскую правду",
	"підтримати українську правду", "підпишіться на", "подпишитесь на", "subscribe to",
}

// block is one paragraph of body text.
type block struct {
	text string
	// byline is set for a paragraph whose every letter is bold and
	// italic: the authors' signature that closes publications.
	byline bool
}

// bodyBlocks returns the paragraphs of an article's text container, junk
// left out.
func bodyBlocks(container *html.Node) []block {
	var out []block
	var cur []byte         // the paragraph's text, the buffer reused
	var styled, plain bool // letters seen inside / outside bold+italic
	flush := func() {
		t := collapse(string(cur))
		cur = cur[:0]
		if t != "" && hasLetterOrDigit(t) && !isJunkParagraph(t) {
			out = append(out, block{text: t, byline: styled && !plain})
		}
		styled, plain = false, false
	}
	var walk func(n *html.Node, bold, italic bool)
	walk = func(n *html.Node, bold, italic bool) {
		switch n.Type {
		case html.TextNode:
			cur = append(cur, n.Data...)
			if hasLetterOrDigit(n.Data) {
				if bold && italic {
					styled = true
				} else {
					plain = true
				}
			}
			return
		case html.ElementNode:
			if skipped(n) || isJunk(n) {
				return
			}
			switch n.DataAtom {
			case atom.Br:
				cur = append(cur, ' ')
				return
			case atom.B, atom.Strong:
				bold = true
			case atom.I, atom.Em:
				italic = true
			}
		case html.CommentNode, html.DoctypeNode:
			return
		}
		blk := n.Type == html.ElementNode && isBlock(n)
		if blk {
			flush()
			if n.DataAtom == atom.Li {
				cur = append(cur, "• "...)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, bold, italic)
		}
		if blk {
			flush()
		}
	}
	walk(container, false, false)
	flush()
	// The closing signature of a publication is not article text.
	if n := len(out); n > 1 && out[n-1].byline && utf8.RuneCountInString(out[n-1].text) <= 200 {
		out = out[:n-1]
	}
	return out
}

func isJunkParagraph(t string) bool {
	// Compared as strings.ToLower(t) would be, without allocating it.
	t = prefix(strings.TrimLeft(t, "• "), 64)
	if t == "" {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(t); !junkParagraphStarts[runes.ToLower(r)] {
		return false
	}
	for _, w := range junkParagraphWords {
		if rest, ok := cutLowerPrefix(t, w); ok && strings.TrimRight(rest, ".!:") == "" {
			return true
		}
	}
	for _, p := range junkParagraphPrefixes {
		if _, ok := cutLowerPrefix(t, p); ok {
			return true
		}
	}
	return false
}

// junkParagraphWords are whole paragraphs (in lower case, before any
// trailing ".", "!" or ":") that are labels, not text.
var junkParagraphWords = []string{"реклама", "advertisement", "***", "фото", "photo", "відео", "видео", "video"}

// junkParagraphStarts holds the first letters of junkParagraphWords and
// junkParagraphPrefixes: most paragraphs are told apart by their first one.
var junkParagraphStarts = func() map[rune]bool {
	m := make(map[rune]bool)
	for _, w := range append(slices.Clone(junkParagraphWords), junkParagraphPrefixes...) {
		r, _ := utf8.DecodeRuneInString(w)
		m[r] = true
	}
	return m
}()

func hasLetterOrDigit(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if runes.IsLetterOrDigit(rune(c)) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if runes.IsLetterOrDigit(r) {
			return true
		}
		i += size
	}
	return false
}

// prefix returns at most the first n bytes of s, not cutting a rune.
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// joinBlocks joins paragraphs with a blank line between them.
func joinBlocks(bs []block) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.text
	}
	return strings.Join(parts, "\n\n")
}
