package extract

import (
	"testing"
	"time"
)

func TestParseVisibleDate(t *testing.T) {
	jan8 := time.Date(2026, 1, 8, 0, 0, 0, 0, kyiv)
	newYear := time.Date(2026, 1, 2, 10, 0, 0, 0, kyiv)
	tests := []struct {
		name string
		text string
		ref  time.Time
		want string // RFC 3339, "" for not parsed
	}{
		{"current uk, year from ref", "Ірина Приклад — 24 жовтня, 15:26", time.Date(2025, 10, 24, 0, 0, 0, 0, kyiv), "2025-10-24T15:26:00+03:00"},
		{"current ru", "8 января, 17:46", jan8, "2026-01-08T17:46:00+02:00"},
		{"current en", "8 January, 17:46", jan8, "2026-01-08T17:46:00+02:00"},
		{"old uk with weekday and year", "Неділя, 13 квітня 2025, 10:59", time.Time{}, "2025-04-13T10:59:00+03:00"},
		{"old en", "Olena Example, Taras SampleMonday, 28 April 2025, 20:01", time.Time{}, "2025-04-28T20:01:00+03:00"},
		{"old ru", "Понедельник, 29 сентября 2014, 14:55", time.Time{}, "2014-09-29T14:55:00+03:00"},
		{"month first", "April 28, 2025, 20:01", time.Time{}, "2025-04-28T20:01:00+03:00"},
		{"year suffix", "13 квітня 2025 р., 10:59", time.Time{}, "2025-04-13T10:59:00+03:00"},
		{"december seen in january: last year", "30 грудня, 23:10", newYear, "2025-12-30T23:10:00+02:00"},
		{"today", "Сьогодні, 09:15", newYear, "2026-01-02T09:15:00+02:00"},
		{"yesterday", "Вчера, 23:59", newYear, "2026-01-01T23:59:00+02:00"},
		{"no year and no ref", "24 жовтня, 15:26", time.Time{}, ""},
		{"unknown month", "24 brumaire, 15:26", jan8, ""},
		{"bad clock", "24 жовтня, 25:26", jan8, ""},
		{"29 February of a common year", "29 лютого 2025, 10:00", time.Time{}, ""},
		{"nothing", "переглядів: 1520", jan8, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseVisibleDate(tt.text, tt.ref)
			gotS := ""
			if ok {
				gotS = got.Format(time.RFC3339)
			}
			if gotS != tt.want {
				t.Errorf("parseVisibleDate(%q) = %q, want %q", tt.text, gotS, tt.want)
			}
		})
	}
}

func TestParseISOTime(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"2026-01-08T17:46:00+02:00", "2026-01-08T17:46:00+02:00"},
		{"2025-10-24 15:26:00", "2025-10-24T15:26:00+03:00"}, // no offset: Kyiv
		{"2025-10-24T15:26", "2025-10-24T15:26:00+03:00"},
		{"2026-01-08T15:46:00Z", "2026-01-08T15:46:00Z"},
		{"Tue, 29 Sep 2020 14:55:53 +0300", "2020-09-29T14:55:53+03:00"},
		{"2026-01-08", "2026-01-08T00:00:00+02:00"},
		{"1900-01-01T00:00:00Z", ""},
		{"yesterday", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := parseISOTime(tt.in)
		gotS := ""
		if ok {
			gotS = got.Format(time.RFC3339)
		}
		if gotS != tt.want {
			t.Errorf("parseISOTime(%q) = %q, want %q", tt.in, gotS, tt.want)
		}
	}
}
