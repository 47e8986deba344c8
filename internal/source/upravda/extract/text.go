package extract

import (
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"newsbot/internal/source/upravda/markup"
	"newsbot/internal/text"
)

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
	for c := range strings.FieldsSeq(markup.Attr(n, "class")) {
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
		t := text.Collapse(string(cur))
		cur = cur[:0]
		if t != "" && text.HasLetterOrDigit(t) && !isJunkParagraph(t) {
			out = append(out, block{text: t, byline: styled && !plain})
		}
		styled, plain = false, false
	}
	var walk func(n *html.Node, bold, italic bool)
	walk = func(n *html.Node, bold, italic bool) {
		switch n.Type {
		case html.TextNode:
			cur = append(cur, n.Data...)
			if text.HasLetterOrDigit(n.Data) {
				if bold && italic {
					styled = true
				} else {
					plain = true
				}
			}
			return
		case html.ElementNode:
			if markup.Skipped(n) || isJunk(n) {
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
		blk := n.Type == html.ElementNode && markup.IsBlock(n)
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
	t = text.Head(strings.TrimLeft(t, "• "), 64)
	if t == "" {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(t); !junkParagraphStarts[text.ToLower(r)] {
		return false
	}
	for _, w := range junkParagraphWords {
		if rest, ok := text.CutLowerPrefix(t, w); ok && strings.TrimRight(rest, ".!:") == "" {
			return true
		}
	}
	for _, p := range junkParagraphPrefixes {
		if _, ok := text.CutLowerPrefix(t, p); ok {
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

// joinBlocks joins paragraphs with a blank line between them.
func joinBlocks(bs []block) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.text
	}
	return strings.Join(parts, "\n\n")
}
