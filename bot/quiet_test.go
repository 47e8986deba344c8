package bot

import (
	"testing"

	"newsbot/internal/news"
)

func TestParseQuiet(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    news.Quiet
		off, ok bool
	}{
		{"23-07", news.Quiet{From: 23 * 60, To: 7 * 60}, false, true},
		{"23:30-07:00", news.Quiet{From: 23*60 + 30, To: 7 * 60}, false, true},
		{"22-24 strict", news.Quiet{From: 22 * 60, To: 0, Strict: true}, false, true},
		{"OFF", news.Quiet{}, true, true},
		{"23-23", news.Quiet{}, false, false},
		{"25-07", news.Quiet{}, false, false},
		{"23:5-07", news.Quiet{}, false, false},
		{"23-07 loud", news.Quiet{}, false, false},
		{"tonight", news.Quiet{}, false, false},
	} {
		q, off, ok := parseQuiet(tc.in)
		if q != tc.want || off != tc.off || ok != tc.ok {
			t.Errorf("parseQuiet(%q) = %+v, %v, %v; want %+v, %v, %v", tc.in, q, off, ok, tc.want, tc.off, tc.ok)
		}
	}
}

func TestLoadZone(t *testing.T) {
	for in, want := range map[string]string{"": "Europe/Kyiv", "Europe/Berlin": "Europe/Berlin", "+1": "+01:00",
		"UTC-03:30": "-03:30", "+0530": "+05:30"} {
		loc, err := news.LoadZone(in)
		if err != nil || loc.String() != want {
			t.Errorf("LoadZone(%q) = %v, %v; want %s", in, loc, err, want)
		}
	}
	for _, in := range []string{"Mars/Olympus", "+15", "../etc/passwd", "+1:5"} {
		if _, err := news.LoadZone(in); err == nil {
			t.Errorf("LoadZone(%q) accepted", in)
		}
	}
}
