package model

import "testing"

func TestSlugify(t *testing.T) {
	cases := map[string]string{
		"Platform":            "platform",
		"Platform Engineers":  "platform-engineers",
		"  iOS -- Mobile!  ":  "ios-mobile",
		"R&D / Tools 2":       "r-d-tools-2",
		"Café Crew":           "caf-crew",
		"already-a-slug":      "already-a-slug",
		"---":                 "",
		"team_name.with.dots": "team-name-with-dots",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			if got := Slugify(in); got != want {
				t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
			}
		})
	}
}
