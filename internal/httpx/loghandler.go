package httpx

import (
	"context"
	"log/slog"
)

// RedactHandler returns a slog.Handler that passes every record to h with
// its message and attribute values redacted by s, so that no log line can
// carry a credential whatever a caller logs (an error that quotes a
// server's echo, a URL with a token in its query).
func RedactHandler(h slog.Handler, s *Secrets) slog.Handler {
	return &redactHandler{h: h, s: s}
}

type redactHandler struct {
	h slog.Handler
	s *Secrets
}

func (r *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, r.s.Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = r.attr(a)
	}
	return &redactHandler{h: r.h.WithAttrs(red), s: r.s}
}

func (r *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: r.h.WithGroup(name), s: r.s}
}

// attr redacts a's value: strings and anything that renders as text
// (errors, Stringers), and groups member by member. Numbers, booleans,
// times and durations carry no credential and stay typed.
func (r *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.s.Redact(v.String()))
	case slog.KindAny:
		return slog.String(a.Key, r.s.Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, m := range g {
			out[i] = r.attr(m)
		}
		return slog.Group(a.Key, out...)
	}
	return slog.Attr{Key: a.Key, Value: v}
}
