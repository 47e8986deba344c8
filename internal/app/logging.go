package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

// NewLogger returns the process logger: text or JSON at the given level,
// with every occurrence of the secrets replaced, whatever logs them.
func NewLogger(w io.Writer, format string, level slog.Level, secrets ...string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	var live []string
	for _, s := range secrets {
		if s != "" {
			live = append(live, s, "[REDACTED]")
		}
	}
	if len(live) == 0 {
		return slog.New(h)
	}
	return slog.New(&redactor{next: h, r: strings.NewReplacer(live...)})
}

// redactor is a slog.Handler that scrubs secrets from the message and from
// every attribute (errors and nested groups included) before writing.
type redactor struct {
	next slog.Handler
	r    *strings.Replacer
}

func (h *redactor) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *redactor) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Replace(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactor) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.Replace(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]any, len(attrs))
		for i, g := range attrs {
			out[i] = h.attr(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.r.Replace(err.Error()))
		}
		if s, ok := v.Any().(interface{ String() string }); ok {
			return slog.String(a.Key, h.r.Replace(s.String()))
		}
	}
	return a
}

func (h *redactor) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &redactor{next: h.next.WithAttrs(clean), r: h.r}
}

func (h *redactor) WithGroup(name string) slog.Handler {
	return &redactor{next: h.next.WithGroup(name), r: h.r}
}
