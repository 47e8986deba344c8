package markup

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestCollapse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"  a \t b\n", "a b"},
		{"no\u00a0break\u200bzero", "no break zero"},
		{"Київ\u2009—\u2009столиця", "Київ — столиця"},
		{"ctrl\x01char", "ctrlchar"},
	}
	for _, tt := range tests {
		if got := Collapse(tt.in); got != tt.want {
			t.Errorf("Collapse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	doc, err := html.Parse(strings.NewReader(`<div class="a b"><h1>Заголовок <em>фото</em></h1><p>Один<br>два</p><script>x()</script></div>`))
	if err != nil {
		t.Fatal(err)
	}
	div := doc.FirstChild.LastChild.FirstChild // html > body > div
	if !HasClass(div, "b") || HasClass(div, "c") || Attr(div, "class") != "a b" {
		t.Errorf("class %q", Attr(div, "class"))
	}
	if got := Text(div, nil); got != "Заголовок фото Один два" {
		t.Errorf("Text() = %q", got)
	}
	if got := Text(div, IsLabel); got != "Заголовок Один два" {
		t.Errorf("Text(skip labels) = %q", got)
	}
}
