package app

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/site"
)

// printArticle writes an article as indented JSON, HTML left unescaped
// (`newsbot inspect`).
func printArticle(w io.Writer, a *news.Article) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		return fmt.Errorf("app: unable to write the article: %w", err)
	}
	return nil
}

// printItems writes the items of each edition, in the order given: a
// table, or JSON ({"uk": [...], "ru": [...]}) when asJSON (`newsbot scrape
// --once`).
func printItems(w io.Writer, editions []news.Lang, items map[news.Lang][]news.ListItem, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(items); err != nil {
			return fmt.Errorf("app: unable to write the items: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EDITION\tID\tPUBLISHED (KYIV)\t!\tTITLE\tURL")
	for _, ed := range editions {
		for _, it := range items[ed] {
			published := "-"
			if !it.Published.IsZero() {
				published = it.Published.In(site.Kyiv()).Format("2006-01-02 15:04")
			}
			mark := ""
			if it.Important {
				mark = "!"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", it.Edition, it.ID, published, mark, clip(it.Title, 80), it.URL)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("app: unable to write the table: %w", err)
	}
	return nil
}

// clip shortens s to at most n runes, at a word boundary when one is near,
// with "…" (table display only).
func clip(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\t", " "))
	if len(r) <= n {
		return string(r)
	}
	cut := n - 1
	for i := cut; i > n/2; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimSpace(string(r[:cut])) + "…"
}
