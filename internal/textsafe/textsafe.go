// Package textsafe makes text from identity providers and APIs safe to
// print: on a terminal line, and in a markdown table cell. The plan's views
// and the access report and explain use the same rules.
package textsafe

import "strings"

// Plain replaces control characters with spaces, so that a multi-line
// error stays on its line and an email from an IdP cannot carry terminal
// escape sequences.
func Plain(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// Markdown makes s safe inside a markdown table cell: the characters that
// start emphasis, code, links, strike-through or a cell break are
// backslash-escaped (with [ escaped, ( and ! cannot form a link), HTML is
// neutralised, and line breaks and every other control character (which
// a terminal showing the markdown would obey) become spaces.
func Markdown(s string) string {
	var b strings.Builder
	for _, r := range Plain(s) {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MarkdownList escapes each item with Markdown and joins them with ", ".
func MarkdownList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = Markdown(s)
	}
	return strings.Join(out, ", ")
}
