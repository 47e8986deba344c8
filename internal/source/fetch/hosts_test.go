package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func TestDecodeHTMLCharsetRule(t *testing.T) {
	const text = "Зеленський і Єрмак: ґанок"
	cp1251, err := charmap.Windows1251.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, contentType, body string
	}{
		{"utf-8 without charset= in the meta", "text/html", `<html><head><meta http-equiv="Content-Type" content="text/html; utf-8"></head><body>` + text + `</body></html>`},
		{"utf-8 with no declaration", "text/html", `<html><body>` + text + `</body></html>`},
		{"utf-8 with no content type", "", `<html><body>` + text + `</body></html>`},
		{"utf-8 with an unreadable charset", "text/html; charset=klingon", `<html><body>` + text + `</body></html>`},
		{"utf-8 declared", "text/html; charset=utf-8", `<html><body>` + text + `</body></html>`},
		{"windows-1251 in the meta", "text/html", `<html><head><meta charset="windows-1251"></head><body>` + cp1251 + `</body></html>`},
		{"windows-1251 in the content type", "text/html; charset=windows-1251", `<html><body>` + cp1251 + `</body></html>`},
		{"windows-1251 undeclared", "text/html", `<html><body>` + cp1251 + `</body></html>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := DecodeHTML([]byte(tt.body), tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "windows-1251 undeclared" {
				// Not UTF-8 and undeclared: the HTML default (windows-1252)
				// applies; nothing better can be known.
				return
			}
			if !strings.Contains(string(out), text) {
				t.Errorf("DecodeHTML() = %q, want it to hold %q", out, text)
			}
		})
	}
}

func TestGetOneRequestAtATimePerHost(t *testing.T) {
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html></html>")
	}))
	defer srv.Close()
	c := New(Config{MaxConcurrent: 4})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if _, err := c.Get(context.Background(), Request{URL: fmt.Sprintf("%s/%d", srv.URL, i)}); err != nil {
				t.Errorf("Get() error = %v", err)
			}
		})
	}
	for range 4 {
		release <- struct{}{} // one handler at a time takes it
	}
	wg.Wait()
	if p := peak.Load(); p != 1 {
		t.Errorf("peak requests in flight to one host = %d, want 1", p)
	}
	if n := len(c.hosts.m); n != 0 {
		t.Errorf("host slots left = %d, want 0", n)
	}
}

func TestGetReportsFinalURL(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/from" {
			http.Redirect(w, r, srv.URL+"/to", http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html></html>")
	}))
	defer srv.Close()
	resp, err := New(Config{}).Get(context.Background(), Request{URL: srv.URL + "/from"})
	if err != nil || resp.FinalURL != srv.URL+"/to" {
		t.Fatalf("Get() FinalURL = %v, %v; want %s/to", resp, err, srv.URL)
	}
}
