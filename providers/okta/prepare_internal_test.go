package okta

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestNameBatches(t *testing.T) {
	names := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	short := func(i int) string { return fmt.Sprintf("Team %03d", i) }
	tests := []struct {
		name  string
		names []string
		sizes []int
	}{
		{"none", nil, nil},
		{"one", names(1, short), []int{1}},
		{"by count", names(45, short), []int{20, 20, 5}},
		// 255 ASCII characters make a 277-byte clause and " or " 4 more:
		// seven fit in 2,000.
		{"by bytes", names(15, func(i int) string { return fmt.Sprintf("%03d", i) + strings.Repeat("x", 252) }), []int{7, 7, 1}},
		// Each alone passes the byte limit; it still gets its own batch.
		{"oversized", names(2, func(i int) string { return fmt.Sprint(i) + strings.Repeat("é", 700) }), []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nameBatches(tt.names)
			var sizes []int
			var flat []string
			for _, b := range got {
				sizes = append(sizes, len(b))
				flat = append(flat, b...)
				if n := len(url.QueryEscape(batchSearch(b))); len(b) > 1 && n > batchQueryBytes {
					t.Errorf("batch of %d encodes to %d bytes, over %d", len(b), n, batchQueryBytes)
				}
			}
			if !slices.Equal(sizes, tt.sizes) {
				t.Errorf("batch sizes %v, want %v", sizes, tt.sizes)
			}
			if !slices.Equal(flat, tt.names) {
				t.Error("batches do not hold every name once, in order")
			}
		})
	}
}

func TestBatchSearch(t *testing.T) {
	got := batchSearch([]string{"Eng", `Ops "Core" \ East`})
	want := `profile.name eq "Eng" or profile.name eq "Ops \"Core\" \\ East"`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
