// Package backoff holds the small waiting helpers teamsync's API clients
// share: a sleep that ends with its context, exponential backoff with a
// pluggable jitter, and the loopback test that decides where plain http is
// allowed. Each client keeps its own numbers (base, cap, jitter) because
// its tests and its API's advice pin them; only the arithmetic lives here.
package backoff
