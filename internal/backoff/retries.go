package backoff

// Retries reads a configured retry count the way every teamsync client
// documents it: 0 means def, a negative count means no retries at all.
func Retries(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}
