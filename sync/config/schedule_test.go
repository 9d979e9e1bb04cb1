package config

import "testing"

// TestRareSchedulesAreAccepted: specs that fire seldom are not taken for
// specs that never fire.
func TestRareSchedulesAreAccepted(t *testing.T) {
	for _, spec := range []string{
		"0 0 29 2 *",                          // leap days only
		"0 0 31 * *",                          // seven months a year
		"0 0 30 2 1",                          // 30 February or any Monday: day fields are or-ed
		"@every 1s",                           // a fixed delay always has a next run
		"@yearly",                             // once a year
		"0 9 * * 1-5",                         // weekdays
		"CRON_TZ=America/New_York 30 2 * 3 *", // includes the hour DST skips
	} {
		t.Run(spec, func(t *testing.T) {
			m, err := Parse("mapping.yaml", []byte(withTeams("buildkite:", "  organization: acme", "sync:", "  schedule: \""+spec+"\"")))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.Sync.Schedule != spec {
				t.Errorf("schedule = %q, want %q", m.Sync.Schedule, spec)
			}
		})
	}
}
