package telegramtest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHTML(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantPlain string
		wantEnts  []entity
	}{
		{name: "plain", in: "Київ, 5 > 3", wantPlain: "Київ, 5 > 3"},
		{
			name:      "bold and italic in Cyrillic",
			in:        "<b>Новини</b> та <i>коментарі</i>",
			wantPlain: "Новини та коментарі",
			wantEnts:  []entity{{Type: "bold", Offset: 0, Length: 6}, {Type: "italic", Offset: 10, Length: 9}},
		},
		{
			name:      "emoji count two UTF-16 units",
			in:        "🇺🇦 <b>Слава</b>",
			wantPlain: "🇺🇦 Слава",
			wantEnts:  []entity{{Type: "bold", Offset: 5, Length: 5}},
		},
		{
			name:      "entities decoded",
			in:        "a &lt;b&gt; &amp; &quot;q&quot; &#169; &#x2014;",
			wantPlain: `a <b> & "q" © —`,
		},
		{
			name:      "nested, outer first",
			in:        "<b>x<i>yz</i></b>",
			wantPlain: "xyz",
			wantEnts:  []entity{{Type: "bold", Offset: 0, Length: 3}, {Type: "italic", Offset: 1, Length: 2}},
		},
		{
			name:      "link with escaped ampersand",
			in:        `<a href="https://www.pravda.com.ua/news/2024/01/01/1/?a=1&amp;b=2">read</a>`,
			wantPlain: "read",
			wantEnts:  []entity{{Type: "text_link", Offset: 0, Length: 4, URL: "https://www.pravda.com.ua/news/2024/01/01/1/?a=1&b=2"}},
		},
		{
			name:      "single-quoted and upper-case",
			in:        `<A HREF='https://x.example/'>x</A>`,
			wantPlain: "x",
			wantEnts:  []entity{{Type: "text_link", Offset: 0, Length: 1, URL: "https://x.example/"}},
		},
		{
			name:      "pre with language",
			in:        `<pre><code class="language-go">x := 1</code></pre>`,
			wantPlain: "x := 1",
			wantEnts:  []entity{{Type: "pre", Offset: 0, Length: 6, Language: "go"}},
		},
		{
			name:      "spoilers, strike, underline, blockquote",
			in:        `<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler><s>c</s><del>d</del><u>e</u><blockquote expandable>f</blockquote><code>g</code>`,
			wantPlain: "abcdefg",
			wantEnts: []entity{
				{Type: "spoiler", Offset: 0, Length: 1}, {Type: "spoiler", Offset: 1, Length: 1},
				{Type: "strikethrough", Offset: 2, Length: 1}, {Type: "strikethrough", Offset: 3, Length: 1},
				{Type: "underline", Offset: 4, Length: 1}, {Type: "expandable_blockquote", Offset: 5, Length: 1},
				{Type: "code", Offset: 6, Length: 1},
			},
		},
		{name: "empty tag makes no entity", in: "<b></b>x", wantPlain: "x"},
		{name: "anchor without href is plain", in: "<a>x</a>", wantPlain: "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, ents, err := parseHTML(tt.in)
			if err != nil {
				t.Fatalf("parseHTML(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.wantPlain, plain); diff != "" {
				t.Errorf("plain text (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEnts, ents); diff != "" {
				t.Errorf("entities (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHTMLErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"a<br>b", `Unsupported start tag "br" at byte offset 1`},
		{"<p>x</p>", `Unsupported start tag "p"`},
		{"1 < 2 > 0", `Unsupported start tag ""`},
		{"1 < 2", "Unclosed start tag at byte offset 2"},
		{"x <b", "Unclosed start tag at byte offset 2"},
		{"x</b>", "Unexpected end tag at byte offset 1"},
		{"<b><i>x</b></i>", `Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{"<b>x", `Can't find end tag corresponding to start tag "b"`},
		{"Tom & Jerry", `Unescaped "&"`},
		{"&nbsp;", `Unsupported HTML entity "&nbsp;"`},
		{"&laquo;x&raquo;", `Unsupported HTML entity "&laquo;"`},
		{"&#xD800;", "Invalid numeric HTML entity"},
		{`<span>x</span>`, `Tag "span" must have class "tg-spoiler"`},
		{`<a href="x>y</a>`, "Unclosed quote"},
		{`<a href="&bogus;">y</a>`, `Unsupported HTML entity "&bogus;" in an attribute`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, _, err := parseHTML(tt.in)
			if err == nil {
				t.Fatalf("parseHTML(%q) = nil error, want %q", tt.in, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseHTML(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestCommandEntities(t *testing.T) {
	tests := []struct {
		in   string
		want []entity
	}{
		{"/start", []entity{{Type: "bot_command", Offset: 0, Length: 6}}},
		{"/lang@newsbot_test_bot en", []entity{{Type: "bot_command", Offset: 0, Length: 22}}},
		{"привіт /help", []entity{{Type: "bot_command", Offset: 7, Length: 5}}},
		{"🇺🇦 /tags", []entity{{Type: "bot_command", Offset: 5, Length: 5}}},
		{"a/b /", nil},
		{"https://x/y", nil},
		{"/start!", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, commandEntities(tt.in)); diff != "" {
				t.Errorf("commandEntities(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzParseHTML(f *testing.F) {
	for _, s := range []string{"<b>x</b>", "&amp;", "<a href='x'>y</a>", "<", "&#1;", "<pre><code class=\"language-go\">x</code></pre>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		plain, ents, err := parseHTML(s)
		if err != nil {
			return
		}
		n := utf16Len(plain)
		for _, e := range ents {
			if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n {
				t.Fatalf("parseHTML(%q): entity %+v outside text of %d units", s, e, n)
			}
		}
	})
}
