package markup

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

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
