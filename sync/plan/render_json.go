package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// RenderJSON writes p as plan JSON version 1 (docs/semantics.md lists its
// fields): two-space indent, a
// trailing newline, lists as [] when empty, the summary recounted, and no HTML escaping so emails
// and labels read as written.
func RenderJSON(w io.Writer, p *Plan) error {
	if p == nil {
		return errNilPlan
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(view(p)); err != nil {
		return fmt.Errorf("plan: encode json: %w", err)
	}
	return write(w, "json", buf.Bytes())
}
